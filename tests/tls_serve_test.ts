/**
 * `chat serve` with TLS, over real sockets and with certificates the tests
 * make with openssl: a certificate reloaded on SIGHUP while connections
 * stay, and the one-line errors for TLS flags and files. The client's side
 * is tls_join_test.ts.
 */
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import {
  OPENSSL_MISSING,
  opensslAvailable,
  presentedFingerprint,
  signedPair,
} from "./support/certificates.ts";
import { assertUsageErrors, runChat } from "./support/chat_command.ts";
import { ServeProcess } from "./support/serve_process.ts";
import { tempDir } from "./support/temp_dir.ts";
import { joinPlain, LineClient } from "./support/test_server.ts";

const ignore = !opensslAvailable();
if (ignore) console.warn(OPENSSL_MISSING);

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
}

Deno.test({
  name: "SIGHUP gives new connections the new certificate, keeps the old connections, " +
    "and keeps the certificate when the new files are bad",
  ignore,
  fn: async () => {
    await using dir = await tempDir("chat_tls_");
    const { ca, first, second, firstKey, secondKey } = await signedPair(dir.path);
    const caCerts = [await Deno.readTextFile(ca.cert)];
    const room = { cert: `${dir.path}/room.pem`, key: `${dir.path}/room.key` };
    await Deno.copyFile(first.cert, room.cert);
    await Deno.copyFile(first.key, room.key);
    await using server = new ServeProcess(
      ["--memory", "--tls-cert", room.cert, "--tls-key", room.key, "--tls-only"],
    );
    const port = await server.port;
    assertEquals(await presentedFingerprint(port), firstKey);
    await using ana = await joinPlain(await LineClient.connectTls(port, caCerts), "ana");

    await Deno.copyFile(second.cert, room.cert);
    await Deno.copyFile(second.key, room.key);
    server.child.kill("SIGHUP");
    await server.waitForLog(new RegExp(`INFO tls-reload fingerprint=${escapeRegExp(secondKey)}`));
    assertEquals(await presentedFingerprint(port), secondKey);
    await using bob = await joinPlain(await LineClient.connectTls(port, caCerts), "bob");
    await ana.waitFor("‣ bob joined the chat.");
    await ana.send("still here");
    await bob.waitFor("ana: still here");

    // A key that is not the certificate's, then a file that is no certificate at all.
    await Deno.copyFile(first.cert, room.cert);
    server.child.kill("SIGHUP");
    await server.waitForLog(
      new RegExp(
        `ERROR tls-reload error=".*Cannot use the key in .*The current certificate stays\\." ` +
          `fingerprint=${escapeRegExp(secondKey)}`,
      ),
    );
    await Deno.writeTextFile(room.cert, "not a certificate\n");
    server.child.kill("SIGHUP");
    await server.waitForLog(/ERROR tls-reload error=".*holds no PEM certificate\./);
    assertEquals(await presentedFingerprint(port), secondKey);
    await bob.send("and me");
    await ana.waitFor("bob: and me");
    const { code, log } = await server.stop();
    assertEquals(code, 0, log);
    // Each swap of listeners went unnoticed by the accept loop.
    assert(!log.includes("where=listener"), log);
  },
});

Deno.test("TLS flags of chat serve that do not fit together are a one-line usage error, exit 2", async () => {
  const tls = ["--tls-cert", "c.pem", "--tls-key", "k.pem"];
  await assertUsageErrors([
    [["serve", "--tls-cert", "c.pem"], "--tls-cert and --tls-key go together; give both."],
    [["serve", "--tls-key", "k.pem"], "--tls-cert and --tls-key go together; give both."],
    [["serve", "--tls-only"], "--tls-only needs --tls-cert and --tls-key."],
    [
      ["serve", "--plain-port", "7000"],
      "--plain-port needs --tls-cert and --tls-key; without TLS the room is plain on --port.",
    ],
    [
      ["serve", ...tls, "--tls-only", "--plain-port", "7000"],
      "--tls-only turns the plain port off; drop --plain-port or --tls-only.",
    ],
    [
      ["serve", ...tls, "--port", "7000", "--plain-port", "7000"],
      "--plain-port and --port are both 7000; TLS and plain need a port each.",
    ],
  ]);
});

Deno.test({
  name: "a certificate or key file chat serve cannot use is one line and exit 1",
  ignore,
  fn: async () => {
    await using dir = await tempDir("chat_tls_");
    const { first, second } = await signedPair(dir.path);
    const serve = (cert: string, key: string) =>
      runChat([
        "serve",
        "--memory",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        "--tls-only",
        "--tls-cert",
        cert,
        "--tls-key",
        key,
      ]);
    const cases: [string, string, RegExp][] = [
      [
        `${dir.path}/missing.pem`,
        first.key,
        /ERROR error error="Cannot read the --tls-cert file \\"[^"]*missing\.pem\\": No such file/,
      ],
      // A directory stands for an unreadable file (the tests may run as root).
      [first.cert, dir.path, /ERROR error error="Cannot read the --tls-key file \\"/],
      [first.key, first.key, /ERROR error error="The --tls-cert file \\"[^"]*" holds no PEM/],
      [first.cert, second.key, /ERROR error error="Cannot use the key in \\"[^"]*second\.key/],
    ];
    const runs = await Promise.all(cases.map(([cert, key]) => serve(cert, key)));
    for (const [index, [, , pattern]] of cases.entries()) {
      const { code, stderr } = runs[index];
      assertEquals({ code, lines: stderr.length }, { code: 1, lines: 1 }, stderr.join("\n"));
      assertMatch(stderr[0], pattern);
    }
  },
});
