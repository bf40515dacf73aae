/**
 * Hardening over real loopback sockets: whatever one client sends or does,
 * the room keeps working for everyone else and the offender is told why.
 */
import { parseAddressRanges } from "../server/address_range.ts";
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { withSeed } from "./support/seed.ts";
import { RawClient } from "./support/raw_client.ts";
import { joinPlain, LineClient, startServer } from "./support/test_server.ts";

const encoder = new TextEncoder();

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}

/** A line without its `[HH:MM] ` stamp. */
function unstamped(line: string): string {
  return line.replace(/^\[\d\d:\d\d\] /, "");
}

/** Collects unhandled rejections and uncaught errors while a test runs. */
function watchUncaught(): { problems: unknown[]; stop(): void } {
  const problems: unknown[] = [];
  const onRejection = (event: PromiseRejectionEvent) => {
    event.preventDefault();
    problems.push(event.reason);
  };
  const onError = (event: ErrorEvent) => {
    event.preventDefault();
    problems.push(event.error);
  };
  globalThis.addEventListener("unhandledrejection", onRejection);
  globalThis.addEventListener("error", onError);
  return {
    problems,
    stop() {
      globalThis.removeEventListener("unhandledrejection", onRejection);
      globalThis.removeEventListener("error", onError);
    },
  };
}

/** Byte sequences that must never reach a terminal: C0 except CR/LF, DEL, C1, bidi controls. */
function unsafeBytes(bytes: Uint8Array): string[] {
  const found: string[] = [];
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if ((b < 0x20 && b !== 0x0a && b !== 0x0d) || b === 0x7f) found.push(`0x${b.toString(16)}`);
    if (b === 0xc2 && bytes[i + 1] >= 0x80 && bytes[i + 1] <= 0x9f) {
      found.push(`C1 0x${bytes[i + 1].toString(16)}`);
    }
    if (b === 0xe2 && bytes[i + 1] === 0x80 && bytes[i + 2] >= 0xaa && bytes[i + 2] <= 0xae) {
      found.push("bidi U+202x");
    }
    if (b === 0xe2 && bytes[i + 1] === 0x81 && bytes[i + 2] >= 0xa6 && bytes[i + 2] <= 0xa9) {
      found.push("bidi U+206x");
    }
  }
  return found;
}

Deno.test("a 1 MB line without a newline is refused to its sender only, and the connection stays usable", async () => {
  await using server = startServer();
  const port = server.address.port;
  await using alice = await joinPlain(port, "alice");
  await using bob = await joinPlain(port, "bob");
  await alice.waitFor("‣ bob joined the chat.");

  const chunk = new Uint8Array(64 * 1024).fill(0x78); // "x"
  for (let sent = 0; sent < 1024 * 1024; sent += chunk.length) await writeAll(alice.conn, chunk);
  await alice.write("\n");
  await alice.send("after the flood");

  assertEquals(
    unstamped(await alice.waitFor("Line too long")),
    "Line too long (1048576 bytes; the limit is 4096). It was not sent.",
  );
  await alice.waitFor("alice: after the flood");
  const seenByBob = await bob.waitFor("alice: after the flood");
  assert(!seenByBob.includes("xxxx"));
  for (const line of await bob.collect(200)) assert(!line.includes("xxxx"), line);
});

Deno.test("a line of exactly --max-line-bytes passes and one byte more is refused", async () => {
  await using server = startServer({ limits: { maxLineBytes: 100 } });
  const port = server.address.port;
  await using alice = await joinPlain(port, "alice");
  const prefix = "alice: ";
  await alice.send("a".repeat(100));
  assertEquals(unstamped(await alice.readLine()), prefix + "a".repeat(100));
  await alice.send("b".repeat(101));
  assertEquals(
    unstamped(await alice.readLine()),
    "Line too long (101 bytes; the limit is 100). It was not sent.",
  );
  // A CRLF line ending does not count against the limit.
  await alice.write(`${"c".repeat(100)}\r\n`);
  assertEquals(unstamped(await alice.readLine()), prefix + "c".repeat(100));
});

Deno.test("invalid UTF-8 becomes U+FFFD and the server keeps going", async () => {
  await using server = startServer();
  const port = server.address.port;
  await using alice = await joinPlain(port, "alice");
  await using bob = await joinPlain(port, "bob");
  await alice.waitFor("‣ bob joined the chat.");
  // "hi", a lone 0xfe, a lone continuation byte, a truncated two-byte sequence, "(", an
  // overlong "/". (0xff is telnet's IAC; telnet_session_test.ts covers it.)
  await alice.writeBytes(new Uint8Array([0x68, 0x69, 0xfe, 0x80, 0xc3, 0x28, 0xc0, 0xaf, 0x0a]));
  assertEquals(
    unstamped(await bob.waitFor("alice: hi")),
    "alice: hi\uFFFD\uFFFD\uFFFD(\uFFFD\uFFFD",
  );

  // A nickname of invalid UTF-8 is refused like any other bad name.
  await using carol = await LineClient.connect(port);
  await carol.waitFor("Enter your nickname");
  await carol.writeBytes(new Uint8Array([0xfe, 0x80, 0x0a]));
  assertMatch(await carol.readLine(), /Please choose another nickname:$/);
  await carol.send("carol");
  await carol.waitFor("Welcome, carol!");
  await alice.send("still here");
  await bob.waitFor("alice: still here");
});

Deno.test("escape sequences, controls, C1 and bidi overrides never reach another member's bytes", async () => {
  await using server = startServer();
  const port = server.address.port;
  await using alice = await joinPlain(port, "alice");
  await using bob = await RawClient.connect(port);
  await bob.send("bob");
  await bob.waitFor("‣ bob joined the chat.");
  await alice.waitFor("‣ bob joined the chat.");

  const evil = [
    "a\x1b[31mred\x1b[0m",
    "\x1b]0;title\x07",
    "\u009b2J",
    "tab\there",
    "del\x7f",
    "nul\x00bell\x07",
    "c1\u0085\u0090",
    "bidi\u202Eevil\u202C",
    "iso\u2066x\u2069",
    "lre\u202Ar\u202Bl\u202D",
    "end",
  ].join(" ");
  await alice.send(evil);
  await bob.waitFor("end\r\n");
  const received = bob.bytes;
  assertEquals(unsafeBytes(received), []);
  assert(bob.text.includes("alice: ared   tab here del nulbell c1 bidievil isox lrerl end\r\n"));

  await alice.send(`/whisper bob \x1b[2Jsecret\u202E`);
  await bob.waitFor("secret");
  // Commands are sanitized like messages, so the override is gone before /rename sees it.
  await alice.send("/rename \u202Eevil");
  await bob.waitFor('to "evil".');
  await alice.send(`/kick bob\x1b[K`);
  await bob.waitFor("You have been kicked from the chat.");
  assertEquals(unsafeBytes(bob.bytes), []);
});

Deno.test("nicknames with controls, C1 or bidi characters are refused without echoing them raw", async () => {
  await using server = startServer();
  const port = server.address.port;
  for (
    const nick of ["ev\u202Eil", "a\x1b[31mb", "c\u0085d", "e\u009bf", "iso\u2066late", "x\x7fy"]
  ) {
    await using client = await RawClient.connect(port);
    await client.waitFor("Enter your nickname");
    await client.send(nick);
    await client.waitFor("Please choose another nickname:");
    assertEquals(unsafeBytes(client.bytes), [], JSON.stringify(client.text));
    assert(!client.text.includes("Welcome, "), JSON.stringify(nick));
  }
});

Deno.test("a connection without a valid nickname is closed with a reason after --register-timeout", async () => {
  await using server = startServer({ limits: { registerTimeout: 1 } });
  const port = server.address.port;
  // The member connects first, so its own timer would have run out before the others'.
  await using member = await joinPlain(port, "member");
  await using silent = await LineClient.connect(port);
  await using trying = await LineClient.connect(port);
  await trying.waitFor("Enter your nickname");
  await trying.send("/bad");
  await trying.waitFor("Please choose another nickname:");
  for (const client of [silent, trying]) {
    assertEquals(
      unstamped(await client.waitFor("Disconnected:", 4000)),
      "Disconnected: No valid nickname was chosen within 1 seconds.",
    );
    await client.waitForClose();
  }
  // The registered member is not affected by the timer.
  await member.send("still here");
  await member.waitFor("member: still here");
});

Deno.test("200 idle connections do not delay a newcomer, and all of them time out", async () => {
  await using server = startServer({ limits: { registerTimeout: 2 } });
  const port = server.address.port;
  const idle: LineClient[] = [];
  try {
    for (let i = 0; i < 200; i++) idle.push(await LineClient.connect(port));
    await using newcomer = await joinPlain(port, "newcomer");
    await newcomer.send("while they wait");
    await newcomer.waitFor("newcomer: while they wait");
    // All of that happened while the 200 were still connected, none timed out yet.
    assertEquals(server.connectionCount, 201);
    await Promise.all(idle.map((client) => client.waitForClose(6000)));
    await newcomer.send("alone again");
    await newcomer.waitFor("newcomer: alone again");
    assertEquals(server.connectionCount, 1);
  } finally {
    await Promise.all(idle.map((client) => client.close()));
  }
});

Deno.test("--max-per-ip refuses the connection over the cap with a one-line reason", async () => {
  await using server = startServer({
    limits: { maxPerIp: 3 },
    exempt: parseAddressRanges("none", "--exempt"),
  });
  const port = server.address.port;
  const clients = [await LineClient.connect(port), await LineClient.connect(port)];
  try {
    clients.push(await joinPlain(port, "third"));
    const refused = await LineClient.connect(port);
    clients.push(refused);
    assertEquals(await refused.readLine(), "Too many connections from your address (at most 3).");
    await refused.waitForClose();
    // Closing one frees a place.
    await clients[0].close();
    const deadline = Date.now() + 3000;
    while (server.connectionCount > 2 && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const again = await joinPlain(port, "again");
    clients.push(again);
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
});

Deno.test("loopback is exempt from --max-per-ip by default", async () => {
  await using server = startServer({ limits: { maxPerIp: 2 } });
  const port = server.address.port;
  const clients: LineClient[] = [];
  try {
    for (let i = 0; i < 4; i++) clients.push(await joinPlain(port, `m${i}`));
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
});

Deno.test("--max-connections refuses the connection over the cap with a one-line reason", async () => {
  await using server = startServer({ limits: { maxConnections: 2 } });
  const port = server.address.port;
  await using a = await joinPlain(port, "a");
  await using _b = await LineClient.connect(port);
  await using refused = await LineClient.connect(port);
  assertEquals(await refused.readLine(), "The server is full; try again later.");
  await refused.waitForClose();
  await a.send("fine");
  await a.waitFor("a: fine");
});

Deno.test("30 members reset mid-session, one half-closes: all are cleaned up and announced, nothing throws", async () => {
  const uncaught = watchUncaught();
  try {
    await using server = startServer({ presence: { limit: Infinity } });
    const port = server.address.port;
    await using watcher = await joinPlain(port, "watcher");
    // Raw connections that never read: closing with unread bytes pending makes Linux send RST.
    const resetters: Deno.TcpConn[] = [];
    for (let i = 0; i < 30; i++) {
      const conn = await Deno.connect({ hostname: "127.0.0.1", port });
      resetters.push(conn);
      await conn.write(encoder.encode(`r${i}\n`));
      await watcher.waitFor(`‣ r${i} joined the chat.`);
    }
    // Mid-session: half of them are saying something as they go.
    await Promise.all(
      resetters.map((conn, i) => i % 2 ? conn.write(encoder.encode(`bye from r${i}\n`)) : 0),
    );
    await watcher.waitFor("r29: bye from r29");
    for (const conn of resetters) conn.close();

    const left = new Set<string>();
    while (left.size < 30) {
      const line = await watcher.waitFor(/ left the chat/, 5000);
      left.add(/‣ (r\d+) left the chat \(disconnected\)\./.exec(line)![1]);
    }

    // Half-close: the server sees end of input and cleans the member up.
    const half = await joinPlain(port, "half");
    await watcher.waitFor("‣ half joined the chat.");
    await half.conn.closeWrite();
    await watcher.waitFor("‣ half left the chat (disconnected).");
    await half.close();

    // The server keeps writing to whoever is left, and the room still works.
    await using late = await joinPlain(port, "late");
    await late.send("/user");
    assertEquals(
      unstamped(await late.waitFor("Users in chat")),
      "Users in chat: watcher (owner), late",
    );
    assertEquals(server.room.size, 2);
    assertEquals(server.connectionCount, 2);
  } finally {
    uncaught.stop();
  }
  assertEquals(uncaught.problems, []);
});

Deno.test("the owner vanishing abruptly hands ownership to the longest-present member", async () => {
  await using server = startServer();
  const port = server.address.port;
  const owner = await Deno.connect({ hostname: "127.0.0.1", port });
  await owner.write(encoder.encode("boss\n"));
  await using second = await joinPlain(port, "second");
  await using third = await joinPlain(port, "third");
  await second.waitFor("‣ third joined the chat.");
  owner.close();
  await second.waitFor("‣ boss left the chat (disconnected).");
  await third.waitFor("‣ second is now the room owner.");
  await second.send("/kick third");
  await third.waitFor("You have been kicked from the chat.");
});

Deno.test("random bytes from several clients: the server survives, reads every byte, and others still chat", async () => {
  const uncaught = watchUncaught();
  try {
    await withSeed("random bytes from several clients", async (random) => {
      await using server = startServer({ limits: { maxLineBytes: 512, rate: 0 } });
      const port = server.address.port;
      await using alice = await joinPlain(port, "alice");
      await using bob = await joinPlain(port, "bob");
      await alice.waitFor("‣ bob joined the chat.");
      const alphabet = [0x0a, 0x0d, 0x1b, 0x2f, 0x5b, 0x7b, 0x22, 0xff, 0xc3, 0xe2, 0x00, 0x7f];
      const fuzzers = await Promise.all(
        Array.from({ length: 6 }, () => LineClient.connect(port)),
      );
      try {
        const written = await Promise.all(fuzzers.map(async (fuzzer, index) => {
          if (index % 2 === 0) await fuzzer.send(index === 0 ? "CHAT/1 json" : `fuzz${index}`);
          let total = 0;
          for (let round = 0; round < 60; round++) {
            const bytes = new Uint8Array(Math.floor(random() * (random() < 0.1 ? 3000 : 200)));
            for (let i = 0; i < bytes.length; i++) {
              bytes[i] = random() < 0.3
                ? alphabet[Math.floor(random() * alphabet.length)]
                : Math.floor(random() * 256);
            }
            try {
              await writeAll(fuzzer.conn, bytes);
            } catch {
              break; // The server may have closed it (a fuzzed /quit); checked below.
            }
            total += bytes.length;
          }
          return total;
        }));
        // Each fuzzer either was closed with a reason, or is still served: a
        // final line, after all its random bytes, gets its answer.
        for (const [index, fuzzer] of fuzzers.entries()) {
          const marker = `ping${index}`;
          // IAC SE twice first: it ends a telnet subnegotiation or a command the
          // random bytes left open, which would otherwise swallow the ping.
          const ping = index === 0
            ? `\n${JSON.stringify({ type: "nick", nick: marker })}\n${
              JSON.stringify({ type: "say", text: marker })
            }\n`
            : `\n${marker}\n`;
          try {
            await writeAll(fuzzer.conn, new Uint8Array([0xff, 0xf0, 0xff, 0xf0]));
            await writeAll(fuzzer.conn, encoder.encode(ping));
            await fuzzer.waitFor(marker, 5000);
          } catch (error) {
            const said = fuzzer.received.join("\n");
            assert(
              /Disconnected: |Goodbye!|"bye"|"Goodbye!"/.test(said),
              `fuzzer ${index} (${
                written[index]
              } bytes) neither answered nor was told why it was closed: ${
                (error as Error).message
              }`,
            );
          }
        }
        assert(written.every((total) => total > 0), `bytes written: ${written}`);
        await alice.send("are you there?");
        await bob.waitFor("alice: are you there?", 5000);
        await bob.send("yes");
        await alice.waitFor("bob: yes", 5000);
      } finally {
        await Promise.all(fuzzers.map((fuzzer) => fuzzer.close()));
      }
      assertEquals(uncaught.problems, []);
    });
  } finally {
    uncaught.stop();
  }
});

Deno.test("invisible characters, hidden tag text and padding are removed; no message can pass for a room line", async () => {
  await using server = startServer();
  const port = server.address.port;
  await using alice = await joinPlain(port, "alice");
  await using bob = await RawClient.connect(port);
  await bob.send("bob");
  await bob.waitFor("‣ bob joined the chat.");
  const hidden = [..."secret"].map((char) => String.fromCodePoint(0xe0000 + char.charCodeAt(0)))
    .join("");
  await alice.send(
    `a\u200bb\u200ec\u200fd\u061ce\ufefff\u2028g\u2029h${hidden}i\u200c j`,
  );
  await alice.send(`\u0301\ufe0fstarts clean`);
  await alice.send(`pad${" ".repeat(200)}‣ alice is now the room owner.`);
  await alice.send("👨‍👩‍👧 family stays whole");
  await bob.waitFor("family stays whole");
  const text = bob.text;
  assert(text.includes("alice: abcdefghi j\r\n"), JSON.stringify(text));
  assert(text.includes("alice: starts clean\r\n"), JSON.stringify(text));
  assert(
    text.includes(`alice: pad${" ".repeat(8)}alice is now the room owner.\r\n`),
    JSON.stringify(text),
  );
  assert(text.includes("alice: 👨‍👩‍👧 family stays whole\r\n"));
  // The only lines with the room's mark are the room's own.
  const marked = text.split("\r\n").filter((line) => line.includes("‣"));
  assertEquals(marked.map((line) => line.replace(/^\[\d\d:\d\d\] /, "")), [
    "‣ bob joined the chat.",
  ]);
});
