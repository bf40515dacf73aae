/** Tests of the server logger: format, level filtering, and escaping. */

import { assertEquals, assertMatch } from "./support/assert.ts";
import {
  createLogger,
  isLogFormat,
  isLogLevel,
  type LogFormat,
  type LogLevel,
} from "../server/log.ts";

const FIXED = new Date("2026-11-27T00:50:00.000Z");

function capture(level: LogLevel, format: LogFormat) {
  const lines: string[] = [];
  const log = createLogger({
    level,
    format,
    write: (line) => lines.push(line),
    now: () => FIXED,
  });
  return { log, lines };
}

/** Nothing in a written line may start a new line or reach a terminal raw. */
function assertOneSafeLine(line: string): void {
  assertEquals(
    /[\p{Cc}\p{Cf}\p{Cs}\p{Zl}\p{Zp}]/u.test(line),
    false,
    `line holds a control, format or separator character: ${JSON.stringify(line)}`,
  );
}

const HOSTILE = [
  "mallory\n2026-11-27T00:50:00.000Z ERROR forged reason=pwned",
  "mallory\r2026-11-27T00:50:00.000Z ERROR forged",
  "\x1b[2J\x1b[31mred",
  "\x9b2J c1-csi",
  "line\u2028separator\u2029paragraph",
  "\u202eevil\u2066isolate\u2069\u200f",
  "zero\u200bwidth\ufefftags\u{e0041}",
  "del\x7fnul\x00bell\x07",
  "lone\ud800surrogate",
];

Deno.test("createLogger() writes the documented text line", () => {
  const { log, lines } = capture("info", "text");
  log.info("listening", { address: "127.0.0.1:9999", nick: "al ice" });
  assertEquals(lines, [
    '2026-11-27T00:50:00.000Z INFO listening address=127.0.0.1:9999 nick="al ice"',
  ]);
});

Deno.test("createLogger() writes the documented JSON line", () => {
  const { log, lines } = capture("info", "json");
  log.warn("slow_client", { nick: "bob", queued: 512, closed: true });
  assertEquals(lines, [
    '{"time":"2026-11-27T00:50:00.000Z","level":"warn","event":"slow_client","nick":"bob","queued":512,"closed":true}',
  ]);
});

Deno.test("createLogger() drops events below its level", () => {
  const { log, lines } = capture("warn", "text");
  log.debug("a");
  log.info("b");
  log.warn("c");
  log.error("d");
  assertEquals(lines.map((line) => line.split(" ").slice(1, 3).join(" ")), [
    "WARN c",
    "ERROR d",
  ]);
  const all = capture("debug", "json");
  all.log.debug("x");
  assertEquals(JSON.parse(all.lines[0]).level, "debug");
});

Deno.test("text format quotes values with spaces, quotes, = or backslashes", () => {
  const { log, lines } = capture("info", "text");
  log.info("e", {
    a: "plain",
    b: "two words",
    c: 'say "hi"',
    d: "k=v",
    e: "back\\slash",
    f: "",
    g: 42,
    h: null,
    i: undefined,
  });
  assertEquals(
    lines[0],
    '2026-11-27T00:50:00.000Z INFO e a=plain b="two words" c="say \\"hi\\"" d="k=v" e="back\\\\slash" f="" g=42 h=null',
  );
});

Deno.test("text format cannot be forged or carry escapes via a client value", () => {
  for (const nick of HOSTILE) {
    const { log, lines } = capture("info", "text");
    log.info("joined", { nick, reason: nick });
    assertEquals(lines.length, 1);
    assertOneSafeLine(lines[0]);
    // The value is one quoted token that decodes back to exactly what was sent.
    const match = lines[0].match(/ nick=("(?:[^"\\]|\\.)*") reason=/);
    assertEquals(match !== null, true, `no quoted nick in ${lines[0]}`);
    assertEquals(JSON.parse(match![1]), nick);
  }
});

Deno.test("text format escapes the forged-line attack in the obvious way", () => {
  const { log, lines } = capture("info", "text");
  log.info("joined", { nick: "x\n2026-11-27T00:50:00.000Z ERROR forged" });
  assertEquals(
    lines[0],
    '2026-11-27T00:50:00.000Z INFO joined nick="x\\n2026-11-27T00:50:00.000Z ERROR forged"',
  );
});

Deno.test("text format escapes C1, bidi and line separators as \\uXXXX", () => {
  const { log, lines } = capture("info", "text");
  log.info("e", { v: "\x9b\u202e\u2028\x7f" });
  assertEquals(lines[0].endsWith(' v="\\u009b\\u202e\\u2028\\u007f"'), true);
});

Deno.test("text format quotes an unsafe event name and sanitizes keys", () => {
  const { log, lines } = capture("info", "text");
  log.info("bad event\n", { "bad key=\n": 1 });
  assertEquals(
    lines[0],
    '2026-11-27T00:50:00.000Z INFO "bad event\\n" bad_key__=1',
  );
});

Deno.test("JSON format escapes every unsafe character and stays parseable", () => {
  for (const nick of HOSTILE) {
    const { log, lines } = capture("info", "json");
    log.info("joined", { nick });
    assertEquals(lines.length, 1);
    assertOneSafeLine(lines[0]);
    const record = JSON.parse(lines[0]);
    assertEquals(record.nick, nick);
    assertEquals(record.event, "joined");
  }
  const { log, lines } = capture("info", "json");
  log.info("e", { v: "\u2028\u2029\x85\u202e" });
  assertMatch(lines[0], /"v":"\\u2028\\u2029\\u0085\\u202e"/);
});

Deno.test("JSON format keeps time, level and event from being overwritten", () => {
  const { log, lines } = capture("info", "json");
  log.error("real", { level: "debug", event: "fake", time: "then" });
  assertEquals(JSON.parse(lines[0]), {
    time: "2026-11-27T00:50:00.000Z",
    level: "error",
    event: "real",
    field_level: "debug",
    field_event: "fake",
    field_time: "then",
  });
});

Deno.test("createLogger() formats errors, bigints, dates and objects", () => {
  const text = capture("info", "text");
  const json = capture("info", "json");
  const fields = {
    err: new RangeError("bad\nthing"),
    n: 10n,
    at: FIXED,
    obj: { a: [1, "b c"] },
  };
  text.log.info("e", fields);
  json.log.info("e", fields);
  assertEquals(
    text.lines[0],
    '2026-11-27T00:50:00.000Z INFO e err="RangeError: bad\\nthing" n=10 at=2026-11-27T00:50:00.000Z obj="{\\"a\\":[1,\\"b c\\"]}"',
  );
  const record = JSON.parse(json.lines[0]);
  assertEquals(record.err, { name: "RangeError", message: "bad\nthing" });
  assertEquals(record.n, "10");
  assertEquals(record.at, "2026-11-27T00:50:00.000Z");
  assertEquals(record.obj, { a: [1, "b c"] });
});

Deno.test("createLogger() survives a cyclic field and a throwing writer", () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const text = capture("info", "text");
  text.log.info("e", { cyclic });
  assertEquals(text.lines[0].endsWith(" cyclic=[unserializable]"), true);
  const json = capture("info", "json");
  json.log.info("e", { cyclic });
  assertEquals(JSON.parse(json.lines[0]).fields, "[unserializable]");
  const log = createLogger({
    level: "info",
    format: "text",
    write: () => {
      throw new Error("stderr closed");
    },
  });
  log.info("still fine");
});

Deno.test("isLogLevel() and isLogFormat() accept only known names", () => {
  assertEquals(["debug", "info", "warn", "error"].every(isLogLevel), true);
  assertEquals(isLogLevel("verbose"), false);
  assertEquals(isLogFormat("json") && isLogFormat("text"), true);
  assertEquals(isLogFormat("xml"), false);
});
