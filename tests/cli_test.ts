/**
 * The command line of `chat`: a usage error is one line and exit 2, with a
 * hint where one helps; the server's first log lines say where its data is
 * and how to join.
 */
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { ServeProcess } from "./support/serve_process.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

async function chat(...args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return {
    code: output.code,
    stdout: decoder.decode(output.stdout),
    stderr: decoder.decode(output.stderr),
  };
}

/** Lines of text, ignoring a trailing newline. */
function lines(text: string): string[] {
  return text.trimEnd().split("\n");
}

Deno.test("a usage error is one line, ends with a pointer to --help, and exits 2", async () => {
  for (
    const args of [
      ["serve", "--bogus"],
      ["serve", "--port", "seventy"],
      ["serve", "--log-level", "loud"],
      ["join"],
      ["frobnicate"],
    ]
  ) {
    const { code, stderr } = await chat(...args);
    assertEquals(code, 2, `${args.join(" ")}: ${stderr}`);
    assertEquals(lines(stderr).length, 1, `${args.join(" ")}: ${stderr}`);
    assertMatch(stderr, /\(add --help for usage\)\n$/);
  }
});

Deno.test("chat join ::1 points at the bracketed form", async () => {
  const { code, stderr } = await chat("join", "::1");
  assertEquals(code, 2);
  assertEquals(lines(stderr).length, 1, stderr);
  assert(stderr.includes("write it as [::1]:PORT"), stderr);
});

Deno.test("--memory together with --data is refused", async () => {
  const { code, stderr } = await chat("serve", "--memory", "--data", "/tmp/never.db");
  assertEquals(code, 2);
  assert(stderr.includes("'--memory' cannot be used with option '--data"), stderr);
});

Deno.test("a --host the machine cannot listen on is one line and exit 2, no stack trace", async () => {
  for (const host of ["999.1.1.1", "nosuchhost.invalid"]) {
    const { code, stderr } = await chat("serve", "--memory", "--host", host, "--port", "0");
    assertEquals(code, 2, stderr);
    assertEquals(lines(stderr).length, 1, stderr);
    assert(stderr.includes(`Cannot listen on ${host}:0`), stderr);
    assert(!/Uncaught| {4}at /.test(stderr), stderr);
  }
});

Deno.test("the server's first log lines say where the data file is and how to join", async () => {
  const dir = await Deno.makeTempDir({ prefix: "chat_cli_" });
  try {
    await using server = new ServeProcess(["--data", `${dir}/room.db`]);
    const port = await server.port;
    await server.waitForLog(/ready/);
    assert(server.log.includes(`path=${dir}/room.db`), server.log);
    assert(server.log.includes(`join="chat join 127.0.0.1:${port}"`), server.log);
    assert(server.log.includes(`nc="nc 127.0.0.1 ${port}"`), server.log);
    await using memory = new ServeProcess(["--memory"]);
    await memory.port;
    await memory.waitForLog(/ready/);
    assert(memory.log.includes("memory"), memory.log);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
