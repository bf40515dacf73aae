/**
 * The PROXY protocol parser: v1 lines and v2 binary headers that parse, the
 * malformed ones that are refused, the exact length to skip when the client's
 * own bytes follow, and the line between "incomplete" (a valid start: read
 * more) and "absent" (an ordinary client: its bytes are its own), checked byte
 * by byte.
 */
import { assert, assertEquals, assertStringIncludes } from "./support/assert.ts";
import {
  formatAddress,
  parseProxyHeader,
  PROXY_HEADER_MAX_BYTES,
  PROXY_V1_MAX_BYTES,
  PROXY_V2_MAX_PAYLOAD_BYTES,
  type ProxyParse,
} from "../server/proxy_protocol.ts";

/** One byte per char, so "\xff" is the byte 0xff. */
function bytesOf(text: string): Uint8Array {
  return Uint8Array.from(text, (char) => char.charCodeAt(0));
}

function parse(text: string): ProxyParse {
  return parseProxyHeader(bytesOf(text));
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

const SIGNATURE = bytesOf("\r\n\r\n\0\r\nQUIT\n");

/** A v2 header: signature, version/command byte, family/transport byte, length, payload. */
function v2(versionCommand: number, familyTransport: number, payload: number[] = []): Uint8Array {
  return concat(
    SIGNATURE,
    new Uint8Array([versionCommand, familyTransport, payload.length >> 8, payload.length & 0xff]),
    new Uint8Array(payload),
  );
}

function port(value: number): number[] {
  return [value >> 8, value & 0xff];
}

/** INET addresses 192.0.2.10:51000 → 198.51.100.1:7000. */
const INET_PAYLOAD = [192, 0, 2, 10, 198, 51, 100, 1, ...port(51000), ...port(7000)];
/** INET6 addresses [2001:db8::1]:443 → [2001:db8::2]:7000. */
const DOCUMENTATION_PREFIX = [0x20, 0x01, 0x0d, 0xb8];
const INET6_PAYLOAD = [
  ...[...DOCUMENTATION_PREFIX, ...Array(11).fill(0), 1],
  ...[...DOCUMENTATION_PREFIX, ...Array(11).fill(0), 2],
  ...port(443),
  ...port(7000),
];
/** Two TLVs: ALPN "h2" (type 0x01) and a 3-byte NOOP (type 0x04). */
const TLVS = [0x01, 0, 2, 0x68, 0x32, 0x04, 0, 3, 0, 0, 0];

function header(length: number, address?: string, sourcePort?: number): ProxyParse {
  const source = address === undefined ? null : { address, port: sourcePort! };
  return { kind: "header", length, source };
}

/** Every proper prefix of `bytes` is "incomplete"; the whole is `expected`. */
function assertDecidedOnlyAtTheEnd(bytes: Uint8Array, expected: ProxyParse): void {
  for (let end = 0; end < bytes.length; end++) {
    assertEquals(
      parseProxyHeader(bytes.subarray(0, end)),
      { kind: "incomplete" },
      `prefix of ${end}`,
    );
  }
  assertEquals(parseProxyHeader(bytes), expected);
}

function assertInvalid(result: ProxyParse, reasonPart?: string): void {
  assert(result.kind === "invalid", `expected invalid, got ${JSON.stringify(result)}`);
  assert(result.reason.length > 0 && result.reason.length < 120, result.reason);
  if (reasonPart !== undefined) assertStringIncludes(result.reason, reasonPart);
}

Deno.test("v1 TCP4 gives the client's address and port", () => {
  const line = "PROXY TCP4 192.0.2.10 198.51.100.1 51000 7000\r\n";
  assertEquals(parse(line), header(line.length, "192.0.2.10", 51000));
  assertEquals(parse("PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n"), header(44, "0.0.0.0", 0));
});

Deno.test("v1 TCP6 gives the address as Deno would print it", () => {
  const line = "PROXY TCP6 2001:DB8:0:0:0:0:0:1 2001:db8::2 443 7000\r\n";
  assertEquals(parse(line), header(line.length, "2001:db8::1", 443));
  const mapped = "PROXY TCP6 ::ffff:192.0.2.1 ::1 1 2\r\n";
  assertEquals(parse(mapped), header(mapped.length, "::ffff:192.0.2.1", 1));
  const longest = `PROXY TCP6 ${"ffff:".repeat(7)}ffff ${"ffff:".repeat(7)}ffff 65535 65535\r\n`;
  assertEquals(longest.length, 104);
  assertEquals(parse(longest), header(104, "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", 65535));
});

Deno.test("v1 UNKNOWN means the real address, whatever follows it on the line", () => {
  assertEquals(parse("PROXY UNKNOWN\r\n"), header(15));
  const line = "PROXY UNKNOWN ffff:f...f:ffff ffff:f...f:ffff 65535 65535\r\n";
  assertEquals(parse(line), header(line.length));
  const odd = "PROXY UNKNOWN \x01\xff\r junk\r\n";
  assertEquals(parse(odd), header(odd.length));
});

Deno.test("the header's length points exactly past it when the client's bytes follow", () => {
  const line = "PROXY TCP4 10.0.0.1 10.0.0.2 1234 7000\r\n";
  for (
    const first of ["CHAT/1 json\r\n", "ana\r\n", "\r\n", "PROXY TCP4 1.1.1.1 2.2.2.2 1 2\r\n"]
  ) {
    const result = parse(line + first);
    assertEquals(result, header(line.length, "10.0.0.1", 1234));
    assert(result.kind === "header");
    assertEquals(bytesOf(line + first).subarray(result.length), bytesOf(first));
  }
  const binary = v2(0x21, 0x11, INET_PAYLOAD);
  const withClient = concat(binary, bytesOf("CHAT/1 json\r\n"));
  const result = parseProxyHeader(withClient);
  assertEquals(result, header(28, "192.0.2.10", 51000));
  assert(result.kind === "header");
  assertEquals(withClient.subarray(result.length), bytesOf("CHAT/1 json\r\n"));
});

Deno.test("v1 without a CRLF is incomplete up to 107 bytes, then invalid", () => {
  const start = "PROXY UNKNOWN ";
  const filler = (total: number) => start + "x".repeat(total - start.length);
  assertEquals(PROXY_V1_MAX_BYTES, 107);
  assertEquals(parse(filler(PROXY_V1_MAX_BYTES - 1)), { kind: "incomplete" });
  assertInvalid(parse(filler(PROXY_V1_MAX_BYTES)), "longer than 107 bytes");
  assertInvalid(parse(filler(500)), "longer than 107 bytes");
  // The CRLF may end exactly at byte 107, not one later.
  assertEquals(parse(filler(PROXY_V1_MAX_BYTES - 2) + "\r\n"), header(PROXY_V1_MAX_BYTES));
  assertInvalid(parse(filler(PROXY_V1_MAX_BYTES - 1) + "\r\n"), "longer than 107 bytes");
  // A CR as the 107th byte can no longer be followed by its LF in time.
  assertInvalid(parse(filler(PROXY_V1_MAX_BYTES - 1) + "\r"), "longer than 107 bytes");
});

Deno.test("v1 ports must be decimal 0-65535 without leading zeros", () => {
  const line = (source: string, destination: string) =>
    `PROXY TCP4 1.2.3.4 5.6.7.8 ${source} ${destination}\r\n`;
  for (const bad of ["65536", "99999", "01", "00", "-1", "+1", "1a", "0x10", "1.0", "", "123456"]) {
    assertInvalid(parse(line(bad, "80")), "source port");
    assertInvalid(parse(line("80", bad)), "destination port");
  }
  assertEquals(parse(line("0", "0")), header(line("0", "0").length, "1.2.3.4", 0));
  assertEquals(parse(line("65535", "1")), header(line("65535", "1").length, "1.2.3.4", 65535));
});

Deno.test("v1 addresses must be valid for the named family", () => {
  for (
    const bad of [
      "PROXY TCP4 ::1 1.2.3.4 1 2\r\n",
      "PROXY TCP4 1.2.3.4 ::1 1 2\r\n",
      "PROXY TCP6 1.2.3.4 ::1 1 2\r\n",
      "PROXY TCP6 ::1 1.2.3.4 1 2\r\n",
      "PROXY TCP4 010.0.0.1 1.2.3.4 1 2\r\n",
      "PROXY TCP4 1.2.3.256 1.2.3.4 1 2\r\n",
      "PROXY TCP4 1.2.3 1.2.3.4 1 2\r\n",
      "PROXY TCP6 fe80::1%eth0 ::1 1 2\r\n",
      "PROXY TCP6 1::2::3 ::1 1 2\r\n",
      "PROXY TCP6 [::1] ::1 1 2\r\n",
      "PROXY TCP6 1:2:3:4:5:6:7:8:9 ::1 1 2\r\n",
      "PROXY TCP6 ::g ::1 1 2\r\n",
      "PROXY TCP4 localhost 1.2.3.4 1 2\r\n",
    ]
  ) {
    assertInvalid(parse(bad), "address");
  }
});

Deno.test("v1 wants exactly single spaces and the right number of fields", () => {
  for (
    const bad of [
      "PROXY TCP4  1.2.3.4 5.6.7.8 1 2\r\n",
      "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 \r\n",
      "PROXY TCP4 1.2.3.4 5.6.7.8 1  2\r\n",
      "PROXY TCP4 1.2.3.4\t5.6.7.8 1 2\r\n",
      "PROXY TCP4 1.2.3.4 5.6.7.8 1\r\n",
      "PROXY TCP4 1.2.3.4 5.6.7.8 1 2 3\r\n",
      "PROXY TCP4\r\n",
      "PROXY \r\n",
      "PROXY  TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
      "PROXY tcp4 1.2.3.4 5.6.7.8 1 2\r\n",
      "PROXY TCP5 1.2.3.4 5.6.7.8 1 2\r\n",
      "PROXY UNKNOWNX\r\n",
      "PROXY TCP4 1.2.3.4 5.6.7.8 1 2\n",
    ]
  ) {
    assertInvalid(parse(bad));
  }
});

Deno.test("v1 is refused as soon as it can no longer become valid", () => {
  assertInvalid(parse("PROXY TCP5"), "protocol");
  assertInvalid(parse("PROXY X"), "protocol");
  assertInvalid(parse("PROXY TCP4 1.2.3.400"), "source address");
  assertInvalid(parse("PROXY TCP4 ::"), "source address");
  assertInvalid(parse("PROXY TCP6 1.2"), "source address");
  assertInvalid(parse("PROXY TCP6 1:2:3:4:5:6:7:8:"), "source address");
  assertInvalid(parse("PROXY TCP6 ::1::"), "source address");
  assertInvalid(parse("PROXY TCP4 1.2.3.4 5.6.7.8 65536"), "source port");
  assertInvalid(parse("PROXY TCP4 1.2.3.4 5.6.7.8 01"), "source port");
  assertInvalid(parse("PROXY TCP4 1.2.3.4 5.6.7.8 1 2 "), "too many fields");
  assertInvalid(parse("PROXY TCP4 1.2.3.4 5.6.7.8 1\r"), "too few fields");
  assertInvalid(parse("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\rX"), "destination port");
  assertInvalid(parse("PROXY \r"), "protocol");
  // Still possible, so still incomplete.
  assertEquals(parse("PROXY TCP6 1:2:3:4:5:6:7:"), { kind: "incomplete" });
  assertEquals(parse("PROXY TCP6 ::ffff:1.2."), { kind: "incomplete" });
  assertEquals(parse("PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r"), { kind: "incomplete" });
  assertEquals(parse("PROXY UNKNOWN\r"), { kind: "incomplete" });
});

Deno.test("v1 fed a byte at a time is incomplete until its last byte", () => {
  const lines = [
    "PROXY TCP4 192.0.2.10 198.51.100.1 51000 7000\r\n",
    "PROXY TCP4 0.0.0.0 255.255.255.255 0 65535\r\n",
    "PROXY UNKNOWN\r\n",
    "PROXY UNKNOWN 1.2.3.4 anything\r\n",
  ];
  for (const line of lines) {
    const result = parse(line);
    assert(result.kind === "header", line);
    assertDecidedOnlyAtTheEnd(bytesOf(line), result);
  }
});

Deno.test("v1 TCP6 fed a byte at a time stays incomplete through every address shape", () => {
  const addresses = [
    "::",
    "::1",
    "1::",
    "2001:db8::1",
    "fe80::a:b:c:d",
    "::ffff:192.0.2.1",
    "1:2:3:4:5:6:7:8",
    "1:2:3:4:5:6:7::",
    "::2:3:4:5:6:7:8",
    "1:2:3:4:5:6:1.2.3.4",
    "1::6:255.255.255.0",
    "ABCD:ef01::0",
    "0:0:0:0:0:0:0:0",
  ];
  for (const address of addresses) {
    const line = `PROXY TCP6 ${address} ${address} 65535 0\r\n`;
    const result = parse(line);
    assert(result.kind === "header", line);
    assertDecidedOnlyAtTheEnd(bytesOf(line), result);
  }
});

Deno.test("v2 INET gives the client's address and port, and skips TLVs", () => {
  assertEquals(parseProxyHeader(v2(0x21, 0x11, INET_PAYLOAD)), header(28, "192.0.2.10", 51000));
  const withTlvs = v2(0x21, 0x11, [...INET_PAYLOAD, ...TLVS]);
  assertEquals(parseProxyHeader(withTlvs), header(28 + TLVS.length, "192.0.2.10", 51000));
});

Deno.test("v2 INET6 gives the address as Deno would print it", () => {
  assertEquals(parseProxyHeader(v2(0x21, 0x21, INET6_PAYLOAD)), header(52, "2001:db8::1", 443));
  const withTlvs = v2(0x21, 0x21, [...INET6_PAYLOAD, ...TLVS]);
  assertEquals(parseProxyHeader(withTlvs), header(52 + TLVS.length, "2001:db8::1", 443));
  const mapped = [...Array(10).fill(0), 0xff, 0xff, 127, 0, 0, 1, ...Array(16).fill(0), 0, 9, 0, 0];
  assertEquals(parseProxyHeader(v2(0x21, 0x21, mapped)), header(52, "::ffff:127.0.0.1", 9));
});

Deno.test("v2 LOCAL, UNSPEC and UNIX mean the real address", () => {
  // LOCAL: the proxy's own health check; whatever the block says is ignored.
  assertEquals(parseProxyHeader(v2(0x20, 0x00)), header(16));
  assertEquals(parseProxyHeader(v2(0x20, 0x11, INET_PAYLOAD)), header(28));
  assertEquals(parseProxyHeader(v2(0x20, 0x00, TLVS)), header(16 + TLVS.length));
  assertEquals(parseProxyHeader(v2(0x20, 0x12)), header(16));
  // PROXY with an unspecified family or transport.
  assertEquals(parseProxyHeader(v2(0x21, 0x00)), header(16));
  assertEquals(parseProxyHeader(v2(0x21, 0x00, TLVS)), header(16 + TLVS.length));
  assertEquals(parseProxyHeader(v2(0x21, 0x10, INET_PAYLOAD)), header(28));
  assertEquals(parseProxyHeader(v2(0x21, 0x31, Array(216).fill(0x41))), header(232));
});

Deno.test("v2 with the wrong version, or unknown command, family or transport, is invalid", () => {
  assertInvalid(parseProxyHeader(v2(0x11, 0x11, INET_PAYLOAD)), "version 1");
  assertInvalid(parseProxyHeader(v2(0x31, 0x11, INET_PAYLOAD)), "version 3");
  assertInvalid(parseProxyHeader(v2(0x01, 0x11, INET_PAYLOAD)), "version 0");
  assertInvalid(parseProxyHeader(v2(0x22, 0x11, INET_PAYLOAD)), "command 2");
  assertInvalid(parseProxyHeader(v2(0x2f, 0x11, INET_PAYLOAD)), "command 15");
  assertInvalid(parseProxyHeader(v2(0x21, 0x41, INET_PAYLOAD)), "family 4");
  assertInvalid(parseProxyHeader(v2(0x21, 0x13, INET_PAYLOAD)), "transport 3");
  assertInvalid(parseProxyHeader(v2(0x21, 0x12, INET_PAYLOAD)), "datagram");
  // Decided as soon as the offending byte arrives.
  assertInvalid(parseProxyHeader(v2(0x11, 0x11).subarray(0, 13)), "version");
  assertInvalid(parseProxyHeader(v2(0x21, 0x51).subarray(0, 14)), "family");
});

Deno.test("v2 whose length cannot hold its addresses is invalid", () => {
  assertInvalid(parseProxyHeader(v2(0x21, 0x11, INET_PAYLOAD.slice(0, 11))), "too short");
  assertInvalid(parseProxyHeader(v2(0x21, 0x21, INET_PAYLOAD)), "too short");
  assertInvalid(parseProxyHeader(v2(0x21, 0x31, Array(215).fill(0))), "too short");
  assertInvalid(parseProxyHeader(v2(0x21, 0x11)), "too short");
});

Deno.test("v2 over the length cap is invalid at once; at the cap it is accepted", () => {
  const over = v2(0x21, 0x11, [...INET_PAYLOAD, ...Array(PROXY_V2_MAX_PAYLOAD_BYTES - 11).fill(0)]);
  assertInvalid(parseProxyHeader(over), `at most ${PROXY_V2_MAX_PAYLOAD_BYTES}`);
  assertInvalid(parseProxyHeader(over.subarray(0, 16)), "1025 bytes");
  const huge = concat(SIGNATURE, new Uint8Array([0x21, 0x11, 0xff, 0xff]));
  assertInvalid(parseProxyHeader(huge), "65535 bytes");
  const atCap = v2(0x21, 0x11, [
    ...INET_PAYLOAD,
    ...Array(PROXY_V2_MAX_PAYLOAD_BYTES - 12).fill(0),
  ]);
  assertEquals(atCap.length, PROXY_HEADER_MAX_BYTES);
  assertEquals(parseProxyHeader(atCap.subarray(0, atCap.length - 1)), { kind: "incomplete" });
  assertEquals(parseProxyHeader(atCap), header(PROXY_HEADER_MAX_BYTES, "192.0.2.10", 51000));
});

Deno.test("v2 fed a byte at a time is incomplete until its last byte", () => {
  const headers = [
    v2(0x21, 0x11, INET_PAYLOAD),
    v2(0x21, 0x21, [...INET6_PAYLOAD, ...TLVS]),
    v2(0x20, 0x00),
    v2(0x21, 0x00, TLVS),
  ];
  for (const bytes of headers) {
    const result = parseProxyHeader(bytes);
    assert(result.kind === "header");
    assertDecidedOnlyAtTheEnd(bytes, result);
  }
});

Deno.test("ordinary first bytes are absent, not incomplete", () => {
  for (
    const text of [
      "CHAT/1 json\r\n",
      "CHAT/1 json",
      "C",
      "ana\r\n",
      "ana",
      "\xff\xfd\x18",
      "\xff",
      "GET / HTTP/1.1\r\n",
      "PRX",
      "PROXYBOT\r\n",
      "PROXY\r\n",
      "proxy TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
      "\n",
      "\r\nana\r\n",
      "\r\n\r\nhello",
      "\r\n\r\n\0\r\nQUIX",
      " PROXY TCP4 1.2.3.4 5.6.7.8 1 2\r\n",
      "\x16\x03\x01\x02\x00",
    ]
  ) {
    assertEquals(parse(text), { kind: "absent" }, JSON.stringify(text));
  }
});

Deno.test("a valid start of either header is incomplete, even empty", () => {
  for (
    const text of ["", "P", "PRO", "PROXY", "PROXY ", "PROXY T", "PROXY UNKNOWN", "\r", "\r\n"]
  ) {
    assertEquals(parse(text), { kind: "incomplete" }, JSON.stringify(text));
  }
  for (const text of ["\r\n\r\n\0\r\nQUIT\n", "\r\n\r\n\0\r\nQUIT\n\x21\x11\x00"]) {
    assertEquals(parse(text), { kind: "incomplete" }, JSON.stringify(text));
  }
});

Deno.test("once decided, more bytes never change the answer, and the cap always decides", () => {
  // Seeded mutations of valid headers: a changed byte, then random trailing bytes.
  let state = 2024;
  const next = () => (state = (state * 1103515245 + 12345) >>> 0) >>> 16;
  const seeds = [
    bytesOf("PROXY TCP4 192.0.2.10 198.51.100.1 51000 7000\r\n"),
    bytesOf("PROXY TCP6 2001:db8::1 ::ffff:1.2.3.4 1 65535\r\n"),
    bytesOf("PROXY UNKNOWN\r\n"),
    v2(0x21, 0x11, INET_PAYLOAD),
    v2(0x21, 0x21, [...INET6_PAYLOAD, ...TLVS]),
    v2(0x20, 0x00),
  ];
  for (let round = 0; round < 120; round++) {
    const seed = seeds[round % seeds.length];
    const bytes = new Uint8Array(PROXY_HEADER_MAX_BYTES + 8);
    bytes.set(seed);
    for (let i = seed.length; i < bytes.length; i++) bytes[i] = next() & 0xff;
    if (round % 3 !== 0) bytes[next() % seed.length] = next() & 0xff;
    let decided: ProxyParse | null = null;
    for (let end = 0; end <= bytes.length; end++) {
      const result = parseProxyHeader(bytes.subarray(0, end));
      if (decided?.kind === "invalid") {
        // The reason may sharpen as bytes arrive; the verdict may not.
        assertEquals(result.kind, "invalid", `round ${round}, ${end} bytes`);
      } else if (decided !== null) {
        assertEquals(result, decided, `round ${round}, ${end} bytes`);
      } else if (result.kind !== "incomplete") {
        decided = result;
        if (result.kind === "header") assert(result.length <= end);
      }
      if (end >= PROXY_HEADER_MAX_BYTES) assert(result.kind !== "incomplete", `round ${round}`);
    }
  }
});

Deno.test("formatAddress() brackets IPv6 for a log line", () => {
  assertEquals(formatAddress({ address: "192.0.2.10", port: 51000 }), "192.0.2.10:51000");
  assertEquals(formatAddress({ address: "2001:db8::1", port: 443 }), "[2001:db8::1]:443");
  assertEquals(formatAddress({ address: "::ffff:127.0.0.1", port: 0 }), "[::ffff:127.0.0.1]:0");
});
