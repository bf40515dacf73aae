/**
 * `readServerEvent()`: what a client makes of each JSON value a room sends.
 * The hostile lines come from tests/support/hostile_lines.ts, which the
 * hostile server test sends to the real `chat join`; here each is read
 * alone. That every event the real room sends reads as valid is checked
 * where the room's tests record them (tests/support/recording_outbox.ts and
 * the room fuzz test).
 */
import { assert, assertEquals } from "./support/assert.ts";
import { parseServerEvent, readServerEvent } from "../protocol/events.ts";
import { hostileLines } from "./support/hostile_lines.ts";

const AT = Date.UTC(2026, 0, 2, 3, 4);

function parsed(line: string): { value: unknown } | null {
  try {
    return { value: JSON.parse(line) };
  } catch {
    return null;
  }
}

Deno.test("readServerEvent() accepts each well-formed hostile event, flags each malformed one and skips each unknown type", () => {
  let seq = 0;
  for (const { name, line, expect } of hostileLines(AT, () => ++seq)) {
    const json = parsed(line);
    if (json === null) {
      // Not JSON at all: the client's framing decides (a plain line, or malformed).
      assert(expect !== "unknown", name);
      continue;
    }
    const reading = readServerEvent(json.value);
    assertEquals(
      reading.kind,
      expect === "shown" ? "event" : expect,
      `${name}: ${line.slice(0, 200)}`,
    );
    assertEquals(parseServerEvent(json.value) !== null, expect === "shown", name);
  }
});

Deno.test("readServerEvent() says what is wrong in its own words, never the room's", () => {
  const cases: [unknown, string][] = [
    [[1, 2], "an array, not an object"],
    ["\x1b]0;x\x07", "a string, not an object"],
    [null, "null, not an object"],
    [{ type: 42 }, 'an object without a "type" string'],
    [{ type: "owner", seq: 1, at: AT, nick: "a", for: 7 }, 'an owner event with a malformed "for"'],
    [{ type: "message", seq: 1, at: AT, from: "bob" }, 'a message event without "text"'],
    [
      { type: "message", seq: "\x1b[31m", at: AT, from: "bob", text: "" },
      'a message event with a malformed "seq"',
    ],
    [
      { type: "schedules", at: AT, items: [{ id: "\x1b]0;x\x07", due: AT, from: "a", text: "" }] },
      'a schedules event with a malformed "items"',
    ],
  ];
  for (const [value, problem] of cases) {
    assertEquals(readServerEvent(value), { kind: "malformed", problem });
  }
  assertEquals(readServerEvent({ type: "poll\x1b]0;x\x07", at: AT }).kind, "unknown");
});

Deno.test("readServerEvent() keeps an event's unknown fields and accepts what a newer room may leave out", () => {
  const event = { type: "notice", at: AT, text: "hi", level: { deep: [1, { x: null }] } };
  assertEquals(readServerEvent(event), { kind: "event", event });
  // Optional fields absent, and an owner event without stand-in.
  for (
    const value of [
      { type: "welcome", at: AT, nick: "ana", owner: true, seq: 0 },
      { type: "owner", seq: 3, at: AT, nick: "bob" },
      { type: "users", at: AT, nicks: [], owner: null },
      { type: "schedules", at: AT, items: [] },
      { type: "message", seq: 0, at: -AT, from: "", text: "", history: false },
    ]
  ) {
    assertEquals(readServerEvent(value).kind, "event", JSON.stringify(value));
  }
});

Deno.test("readServerEvent() takes the edges of its numbers exactly", () => {
  const message = (fields: Record<string, unknown>) => ({
    type: "message",
    seq: 1,
    at: AT,
    from: "bob",
    text: "",
    ...fields,
  });
  const valid = (value: unknown) => readServerEvent(value).kind === "event";
  assert(valid(message({ seq: Number.MAX_SAFE_INTEGER })));
  assert(!valid(message({ seq: Number.MAX_SAFE_INTEGER + 1 })));
  assert(valid(message({ seq: 0 })));
  assert(!valid(message({ seq: -1 })));
  assert(valid(message({ at: 8.64e15 })) && valid(message({ at: -8.64e15 })));
  assert(!valid(message({ at: 8.64e15 + 1 })));
  assert(!valid(message({ at: Infinity })));
  const refused = (wait: unknown) => ({
    type: "nick_refused",
    at: AT,
    nick: "a",
    reason: "",
    wait,
  });
  assert(valid(refused(0)) && valid(refused(0.5)));
  assert(!valid(refused(-0.5)) && !valid(refused(Infinity)) && !valid(refused("1")));
});
