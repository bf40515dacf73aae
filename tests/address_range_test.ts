/**
 * The `--exempt` and `--trusted-proxy` address lists: what parses, what is
 * refused and how the refusal reads, which peers each range holds (boundaries
 * included, IPv4-mapped peers as IPv4), and the address text parser and
 * formatter that the PROXY protocol parser reuses.
 */
import {
  assert,
  assertEquals,
  assertStrictEquals,
  assertStringIncludes,
  assertThrows,
} from "./support/assert.ts";
import {
  AddressRangeError,
  formatIp,
  ipFromBytes,
  parseAddressRanges,
  parseIp,
} from "../server/address_range.ts";

function ranges(text: string) {
  return parseAddressRanges(text, "--exempt");
}

/** The error `parseAddressRanges` throws for `text`; fails if it does not throw one. */
function refusal(text: string, flag = "--exempt"): AddressRangeError {
  try {
    parseAddressRanges(text, flag);
  } catch (error) {
    assert(error instanceof AddressRangeError, `expected AddressRangeError, got ${error}`);
    return error;
  }
  throw new Error(`${JSON.stringify(text)} was accepted`);
}

/** Round-trips text through the parser and formatter; null when it does not parse. */
function normalized(text: string): string | null {
  const address = parseIp(text);
  return address === null ? null : formatIp(address);
}

Deno.test("parseAddressRanges() reads IPv4 and IPv6 CIDRs and normalizes them", () => {
  assertEquals(ranges("127.0.0.1/32,::1/128").toString(), "127.0.0.1/32,::1/128");
  assertEquals(ranges("10.0.0.0/8").toString(), "10.0.0.0/8");
  assertEquals(ranges("2001:DB8:0:0::/32").toString(), "2001:db8::/32");
  assertEquals(ranges("fd00::/8, 192.168.0.0/16").toString(), "fd00::/8,192.168.0.0/16");
});

Deno.test("a bare address is a /32 or /128 range", () => {
  assertEquals(ranges("127.0.0.1").toString(), "127.0.0.1/32");
  assertEquals(ranges("::1").toString(), "::1/128");
  assertEquals(ranges("0:0:0:0:0:0:0:1").toString(), "::1/128");
  assert(ranges("192.0.2.7").includes("192.0.2.7"));
  assert(!ranges("192.0.2.7").includes("192.0.2.8"));
  assert(!ranges("192.0.2.7").includes("192.0.2.6"));
});

Deno.test('"none", "" and blanks are the empty list, and it holds no address', () => {
  for (const text of ["none", "NONE", "None", " none ", "", "   "]) {
    const list = ranges(text);
    assert(list.isEmpty, text);
    assertEquals(list.toString(), "none");
    assert(!list.includes("127.0.0.1"));
    assert(!list.includes("::1"));
  }
  assert(!ranges("10.0.0.0/8").isEmpty);
});

Deno.test("spaces and tabs around items are ignored", () => {
  assertEquals(
    ranges("  10.0.0.0/8 ,\t::1 , 127.0.0.1  ").toString(),
    "10.0.0.0/8,::1/128,127.0.0.1/32",
  );
});

Deno.test("host bits past the prefix are accepted and cleared", () => {
  const list = ranges("10.1.2.3/8,2001:db8::1/32");
  assertEquals(list.toString(), "10.0.0.0/8,2001:db8::/32");
  assert(list.includes("10.200.0.1"));
  assert(list.includes("2001:db8:ffff::9"));
  assert(!list.includes("11.0.0.0"));
});

Deno.test("/0 holds its whole family", () => {
  const v4 = ranges("0.0.0.0/0");
  assertEquals(v4.toString(), "0.0.0.0/0");
  assert(v4.includes("0.0.0.0"));
  assert(v4.includes("255.255.255.255"));
  assert(v4.includes("::ffff:8.8.8.8"));
  assert(!v4.includes("::1"));
  assert(!v4.includes("2001:db8::1"));
  const v6 = ranges("::/0");
  assertEquals(v6.toString(), "::/0");
  assert(v6.includes("::"));
  assert(v6.includes("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"));
  // Documented: IPv4 is held as ::ffff:a.b.c.d, so ::/0 covers it too.
  assert(v6.includes("8.8.8.8"));
});

Deno.test("includes() is exact at a range's boundaries", () => {
  const v4 = ranges("192.168.4.0/22");
  assert(!v4.includes("192.168.3.255"));
  assert(v4.includes("192.168.4.0"));
  assert(v4.includes("192.168.7.255"));
  assert(!v4.includes("192.168.8.0"));
  const v6 = ranges("2001:db8:0:10::/60");
  assert(!v6.includes("2001:db8:0:f:ffff:ffff:ffff:ffff"));
  assert(v6.includes("2001:db8:0:10::"));
  assert(v6.includes("2001:db8:0:1f:ffff:ffff:ffff:ffff"));
  assert(!v6.includes("2001:db8:0:20::"));
  const odd = ranges("10.0.0.128/25,fe80::8000:0:0:0/65");
  assert(odd.includes("10.0.0.128"));
  assert(odd.includes("10.0.0.255"));
  assert(!odd.includes("10.0.0.127"));
  assert(odd.includes("fe80::8000:0:0:0"));
  assert(!odd.includes("fe80::7fff:ffff:ffff:ffff"));
});

Deno.test("/32 and /128 hold exactly one address", () => {
  const list = ranges("203.0.113.9/32,2001:db8::9/128");
  assert(list.includes("203.0.113.9"));
  assert(!list.includes("203.0.113.8"));
  assert(!list.includes("203.0.113.10"));
  assert(list.includes("2001:db8::9"));
  assert(!list.includes("2001:db8::8"));
  assert(!list.includes("2001:db8::a"));
});

Deno.test("an IPv4-mapped peer, as a dual-stack listener reports it, matches IPv4 ranges", () => {
  const list = ranges("127.0.0.0/8,10.0.0.5");
  assert(list.includes("::ffff:127.0.0.1"));
  assert(list.includes("::FFFF:10.0.0.5"));
  assert(list.includes("::ffff:7f00:1"));
  assert(list.includes("0:0:0:0:0:ffff:127.1.2.3"));
  assert(!list.includes("::ffff:10.0.0.6"));
  assert(!list.includes("::ffff:128.0.0.1"));
  // Only the mapped block is IPv4: IPv4-compatible and NAT64 forms are not.
  assert(!list.includes("::127.0.0.1"));
  assert(!list.includes("64:ff9b::127.0.0.1"));
});

Deno.test("a range written in mapped form holds the plain IPv4 peer too, and prints as written", () => {
  const list = ranges("::ffff:10.0.0.0/104");
  assertEquals(list.toString(), "::ffff:10.0.0.0/104");
  assert(list.includes("10.9.8.7"));
  assert(list.includes("::ffff:10.9.8.7"));
  assert(!list.includes("11.0.0.0"));
});

Deno.test("includes() is false, never a throw, for text that is not an address", () => {
  const list = ranges("0.0.0.0/0,::/0");
  for (
    const ip of [
      "",
      "localhost",
      "1.2.3",
      "1.2.3.4.5",
      "256.0.0.1",
      "010.0.0.1",
      "[::1]",
      "fe80::1%eth0",
      "::1/128",
      "1:2:3:4:5:6:7:8:9",
      "x".repeat(10_000),
    ]
  ) {
    assertStrictEquals(list.includes(ip), false, ip);
  }
});

Deno.test("the refusal names the flag and the item and shows the expected form", () => {
  const error = refusal("10.0.0.0/33");
  assertEquals(error.name, "AddressRangeError");
  assert(
    error.message.startsWith('--exempt: "10.0.0.0/33" is not an address range'),
    error.message,
  );
  assertStringIncludes(error.message, 'expected CIDR like 10.0.0.0/8 or ::1/128, or "none".');
  assertStringIncludes(refusal("nope", "--trusted-proxy").message, '--trusted-proxy: "nope"');
  // Only the bad item is named, trimmed.
  assertStringIncludes(refusal("10.0.0.0/8, 10.0.0.0/99 ,::1").message, '"10.0.0.0/99" is not');
});

Deno.test("prefix lengths outside the family's width are refused", () => {
  for (const text of ["10.0.0.0/33", "::/129", "10.0.0.0/-1", "10.0.0.0/", "::1/", "10.0.0.0/08"]) {
    refusal(text);
  }
  for (const text of ["10.0.0.0/+8", "10.0.0.0/8.0", "10.0.0.0/8/8", "10.0.0.0 /8", "/8"]) {
    refusal(text);
  }
  assertEquals(ranges("10.0.0.0/0,::/128").toString(), "0.0.0.0/0,::/128");
});

Deno.test("malformed IPv4 is refused: leading zeros, big octets, wrong part counts", () => {
  for (
    const text of [
      "010.0.0.1",
      "10.0.0.01",
      "00.0.0.0",
      "256.0.0.0",
      "1.2.3.999",
      "1.2.3",
      "1.2.3.4.5",
      "1..2.3",
      "1.2.3.",
      "a.b.c.d",
      "0x7f.0.0.1",
      "+1.2.3.4",
      "1.2.3.4 5",
    ]
  ) {
    refusal(text);
  }
});

Deno.test("malformed IPv6 is refused: bad hex, too many groups, two gaps, zones", () => {
  for (
    const text of [
      "2001:db8::g",
      "12345::",
      "1:2:3:4:5:6:7:8:9",
      "1:2:3:4:5:6:7",
      "1::2::3",
      ":::",
      "1:::2",
      ":1::2",
      "1::2:",
      ":1:2:3:4:5:6:7",
      "1:2:3:4:5:6:7:",
      "1:2:3:4:5:6:7:8::",
      "::1:2:3:4:5:6:7:8",
      "fe80::1%eth0",
      "fe80::1%1",
      "[::1]",
      "::ffff:1.2.3.256",
      "::ffff:01.2.3.4",
      "::1.2.3.4:5",
      "1.2.3.4::",
      "1:2:3:4:5:6:7:1.2.3.4",
      "1:2:3:4:5:6:7::1.2.3.4",
    ]
  ) {
    refusal(text);
  }
});

Deno.test('empty items and "none" inside a list are refused', () => {
  refusal("10.0.0.0/8,");
  refusal(",10.0.0.0/8");
  refusal("10.0.0.0/8,,::1");
  refusal("none,10.0.0.0/8");
  assertStringIncludes(refusal("::1, ,::2").message, '"" is not an address range (empty item)');
});

Deno.test("the normalized list parses back to the same list", () => {
  const text = "10.9.8.7/12, ::FFFF:1.2.3.4/120, 2001:0DB8:0000:0000:0001:0000:0000:0001/100, ::/0";
  const first = ranges(text).toString();
  assertEquals(first, "10.0.0.0/12,::ffff:1.2.3.0/120,2001:db8:0:0:1::/100,::/0");
  assertEquals(ranges(first).toString(), first);
});

Deno.test("parseIp() reads :: compression and embedded IPv4", () => {
  assertEquals(parseIp("::"), { family: 6, bits: 0n });
  assertEquals(parseIp("::1"), { family: 6, bits: 1n });
  assertEquals(parseIp("1::"), { family: 6, bits: 1n << 112n });
  assertEquals(parseIp("::ffff:1.2.3.4"), { family: 6, bits: 0xffff_0102_0304n });
  assertEquals(parseIp("1.2.3.4"), { family: 4, bits: 0xffff_0102_0304n });
  assertEquals(parseIp("1:2:3:4:5:6:7:8"), {
    family: 6,
    bits: 0x0001_0002_0003_0004_0005_0006_0007_0008n,
  });
  assertEquals(parseIp("1:2:3:4:5:6:7::"), parseIp("1:2:3:4:5:6:7:0"));
  assertEquals(parseIp("::2:3:4:5:6:7:8"), parseIp("0:2:3:4:5:6:7:8"));
  assertEquals(parseIp("1:2:3:4:5:6:1.2.3.4"), parseIp("1:2:3:4:5:6:102:304"));
  assertEquals(parseIp("::1.2.3.4"), parseIp("::102:304"));
  assertEquals(parseIp("255.255.255.255")?.bits, 0xffff_ffff_ffffn);
  assertEquals(parseIp("0.0.0.0")?.bits, 0xffff_0000_0000n);
  assertStrictEquals(parseIp("1.2.3.4.5"), null);
});

Deno.test("formatIp() prints addresses the way Deno prints remoteAddr.hostname", () => {
  const cases: [string, string][] = [
    ["127.0.0.1", "127.0.0.1"],
    ["::1", "::1"],
    ["::", "::"],
    ["0:0:0:0:0:0:0:0", "::"],
    ["::ffff:127.0.0.1", "::ffff:127.0.0.1"],
    ["::FFFF:7F00:0001", "::ffff:127.0.0.1"],
    ["2001:DB8:0:0:0:0:0:1", "2001:db8::1"],
    ["2001:0db8:0000:0000:0001:0000:0000:0001", "2001:db8::1:0:0:1"], // the first of equal runs
    ["2001:db8:0:0:1:0:0:0", "2001:db8:0:0:1::"], // the longest run
    ["2001:db8:0:1:1:1:1:1", "2001:db8:0:1:1:1:1:1"], // a single zero group stays
    ["1:0:0:0:0:0:0:0", "1::"],
    ["0:0:0:0:0:0:0:1", "::1"],
    ["::1.2.3.4", "::102:304"], // IPv4-compatible is not printed dotted
    ["fe80::a:b:c:d", "fe80::a:b:c:d"],
    ["ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff"],
  ];
  for (const [input, expected] of cases) assertEquals(normalized(input), expected, input);
});

Deno.test("formatIp() output matches a real socket's remoteAddr.hostname", async () => {
  using listener = Deno.listen({ hostname: "::", port: 0 });
  for (const hostname of ["::1", "::ffff:127.0.0.1"]) {
    using _client = await Deno.connect({ hostname, port: listener.addr.port });
    using accepted = await listener.accept();
    const seen = (accepted.remoteAddr as Deno.NetAddr).hostname;
    assertEquals(normalized(seen), seen);
  }
});

Deno.test("ipFromBytes() reads network-order bytes", () => {
  assertEquals(formatIp(ipFromBytes(new Uint8Array([192, 0, 2, 255]))), "192.0.2.255");
  const v6 = new Uint8Array(16);
  v6[0] = 0x20;
  v6[1] = 0x01;
  v6[2] = 0x0d;
  v6[3] = 0xb8;
  v6[15] = 0x01;
  assertEquals(formatIp(ipFromBytes(v6)), "2001:db8::1");
  assertEquals(ipFromBytes(new Uint8Array([1, 2, 3, 4])), parseIp("1.2.3.4"));
  assertThrows(() => ipFromBytes(new Uint8Array(5)), RangeError);
});

Deno.test("parsing and formatting agree on random addresses", () => {
  // A fixed linear congruential sequence: the same addresses on every run.
  let state = 12345;
  const next = () => (state = (state * 1103515245 + 12345) >>> 0) >>> 16;
  for (let round = 0; round < 500; round++) {
    const groups = Array.from({ length: 8 }, () => (next() % 4 === 0 ? 0 : next()));
    const address = parseIp(groups.map((group) => group.toString(16)).join(":"));
    assert(address !== null);
    const text = formatIp(address);
    assertEquals(parseIp(text), address, text);
    assertEquals(text, text.toLowerCase());
    assert(!text.includes(":::"), text);
  }
});
