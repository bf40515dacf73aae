/**
 * The real `chat serve` process: under SIGTERM every connected member is told
 * the server is shutting down and the process exits 0 within a few seconds;
 * out of file descriptors it keeps accepting once some are free again.
 */
import { equal, ok as assert } from "node:assert/strict";
import { joinPlain, LineClient } from "./support/test_server.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

/**
 * Starts `chat serve` on a free loopback port; resolves once it logs its
 * address. With `maxFiles`, runs it under `ulimit -n`.
 */
async function startServeProcess(
  maxFiles?: number,
): Promise<{ child: Deno.ChildProcess; port: number }> {
  const serve = ["run", "-A", MAIN, "serve", "--host", "127.0.0.1", "--port", "0", "--memory"];
  const child = new Deno.Command(maxFiles === undefined ? Deno.execPath() : "sh", {
    args: maxFiles === undefined
      ? serve
      : ["-c", `ulimit -n ${maxFiles} && exec "$0" "$@"`, Deno.execPath(), ...serve],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let seen = "";
  const timer = setTimeout(() => child.kill("SIGKILL"), 15_000);
  try {
    while (true) {
      const { value, done } = await reader.read();
      if (done) throw new Error(`chat serve exited before listening: ${seen}`);
      seen += value;
      const match = /listening address=127\.0\.0\.1:(\d+)/.exec(seen);
      if (match) {
        // Keep draining stderr so the server never blocks on a full pipe.
        (async () => {
          while (!(await reader.read()).done) { /* discard */ }
        })().catch(() => {});
        return { child, port: Number(match[1]) };
      }
    }
  } finally {
    clearTimeout(timer);
  }
}

Deno.test("SIGTERM: every member gets the shutdown notice and chat serve exits 0", async () => {
  const { child, port } = await startServeProcess();
  const members: LineClient[] = [];
  let killer: ReturnType<typeof setTimeout> | undefined;
  try {
    for (let i = 0; i < 5; i++) members.push(await joinPlain(port, `m${i}`));
    const unregistered = await LineClient.connect(port);
    members.push(unregistered);
    await unregistered.waitFor("Enter your nickname");
    await members[0].send("last words");
    await members[4].waitFor("m0: last words");

    const started = Date.now();
    child.kill("SIGTERM");
    killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    for (const member of members) {
      equal(
        (await member.waitFor("Disconnected:", 5000)).replace(/^\[\d\d:\d\d\] /, ""),
        "Disconnected: The server is shutting down.",
      );
      await member.waitForClose(5000);
    }
    const status = await child.status;
    equal(status.code, 0);
    assert(Date.now() - started < 5000, `exit took ${Date.now() - started} ms`);
  } finally {
    clearTimeout(killer);
    await Promise.all(members.map((member) => member.close()));
    try {
      child.kill("SIGKILL");
    } catch { /* already exited */ }
    await child.status;
  }
});

Deno.test("out of file descriptors, chat serve keeps accepting once some are free again", async () => {
  // 60 descriptors: the runtime needs a few dozen, so 100 connections exhaust the rest.
  const { child, port } = await startServeProcess(60);
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
    child.kill("SIGTERM");
    const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    equal((await child.status).code, 0);
    clearTimeout(timer);
  }
});
