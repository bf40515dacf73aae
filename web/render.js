/**
 * What the page shows for one room event, as data: the `[HH:MM]` stamp in
 * the viewer's own time zone and the words every client shows
 * (`eventText` from protocol/plain.ts, bundled into protocol.js), split into
 * parts so the sender's nickname can be colored. Pure: no DOM, so Deno tests
 * it directly; app.js puts the parts on the page with `textContent` only.
 */
import { eventText, formatClock, isReplayed, nicknameKey } from "./protocol.js";

/** How many nickname colors style.css defines (`.nick-0` ... `.nick-11`). */
export const NICK_COLORS = 12;

/** The style of each event's line. */
const KINDS = {
  message: "message",
  scheduled: "scheduled",
  join: "membership",
  leave: "membership",
  kick: "alert",
  rename: "membership",
  presence: "membership",
  owner: "alert",
  welcome: "welcome",
  nick_refused: "alert",
  whisper: "whisper",
  users: "info",
  notice: "info",
  error: "error",
  schedule_ok: "scheduled",
  schedules: "scheduled",
  unscheduled: "scheduled",
  schedule_dropped: "alert",
  kicked: "error",
  bye: "error",
};

/**
 * @typedef {{ text: string, nick?: string }} Part
 * @typedef {{
 *   time: string,
 *   text: string,
 *   parts: Part[],
 *   kind: string,
 *   history: boolean,
 *   mention: boolean,
 * }} Line
 */

/**
 * The line for `event`; `self` is the viewer's nickname, for mentions.
 * `text` is exactly `eventText(event)`, and the parts join up to it.
 * @returns {Line}
 */
export function renderEvent(event, self) {
  const text = eventText(event);
  const history = isReplayed(event);
  let parts = [{ text }];
  const from = "from" in event ? event.from : undefined;
  if ((event.type === "message") && text.startsWith(`${from}: `)) {
    parts = [{ text: from, nick: from }, { text: text.slice(from.length) }];
  }
  const mention = event.type === "message" && !history && self !== undefined &&
    nicknameKey(from) !== nicknameKey(self) && mentions(event.text, self);
  return {
    time: formatClock(event.at),
    text,
    parts,
    kind: KINDS[event.type] ?? "info",
    history,
    mention,
  };
}

/** A line the page says itself (a lost connection, a greeting), at the viewer's time now. */
export function localLine(text, kind = "info", now = Date.now()) {
  return { time: formatClock(now), text, parts: [{ text }], kind, history: false, mention: false };
}

/**
 * Which of the NICK_COLORS a nickname gets; the same member always gets the
 * same one. FNV-1a of the comparison key, as `chat join` picks its colors.
 */
export function nickColor(nick) {
  const key = nicknameKey(nick);
  let hash = 0x811c9dc5;
  for (let index = 0; index < key.length; index++) {
    hash ^= key.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0) % NICK_COLORS;
}

/** Whether `text` names `nick` as a whole word (optionally after "@"), ignoring case. */
export function mentions(text, nick) {
  if (nick === "") return false;
  const escaped = nick.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^\\p{L}\\p{N}_])@?${escaped}($|[^\\p{L}\\p{N}_])`, "iu").test(text);
}
