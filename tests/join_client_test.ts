import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { joinPlain, startServer } from "./support/test_server.ts";
import { JoinProcess } from "./support/join_process.ts";
import { TcpProxy } from "./support/tcp_proxy.ts";
import { FakeRoom } from "./support/fake_room.ts";
import { ServeProcess } from "./support/serve_process.ts";
import { tempDir } from "./support/temp_dir.ts";
import { formatClock, localTimeZone, nextOccurrence } from "../protocol/time.ts";

Deno.test("chat join talks with a plain client through the real server", async () => {
  await using server = startServer();
  const port = server.address.port;
  await using ana = new JoinProcess([`127.0.0.1:${port}`, "--nick", "ana", "--retry", "0"]);
  await ana.waitFor("Welcome, ana! You are the room owner.");
  await using bob = await joinPlain(port, "bob");
  await ana.waitFor("‣ bob joined the chat.");

  await ana.type("hi bob");
  await bob.waitFor("ana: hi bob");
  await bob.send("hello ana \x1b[31mred\x1b[0m");
  const shown = await ana.waitFor("bob: hello ana");
  assertMatch(shown, /^\[\d\d:\d\d\] bob: hello ana red$/);

  await ana.type("/whisper bob psst");
  assertMatch(await bob.waitFor("Whisper from ana"), /\[Whisper from ana\] psst$/);
  await ana.waitFor("[Whisper to bob] psst");

  await ana.type("/user");
  await ana.waitFor("Users in chat: ana (owner), bob");

  await ana.type("/quit");
  assertEquals(await ana.exitCode(), 0);
  await bob.waitFor("‣ ana left the chat (quit).");
  await bob.waitFor("‣ bob is now the room owner.");
});

Deno.test("chat join asks again when the nickname is taken", async () => {
  await using server = startServer();
  const port = server.address.port;
  await using _bob = await joinPlain(port, "bob");
  await using client = new JoinProcess([`127.0.0.1:${port}`, "--retry", "0"]);
  await client.waitFor("Enter your nickname:");
  await client.type("BOB");
  await client.waitFor('Nickname "BOB" is already taken.');
  await client.type("carol");
  await client.waitFor("Welcome, carol!");
  await client.closeStdin();
  assertEquals(await client.exitCode(), 0);
});

Deno.test("chat join says the server went away and exits non-zero", async () => {
  const server = startServer();
  const port = server.address.port;
  await using client = new JoinProcess([`127.0.0.1:${port}`, "--nick", "ana", "--retry", "0"]);
  await client.waitFor("Welcome, ana!");
  await server.shutdown();
  await client.waitFor("Disconnected from server");
  assertEquals(await client.exitCode(), 1);
});

Deno.test("chat join reconnects with the same nickname when the connection drops", async () => {
  await using server = startServer();
  const port = server.address.port;
  await using proxy = new TcpProxy(port);
  await using client = new JoinProcess([
    `127.0.0.1:${proxy.port}`,
    "--nick",
    "ana",
    "--retry",
    "10",
  ]);
  await client.waitFor("Welcome, ana!");
  await using bob = await joinPlain(port, "bob");
  await client.waitFor("‣ bob joined the chat.");
  proxy.cutAll();
  await client.waitFor("Disconnected from server");
  await bob.send("said while ana was away");
  await client.waitFor("Reconnected as ana");
  await client.waitFor("bob: said while ana was away");
  await client.type("back");
  await bob.waitFor("ana: back");
  // Nobody saw ana leave: from bob's first line to her line after the drop.
  assertEquals(bob.received.filter((line) => line.includes("ana left")), []);
});

/** The `nick` messages a client sent through the proxy. */
function nickMessages(proxy: TcpProxy): { nick: string; resume?: string; lastSeq?: number }[] {
  return proxy.sentText.split("\n").filter((line) => line.startsWith("{"))
    .map((line) => JSON.parse(line)).filter((message) => message.type === "nick");
}

Deno.test("chat join resumes from the seq of the last line it showed, drop after drop", async () => {
  await using server = startServer();
  const port = server.address.port;
  await using proxy = new TcpProxy(port);
  await using client = new JoinProcess([
    `127.0.0.1:${proxy.port}`,
    "--nick",
    "ana",
    "--retry",
    "10",
  ]);
  await client.waitFor("Welcome, ana!");
  await using bob = await joinPlain(port, "bob");
  for (const round of [1, 2]) {
    await bob.send(`before drop ${round}`);
    await client.waitFor(`bob: before drop ${round}`);
    const shown = server.room.lastSeq;
    proxy.cutAll();
    await client.waitFor("Disconnected from server");
    await bob.send(`during drop ${round}`);
    await client.waitFor("Reconnected as ana");
    await client.waitFor(`bob: during drop ${round}`);
    const resume = nickMessages(proxy).at(-1)!;
    assertEquals(resume.lastSeq, shown, JSON.stringify(nickMessages(proxy)));
    assert(resume.resume, "the resume token was sent");
  }
  for (const round of [1, 2]) {
    const copies = client.output.filter((line) => line.endsWith(`bob: during drop ${round}`));
    assertEquals(copies.length, 1, client.output.join("\n"));
  }
});

Deno.test("chat join shows a line the room replays twice only once", async () => {
  const at = Date.now();
  const message = (seq: number, text: string, history?: true) => ({
    type: "message",
    seq,
    at,
    from: "bob",
    text,
    ...(history ? { history } : {}),
  });
  await using room = new FakeRoom([
    async (connection) => {
      assertEquals(await connection.readLine(), "CHAT/2 json");
      await connection.send({ type: "challenge", at, nonce: "n" });
      assertEquals((await connection.readMessage()).nick, "ana");
      await connection.send({
        type: "welcome",
        at,
        nick: "ana",
        owner: false,
        seq: 0,
        resume: "t1",
      });
      await connection.send(message(1, "one"));
      await connection.send(message(2, "two"));
      // Then the connection drops.
    },
    async (connection) => {
      assertEquals(await connection.readLine(), "CHAT/2 json");
      await connection.send({ type: "challenge", at, nonce: "n" });
      const resume = await connection.readMessage();
      assertEquals([resume.resume, resume.lastSeq], ["t1", 2]);
      await connection.send({
        type: "welcome",
        at,
        nick: "ana",
        owner: false,
        seq: 3,
        resume: "t2",
        resumed: true,
      });
      // A replay that overlaps what the client already showed.
      await connection.send(message(2, "two", true));
      await connection.send(message(3, "three", true));
      await connection.send(message(4, "four"));
      while ((await connection.readLine(10_000)) !== null) { /* until the client leaves */ }
    },
  ]);
  await using client = new JoinProcess([`127.0.0.1:${room.port}`, "--nick", "ana", "--retry", "5"]);
  await client.waitFor("bob: four");
  const shown = client.output.filter((line) => / bob: (one|two|three|four)$/.test(line))
    .map((line) => line.replace(/^\[\d\d:\d\d\] (\(history\) )?/, ""));
  assertEquals(shown, ["bob: one", "bob: two", "bob: three", "bob: four"]);
  await client.closeStdin();
  assertEquals(await client.exitCode(), 0);
  assertEquals(room.errors, []);
});

Deno.test("chat join tells a room that gave it no resume token the last seq it showed, so history is not shown twice", async () => {
  const at = Date.now();
  const message = (seq: number, text: string) => ({ type: "message", seq, at, from: "bob", text });
  const welcome = (seq: number) => ({ type: "welcome", at, nick: "ana", owner: false, seq });
  await using room = new FakeRoom([
    async (connection) => {
      assertEquals(await connection.readLine(), "CHAT/2 json");
      await connection.send({ type: "challenge", at, nonce: "n" });
      assertEquals((await connection.readMessage()).nick, "ana");
      await connection.send(welcome(0));
      await connection.send(message(1, "one"));
      await connection.send(message(2, "two"));
      // Then the connection drops, as when the room restarts.
    },
    async (connection) => {
      assertEquals(await connection.readLine(), "CHAT/2 json");
      await connection.send({ type: "challenge", at, nonce: "n" });
      const rejoin = await connection.readMessage();
      assertEquals([rejoin.nick, rejoin.resume, rejoin.lastSeq], ["ana", undefined, 2]);
      await connection.send(welcome(3));
      await connection.send(message(4, "four"));
      while ((await connection.readLine(10_000)) !== null) { /* until the client leaves */ }
    },
  ]);
  await using client = new JoinProcess([`127.0.0.1:${room.port}`, "--nick", "ana", "--retry", "5"]);
  await client.waitFor("bob: four");
  await client.closeStdin();
  assertEquals(await client.exitCode(), 0);
  assertEquals(room.errors, []);
});

Deno.test("chat join exits 1 with a clear message when nothing listens", async () => {
  // The port stays held on 127.0.0.1, so nothing else can listen on it; on
  // 127.0.0.2 the connection is refused.
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  await using client = new JoinProcess([`127.0.0.2:${port}`, "--nick", "ana"]);
  assertEquals(await client.exitCode(), 1);
  assert((await client.stderr()).includes(`Could not connect to 127.0.0.2:${port}`));
});

Deno.test("/schedule HH:MM from chat join means the user's own clock, however it is typed", async () => {
  // A zone other than this process's, so the server's zone cannot stand in for it.
  const zone = localTimeZone() === "Asia/Seoul" ? "America/New_York" : "Asia/Seoul";
  await using server = startServer();
  const port = server.address.port;
  await using ana = new JoinProcess([`127.0.0.1:${port}`, "--nick", "ana", "--retry", "0"], {
    TZ: zone,
  });
  await ana.waitFor("Welcome, ana!");
  // Three hours ahead on the user's clock: far from midnight and minute edges.
  const clock = formatClock(Date.now() + 3 * 3_600_000, zone);
  const [hours, minutes] = clock.split(":").map(Number);
  const typed = [
    `/Schedule ${clock} capitals`,
    ` /schedule ${clock} space`,
    `/SCHEDULE ${clock} loud`,
  ];
  for (const line of typed) await ana.type(line);
  for (const text of ["capitals", "space", "loud"]) {
    assertMatch(
      await ana.waitFor(`: ${text}`),
      new RegExp(`Scheduled #\\d+ for ${clock}: ${text}$`),
    );
  }
  const expected = nextOccurrence(Date.now(), hours, minutes, zone);
  assertEquals(
    server.room.pendingSchedules.map((s) => [server.room.store.scheduleText(s.id), s.due]),
    [
      ["capitals", expected],
      ["space", expected],
      ["loud", expected],
    ],
  );
  // Cancelling confirms with the same clock time the user scheduled for.
  await ana.type("/unschedule 1");
  await ana.waitFor(`Cancelled scheduled message #1 for ${clock}.`);
});

Deno.test("chat join shows the kick and exits 1 without trying to reconnect", async () => {
  await using server = startServer();
  const port = server.address.port;
  await using boss = await joinPlain(port, "boss");
  await using ana = new JoinProcess([`127.0.0.1:${port}`, "--nick", "ana", "--retry", "30"]);
  await ana.waitFor("Welcome, ana!");
  await boss.send("/kick ana");
  await ana.waitFor("You have been kicked from the chat.");
  assertEquals(await ana.exitCode(), 1);
  assert(!ana.output.some((line) => line.includes("Reconnecting")), ana.output.join("\n"));
});

Deno.test("after a server restart chat join rejoins and shows no line twice", async () => {
  await using dir = await tempDir("chat_rejoin_");
  const data = `${dir.path}/chat.db`;
  const first = new ServeProcess(["--data", data, "--rate", "0"]);
  await using proxy = new TcpProxy(await first.port);
  await using ana = new JoinProcess([`127.0.0.1:${proxy.port}`, "--nick", "ana", "--retry", "20"]);
  await ana.waitFor("Welcome, ana!");
  {
    await using bob = await joinPlain(await first.port, "bob");
    await bob.send("one");
    await bob.send("two");
    await ana.waitFor("bob: two");
  }
  assertEquals((await first.stop("SIGTERM")).code, 0);
  await ana.waitFor("Disconnected from server");
  await using second = new ServeProcess(["--data", data, "--rate", "0"]);
  proxy.upstreamPort = await second.port;
  // The new server does not know ana's session, so this is a fresh join...
  await ana.waitFor("Rejoined as ana", 15_000);
  await using cy = await joinPlain(await second.port, "cy");
  await cy.send("three");
  await ana.waitFor("cy: three");
  // ...that shows only what ana had not seen: one and two stay on screen once.
  for (const text of ["bob: one", "bob: two", "cy: three"]) {
    const copies = ana.output.filter((line) => line.endsWith(text));
    assertEquals(copies.length, 1, `${text}:\n${ana.output.join("\n")}`);
  }
});

Deno.test("a connection accepted and closed while the room is down is one failed attempt; retries go on", async () => {
  await using server = startServer();
  const port = server.address.port;
  await using proxy = new TcpProxy(port);
  await using ana = new JoinProcess([`127.0.0.1:${proxy.port}`, "--nick", "ana", "--retry", "20"]);
  await ana.waitFor("Welcome, ana!");
  proxy.refuse = true;
  proxy.cutAll();
  await ana.waitFor("Disconnected from server");
  // A port mapping in front of a dead server: every attempt connects, then closes.
  const deadline = Date.now() + 10_000;
  while (proxy.refused < 3 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert(proxy.refused >= 3, `only ${proxy.refused} attempts`);
  proxy.refuse = false;
  await ana.waitFor(/Reconnected as ana|Rejoined as ana/, 15_000);
  await using bob = await joinPlain(port, "bob");
  await ana.type("still here");
  await bob.waitFor("ana: still here");
});
