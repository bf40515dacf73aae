/**
 * Text safety and nickname rules, shared by server and client.
 *
 * The server strips dangerous characters from every message and refuses them
 * in nicknames; the client strips them again before printing, so no escape
 * sequence one user sends can reach another user's terminal.
 */

/**
 * The mark that starts every line the room itself says about its members
 * (joins, leaves, kicks, renames, ownership, the topic). No member can type
 * it: it is removed from all user text, so a message can never pass for one
 * of those lines, however it is padded or wrapped on someone's screen.
 */
export const SYSTEM_MARK = "\u2023"; // ‣ TRIANGULAR BULLET: one column in every locale

/**
 * C0 controls, DEL, C1 controls, and characters that reorder, hide or fake
 * text on screen: bidi embeddings, overrides, isolates and marks (U+200E,
 * U+200F, U+061C), zero-width characters (U+200B, U+200C, U+FEFF; U+200D
 * too, but for the joiner inside an emoji sequence, see EMOJI_JOINER), line
 * and paragraph separators (U+2028, U+2029), tag characters (U+E0000-U+E007F,
 * hidden text), and the system mark.
 */
const UNSAFE =
  /[\u0000-\u0008\u000A-\u001F\u007F-\u009F\u061C\u200B\u200C\u200E\u200F\u2028-\u202E\u2066-\u2069\uFEFF\u2023]|[\u{E0000}-\u{E007F}]/gu;
/** A zero-width joiner that does not join two emoji ("👨‍👩‍👧" keeps its joiners). */
const STRAY_JOINER =
  /(?<![\p{Extended_Pictographic}\uFE0F\u{1F3FB}-\u{1F3FF}])\u200D|\u200D(?!\p{Extended_Pictographic})/gu;
const UNSAFE_TEST =
  /[\u0000-\u001F\u007F-\u009F\u061C\u200B-\u200F\u2028-\u202E\u2066-\u2069\uFEFF\u2023]|[\u{E0000}-\u{E007F}]/u;
/** A variation selector or combining mark at the start draws onto what comes before the text. */
const LEADING_MARKS = /^[\p{M}\uFE00-\uFE0F\u{E0100}-\u{E01EF}]+/u;
/** Runs of whitespace longer than this are cut to it: no padding a line onto a fresh row. */
export const MAX_SPACE_RUN = 8;
const LONG_SPACE_RUN = /\s{9,}/u;
const LONG_SPACE_RUNS = /\s{9,}/gu;

/**
 * Whole escape sequences (CSI, OSC, and two-character escapes), removed as a
 * unit so no stray "[31m" is left behind once the ESC itself is gone.
 */
const ESCAPE_SEQUENCE =
  /\u001B(?:\[[0-?]*[ -/]*[@-~]?|\][^\u0007\u001B]*(?:\u0007|\u001B\\)?|[@-Z\\-_])|\u009B[0-?]*[ -/]*[@-~]?/g;

/**
 * Makes a line of chat text safe to show: unsafe characters (above) and
 * whole escape sequences removed, a tab made a space, a leading combining
 * mark or variation selector dropped, and whitespace runs cut to eight.
 */
export function sanitizeText(text: string): string {
  let safe = text;
  if (UNSAFE_TEST.test(safe)) {
    safe = safe.replace(ESCAPE_SEQUENCE, "").replaceAll("\t", " ").replace(UNSAFE, "")
      .replace(STRAY_JOINER, "");
  }
  if (LEADING_MARKS.test(safe)) safe = safe.replace(LEADING_MARKS, "");
  if (LONG_SPACE_RUN.test(safe)) safe = safe.replace(LONG_SPACE_RUNS, " ".repeat(MAX_SPACE_RUN));
  return safe;
}

/**
 * A pasted block of lines: each line made safe as `sanitizeText` does, line
 * breaks kept ("\r\n" becomes "\n"), and blank lines at either end dropped.
 */
export function sanitizeLines(text: string): string {
  const lines = text.split(/\r?\n|\r/).map((line) => sanitizeText(line).trimEnd());
  while (lines.length > 0 && lines[0].trim() === "") lines.shift();
  while (lines.length > 0 && lines.at(-1)!.trim() === "") lines.pop();
  return lines.join("\n");
}

/**
 * Whether `text` names `nick` as a whole word (an "@" before it allowed),
 * ignoring case: "ana", "@Ana:" and "hi ana!" mention ana; "banana" does not.
 */
export function mentionsNick(text: string, nick: string): boolean {
  if (nick === "") return false;
  const escaped = nick.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^\\p{L}\\p{N}_])@?${escaped}($|[^\\p{L}\\p{N}_])`, "iu").test(text);
}

/** Longest nickname, in characters (code points). */
export const MAX_NICK_CHARS = 32;

const NICK_CHARS = /^[\p{L}\p{M}\p{N}_.\-]+$/u;

/** Why a nickname is not acceptable, or null when it is. */
export function nicknameProblem(nick: string): string | null {
  // JSON.stringify escapes C0 but leaves DEL, C1 and bidi controls raw; the
  // refusal goes back to a terminal, so escape those too.
  const shown = JSON.stringify(nick).replace(
    /[\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g,
    (char) => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`,
  );
  if (nick.length === 0) return "A nickname cannot be empty.";
  if (nick.startsWith("/")) return `Nickname ${shown} cannot start with "/".`;
  if (/\s/u.test(nick)) return `Nickname ${shown} cannot contain spaces.`;
  if (/[\p{Cc}\p{Cf}]/u.test(nick)) {
    return `Nickname ${shown} cannot contain control or format characters.`;
  }
  const length = [...nick].length;
  if (length > MAX_NICK_CHARS) {
    return `Nickname ${shown} is too long (${length} characters; at most ${MAX_NICK_CHARS}).`;
  }
  if (!NICK_CHARS.test(nick)) {
    return `Nickname ${shown} may only contain letters, digits, "_", "-" and ".".`;
  }
  return null;
}

/**
 * The key two nicknames are compared by: NFKC, then case-folded, so
 * "Alice", "alice" and full-width "ａｌｉｃｅ" are the same name.
 */
export function nicknameKey(nick: string): string {
  return nick.normalize("NFKC").toLowerCase().normalize("NFKC");
}

/** The form a nickname is stored and shown in. */
export function normalizeNickname(nick: string): string {
  return nick.trim().normalize("NFC");
}
