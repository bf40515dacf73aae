/**
 * Renders a room event as the one line `chat join` shows for it: a
 * `[HH:MM]` stamp in the viewer's own time zone, then the same wording a
 * plain `nc` user sees (`eventText`), styled when color is on.
 *
 * Each nickname gets a stable color picked by a hash of its comparison key,
 * so "Alice" and "alice" (the same member) always look the same. Whispers are
 * magenta italic, notices dim, errors red, membership changes dim or yellow,
 * scheduled messages cyan, history replay dim with a "(history)" marker.
 *
 * Everything that came from another user is passed through `sanitizeText`
 * again here, so even a hostile server cannot get an escape sequence to the
 * terminal; with color off the line contains no escape sequence at all.
 */
import { isReplayed, type ServerEvent } from "../protocol/events.ts";
import { eventText, indentContinuation } from "../protocol/plain.ts";
import { mentionsNick, nicknameKey, sanitizeLines, sanitizeText } from "../protocol/text.ts";
import { formatClock } from "../protocol/time.ts";
import { BOLD, color256, CYAN, DIM, GREEN, ITALIC, MAGENTA, RED, RESET, YELLOW } from "./ansi.ts";

export interface RenderOptions {
  /** Style with ANSI escape sequences; false gives plain text. */
  color: boolean;
  /** The viewer's own nickname: their messages and mentions of them stand out. */
  self?: string;
}

/**
 * 256-color codes readable on dark and light backgrounds, with the pure reds,
 * magentas and cyans left out because errors, whispers and scheduled lines
 * use them.
 */
const NICK_PALETTE = [25, 31, 33, 36, 64, 70, 97, 99, 130, 134, 166, 172] as const;

/**
 * The display lines for an event, without a trailing newline: one line, or
 * for a pasted block its first line and the rest indented under it.
 */
export function renderEvent(event: ServerEvent, options: RenderOptions): string {
  const replayed = isReplayed(event);
  const stamp = `[${formatClock(event.at)}]`;
  const marker = replayed ? "(history) " : "";

  if (!options.color) {
    const safe = mapUserText(event, sanitizeText, safeText);
    return `${stamp} ${marker}${indentContinuation(eventText(safe))}`;
  }

  const lineStyle = (replayed ? DIM : "") + styleOf(event);
  const selfKey = options.self === undefined ? undefined : nicknameKey(options.self);
  // A nick switches to its own color, then the line's style comes back.
  const styleNick = (nick: string) => {
    const safe = sanitizeText(nick);
    const own = selfKey !== undefined && nicknameKey(safe) === selfKey;
    return `${own ? BOLD : ""}${nickColor(safe)}${safe}${RESET}${lineStyle}`;
  };
  let styleText = safeText;
  if (isMention(event, options.self)) {
    styleText = (text: string) => `${BOLD}${safeText(text)}${RESET}${lineStyle}`;
  }
  const body = indentContinuation(eventText(mapUserText(event, styleNick, styleText)));
  return `${DIM}${stamp}${RESET} ${lineStyle}${marker}${body}${RESET}`;
}

/**
 * Whether a live chat line (not history, not one's own) names the viewer:
 * `chat join` highlights it and rings the bell.
 */
export function isMention(event: ServerEvent, self: string | undefined): boolean {
  if (self === undefined || isReplayed(event)) return false;
  if (event.type !== "message" && event.type !== "action") return false;
  if (nicknameKey(sanitizeText(event.from)) === nicknameKey(self)) return false;
  return mentionsNick(safeText(event.text), sanitizeText(self));
}

/** A user's text made safe to print, keeping the line breaks of a pasted block. */
function safeText(text: string): string {
  return text.includes("\n") ? sanitizeLines(text) : sanitizeText(text);
}

/** The escape sequence that colors `nick`; equal nicknames get equal colors. */
export function nickColor(nick: string): string {
  return color256(NICK_PALETTE[hashOf(nicknameKey(nick)) % NICK_PALETTE.length]);
}

/**
 * Whether to color output: not when NO_COLOR is set to anything non-empty
 * (no-color.org), not when TERM is "dumb", and only when stdout (or the
 * `output` given, for tests) is a terminal.
 */
export function colorEnabled(output: { isTerminal(): boolean } = Deno.stdout): boolean {
  if (readEnv("NO_COLOR")) return false;
  if (readEnv("TERM") === "dumb") return false;
  try {
    return output.isTerminal();
  } catch {
    return false;
  }
}

function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name);
  } catch {
    // Without --allow-env the variable cannot be read; treat it as unset.
    return undefined;
  }
}

/** The base style of an event's whole line. */
function styleOf(event: ServerEvent): string {
  switch (event.type) {
    case "message":
    case "users":
    case "current_topic":
      return "";
    case "action":
      return ITALIC;
    case "topic":
      return YELLOW;
    case "scheduled":
    case "schedule_ok":
    case "schedules":
    case "unscheduled":
      return CYAN;
    case "schedule_dropped":
      return YELLOW;
    case "whisper":
      return MAGENTA + ITALIC;
    case "join":
    case "leave":
    case "rename":
    case "notice":
    case "gap":
    case "presence":
      return DIM;
    case "kick":
    case "owner":
    case "nick_refused":
      return YELLOW;
    case "welcome":
    case "challenge":
      return GREEN;
    case "error":
    case "kicked":
    case "bye":
      return RED;
  }
}

/**
 * A copy of `event` with every nickname passed through `mapNick` and every
 * other piece of user-supplied text through `mapText`, so the shared wording
 * in `eventText` can be reused around styled, sanitized parts. Every string
 * field is mapped; the numbers and the types of all fields were checked when
 * the event was read (`readServerEvent` in protocol/events.ts).
 */
function mapUserText(
  event: ServerEvent,
  mapNick: (nick: string) => string,
  mapText: (text: string) => string,
): ServerEvent {
  switch (event.type) {
    case "message":
    case "action":
    case "scheduled":
      return { ...event, from: mapNick(event.from), text: mapText(event.text) };
    case "topic":
    case "current_topic":
      return { ...event, by: mapNick(event.by), text: sanitizeText(event.text) };
    case "join":
    case "welcome":
      return { ...event, nick: mapNick(event.nick) };
    case "challenge":
      return event;
    case "owner":
      return {
        ...event,
        nick: mapNick(event.nick),
        ...(event.for === undefined ? {} : { for: mapNick(event.for) }),
      };
    case "leave":
      return { ...event, nick: mapNick(event.nick), reason: sanitizeText(event.reason) };
    case "kick":
      return { ...event, nick: mapNick(event.nick), by: mapNick(event.by) };
    case "rename":
      return { ...event, from: mapNick(event.from), to: mapNick(event.to) };
    case "nick_refused":
      // The refused name is shown only inside the server's reason, as plain text.
      return { ...event, nick: sanitizeText(event.nick), reason: sanitizeText(event.reason) };
    case "whisper":
      return {
        ...event,
        from: mapNick(event.from),
        to: mapNick(event.to),
        text: mapText(event.text),
      };
    case "users":
      return {
        ...event,
        nicks: event.nicks.map(mapNick),
        owner: event.owner === null ? null : mapNick(event.owner),
        ...(event.members === undefined ? {} : {
          members: event.members.map((member) => ({
            ...member,
            nick: mapNick(member.nick),
            ...(member.away === undefined ? {} : { away: sanitizeText(member.away) }),
          })),
        }),
      };
    case "notice":
    case "error":
    case "kicked":
      return { ...event, text: sanitizeText(event.text) };
    case "gap":
    case "presence":
      // Only numbers, and readServerEvent() let through nothing else.
      return event;
    case "schedule_ok":
    case "schedule_dropped":
      return { ...event, text: sanitizeText(event.text) };
    case "unscheduled":
      return {
        ...event,
        text: sanitizeText(event.text),
        ...(event.by === undefined ? {} : { by: mapNick(event.by) }),
      };
    case "schedules":
      return {
        ...event,
        items: event.items.map((item) => ({
          ...item,
          from: sanitizeText(item.from),
          text: sanitizeText(item.text),
        })),
      };
    case "bye":
      return { ...event, reason: sanitizeText(event.reason) };
  }
}

/** FNV-1a over UTF-16 code units: tiny, fast, and stable across runs and platforms. */
function hashOf(text: string): number {
  let hash = 0x811c9dc5;
  for (let index = 0; index < text.length; index++) {
    hash ^= text.charCodeAt(index);
    hash = Math.imul(hash, 0x01000193);
  }
  return hash >>> 0;
}
