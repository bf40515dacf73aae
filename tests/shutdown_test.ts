/**
 * The real `chat serve` process: under SIGTERM every connected member is told
 * the server is shutting down and the process exits 0 within a few seconds;
 * out of file descriptors it keeps accepting once some are free again.
 */
import { assert, assertEquals } from "./support/assert.ts";
import { ServeProcess } from "./support/serve_process.ts";
import { joinPlain, LineClient, startServer } from "./support/test_server.ts";

Deno.test("SIGTERM: every member gets the shutdown notice and chat serve exits 0", async () => {
  await using server = new ServeProcess(["--memory"]);
  const port = await server.port;
  const members: LineClient[] = [];
  try {
    for (let i = 0; i < 5; i++) members.push(await joinPlain(port, `m${i}`));
    const unregistered = await LineClient.connect(port);
    members.push(unregistered);
    await unregistered.waitFor("Enter your nickname");
    await members[0].send("last words");
    await members[4].waitFor("m0: last words");

    const stopped = server.stop("SIGTERM");
    for (const member of members) {
      assertEquals(
        (await member.waitFor("Disconnected:", 5000)).replace(/^\[\d\d:\d\d\] /, ""),
        "Disconnected: The server is shutting down.",
      );
      await member.waitForClose(5000);
    }
    // It exited by itself (a SIGKILL after the stop timeout would not give 0).
    const { code, log } = await stopped;
    assertEquals(code, 0, log);
  } finally {
    await Promise.all(members.map((member) => member.close()));
  }
});

Deno.test("out of file descriptors, chat serve keeps accepting once some are free again", async () => {
  // 60 descriptors: the runtime needs a few dozen, so 100 connections exhaust the rest.
  await using server = new ServeProcess(["--memory"], { maxFiles: 60 });
  const port = await server.port;
  const flood: Deno.TcpConn[] = [];
  let newcomer: LineClient | undefined;
  try {
    for (let i = 0; i < 100; i++) flood.push(await Deno.connect({ hostname: "127.0.0.1", port }));
    // The server really ran out: accept() failed and it said so.
    await server.waitForLog(/error.*where=listener.*(Too many open files|EMFILE)/i, 5000);
    for (const conn of flood.splice(0)) conn.close();
    newcomer = await joinPlain(port, "newcomer");
    await newcomer.send("still accepting");
    await newcomer.waitFor("newcomer: still accepting");
  } finally {
    for (const conn of flood) conn.close();
    await newcomer?.close();
  }
  const { code, log } = await server.stop("SIGTERM");
  assertEquals(code, 0, log);
});

Deno.test("shutdown gives a member who was behind its whole backlog and the goodbye line", async () => {
  await using server = startServer({ limits: { outboxBytes: 64 * 1024 * 1024, rate: 0 } });
  const port = server.address.port;
  await using talker = await joinPlain(port, "talker");
  await using lagger = await LineClient.connect(port);
  await lagger.waitFor("Enter your nickname");
  lagger.pauseReading();
  await lagger.send("lagger");
  await talker.waitFor("‣ lagger joined the chat.");
  const laggerId = server.room.findByNick("lagger")!.id;
  const padding = "q".repeat(3000);
  let sent = 0;
  // Past the kernel's socket buffers: a megabyte waits in the server's own queue.
  for (; sent < 20_000 && server.queuedBytes(laggerId) < 1024 * 1024; sent++) {
    await talker.send(`line ${sent} ${padding}`);
    await talker.waitFor(`: line ${sent} `);
  }
  assert(server.queuedBytes(laggerId) >= 1024 * 1024, `only ${sent} lines queued`);
  const stopping = server.shutdown();
  lagger.resumeReading();
  let received = 0;
  let last = "";
  for (let line = await lagger.nextLine(5000); line !== null; line = await lagger.nextLine(5000)) {
    last = line.replace(/^\[\d\d:\d\d\] /, "");
    if (last.startsWith("talker: line ")) received++;
  }
  await stopping;
  assertEquals(received, sent);
  assertEquals(last, "Disconnected: The server is shutting down.");
});

/**
 * A real server whose shutdown takes a while: member "stuck" stops reading
 * while megabytes are queued for it, so the goodbye waits for its 2 s grace.
 */
async function busyServer(): Promise<
  { server: ServeProcess; stuck: LineClient; talker: LineClient }
> {
  const server = new ServeProcess(["--memory", "--rate", "0", "--outbox-bytes", String(64 << 20)]);
  const port = await server.port;
  const stuck = await joinPlain(port, "stuck");
  stuck.pauseReading();
  const talker = await joinPlain(port, "talker");
  const line = "x".repeat(3000);
  await talker.write(Array.from({ length: 3000 }, (_, i) => `${i} ${line}\n`).join(""));
  await talker.waitFor("talker: 2999 ", 20_000);
  return { server, stuck, talker };
}

Deno.test("a second Ctrl-C during shutdown does not cut it short; the log says a third one would", async () => {
  const { server, stuck, talker } = await busyServer();
  await using _server = server;
  await using _stuck = stuck;
  await using _talker = talker;
  server.child.kill("SIGINT");
  await server.waitForLog(/INFO shutdown/);
  server.child.kill("SIGINT");
  await server.waitForLog(/Already shutting down; send the signal again to stop at once/);
  stuck.resumeReading();
  for (const member of [talker, stuck]) {
    assertEquals(
      unstamped(await member.waitFor("Disconnected:", 10_000)),
      "Disconnected: The server is shutting down.",
    );
  }
  const { code, log } = await server.stop("SIGTERM", 10_000);
  assert(code === 0, log);
  assert(log.includes("INFO stopped"), log);
});

Deno.test("a third Ctrl-C stops the server at once and says so", async () => {
  const { server, stuck, talker } = await busyServer();
  await using _server = server;
  await using _stuck = stuck;
  await using _talker = talker;
  for (const expected of [/INFO shutdown/, /Already shutting down/]) {
    server.child.kill("SIGINT");
    await server.waitForLog(expected);
  }
  const { code, log } = await server.stop("SIGINT");
  assertEquals(code, 130, log.slice(-500));
  assert(log.includes("Stopping at once"), log.slice(-500));
});

function unstamped(line: string): string {
  return line.replace(/^\[\d\d:\d\d\] /, "");
}
