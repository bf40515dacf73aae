import assert from "node:assert/strict";
import { type LineResult, LineSplitter } from "../protocol/framing.ts";
import {
  escapeIac,
  TelnetCommand as C,
  TelnetFilter,
  TelnetOption as O,
  type TelnetResult,
} from "../protocol/telnet.ts";

const { IAC, WILL, WONT, DO, DONT, SB, SE } = C;
const encoder = new TextEncoder();
const TTYPE = 24;
const NAWS = 31;

function bytes(...parts: (number | string)[]): Uint8Array {
  const out: number[] = [];
  for (const part of parts) {
    if (typeof part === "number") out.push(part);
    else out.push(...encoder.encode(part));
  }
  return Uint8Array.from(out);
}

/** Everything several pushes produced, joined as one stream would be. */
interface Joined {
  data: number[];
  reply: number[];
  /** Damage offsets relative to the joined data. */
  damagedAt: number[];
}

function pushAll(filter: TelnetFilter, chunks: Uint8Array[]): Joined {
  const joined: Joined = { data: [], reply: [], damagedAt: [] };
  for (const chunk of chunks) {
    const result = filter.push(chunk);
    for (const at of result.damagedAt ?? []) joined.damagedAt.push(joined.data.length + at);
    joined.data.push(...result.data);
    if (result.reply) joined.reply.push(...result.reply);
  }
  return joined;
}

/**
 * The session recipe in miniature: filter, then split lines, refusing a line
 * that held damage. Returns each line's text or "DAMAGED".
 */
function readLines(filter: TelnetFilter, chunks: Uint8Array[]): string[] {
  const splitter = new LineSplitter(4096);
  const lines: string[] = [];
  let damaged = false;
  const onLine = (result: LineResult) => {
    if (result.kind !== "line") return;
    lines.push(damaged ? "DAMAGED" : result.text);
    damaged = false;
  };
  for (const chunk of chunks) {
    const { data, damagedAt } = filter.push(chunk);
    let from = 0;
    for (const at of damagedAt ?? []) {
      splitter.push(data.subarray(from, at), onLine);
      damaged = true;
      from = at;
    }
    splitter.push(data.subarray(from), onLine);
  }
  return lines;
}

// What Debian's default telnet (GNU inetutils 2.4) sent for
// "안녕하세요, 반갑습니다 😀" before binary mode: 0x85 is gone and 0x9A
// became IAC SUSP, IAC DO TIMING-MARK.
const MANGLED_KOREAN = Uint8Array.from([
  0xec,
  0x95,
  0x88,
  0xeb,
  0x95,
  0xed,
  0x95,
  0x98,
  0xec,
  0x84,
  0xb8,
  0xec,
  0xff,
  0xed,
  0xff,
  0xfd,
  0x06,
  0x94,
  0x2c,
  0x20,
  0xeb,
  0xb0,
  0x98,
  0xea,
  0xb0,
  0x91,
  0xec,
  0x8a,
  0xb5,
  0xeb,
  0x8b,
  0x88,
  0xeb,
  0x8b,
  0xa4,
  0x20,
  0xf0,
  0x9f,
  0x98,
  0x80,
  0x0d,
  0x0a,
]);
const KOREAN = "안녕하세요, 반갑습니다 😀";

Deno.test("TelnetFilter returns a chunk without 0xFF itself, with no reply", () => {
  const filter = new TelnetFilter();
  const chunk = bytes(`${KOREAN}\r\n`);
  const result = filter.push(chunk);
  assert.equal(result.data, chunk);
  assert.equal(result.reply, null);
  assert.equal(result.damagedAt, null);
  assert.equal(filter.speaksTelnet, false);
  assert.equal(filter.cleanInput, true);
});

Deno.test("TelnetFilter never sends a byte to a client that never sends IAC", () => {
  const filter = new TelnetFilter();
  const chunks = [bytes("alice\r\n"), bytes("\r\0", 0x80, 0xfe, "\n"), bytes(KOREAN, "\n")];
  for (const chunk of chunks) {
    const result = filter.push(chunk);
    assert.equal(result.data, chunk);
    assert.equal(result.reply, null);
  }
  assert.equal(filter.negotiated, false);
});

Deno.test("TelnetFilter turns IAC IAC into one 0xFF data byte without starting negotiation", () => {
  const filter = new TelnetFilter();
  const result = filter.push(bytes("a", IAC, IAC, "b"));
  assert.deepEqual([...result.data], [0x61, 0xff, 0x62]);
  assert.equal(result.reply, null);
  assert.equal(filter.speaksTelnet, false);
});

Deno.test("TelnetFilter starts binary negotiation only at the client's first command", () => {
  const filter = new TelnetFilter();
  assert.equal(filter.push(bytes("hello\r\n")).reply, null);
  const first = filter.push(bytes(IAC, C.NOP));
  assert.equal(filter.speaksTelnet, true);
  assert.deepEqual([...first.data], []);
  assert.deepEqual([...first.reply!], [IAC, DO, O.BINARY]);
  assert.equal(filter.negotiated, false);
  assert.equal(filter.cleanInput, false);
  const ack = filter.push(bytes(IAC, WILL, O.BINARY));
  assert.equal(ack.reply, null, "an acknowledgement is not answered");
  assert.equal(filter.binaryInput, true);
  assert.equal(filter.negotiated, true);
  assert.equal(filter.cleanInput, true);
  assert.equal(filter.push(bytes(IAC, C.NOP)).reply, null, "negotiation starts once");
});

Deno.test("TelnetFilter answers DO TIMING-MARK with WILL TIMING-MARK every time", () => {
  const filter = new TelnetFilter();
  const first = filter.push(bytes(IAC, DO, O.TIMING_MARK));
  assert.deepEqual([...first.reply!], [IAC, DO, O.BINARY, IAC, WILL, O.TIMING_MARK]);
  const second = filter.push(bytes(IAC, DO, O.TIMING_MARK));
  assert.deepEqual([...second.reply!], [IAC, WILL, O.TIMING_MARK]);
  assert.equal(filter.push(bytes(IAC, DONT, O.TIMING_MARK)).reply, null);
  assert.equal(filter.push(bytes(IAC, WILL, O.TIMING_MARK)).reply, null);
});

Deno.test("TelnetFilter refuses an unknown option once and does not answer the refusal's echo", () => {
  const filter = new TelnetFilter();
  filter.push(bytes(IAC, C.NOP)); // Past the opening DO BINARY.
  assert.deepEqual([...filter.push(bytes(IAC, DO, TTYPE)).reply!], [IAC, WONT, TTYPE]);
  assert.deepEqual([...filter.push(bytes(IAC, WILL, NAWS)).reply!], [IAC, DONT, NAWS]);
  assert.equal(filter.push(bytes(IAC, WONT, TTYPE)).reply, null);
  assert.equal(filter.push(bytes(IAC, DONT, NAWS)).reply, null);
  assert.equal(filter.push(bytes(IAC, DONT, TTYPE, IAC, WONT, NAWS)).reply, null);
});

Deno.test("TelnetFilter refuses SUPPRESS-GO-AHEAD and ECHO, so the client keeps line editing", () => {
  const filter = new TelnetFilter();
  filter.push(bytes(IAC, C.NOP));
  const result = filter.push(bytes(IAC, DO, O.SGA, IAC, DO, O.ECHO, IAC, WILL, O.SGA));
  assert.deepEqual([...result.reply!], [IAC, WONT, O.SGA, IAC, WONT, O.ECHO, IAC, DONT, O.SGA]);
});

Deno.test("TelnetFilter refuses DO BINARY unless binary output is enabled", () => {
  const filter = new TelnetFilter();
  const result = filter.push(bytes(IAC, DO, O.BINARY, IAC, WILL, O.BINARY));
  assert.deepEqual([...result.reply!], [IAC, DO, O.BINARY, IAC, WONT, O.BINARY]);
  assert.equal(filter.binaryOutput, false);
  assert.equal(filter.negotiated, true);
});

Deno.test("TelnetFilter with binary output offers WILL BINARY and waits for both answers", () => {
  const filter = new TelnetFilter({ binaryOutput: true });
  const first = filter.push(bytes(IAC, C.NOP));
  assert.deepEqual([...first.reply!], [IAC, DO, O.BINARY, IAC, WILL, O.BINARY]);
  filter.push(bytes(IAC, WILL, O.BINARY));
  assert.equal(filter.negotiated, false);
  assert.equal(filter.push(bytes(IAC, DO, O.BINARY)).reply, null);
  assert.equal(filter.binaryOutput, true);
  assert.equal(filter.negotiated, true);
  // Turning it off later is answered once, and the answer's echo is not.
  assert.deepEqual([...filter.push(bytes(IAC, DONT, O.BINARY)).reply!], [IAC, WONT, O.BINARY]);
  assert.equal(filter.push(bytes(IAC, DONT, O.BINARY)).reply, null);
});

Deno.test("TelnetFilter settles with a client that refuses binary", () => {
  const filter = new TelnetFilter();
  filter.push(bytes(IAC, C.NOP));
  assert.equal(filter.push(bytes(IAC, WONT, O.BINARY)).reply, null);
  assert.equal(filter.binaryInput, false);
  assert.equal(filter.negotiated, false);
});

/**
 * A deliberately naive peer: agrees to or refuses every request according to
 * `agree`, and answers every message it receives, even acknowledgements.
 */
function naivePeer(agree: boolean) {
  return (reply: Uint8Array): Uint8Array => {
    const out: number[] = [];
    for (let i = 0; i + 3 <= reply.length; i += 3) {
      const [verb, option] = [reply[i + 1], reply[i + 2]];
      const asksUs = verb === DO || verb === DONT;
      const on = agree && (verb === DO || verb === WILL);
      out.push(IAC, asksUs ? (on ? WILL : WONT) : (on ? DO : DONT), option);
    }
    return Uint8Array.from(out);
  };
}

for (const agree of [true, false]) {
  Deno.test(`TelnetFilter's negotiation ends with a peer that ${agree ? "agrees to" : "refuses"} everything`, () => {
    const filter = new TelnetFilter({ binaryOutput: true });
    const peer = naivePeer(agree);
    let reply = filter.push(bytes(IAC, WILL, TTYPE, IAC, DO, O.SGA)).reply;
    let rounds = 0;
    while (reply !== null) {
      assert.ok(++rounds < 5, "the peers are still negotiating after four rounds");
      reply = filter.push(peer(reply)).reply;
    }
    assert.equal(filter.negotiated, agree);
  });
}

Deno.test("TelnetFilter skips a subnegotiation and keeps the data around it", () => {
  const filter = new TelnetFilter();
  const result = filter.push(bytes("a", IAC, SB, TTYPE, 0, "xterm", IAC, SE, "b"));
  assert.deepEqual([...result.data], [0x61, 0x62]);
});

Deno.test("TelnetFilter skips an overlong subnegotiation without holding it", () => {
  const filter = new TelnetFilter();
  const body = new Uint8Array(100_000).fill(0x41);
  const joined = pushAll(filter, [bytes("a", IAC, SB, NAWS), body, body, bytes(IAC, SE, "b")]);
  assert.deepEqual(joined.data, [0x61, 0x62]);
});

Deno.test("TelnetFilter reads IAC IAC inside a subnegotiation as part of it", () => {
  const filter = new TelnetFilter();
  const result = filter.push(bytes(IAC, SB, NAWS, IAC, IAC, SE, IAC, SE, "x"));
  assert.deepEqual([...result.data], [0x78]);
});

Deno.test("TelnetFilter ends a subnegotiation missing IAC SE at the next command", () => {
  const filter = new TelnetFilter();
  const result = filter.push(bytes(IAC, SB, NAWS, 0, 80, IAC, DO, O.TIMING_MARK, "x"));
  assert.deepEqual([...result.data], [0x78]);
  assert.deepEqual([...result.reply!], [IAC, DO, O.BINARY, IAC, WILL, O.TIMING_MARK]);
});

Deno.test("TelnetFilter drops a truncated command at the end of input", () => {
  for (const tail of [[IAC], [IAC, DO], [IAC, SB, NAWS, 0], [IAC, SB, NAWS, IAC]]) {
    const filter = new TelnetFilter();
    const result = filter.push(bytes("hi", ...tail));
    assert.deepEqual([...result.data], [0x68, 0x69], `tail ${tail}`);
  }
  const lone = new TelnetFilter();
  assert.equal(lone.push(bytes(IAC)).reply, null, "a lone IAC is not yet a command");
  assert.equal(lone.speaksTelnet, false);
});

Deno.test("TelnetFilter gives the same result for a stream split at every byte boundary", () => {
  const stream = bytes(
    "ab",
    IAC,
    C.SUSP,
    IAC,
    DO,
    O.TIMING_MARK,
    "c\r\n",
    IAC,
    SB,
    TTYPE,
    1,
    IAC,
    IAC,
    IAC,
    SE,
    IAC,
    IAC,
    IAC,
    WILL,
    O.BINARY,
    IAC,
    DO,
    TTYPE,
    "d\r\0e\n",
    IAC,
    C.IP,
    "f\n",
  );
  const whole = pushAll(new TelnetFilter(), [stream]);
  assert.deepEqual(whole.data, [...bytes("abc\r\n", 0xff, "d\r\ne\nf\n")]);
  assert.deepEqual(whole.reply, [IAC, DO, O.BINARY, IAC, WILL, O.TIMING_MARK, IAC, WONT, TTYPE]);
  assert.deepEqual(whole.damagedAt, [2, 5], "the SUSP, then the 0xFF typed before binary");
  for (let cut = 1; cut < stream.length; cut++) {
    const split = pushAll(new TelnetFilter(), [stream.subarray(0, cut), stream.subarray(cut)]);
    assert.deepEqual(split, whole, `split at ${cut}`);
  }
  const single = pushAll(new TelnetFilter(), [...stream].map((byte) => Uint8Array.of(byte)));
  assert.deepEqual(single, whole, "one byte at a time");
});

Deno.test("TelnetFilter reports the mangled line netkit-style telnet sends, and unfreezes it", () => {
  const filter = new TelnetFilter();
  const result: TelnetResult = filter.push(MANGLED_KOREAN);
  assert.ok(!result.data.includes(IAC), "no command reaches the data");
  assert.deepEqual(result.damagedAt, [12]);
  assert.deepEqual([...result.reply!], [IAC, DO, O.BINARY, IAC, WILL, O.TIMING_MARK]);
  filter.push(bytes(IAC, WILL, O.BINARY));
  // In binary mode the client sends the line intact, ending in a bare LF.
  assert.deepEqual(readLines(filter, [bytes(KOREAN, "\n")]), [KOREAN]);
});

Deno.test("TelnetFilter's damage marks refuse exactly the mangled lines", () => {
  const filter = new TelnetFilter();
  const lines = readLines(filter, [
    bytes("alice\r\n"),
    MANGLED_KOREAN,
    // Typed before the client's WILL BINARY arrived: high bytes are suspect.
    bytes("ok\r\n", 0xeb, 0x95, "\r\nplain\r\n"),
    bytes(IAC, WILL, O.BINARY, KOREAN, "\n", "x", IAC, C.IP, IAC, DO, O.TIMING_MARK, "y\n"),
  ]);
  assert.deepEqual(lines, ["alice", "DAMAGED", "ok", "DAMAGED", "plain", KOREAN, "xy"]);
});

Deno.test("TelnetFilter marks at most one damage per line", () => {
  const filter = new TelnetFilter();
  const result = filter.push(bytes("a", IAC, C.SUSP, "b", IAC, C.BRK, "c\nd", IAC, C.AO, "\n"));
  assert.deepEqual([...result.data], [...bytes("abc\nd\n")]);
  assert.deepEqual(result.damagedAt, [1, 5]);
});

Deno.test("TelnetFilter turns CR NUL from a telnet client into CR LF", () => {
  const filter = new TelnetFilter();
  filter.push(bytes(IAC, WILL, O.BINARY));
  const joined = pushAll(filter, [bytes("hi\r"), bytes("\0there\r\0")]);
  assert.deepEqual(joined.data, [...bytes("hi\r\nthere\r\n")]);
});

Deno.test("TelnetFilter returns a telnet client's chunk without commands uncopied", () => {
  const filter = new TelnetFilter();
  filter.push(bytes(IAC, WILL, O.BINARY));
  const chunk = bytes(KOREAN, "\n");
  assert.equal(filter.push(chunk).data, chunk);
});

Deno.test("escapeIac doubles 0xFF and returns text unchanged", () => {
  const text = bytes(KOREAN);
  assert.equal(escapeIac(text), text);
  assert.deepEqual([...escapeIac(bytes("a", 0xff, 0xff, "b"))], [
    0x61,
    0xff,
    0xff,
    0xff,
    0xff,
    0x62,
  ]);
});
