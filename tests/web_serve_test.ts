/**
 * `chat serve --web` as a user runs it: the real process, under only the
 * binary's permissions, serving the page and the WebSocket beside the TCP
 * port, and saying goodbye to browsers on SIGTERM.
 */
import { InvalidArgumentError } from "@commander-js/extra-typings";
import { parseWebAddress } from "../main.ts";
import { RUNTIME_PERMISSIONS } from "../scripts/permissions.ts";
import { assert, assertEquals, assertStringIncludes, assertThrows } from "./support/assert.ts";
import { ServeProcess } from "./support/serve_process.ts";
import { joinPlain } from "./support/test_server.ts";
import { joinWeb } from "./support/web_client.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

/** The web port from the server's `web address=...` log line. */
async function webPort(server: ServeProcess): Promise<number> {
  await server.waitForLog(/\bweb\W+address\W+127\.0\.0\.1:\d+/);
  return Number(/\bweb\W+address\W+127\.0\.0\.1:(\d+)/.exec(server.log)![1]);
}

Deno.test("parseWebAddress() takes PORT or HOST:PORT", () => {
  assertEquals(parseWebAddress("8080"), { port: 8080 });
  assertEquals(parseWebAddress("127.0.0.1:8080"), { host: "127.0.0.1", port: 8080 });
  assertEquals(parseWebAddress("[::1]:0"), { host: "::1", port: 0 });
  for (const bad of ["", "web", "8080:127.0.0.1", "70000", "host:", ":80"]) {
    assertThrows(() => parseWebAddress(bad), InvalidArgumentError);
  }
});

Deno.test("chat serve --help shows --web", async () => {
  const { stdout, code } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", ...RUNTIME_PERMISSIONS, MAIN, "serve", "--help"],
    stdout: "piped",
    stderr: "null",
  }).output();
  assertEquals(code, 0);
  const help = new TextDecoder().decode(stdout);
  assertStringIncludes(help, "--web <[host:]port>");
  assertStringIncludes(help, "chat serve --web 8080");
});

Deno.test("chat serve --web serves the page and a WebSocket member under the runtime permissions, and says bye on SIGTERM", async () => {
  await using server = new ServeProcess(["--memory", "--web", "127.0.0.1:0"], {
    permissions: ["--no-prompt", ...RUNTIME_PERMISSIONS],
  });
  const port = await server.port;
  const web = await webPort(server);
  const page = await fetch(`http://127.0.0.1:${web}/`);
  assertEquals(page.status, 200);
  assertStringIncludes(await page.text(), '<script type="module" src="/app.js"></script>');
  await using ana = await joinPlain(port, "ana");
  await using browser = await joinWeb(`ws://127.0.0.1:${web}/ws`, "지수");
  await ana.waitFor("‣ 지수 joined the chat.");
  browser.say("안녕하세요");
  await ana.waitFor("지수: 안녕하세요");
  const health = await fetch(`http://127.0.0.1:${web}/healthz`);
  assertEquals(await health.json(), { status: "ok", members: 2 });

  const stopped = server.stop("SIGTERM");
  assertEquals(
    (await browser.waitForEvent("bye", undefined, 5000)).reason,
    "The server is shutting down.",
  );
  await browser.closed(5000);
  const { code, log } = await stopped;
  assertEquals(code, 0, log);
  assert(!/NotCapable|PermissionDenied/.test(log), log);
});

Deno.test("chat serve --web on a port in use exits 1 with one line", async () => {
  using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  await using server = new ServeProcess(["--memory", "--web", `127.0.0.1:${taken.addr.port}`]);
  // It exits by itself; disposing the server bounds the wait if it did not.
  let timer: ReturnType<typeof setTimeout> | undefined;
  const code = await Promise.race([
    server.child.status.then((status) => status.code),
    new Promise<string>((resolve) => timer = setTimeout(() => resolve("still running"), 20_000)),
  ]);
  clearTimeout(timer);
  assertEquals(code, 1, server.log);
  // Once it has exited, stop() only waits for the rest of its log.
  const { log } = await server.stop();
  assertStringIncludes(log, `Port ${taken.addr.port} is already in use.`);
});
