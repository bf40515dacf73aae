/**
 * Who you are: a key that `chat join` proves at each join holds its
 * nicknames, its schedules and the room's ownership; sessions cannot be
 * taken without it; a kick is a ban. Each attack from the identity issue is
 * reproduced here and must now fail.
 */
import { generateIdentity } from "../client/identity.ts";
import type { EventOf } from "../protocol/events.ts";
import { JSON_HANDSHAKE_V2 } from "../protocol/identity.ts";
import { parseAddressRanges } from "../server/address_range.ts";
import { handleLine } from "../server/commands.ts";
import type { MemoryStore } from "../server/memory_store.ts";
import { Room } from "../server/room.ts";
import { SqliteStore } from "../server/sqlite_store.ts";
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { JoinProcess } from "./support/join_process.ts";
import { RecordingOutbox } from "./support/recording_outbox.ts";
import { tempDir } from "./support/temp_dir.ts";
import { joinJson, joinPlain, JsonClient, LineClient, startServer } from "./support/test_server.ts";

const DAY = 86_400_000;

function unstamped(line: string): string {
  return line.replace(/^\[\d\d:\d\d\] /, "");
}

function roomWith(options: { store?: MemoryStore | SqliteStore; ownerKey?: string } = {}) {
  const clock = { time: Date.UTC(2026, 10, 27, 9), now: () => clock.time };
  const outbox = new RecordingOutbox();
  const room = new Room(outbox, { clock, newToken: () => crypto.randomUUID(), ...options });
  return { room, outbox, clock };
}

Deno.test("a keyed member's name is held for its key: others, with another key or none, are refused; look-alikes too", () => {
  const { room, outbox, clock } = roomWith();
  room.join(1, "alice", { identity: "SHA256:alice" });
  room.leave(1, "quit");
  assertEquals(room.join(2, "alice"), false);
  assertEquals(
    outbox.texts(2),
    [
      'Nickname "alice" is held for another member\'s key (chat join proves one; nc and older ' +
      "clients cannot). Please choose another nickname:",
    ],
  );
  assertEquals(room.join(3, "ALICE", { identity: "SHA256:mallory" }), false);
  assertEquals(room.join(4, "\u0430lice"), false, "Cyrillic а");
  assertEquals(room.join(7, "a1ice"), false, "a digit one for the l");
  assertMatch(outbox.texts(7)[0], /^Nickname "a1ice" looks too much like "alice", which is held/);
  // Its own key takes it back, under any case.
  assert(room.join(5, "Alice", { identity: "SHA256:alice" }));
  room.leave(5, "quit");
  // Thirty days after its last use, the name is free.
  clock.time += 30 * DAY;
  assert(room.join(6, "alice"));
});

Deno.test("a key holds at most five names, and the room at most its cap: the least recently used go", () => {
  const { room } = roomWith();
  for (let i = 0; i < 7; i++) {
    assert(room.join(10 + i, `name${i}`, { identity: "SHA256:one" }));
    room.leave(10 + i, "quit");
  }
  // The two oldest names were let go.
  assert(room.join(30, "name0"));
  assert(room.join(31, "name1"));
  assertEquals(room.join(32, "name2"), false);
});

Deno.test("schedules belong to their author's key or session, never to the name: whoever takes the name later sees nothing", () => {
  const { room, outbox } = roomWith();
  room.join(1, "owner");
  room.join(2, "ana");
  handleLine(room, 2, "/schedule +10m ana's plan");
  room.leave(2, "quit");
  room.join(3, "ANA");
  outbox.take(3);
  handleLine(room, 3, "/schedules");
  assertEquals(outbox.texts(3), ["No pending scheduled messages."]);
  handleLine(room, 3, "/unschedule 1");
  assertEquals(outbox.texts(3), ["Scheduled message #1 is not yours to cancel."]);
  // The owner's cancel is not told to the new ANA either.
  handleLine(room, 1, "/unschedule 1");
  assertEquals(outbox.texts(3), []);
  // A keyed author finds its schedules under another name.
  room.join(4, "bob", { identity: "SHA256:bob" });
  handleLine(room, 4, "/schedule +10m bob's plan");
  room.leave(4, "quit");
  room.join(5, "robert", { identity: "SHA256:bob" });
  outbox.take(5);
  handleLine(room, 5, "/schedules");
  assertMatch(outbox.texts(5).join("\n"), /#2 at \d\d:\d\d \(bob\): bob's plan/);
});

Deno.test("the first keyed owner's key owns the room across restarts; meanwhile the longest present acts", async () => {
  await using dir = await tempDir("chat_owner_");
  const path = `${dir.path}/chat.db`;
  {
    const { room } = roomWith({ store: new SqliteStore(path) });
    room.join(1, "ana", { identity: "SHA256:ana" });
    room.store.close();
  }
  const { room, outbox } = roomWith({ store: new SqliteStore(path) });
  try {
    room.join(1, "bob");
    assertEquals(room.owner?.nick, "bob", "bob acts while the key's holder is away");
    room.join(2, "ana", { identity: "SHA256:ana" });
    assertEquals(room.owner?.nick, "ana");
    assert(outbox.texts(1).includes("‣ ana is now the room owner."));
    room.leave(2, "quit");
    assertEquals(room.owner?.nick, "bob");
    assert(outbox.texts(1).includes("‣ bob is now the room owner."));
  } finally {
    room.store.close();
  }
});

Deno.test("--owner-key names the owner; /owner hands the room to another keyed member, and only the key's holder may", () => {
  const { room, outbox } = roomWith({ ownerKey: "SHA256:cy" });
  room.join(1, "ana", { identity: "SHA256:ana" });
  room.join(2, "bob");
  handleLine(room, 1, "/owner bob");
  assertEquals(
    outbox.texts(1).at(-1),
    "Only the member with the room owner's key can hand the room on.",
  );
  room.join(3, "cy", { identity: "SHA256:cy" });
  assertEquals(room.owner?.nick, "cy");
  handleLine(room, 3, "/owner bob");
  assertEquals(
    outbox.texts(3).at(-1),
    "bob has no key; the room can only go to a member who joined with chat join.",
  );
  handleLine(room, 3, "/owner ana");
  assertEquals(room.owner?.nick, "ana");
  room.leave(1, "quit");
  room.join(4, "ana", { identity: "SHA256:ana" });
  assertEquals(room.owner?.nick, "ana", "the key moved with the room");
});

Deno.test("/whois shows a short fingerprint and how long the name has been held, or no key", () => {
  const { room, outbox, clock } = roomWith();
  room.join(1, "ana", { identity: "SHA256:abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG" });
  clock.time += 3 * DAY;
  room.join(2, "bob");
  handleLine(room, 2, "/whois ana");
  handleLine(room, 2, "/whois bob");
  handleLine(room, 2, "/whois zed");
  assertEquals(outbox.texts(2).slice(-3), [
    "ana has key SHA256:abcdefghijkl…; the name has been held for 3 days. It is the room owner's key.",
    "bob has no key; the name is not held.",
    "User 'zed' not found.",
  ]);
});

Deno.test("a kick bans key, address and name for 10 minutes; /ban, /bans and /unban; bans survive a restart", async () => {
  await using dir = await tempDir("chat_bans_");
  const path = `${dir.path}/chat.db`;
  const first = roomWith({ store: new SqliteStore(path) });
  const { room, outbox, clock } = first;
  room.join(1, "ana");
  room.join(2, "bob", { identity: "SHA256:bob", address: "203.0.113.7" });
  handleLine(room, 1, "/kick bob");
  // Back 0.2 s later under the same name, another name, or from the same address: no.
  clock.time += 200;
  for (
    const [id, nick, options] of [
      [3, "bob", {}],
      [4, "bobby", { identity: "SHA256:bob" }],
      [5, "carol", { address: "203.0.113.7" }],
    ] as const
  ) {
    assertEquals(room.join(id, nick, options), false, nick);
    assertEquals(outbox.texts(id), [
      "Disconnected: You are banned from this room for 10 more minutes.",
    ]);
  }
  assertEquals(
    room.bannedAddress("203.0.113.7"),
    "You are banned from this room for 10 more minutes.",
  );
  handleLine(room, 1, "/ban zed 2h");
  outbox.take(1);
  handleLine(room, 1, "/bans");
  assertEquals(outbox.texts(1), [
    "Bans (4):",
    "key SHA256:bob… (bob): 9 minutes more, by ana",
    "address 203.0.113.7 (bob): 9 minutes more, by ana",
    "nickname bob: 9 minutes more, by ana",
    "nickname zed: 2 hours more, by ana",
  ]);
  room.store.close();
  // After a restart the bans are still there; /unban lifts them.
  const second = roomWith({ store: new SqliteStore(path) });
  try {
    second.clock.time = clock.time;
    second.room.join(1, "ana");
    assertEquals(second.room.join(2, "bob"), false);
    handleLine(second.room, 1, "/unban bob");
    assertEquals(second.outbox.texts(1).at(-1), "Lifted 3 bans on bob.");
    assert(second.room.join(3, "bob", { identity: "SHA256:bob", address: "203.0.113.7" }));
    handleLine(second.room, 1, "/unban nobody");
    assertEquals(second.outbox.texts(1).at(-1), 'No ban on "nobody".');
  } finally {
    second.room.store.close();
  }
});

Deno.test("over real sockets: a stolen token cannot take a live session, and a spent one takes nothing", async () => {
  const logged: string[] = [];
  await using server = startServer({
    log: (_level, event, fields) => logged.push(`${event} ${JSON.stringify(fields)}`),
  });
  const port = server.address.port;
  const victim = await joinJson(port, "ana");
  await using _victim = victim.client;
  // From another connection, while ana is still connected: refused, ana stays.
  await using thief = await JsonClient.connect(port);
  await thief.sendMessage({ type: "nick", nick: "ana", resume: victim.welcome.resume });
  const refused = await thief.waitFor((e) => e.type === "nick_refused") as EventOf<"nick_refused">;
  assertEquals(
    refused.reason,
    'Nickname "ana" is in use by a live session; only a session with a key can take it over.',
  );
  await victim.client.say("still here");
  await victim.client.waitFor((e) => e.type === "message" && e.text === "still here");
  // ana drops and resumes with its token: the token changes, and the old one is spent.
  await victim.client.close();
  await detached(server.room, "ana");
  const back = await joinJson(port, "ana", { resume: victim.welcome.resume });
  assert(back.welcome.resumed);
  assert(back.welcome.resume !== victim.welcome.resume);
  await back.client.close();
  await detached(server.room, "ana");
  await using replay = await JsonClient.connect(port);
  await replay.sendMessage({ type: "nick", nick: "ana", resume: victim.welcome.resume });
  const spent = await replay.waitFor((e) => e.type === "nick_refused") as EventOf<"nick_refused">;
  assertEquals(spent.reason, 'Nickname "ana" is already taken.', "a spent token takes nothing");
  // Tokens are never logged.
  for (const token of [victim.welcome.resume!, back.welcome.resume!]) {
    assert(!logged.some((line) => line.includes(token)), token);
  }
  assert(logged.some((line) => line.startsWith("resume ")), logged.join("\n"));
});

/** Waits until `nick` has left the room. */
async function gone(room: Room, nick: string): Promise<void> {
  const deadline = Date.now() + 3000;
  while (room.members.some((m) => m.nick === nick)) {
    if (Date.now() > deadline) throw new Error(`${nick} never left`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Waits until the room has seen `nick`'s connection drop (it holds the name for a resume). */
async function detached(room: Room, nick: string): Promise<void> {
  const deadline = Date.now() + 3000;
  while (room.members.find((m) => m.nick === nick)?.detachedAt === undefined) {
    if (Date.now() > deadline) throw new Error(`${nick} never dropped`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

Deno.test("over real sockets: a keyed session's token is useless without its key", async () => {
  await using server = startServer();
  const port = server.address.port;
  const { identity } = await generateIdentity();
  const { identity: other } = await generateIdentity();
  const ana = await joinJson(port, "ana", {}, identity);
  await ana.client.close();
  for (const key of [undefined, other]) {
    const client = await JsonClient.connect(port, key ? JSON_HANDSHAKE_V2 : undefined);
    let proof = {};
    if (key) {
      const challenge = await client.waitFor((e) => e.type === "challenge") as EventOf<"challenge">;
      proof = { key: await key.prove(challenge.nonce) };
    }
    await client.sendMessage({ type: "nick", nick: "ana", resume: ana.welcome.resume, ...proof });
    const refused = await client.waitFor((e) => e.type === "nick_refused");
    assertEquals((refused as EventOf<"nick_refused">).reason, 'Nickname "ana" is already taken.');
    await client.close();
  }
  const back = await joinJson(port, "ana", { resume: ana.welcome.resume }, identity);
  await using _back = back.client;
  assert(back.welcome.resumed);
});

Deno.test("over real sockets: a key's proof that does not check out is refused, and said in the log", async () => {
  const logged: string[] = [];
  await using server = startServer({
    log: (_level, event, fields) => logged.push(`${event} ${JSON.stringify(fields)}`),
  });
  const { identity } = await generateIdentity();
  await using client = await JsonClient.connect(server.address.port, JSON_HANDSHAKE_V2);
  await client.waitFor((e) => e.type === "challenge");
  // Signed for another nonce: replayed from elsewhere.
  const key = await identity.prove("some other nonce");
  await client.sendMessage({ type: "nick", nick: "ana", key });
  const refused = await client.waitFor((e) => e.type === "nick_refused") as EventOf<"nick_refused">;
  assertEquals(refused.reason, "Your key's signature did not check out; the join was refused.");
  assert(logged.some((line) => line.includes('"limit":"bad-key-proof"')), logged.join("\n"));
  assertEquals(server.room.size, 0);
});

Deno.test("over real sockets: a kicked member is back neither under its name nor from its address", async () => {
  await using server = startServer({ exempt: parseAddressRanges("none", "--exempt") });
  const port = server.address.port;
  await using ana = await joinPlain(port, "ana");
  await using bob = await joinPlain(port, "bob");
  await ana.send("/kick bob");
  await bob.waitFor("You have been kicked from the chat.");
  await bob.waitForClose();
  // The address is banned: refused before a word.
  await using again = await LineClient.connect(port);
  assertEquals(
    await again.readLine(),
    "You are banned from this room for 10 more minutes.",
  );
  await again.waitForClose();
  await ana.send("/unban 127.0.0.1");
  await ana.waitFor("Lifted 1 ban on 127.0.0.1.");
  // The name is still banned.
  await using named = await LineClient.connect(port);
  await named.waitFor("Enter your nickname");
  await named.send("bob");
  assertEquals(
    unstamped(await named.waitFor("banned")),
    "Disconnected: You are banned from this room for 10 more minutes.",
  );
});

Deno.test("chat join makes its key once, 0600 in a 0700 directory, and the room holds its name for it", async () => {
  await using server = startServer();
  const port = server.address.port;
  await using dir = await tempDir("chat_identity_");
  const env = { XDG_CONFIG_HOME: dir.path };
  {
    await using ana = new JoinProcess([`127.0.0.1:${port}`, "--nick", "ana", "--retry", "0"], env);
    await ana.waitFor("Welcome, ana!");
    await ana.type("/quit");
    assertEquals((await ana.child.status).code, 0);
  }
  await gone(server.room, "ana");
  const file = `${dir.path}/chat/identity`;
  assertEquals((await Deno.stat(file)).mode! & 0o777, 0o600);
  assertEquals((await Deno.stat(`${dir.path}/chat`)).mode! & 0o777, 0o700);
  const saved = await Deno.readTextFile(file);
  // Someone else (another key) cannot have the name; ana's own key can, again.
  {
    await using other = new JoinProcess([`127.0.0.1:${port}`, "--nick", "ana", "--retry", "0"]);
    await other.waitFor('Nickname "ana" is held for another member\'s key');
  }
  {
    await using ana = new JoinProcess([`127.0.0.1:${port}`, "--nick", "ana", "--retry", "0"], env);
    await ana.waitFor("Welcome, ana!");
    await ana.type("/quit");
    await ana.child.status;
  }
  await gone(server.room, "ana");
  assertEquals(await Deno.readTextFile(file), saved, "the key is made once");
  await using nc = await LineClient.connect(port);
  await nc.waitFor("Enter your nickname");
  await nc.send("ana");
  await nc.waitFor('Nickname "ana" is held for another member\'s key');
});

Deno.test("a damaged identity file is said in one line, and chat join goes on without a key", async () => {
  await using server = startServer();
  await using dir = await tempDir("chat_identity_");
  await Deno.mkdir(`${dir.path}/chat`, { recursive: true });
  await Deno.writeTextFile(`${dir.path}/chat/identity`, "not json");
  await using ana = new JoinProcess(
    [`127.0.0.1:${server.address.port}`, "--nick", "ana", "--retry", "0"],
    { XDG_CONFIG_HOME: dir.path },
  );
  await ana.waitFor("Welcome, ana!");
  await ana.type("/quit");
  await ana.child.status;
  assertMatch(
    await ana.stderr(),
    /identity file ".*" is damaged\. Move it aside .* Joining without a key\./,
  );
  // Without a key the name is not held: a plain client may take it once ana is gone.
  await gone(server.room, "ana");
  await using _nc = await joinPlain(server.address.port, "ana");
});

Deno.test("a kick from an address many share (an --exempt one) bans the name and the key, not the address", () => {
  const clock = { time: 0, now: () => clock.time };
  const outbox = new RecordingOutbox();
  const room = new Room(outbox, { clock, isSharedAddress: (address) => address === "127.0.0.1" });
  room.join(1, "ana", { address: "127.0.0.1" });
  room.join(2, "bob", { address: "127.0.0.1", identity: "SHA256:bob" });
  handleLine(room, 1, "/kick bob");
  assertEquals(room.bannedAddress("127.0.0.1"), null);
  assert(room.join(3, "carol", { address: "127.0.0.1" }), "others behind the same address");
  assertEquals(room.join(4, "bobby", { address: "127.0.0.1", identity: "SHA256:bob" }), false);
});

Deno.test("chat key prints the fingerprint chat join proves; --owner-key with it makes that member the owner", async () => {
  await using dir = await tempDir("chat_key_");
  const env = { XDG_CONFIG_HOME: dir.path, NO_COLOR: "1" };
  const run = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", new URL("../main.ts", import.meta.url).pathname, "key"],
    env,
    stdout: "piped",
  }).output();
  assertEquals(run.code, 0);
  const fingerprint = new TextDecoder().decode(run.stdout).split(" ")[0];
  assertMatch(fingerprint, /^SHA256:[A-Za-z0-9+/]{43}$/);
  await using server = startServer({ ownerKey: fingerprint });
  const port = server.address.port;
  await using bob = await joinPlain(port, "bob");
  await using ana = new JoinProcess([`127.0.0.1:${port}`, "--nick", "ana", "--retry", "0"], env);
  await ana.waitFor("Welcome, ana! You are the room owner.");
  await bob.waitFor("‣ ana is now the room owner.");
});
