/**
 * Text safety and nickname rules, shared by server and client.
 *
 * The server strips dangerous characters from every message and refuses them
 * in nicknames; the client strips them again before printing, so no escape
 * sequence one user sends can reach another user's terminal.
 */

/**
 * C0 controls, DEL, C1 controls and the bidi embedding/override/isolate
 * characters that can reorder or hide text on screen.
 */
const UNSAFE = /[\u0000-\u0008\u000A-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/g;
const UNSAFE_TEST = /[\u0000-\u001F\u007F-\u009F\u202A-\u202E\u2066-\u2069]/;

/**
 * Whole escape sequences (CSI, OSC, and two-character escapes), removed as a
 * unit so no stray "[31m" is left behind once the ESC itself is gone.
 */
const ESCAPE_SEQUENCE =
  /\u001B(?:\[[0-?]*[ -/]*[@-~]?|\][^\u0007\u001B]*(?:\u0007|\u001B\\)?|[@-Z\\-_])|\u009B[0-?]*[ -/]*[@-~]?/g;

/** Removes unsafe characters from a line of chat text; a tab becomes a space. */
export function sanitizeText(text: string): string {
  if (!UNSAFE_TEST.test(text)) return text;
  return text.replace(ESCAPE_SEQUENCE, "").replaceAll("\t", " ").replace(UNSAFE, "");
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
