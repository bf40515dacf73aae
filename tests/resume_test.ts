/**
 * Resume after a drop, over real sockets: a structured client whose
 * connection is cut takes its session back with `{type:"nick", nick, resume,
 * lastSeq}` and is shown exactly what it missed, in order, before live traffic.
 */
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import type { ConversationEvent, EventOf, ServerEvent } from "../protocol/events.ts";
import { generateIdentity } from "../client/identity.ts";
import { MemoryStore } from "../server/memory_store.ts";
import { SqliteStore } from "../server/sqlite_store.ts";
import type { RoomStore } from "../server/store.ts";
import { joinJson, joinPlain, JsonClient, startServer } from "./support/test_server.ts";
import { tempDir } from "./support/temp_dir.ts";

type Welcome = Extract<ServerEvent, { type: "welcome" }>;

function seqOf(event: ServerEvent): number | undefined {
  return "seq" in event && event.type !== "welcome" ? event.seq : undefined;
}

/** Reads events until one satisfies `done`, returning all of them. */
async function readUntil(
  client: JsonClient,
  done: (event: ServerEvent) => boolean,
): Promise<ServerEvent[]> {
  const events: ServerEvent[] = [];
  for (let i = 0; i < 1000; i++) {
    const event = await client.next();
    events.push(event);
    if (done(event)) return events;
  }
  throw new Error("Too many events.");
}

/** Waits until the server has seen the connection go (its member is detached). */
async function waitDetached(
  server: ReturnType<typeof startServer>,
  nick: string,
): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (server.room.findByNick(nick)?.detachedAt !== undefined) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`${nick} was never detached.`);
}

async function resumeScenario(store: RoomStore): Promise<void> {
  await using server = startServer({ store });
  const port = server.address.port;
  const ana = await joinJson(port, "ana");
  assert(ana.welcome.owner);
  assert(ana.welcome.resume, "a structured client gets a resume token");
  await using bob = await joinPlain(port, "bob");
  await using cy = await joinJson(port, "cy").then((j) => j.client);

  await bob.send("before the drop");
  const seen = await readUntil(
    ana.client,
    (e) => e.type === "message" && e.text === "before the drop",
  );
  const lastSeq = Math.max(...seen.map((e) => seqOf(e) ?? 0));

  // The connection is cut mid-conversation; the others keep talking.
  await ana.client.close();
  await waitDetached(server, "ana");
  await bob.send("missed one");
  await cy.say("missed two");
  await bob.send("/whisper ana psst");
  await cy.waitFor((e) => e.type === "message" && e.text === "missed two");
  await bob.waitFor("cy: missed two");

  await using again = await JsonClient.connect(port);
  await again.sendMessage({ type: "nick", nick: "ana", resume: ana.welcome.resume, lastSeq });
  const welcome = (await again.waitFor((e) => e.type === "welcome")) as Welcome;
  // Live traffic sent right after the resume must come after the replay.
  await bob.send("live after resume");
  const after = await readUntil(
    again,
    (e) => e.type === "message" && e.text === "live after resume",
  );
  assert(welcome.resumed);
  assertEquals(welcome.nick, "ana");
  assertEquals(welcome.owner, true, "the owner is still the owner after resuming");

  const replayed = after.filter((e) => seqOf(e) !== undefined && "history" in e);
  // While ana was away bob stood in as owner; that is part of what she missed.
  assertEquals(
    replayed.map((e) =>
      e.type === "message" ? e.text : e.type === "owner" ? `${e.nick} for ${e.for}` : e.type
    ),
    ["bob for ana", "missed one", "missed two"],
  );
  const handedBack = after.find((e) => e.type === "owner" && !("history" in e));
  assertEquals(handedBack?.type === "owner" && handedBack.nick, "ana", "ana takes ownership back");
  const seqs = after.map(seqOf).filter((s) => s !== undefined);
  assertEquals(seqs, [...seqs].sort((a, b) => a - b), "in order");
  assertEquals(new Set(seqs).size, seqs.length, "exactly once");
  assert(seqs[0]! === lastSeq + 1, `replay starts right after lastSeq ${lastSeq}: ${seqs}`);
  const whisper = after.find((e) => e.type === "whisper");
  assertEquals(whisper?.type === "whisper" && whisper.text, "psst");
  const last = after.at(-1) as ConversationEvent & { history?: true };
  assertEquals(last.history, undefined, "live traffic is not marked history");

  // Nobody saw ana leave or join again: everything the others ever received,
  // up to the live line that came after the resume, is checked.
  await bob.waitFor("bob: live after resume");
  await cy.waitFor((e) => e.type === "message" && e.text === "live after resume");
  const bobLines = bob.received.filter((line) => /\bana (left|joined)/.test(line));
  assertEquals(bobLines, []);
  const cyPresence = cy.received.filter((e) =>
    (e.type === "leave" || e.type === "join") && e.nick === "ana"
  );
  assertEquals(cyPresence, []);

  // And she can still act as the owner.
  await again.say("/kick cy");
  await bob.waitFor("‣ cy was kicked from the chat by ana.");
}

Deno.test("a dropped JSON client resumes and gets every missed event once, in order, before live traffic (memory store)", async () => {
  await resumeScenario(new MemoryStore());
});

Deno.test("a dropped JSON client resumes with the SQLite store too", async () => {
  await using dir = await tempDir("chat_resume_");
  await resumeScenario(new SqliteStore(`${dir.path}/chat.db`));
});

Deno.test("a resume with the wrong token is refused while the nickname is held", async () => {
  await using server = startServer();
  const port = server.address.port;
  const ana = await joinJson(port, "ana");
  await ana.client.close();
  await waitDetached(server, "ana");
  await using impostor = await JsonClient.connect(port);
  await impostor.sendMessage({ type: "nick", nick: "ana", resume: "not-the-token", lastSeq: 0 });
  const refused = await impostor.waitFor((e) => e.type === "nick_refused");
  assertMatch((refused as { reason: string }).reason, /already taken/);
});

Deno.test("after the grace period the nickname is released and the others see the leave", async () => {
  await using server = startServer({ resumeGraceMs: 150, tickMs: 25 });
  const port = server.address.port;
  const ana = await joinJson(port, "ana");
  await using bob = await joinPlain(port, "bob");
  await ana.client.close();
  await bob.waitFor("‣ ana left the chat (connection lost).", 3000);
  assertEquals(server.room.owner?.nick, "bob", "ownership passes on once the grace is over");
  const late = await joinJson(port, "ana", { resume: ana.welcome.resume, lastSeq: 0 });
  assert(!late.welcome.resumed, "too late: a fresh session");
  assert(late.welcome.resume !== ana.welcome.resume);
  await bob.waitFor("‣ ana joined the chat.");
  await late.client.close();
});

Deno.test("a resume from before the oldest kept event is told that some messages are gone", async () => {
  await using server = startServer({ store: new MemoryStore(4) });
  const port = server.address.port;
  const ana = await joinJson(port, "ana");
  await using bob = await joinPlain(port, "bob");
  await ana.client.close();
  await waitDetached(server, "ana");
  for (let i = 0; i < 6; i++) await bob.send(`m${i}`);
  await bob.waitFor("bob: m5");
  await using again = await joinJson(port, "ana", { resume: ana.welcome.resume, lastSeq: 1 })
    .then((j) => j.client);
  const notice = await again.waitFor((e) => e.type === "notice");
  assertMatch((notice as { text: string }).text, /no longer available/);
});

Deno.test("a session still attached is taken over only with its key; the old connection is told and closed", async () => {
  await using server = startServer();
  const port = server.address.port;
  const { identity } = await generateIdentity();
  const first = await joinJson(port, "ana", {}, identity);
  await using _first = first.client;
  await using bob = await joinPlain(port, "bob");
  const second = await joinJson(port, "ana", {
    resume: first.welcome.resume,
    lastSeq: first.welcome.seq,
  }, identity);
  await using _second = second.client;
  assert(second.welcome.resumed);
  assert(second.welcome.resume !== first.welcome.resume, "a new token at every welcome");
  const bye = await first.client.waitFor((e) => e.type === "bye");
  assertEquals((bye as EventOf<"bye">).reason, "Session resumed elsewhere.");
  await first.client.lines.waitForClose();
  await second.client.say("from the new connection");
  await bob.waitFor("ana: from the new connection");
  assertEquals(server.room.size, 2);
});
