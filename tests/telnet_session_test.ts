/**
 * Telnet over real sockets: a client that speaks telnet gets its commands
 * answered and is asked for 8-bit input, a line it mangled is refused and
 * not broadcast, and a client that never speaks telnet sees none of it.
 */
import { assert, assertEquals } from "./support/assert.ts";
import { indexOfBytes, RawClient } from "./support/raw_client.ts";
import { joinPlain, startServer } from "./support/test_server.ts";

const IAC = 0xff;
const DO = 0xfd;
const WILL = 0xfb;
const BINARY = 0;
const TIMING_MARK = 6;
const encoder = new TextEncoder();

function concat(...parts: (Uint8Array | number[])[]): Uint8Array {
  return new Uint8Array(parts.flatMap((part) => [...part]));
}

Deno.test("a telnet client's mangled Korean line is refused, answered, and its next line arrives intact", async () => {
  await using server = startServer();
  const port = server.address.port;
  await using nc = await joinPlain(port, "nc");
  await using telnet = await RawClient.connect(port);
  await telnet.waitFor("Enter your nickname:");
  await telnet.write(encoder.encode("민수\r\n"));
  await nc.waitFor("‣ 민수 joined the chat.");
  // What inetutils telnet sends for "안녕하세요" before binary mode: 0x9A in 요
  // became IAC SUSP, followed by IAC DO TIMING-MARK.
  const typed = encoder.encode("안녕하세요");
  const at = indexOfBytes(typed, new Uint8Array([0x9a]));
  await telnet.write(concat(
    typed.subarray(0, at),
    [IAC, 0xed, IAC, DO, TIMING_MARK],
    typed.subarray(at + 1),
    encoder.encode("\r\n"),
  ));
  // The server ends the client's output flush and asks for 8-bit input.
  await telnet.waitForBytes(new Uint8Array([IAC, WILL, TIMING_MARK]));
  await telnet.waitForBytes(new Uint8Array([IAC, DO, BINARY]));
  await telnet.waitFor("Your terminal sent a damaged line; please type it again.");
  // The client agrees, and the retyped line goes through as it was typed.
  await telnet.write(concat([IAC, WILL, BINARY], encoder.encode("안녕하세요, 반갑습니다 😀\r\n")));
  const line = await nc.waitFor("민수: ");
  assertEquals(line.replace(/^\[\d\d:\d\d\] /, ""), "민수: 안녕하세요, 반갑습니다 😀");
  assert(!nc.received.some((seen) => seen.includes("\uFFFD")), nc.received.join("\n"));
  // Commands, subnegotiation and an escaped IAC never reach the room as text.
  await telnet.write(concat(
    encoder.encode("a"),
    [IAC, 0xfa, 24, 0, ...encoder.encode("xterm"), IAC, 0xf0],
    encoder.encode("b"),
    [IAC, 0xf1],
    encoder.encode("c\r\n"),
  ));
  assertEquals((await nc.waitFor("민수: a")).replace(/^\[\d\d:\d\d\] /, ""), "민수: abc");
});

Deno.test("a plain client that never sends IAC receives no telnet negotiation at all", async () => {
  await using server = startServer();
  const port = server.address.port;
  await using plain = await RawClient.connect(port);
  await plain.waitFor("Enter your nickname:");
  assertEquals(plain.text, "Welcome to chat! Enter your nickname:\r\n");
  await plain.send("ana");
  await plain.send("héllo 世界 👋");
  await plain.send("/user");
  await plain.waitFor("Users in chat");
  assertEquals(plain.bytes.indexOf(IAC), -1);
  assert(plain.text.includes("ana: héllo 世界 👋\r\n"));
});
