/**
 * The real `chat serve` process: under SIGTERM every connected member is told
 * the server is shutting down and the process exits 0 within a few seconds;
 * out of file descriptors it keeps accepting once some are free again.
 */
import { equal, ok as assert } from "node:assert/strict";
import { ServeProcess } from "./support/serve_process.ts";
import { joinPlain, LineClient } from "./support/test_server.ts";

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

    const started = Date.now();
    const stopped = server.stop("SIGTERM");
    for (const member of members) {
      equal(
        (await member.waitFor("Disconnected:", 5000)).replace(/^\[\d\d:\d\d\] /, ""),
        "Disconnected: The server is shutting down.",
      );
      await member.waitForClose(5000);
    }
    const { code, log } = await stopped;
    equal(code, 0, log);
    assert(Date.now() - started < 5000, `exit took ${Date.now() - started} ms`);
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
    await new Promise((resolve) => setTimeout(resolve, 300));
    for (const conn of flood.splice(0)) conn.close();
    newcomer = await joinPlain(port, "newcomer");
    await newcomer.send("still accepting");
    await newcomer.waitFor("newcomer: still accepting");
  } finally {
    for (const conn of flood) conn.close();
    await newcomer?.close();
  }
  const { code, log } = await server.stop("SIGTERM");
  equal(code, 0, log);
});
