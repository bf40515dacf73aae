/**
 * `chat join tls://...` over real sockets, with certificates the tests make
 * with openssl: a conversation with a plain client on the room's plain port,
 * the room's key checked against `--ca`, `--fingerprint` and the known_rooms
 * record, and the one-line errors for TLS flags and files. Serve and join
 * run with the compiled binary's permissions where they can.
 */
import { RUNTIME_PERMISSIONS } from "../scripts/permissions.ts";
import { TlsListener } from "../server/tls_listener.ts";
import { assert, assertEquals, assertMatch, assertStringIncludes } from "./support/assert.ts";
import {
  CertificateMaker,
  fileFingerprint,
  OPENSSL_MISSING,
  opensslAvailable,
  signedPair,
} from "./support/certificates.ts";
import { assertUsageErrors, runChat } from "./support/chat_command.ts";
import { homeEnv } from "./support/deno_env.ts";
import { JoinProcess } from "./support/join_process.ts";
import { ServeProcess } from "./support/serve_process.ts";
import { tempDir } from "./support/temp_dir.ts";
import { joinPlain, startServer } from "./support/test_server.ts";

/** The compiled binary's permissions, so TLS needs nothing it lacks. */
const NARROW = ["--no-prompt", ...RUNTIME_PERMISSIONS];
const ignore = !opensslAvailable();
if (ignore) console.warn(OPENSSL_MISSING);

/** The plain port `chat serve` logged beside TLS. */
async function plainPortOf(server: ServeProcess): Promise<number> {
  const pattern = /INFO tls .*plain=127\.0\.0\.1:(\d+)/;
  await server.waitForLog(pattern);
  return Number(pattern.exec(server.log)![1]);
}

Deno.test({
  name: "chat join tls:// with --ca talks with a plain client, records the room's key, " +
    "and refuses a changed key until --accept-new-cert",
  ignore,
  fn: async () => {
    await using dir = await tempDir("chat_tls_");
    const { ca, first, second, firstKey, secondKey } = await signedPair(dir.path);
    const env = await homeEnv(dir.path);
    const knownRooms = `${dir.path}/.config/chat/known_rooms`;
    let port: number;
    {
      await using server = new ServeProcess(
        ["--memory", "--tls-cert", first.cert, "--tls-key", first.key, "--plain-port", "0"],
        { permissions: NARROW },
      );
      port = await server.port;
      const plainPort = await plainPortOf(server);
      assertStringIncludes(server.log, `fingerprint=${firstKey}`);
      await using ana = new JoinProcess(
        [`tls://127.0.0.1:${port}`, "--ca", ca.cert, "--nick", "ana", "--retry", "0"],
        env,
        NARROW,
      );
      assertEquals(
        await ana.waitFor("First visit"),
        `First visit: the room's key fingerprint ${firstKey} is now recorded in ${knownRooms}, line 1.`,
      );
      await ana.waitFor("Welcome, ana!");
      {
        await using wrongPort = new JoinProcess([`tls://127.0.0.1:${plainPort}`], env, NARROW);
        assertEquals(await wrongPort.exitCode(), 1);
        assertEquals(
          (await wrongPort.stderr()).trim(),
          `Could not connect to 127.0.0.1:${plainPort}: this port does not speak TLS ` +
            `(is it the room's plain port?)`,
        );
      }
      await using bob = await joinPlain(plainPort, "bob");
      await ana.waitFor("‣ bob joined the chat.");
      await ana.type("hello over TLS");
      assertMatch(await bob.waitFor("ana: hello"), /ana: hello over TLS$/);
      await bob.send("hello in plain text");
      await ana.waitFor("bob: hello in plain text");
      await bob.send("/whisper ana psst");
      await ana.waitFor("[Whisper from bob] psst");
      await ana.type("/quit");
      assertEquals(await ana.exitCode(), 0, await ana.stderr());
      assertEquals(await Deno.readTextFile(knownRooms), `127.0.0.1:${port} ${firstKey}\n`);
    }
    // The same room (host and port) comes back with another key, signed by the same CA.
    // (A later --port wins over the helper's --port 0.)
    await using restarted = new ServeProcess(
      ["--memory", "--tls-cert", second.cert, "--tls-key", second.key, "--port", String(port)],
      { permissions: NARROW },
    );
    assertEquals(await restarted.port, port);
    const args = [`tls://127.0.0.1:${port}`, "--ca", ca.cert, "--nick", "ana", "--retry", "0"];
    {
      await using refused = new JoinProcess(args, env, NARROW);
      assertEquals(await refused.exitCode(), 1);
      assertEquals((await refused.stderr()).trimEnd().split("\n"), [
        `Could not connect to 127.0.0.1:${port}: WARNING: the room's key has changed since you ` +
        `last joined.`,
        `  recorded: ${firstKey} (${knownRooms}, line 1)`,
        `  now:      ${secondKey}`,
        `Someone may be intercepting the connection, or the room's operator replaced its ` +
        `certificate key. Ask the operator for the room's fingerprint; if it is the new one, ` +
        `join again with --accept-new-cert (or delete line 1 of ${knownRooms}).`,
      ]);
      // Refused before it said anything to the room.
      assert(!restarted.log.includes("nick=ana"), restarted.log);
      assertEquals(await Deno.readTextFile(knownRooms), `127.0.0.1:${port} ${firstKey}\n`);
    }
    await using accepted = new JoinProcess([...args, "--accept-new-cert"], env, NARROW);
    assertEquals(
      await accepted.waitFor("new key"),
      `The room's new key fingerprint ${secondKey} is now recorded in ${knownRooms}, line 1.`,
    );
    await accepted.waitFor("Welcome, ana!");
    await accepted.type("/quit");
    assertEquals(await accepted.exitCode(), 0, await accepted.stderr());
    assertEquals(await Deno.readTextFile(knownRooms), `127.0.0.1:${port} ${secondKey}\n`);
  },
});

Deno.test({
  name: "a self-signed room is refused with its fingerprint, joined with --fingerprint, " +
    "then on its record alone; a wrong --fingerprint is refused; a plain join is told to use TLS",
  ignore,
  fn: async () => {
    await using dir = await tempDir("chat_tls_");
    const self = await new CertificateMaker(dir.path).leaf("self");
    const key = await fileFingerprint(self.cert);
    const tls = await TlsListener.open("127.0.0.1", 0, { certFile: self.cert, keyFile: self.key });
    await using server = startServer({ listeners: [tls] });
    const room = `tls://127.0.0.1:${server.address.port}`;
    const env = await homeEnv(dir.path);
    const knownRooms = `${dir.path}/.config/chat/known_rooms`;
    const join = (...args: string[]) =>
      new JoinProcess([room, "--nick", "ana", "--retry", "0", ...args], env);
    {
      await using unknown = join();
      assertEquals(await unknown.exitCode(), 1);
      const stderr = await unknown.stderr();
      assertStringIncludes(stderr, "The room's certificate is self-signed");
      assertStringIncludes(stderr, `join with --fingerprint ${key};`);
    }
    {
      const wrong = `SHA256:${"A".repeat(43)}`;
      await using impostor = join("--fingerprint", wrong);
      assertEquals(await impostor.exitCode(), 1);
      assertStringIncludes(
        await impostor.stderr(),
        `The room's key fingerprint is ${key}, not the ${wrong} given with --fingerprint.`,
      );
    }
    await assertMissing(knownRooms);
    {
      await using vouched = join("--fingerprint", key);
      await vouched.waitFor(`First visit: the room's key fingerprint ${key} is now recorded`);
      await vouched.waitFor("Welcome, ana!");
      await vouched.type("/quit");
      assertEquals(await vouched.exitCode(), 0, await vouched.stderr());
    }
    // `--tls` on a plain address is the same as tls://; the record alone now suffices.
    await using known = new JoinProcess(
      [`127.0.0.1:${server.address.port}`, "--tls", "--nick", "ana", "--retry", "0"],
      env,
    );
    await known.waitFor("Welcome, ana!");
    await known.type("/quit");
    assertEquals(await known.exitCode(), 0, await known.stderr());
    assert(!known.output.some((line) => line.includes("recorded")), known.output.join("\n"));
    // Without tls:// the room's TLS alert is explained, not shown as stray bytes.
    await using plain = new JoinProcess(
      [`127.0.0.1:${server.address.port}`, "--nick", "ana", "--retry", "0"],
      env,
    );
    await plain.waitFor("This port speaks TLS: join with a tls:// address.");
    assertEquals(await plain.exitCode(), 1);
  },
});

Deno.test({
  name: "a room that comes back with another key while chat join reconnects is refused at once, " +
    "--accept-new-cert or not",
  ignore,
  fn: async () => {
    await using dir = await tempDir("chat_tls_");
    const { ca, first, second } = await signedPair(dir.path);
    const tls = await TlsListener.open("127.0.0.1", 0, {
      certFile: first.cert,
      keyFile: first.key,
    });
    const server = startServer({ listeners: [tls] });
    const port = server.address.port;
    await using ana = new JoinProcess(
      [
        `tls://127.0.0.1:${port}`,
        "--ca",
        ca.cert,
        "--accept-new-cert",
        "--nick",
        "ana",
        "--retry",
        "30",
      ],
      await homeEnv(dir.path),
    );
    await ana.waitFor("Welcome, ana!");
    await server.shutdown();
    await ana.waitFor("Reconnecting");
    const other = await TlsListener.open("127.0.0.1", port, {
      certFile: second.cert,
      keyFile: second.key,
    });
    await using impostor = startServer({ listeners: [other] });
    await ana.waitFor("WARNING: the room's key has changed since you last joined.");
    assertEquals(await ana.exitCode(), 1);
    assertEquals(impostor.room.size, 0);
  },
});

async function assertMissing(path: string): Promise<void> {
  try {
    await Deno.stat(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return;
    throw error;
  }
  throw new Error(`${path} exists.`);
}

Deno.test("TLS flags of chat join that do not fit are a one-line usage error, exit 2", async () => {
  await assertUsageErrors([
    [
      ["join", "127.0.0.1", "--ca", "ca.pem"],
      "--ca, --fingerprint and --accept-new-cert need a tls:// address (or --tls).",
    ],
    [
      ["join", "127.0.0.1", "--accept-new-cert"],
      "--ca, --fingerprint and --accept-new-cert need a tls:// address (or --tls).",
    ],
    [
      ["join", "tls://127.0.0.1", "--fingerprint", "SHA256:short"],
      "option '--fingerprint <SHA256:...>' argument 'SHA256:short' is invalid. Not a key " +
      "fingerprint: SHA256: and 43 characters (chat serve logs the room's).",
    ],
    [
      ["join", "tcp://127.0.0.1"],
      "command-argument value 'tcp://127.0.0.1' is invalid for argument 'address'. " +
      '"tcp://127.0.0.1" is not HOST[:PORT] or tls://HOST[:PORT].',
    ],
  ]);
});

Deno.test("chat join with a --ca file it cannot read says so in one line and exits 1", async () => {
  await using dir = await tempDir("chat_tls_");
  const { code, stderr } = await runChat(
    ["join", "tls://127.0.0.1:1", "--ca", `${dir.path}/missing-ca.pem`],
  );
  assertEquals({ code, lines: stderr.length }, { code: 1, lines: 1 }, stderr.join("\n"));
  assertMatch(
    stderr[0],
    /^Could not connect to 127\.0\.0\.1:1: Cannot read the --ca file "[^"]*missing-ca\.pem"/,
  );
});
