import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import type { ServerEvent } from "../protocol/events.ts";
import { plainLine } from "../protocol/plain.ts";
import { colorEnabled, nickColor, renderEvent } from "../client/render.ts";

const AT = Date.UTC(2026, 0, 2, 3, 4);
const ESCAPE = /[\x1b\x9b]/;
const PLAIN = { color: false };
const COLOR = { color: true };

/** Removes SGR sequences, to compare the words of a colored line. */
function stripStyles(line: string): string {
  return line.replace(/\x1b\[[0-9;]*m/g, "");
}

const EVERY_EVENT: ServerEvent[] = [
  { type: "message", seq: 1, at: AT, from: "alice", text: "hello" },
  { type: "scheduled", seq: 2, at: AT, from: "alice", text: "standup", late: true },
  { type: "join", seq: 3, at: AT, nick: "bob" },
  { type: "leave", seq: 4, at: AT, nick: "bob", reason: "timeout" },
  { type: "kick", seq: 5, at: AT, nick: "eve", by: "alice" },
  { type: "rename", seq: 6, at: AT, from: "bob", to: "rob" },
  { type: "owner", seq: 7, at: AT, nick: "rob" },
  { type: "welcome", at: AT, nick: "carol", owner: true, seq: 7 },
  { type: "nick_refused", at: AT, nick: "alice", reason: 'Nickname "alice" is taken.' },
  { type: "whisper", at: AT, from: "alice", to: "carol", text: "psst", direction: "in" },
  { type: "whisper", at: AT, from: "carol", to: "alice", text: "hi", direction: "out" },
  { type: "users", at: AT, nicks: ["alice", "carol"], owner: "alice" },
  { type: "notice", at: AT, text: "Flood control: slow down." },
  { type: "error", at: AT, text: 'Unknown command "/x".' },
  { type: "schedule_ok", at: AT, id: 3, due: AT + 60_000, text: "later" },
  { type: "schedules", at: AT, items: [{ id: 3, due: AT, from: "carol", text: "later" }] },
  { type: "kicked", at: AT, text: "You were kicked by alice." },
  { type: "bye", at: AT, reason: "server shutting down" },
  { type: "message", seq: 1, at: AT, from: "alice", text: "old", history: true },
];

Deno.test("renderEvent() without color shows the line a plain client gets (docs/protocol.md), no escapes", () => {
  for (const event of EVERY_EVENT) {
    const line = renderEvent(event, PLAIN);
    // plainLine's wording is checked against the documentation in protocol_doc_test.ts.
    assertEquals(`${line.replaceAll("\n", "\r\n")}\r\n`, plainLine(event));
    assert(!ESCAPE.test(line));
    // Only a multi-line event (the schedule list here) has line breaks, never "\r".
    assert(!line.includes("\r"));
    assert(event.type === "schedules" || !line.includes("\n"), line);
  }
});

Deno.test("renderEvent() with color keeps the same words under the styles", () => {
  for (const event of EVERY_EVENT) {
    const plain = renderEvent(event, PLAIN);
    assertEquals(stripStyles(renderEvent(event, COLOR)), plain);
    assertEquals(stripStyles(renderEvent(event, { color: true, self: "carol" })), plain);
  }
});

Deno.test("renderEvent() strips escape sequences a hostile server slips into any field", () => {
  const evil = "\x1b]0;pwned\x07\x1b[2J\x9b31m\u202e";
  const events: ServerEvent[] = [
    { type: "message", seq: 1, at: AT, from: `mal${evil}`, text: `hi${evil}there` },
    { type: "scheduled", seq: 1, at: AT, from: evil, text: evil },
    { type: "join", seq: 1, at: AT, nick: evil },
    { type: "leave", seq: 1, at: AT, nick: evil, reason: evil },
    { type: "kick", seq: 1, at: AT, nick: evil, by: evil },
    { type: "rename", seq: 1, at: AT, from: evil, to: evil },
    { type: "owner", seq: 1, at: AT, nick: evil },
    { type: "welcome", at: AT, nick: evil, owner: false, seq: 1 },
    { type: "nick_refused", at: AT, nick: evil, reason: evil },
    { type: "whisper", at: AT, from: evil, to: evil, text: evil, direction: "in" },
    { type: "users", at: AT, nicks: [evil, "ok"], owner: evil },
    { type: "notice", at: AT, text: evil },
    { type: "error", at: AT, text: evil },
    { type: "schedule_ok", at: AT, id: 1, due: AT, text: evil },
    { type: "schedules", at: AT, items: [{ id: 1, due: AT, from: evil, text: evil }] },
    { type: "kicked", at: AT, text: evil },
    { type: "bye", at: AT, reason: evil },
  ];
  for (const event of events) {
    const plain = renderEvent(event, PLAIN);
    assert(!ESCAPE.test(plain), `plain ${event.type}: ${JSON.stringify(plain)}`);
    assert(!plain.includes("\u202e") && !plain.includes("\x07"));
    // With color, the only escapes left are our own SGR styles.
    const colored = stripStyles(renderEvent(event, COLOR));
    assert(!ESCAPE.test(colored), `color ${event.type}: ${JSON.stringify(colored)}`);
  }
  assert(renderEvent(events[0], PLAIN).endsWith("] mal: hithere"));
});

Deno.test("renderEvent() shows the time in the viewer's own time zone", async () => {
  const event = { type: "notice", at: 0, text: "epoch" };
  const script = `
    import { renderEvent } from "${new URL("../client/render.ts", import.meta.url)}";
    console.log(renderEvent(${JSON.stringify(event)}, { color: false }));
  `;
  const expected = { "Asia/Seoul": "[09:00] epoch", "America/New_York": "[19:00] epoch" };
  for (const [zone, line] of Object.entries(expected)) {
    const output = await new Deno.Command(Deno.execPath(), {
      args: ["eval", script],
      env: { TZ: zone, NO_COLOR: "1" },
      stdout: "piped",
      stderr: "inherit",
    }).output();
    assertEquals(new TextDecoder().decode(output.stdout).trim(), line, zone);
  }
});

Deno.test("nickColor() gives a nickname the same color every time, whatever its case", () => {
  for (const [shown, typed] of [["Alice", "alice"], ["Bob", "bob"], ["CAROL", "carol"]]) {
    assertEquals(nickColor(shown), nickColor(typed), `${shown} and ${typed}`);
  }
  assertEquals(nickColor("ＡＬＩＣＥ"), nickColor("alice"), "NFKC folds full-width letters");
  assertMatch(nickColor("alice"), /^\x1b\[38;5;\d+m$/);
  const colors = new Set(["alice", "bob", "carol", "dave", "eve", "mallory", "trent", "민수"].map(
    nickColor,
  ));
  assert(colors.size >= 4, "different nicknames spread over the palette");
});

Deno.test("renderEvent() colors the nickname of a message with its stable color", () => {
  const line = renderEvent(EVERY_EVENT[0], COLOR);
  assert(line.includes(`${nickColor("alice")}alice`), JSON.stringify(line));
});

Deno.test("renderEvent() styles whispers magenta italic, errors red, notices dim", () => {
  const whisper = renderEvent(EVERY_EVENT[9], COLOR);
  assert(whisper.includes("\x1b[35m\x1b[3m"), JSON.stringify(whisper));
  const error = renderEvent(EVERY_EVENT[13], COLOR);
  assert(error.includes("\x1b[31m"), JSON.stringify(error));
  const notice = renderEvent(EVERY_EVENT[12], COLOR);
  assert(notice.includes("\x1b[2mFlood"), JSON.stringify(notice));
  const scheduled = renderEvent(EVERY_EVENT[1], COLOR);
  assert(scheduled.includes("\x1b[36m"), JSON.stringify(scheduled));
  assert(renderEvent(EVERY_EVENT[4], COLOR).includes("\x1b[33m"), "kick is yellow");
});

Deno.test("renderEvent() dims history replay and marks it", () => {
  const line = renderEvent(EVERY_EVENT.at(-1)!, COLOR);
  assert(line.includes("\x1b[2m(history) "), JSON.stringify(line));
});

Deno.test("renderEvent() brings the line style back after a colored nickname", () => {
  const line = renderEvent(EVERY_EVENT[3], COLOR); // "‣ bob left the chat (timeout)."
  const afterNick = line.slice(line.indexOf("bob") + 3);
  assert(afterNick.startsWith("\x1b[0m\x1b[2m"), JSON.stringify(afterNick));
  assert(line.endsWith("\x1b[0m"), "the line ends with a reset");
});

Deno.test("renderEvent() makes a message that mentions the viewer stand out", () => {
  const mention = {
    type: "message",
    seq: 1,
    at: AT,
    from: "bob",
    text: "hey Carol, look",
  } as const;
  assert(renderEvent(mention, { color: true, self: "carol" }).includes("\x1b[1mhey Carol"));
  assert(!renderEvent(mention, { color: true, self: "caro" }).includes("\x1b[1mhey"));
  assert(!renderEvent(mention, COLOR).includes("\x1b[1mhey"));
});

Deno.test("colorEnabled() is off when NO_COLOR is set to anything non-empty", () => {
  const saved = Deno.env.get("NO_COLOR");
  const savedTerm = Deno.env.get("TERM");
  try {
    Deno.env.set("TERM", "xterm-256color");
    Deno.env.set("NO_COLOR", "1");
    assertEquals(colorEnabled({ isTerminal: () => true }), false);
    Deno.env.set("NO_COLOR", "");
    assertEquals(colorEnabled({ isTerminal: () => true }), true, "an empty NO_COLOR is unset");
    Deno.env.delete("NO_COLOR");
    assertEquals(colorEnabled({ isTerminal: () => true }), true);
    assertEquals(colorEnabled({ isTerminal: () => false }), false, "not a terminal");
    Deno.env.set("TERM", "dumb");
    assertEquals(colorEnabled({ isTerminal: () => true }), false, "a dumb terminal");
  } finally {
    if (saved === undefined) Deno.env.delete("NO_COLOR");
    else Deno.env.set("NO_COLOR", saved);
    if (savedTerm === undefined) Deno.env.delete("TERM");
    else Deno.env.set("TERM", savedTerm);
  }
});
