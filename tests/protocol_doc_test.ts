/**
 * docs/protocol.md is the contract for plain clients: every line in its
 * "Plain text" table is checked, text for text, against the line the server
 * renders for a matching event, and every event type has a row.
 */
import {
  CONVERSATION_EVENT_TYPES,
  PRIVATE_EVENT_TYPES,
  type ServerEvent,
} from "../protocol/events.ts";
import { CONTINUATION_INDENT, plainLine } from "../protocol/plain.ts";
import { formatClock } from "../protocol/time.ts";
import { assert, assertEquals } from "./support/assert.ts";

const AT = new Date(2026, 0, 15, 9, 12).getTime();
const DUE = new Date(2026, 0, 15, 9, 30).getTime();

/** For each row of the table, the event (or events) whose plain line it documents. */
const ROWS: Record<string, ServerEvent[]> = {
  "refused name": [{
    type: "nick_refused",
    at: AT,
    nick: "alice",
    reason: 'Nickname "alice" is already taken.',
  }],
  "welcome": [{ type: "welcome", at: AT, nick: "ana", owner: true, seq: 1 }],
  "welcome back": [{ type: "welcome", at: AT, nick: "ana", owner: false, seq: 1, resumed: true }],
  "history": [{
    type: "message",
    seq: 1,
    at: AT,
    from: "bob",
    text: "earlier message",
    history: true,
  }],
  "message": [{ type: "message", seq: 1, at: AT, from: "bob", text: "hello" }],
  "pasted block": [{
    type: "message",
    seq: 1,
    at: AT,
    from: "bob",
    text: "first line\nsecond line",
  }],
  "action": [{ type: "action", seq: 1, at: AT, from: "bob", text: "waves" }],
  "stand-in owner": [{ type: "owner", seq: 1, at: AT, nick: "bob", standIn: true, for: "ana" }],
  "topic set": [{ type: "topic", seq: 1, at: AT, text: "Exam on Friday", by: "ana" }],
  "topic cleared": [{ type: "topic", seq: 1, at: AT, text: "", by: "ana" }],
  "topic": [{ type: "current_topic", at: AT, text: "Exam on Friday", by: "ana", since: AT }],
  "cancelled by": [{
    type: "unscheduled",
    at: AT,
    id: 3,
    due: DUE,
    text: "stand-up!",
    by: "ana",
  }],
  "join": [{ type: "join", seq: 1, at: AT, nick: "bob" }],
  "churn summary": [{ type: "presence", seq: 1, at: AT, joined: 37, left: 37, seconds: 10 }],
  "leave": [{ type: "leave", seq: 1, at: AT, nick: "bob", reason: "quit" }],
  "kick": [{ type: "kick", seq: 1, at: AT, nick: "bob", by: "ana" }],
  "rename": [{ type: "rename", seq: 1, at: AT, from: "bob", to: "rob" }],
  "new owner": [{ type: "owner", seq: 1, at: AT, nick: "rob" }],
  "whisper in": [{
    type: "whisper",
    at: AT,
    from: "ana",
    to: "bob",
    text: "psst",
    direction: "in",
  }],
  "whisper out": [{
    type: "whisper",
    at: AT,
    from: "ana",
    to: "bob",
    text: "psst",
    direction: "out",
  }],
  "scheduled": [{ type: "scheduled", seq: 1, at: AT, from: "ana", text: "stand-up!" }],
  "user list": [{
    type: "users",
    at: AT,
    nicks: ["ana", "bob", "cy"],
    owner: "ana",
    members: [
      { nick: "ana", owner: true },
      { nick: "bob", away: "lunch" },
      { nick: "cy", reconnecting: true },
    ],
  }],
  "scheduled ok": [{ type: "schedule_ok", at: AT, id: 3, due: DUE, text: "stand-up!" }],
  "schedule list": [{
    type: "schedules",
    at: AT,
    items: [{ id: 3, due: DUE, from: "ana", text: "stand-up!" }],
  }],
  "no schedules": [{ type: "schedules", at: AT, items: [] }],
  "cancelled": [{ type: "unscheduled", at: AT, id: 3, due: DUE, text: "stand-up!" }],
  "not sent": [{ type: "schedule_dropped", at: AT, id: 3, due: DUE, text: "stand-up!" }],
  "replay skipped": [{ type: "gap", at: AT, count: 1200 }],
  "notice / error": [
    { type: "notice", at: AT, text: "<text>" },
    { type: "error", at: AT, text: "<text>" },
  ],
  "kicked": [{ type: "kicked", at: AT, text: "You have been kicked from the chat." }],
  "closing": [{ type: "bye", at: AT, reason: "<reason>" }],
};

/**
 * The rows of the table under "## Plain text": event name and the text it
 * documents, its first code span; a row that says "`a` then `b`" documents
 * the lines a and b.
 */
async function documentedLines(): Promise<Map<string, string>> {
  const doc = await Deno.readTextFile(new URL("../docs/protocol.md", import.meta.url));
  const section = doc.slice(doc.indexOf("## Plain text"), doc.indexOf("### Telnet"));
  const rows = new Map<string, string>();
  for (const line of section.split("\n")) {
    const match = /^\|\s*([^|]+?)\s*\|(.*)\|\s*$/.exec(line);
    if (!match || match[1] === "event" || match[1].startsWith("---")) continue;
    const spans = [...match[2].matchAll(/`([^`]+)`/g)].map((span) => span[1]);
    if (spans.length === 0) continue;
    // "`a` then `b`": line b follows, indented under the stamp.
    const [first, ...next] = spans;
    const continued = next.map((span) => `\r\n${CONTINUATION_INDENT}${span}`).join("");
    rows.set(match[1], match[2].includes(" then ") ? first + continued : first);
  }
  return rows;
}

Deno.test("every line in docs/protocol.md's plain-text table is what the server sends", async () => {
  const rows = await documentedLines();
  assertEquals([...rows.keys()].sort(), Object.keys(ROWS).sort());
  for (const [name, documented] of rows) {
    for (const event of ROWS[name]) {
      const expected = `${documented.replace("[HH:MM]", `[${formatClock(event.at)}]`)}\r\n`;
      assertEquals(plainLine(event), expected, `row "${name}"`);
    }
  }
});

Deno.test("docs/protocol.md's plain-text table documents every event type", () => {
  const documented = new Set(Object.values(ROWS).flat().map((event) => event.type));
  // Sent only after a structured handshake; the JSON table documents it.
  const structuredOnly = new Set(["challenge"]);
  for (const type of [...CONVERSATION_EVENT_TYPES, ...PRIVATE_EVENT_TYPES]) {
    if (structuredOnly.has(type)) continue;
    assert(documented.has(type), type);
  }
});
