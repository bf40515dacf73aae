/**
 * web/render.js, the page's pure part, run by Deno: the words are exactly
 * `eventText()`'s, the parts join up to them, mentions and nickname colors
 * behave as in `chat join`. (tests/web_page_test.ts checks the same words
 * on the page in a browser.)
 */
import type { ServerEvent } from "../protocol/events.ts";
import { eventText } from "../protocol/plain.ts";
import { formatClock } from "../protocol/time.ts";
import { localLine, mentions, NICK_COLORS, nickColor, renderEvent } from "../web/render.js";
import { assert, assertEquals } from "./support/assert.ts";

const AT = Date.UTC(2026, 0, 15, 0, 7);

Deno.test("renderEvent() keeps eventText()'s words and colors only the sender's nickname", () => {
  const message: ServerEvent = { type: "message", seq: 1, at: AT, from: "민호", text: "안녕 🎉" };
  const line = renderEvent(message, "지수");
  assertEquals(line.text, eventText(message));
  assertEquals(line.time, formatClock(AT));
  assertEquals(line.parts, [{ text: "민호", nick: "민호" }, { text: ": 안녕 🎉" }]);
  assertEquals([line.kind, line.history, line.mention], ["message", false, false]);
  const whisper: ServerEvent = {
    type: "whisper",
    at: AT,
    from: "a",
    to: "b",
    text: "<b>x</b>",
    direction: "in",
  };
  assertEquals(renderEvent(whisper, "b").parts, [{ text: "[Whisper from a] <b>x</b>" }]);
  assertEquals(renderEvent(whisper, "b").kind, "whisper");
  const replayed = renderEvent({ ...message, history: true } as ServerEvent, "민호");
  assertEquals([replayed.history, replayed.mention], [true, false]);
});

Deno.test("a mention is the viewer's nickname as a whole word, any case, not from themselves", () => {
  const said = (from: string, text: string) =>
    renderEvent({ type: "message", seq: 1, at: AT, from, text }, "Ana").mention;
  assert(said("bob", "hi ana"));
  assert(said("bob", "@ANA look"));
  assert(said("bob", "지수, ana!"));
  assert(!said("bob", "banana"));
  assert(!said("bob", "anatomy"));
  assert(!said("ana", "I am ana"));
  assert(mentions("지수 are you there?", "지수"));
  assert(!mentions("지수야", "지수"));
  assert(!mentions("anything", ""));
});

Deno.test("nickColor() gives one member one color, whatever the case or width", () => {
  assertEquals(nickColor("Alice"), nickColor("alice"));
  assertEquals(nickColor("ａｌｉｃｅ"), nickColor("alice"));
  const colors = new Set(["ana", "bob", "carol", "dave", "eve", "지수", "민호"].map(nickColor));
  assert(colors.size > 3, "the colors spread");
  for (const color of colors) assert(color >= 0 && color < NICK_COLORS);
});

Deno.test("localLine() is stamped now and styled as asked", () => {
  assertEquals(localLine("Disconnected from server", "error", AT), {
    time: formatClock(AT),
    text: "Disconnected from server",
    parts: [{ text: "Disconnected from server" }],
    kind: "error",
    history: false,
    mention: false,
  });
});
