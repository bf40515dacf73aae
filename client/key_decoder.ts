/**
 * Turns the bytes a terminal sends in raw mode into key events for the input
 * line.
 *
 * Feed every stdin chunk to `KeyDecoder.push()`; it returns the keys those
 * bytes completed. It keeps state between chunks because a terminal, or the
 * network in between, may split a UTF-8 character ("한" is three bytes), an
 * escape sequence ("\x1b[A") or a bracketed paste over several reads.
 *
 * Text never contains control characters: unknown escape sequences are
 * swallowed whole, and pasted text is stripped with `sanitizeText`, so nothing
 * a terminal sends can end up as an escape sequence in a chat line.
 */
import { sanitizeText } from "../protocol/text.ts";

/** One key press, or a run of typed or pasted text. */
export type Key =
  /** Printable text; consecutive characters of one chunk arrive as one key. */
  | { type: "text"; text: string }
  /** Enter: send the line. */
  | { type: "enter" }
  /** A line break inside a bracketed paste: the pasted block stays one message. */
  | { type: "newline" }
  /** Delete the character before the cursor (Backspace, Ctrl-H). */
  | { type: "backspace" }
  /** Delete the character under the cursor (Delete). */
  | { type: "delete" }
  | { type: "left" }
  | { type: "right" }
  /** Previous history entry (Up, Ctrl-P). */
  | { type: "up" }
  /** Next history entry (Down, Ctrl-N). */
  | { type: "down" }
  /** Start of the line (Home, Ctrl-A). */
  | { type: "home" }
  /** End of the line (End, Ctrl-E). */
  | { type: "end" }
  /** One word left (Ctrl-Left, Alt-B). */
  | { type: "word-left" }
  /** One word right (Ctrl-Right, Alt-F). */
  | { type: "word-right" }
  /** Delete from the start of the line to the cursor (Ctrl-U). */
  | { type: "kill-to-start" }
  /** Delete from the cursor to the end of the line (Ctrl-K). */
  | { type: "kill-to-end" }
  /** Delete the word before the cursor (Ctrl-W, Alt-Backspace). */
  | { type: "kill-word" }
  /** Clear the screen and redraw (Ctrl-L). */
  | { type: "redraw" }
  /** Ctrl-C. */
  | { type: "interrupt" }
  /** Ctrl-D. */
  | { type: "eof" }
  /** The terminal's answer to a cursor position request (ESC [ 6 n), 1-based. */
  | { type: "cursor-report"; row: number; column: number };

const ESC = 0x1b;
const CR = 0x0d;
const LF = 0x0a;
const TAB = 0x09;

/** Single-byte control keys outside a paste. */
const CONTROL_KEYS: ReadonlyMap<number, Key> = new Map<number, Key>([
  [0x01, { type: "home" }], // Ctrl-A
  [0x02, { type: "left" }], // Ctrl-B
  [0x03, { type: "interrupt" }], // Ctrl-C
  [0x04, { type: "eof" }], // Ctrl-D
  [0x05, { type: "end" }], // Ctrl-E
  [0x06, { type: "right" }], // Ctrl-F
  [0x08, { type: "backspace" }], // Ctrl-H, what some terminals send for Backspace
  [0x0b, { type: "kill-to-end" }], // Ctrl-K
  [0x0c, { type: "redraw" }], // Ctrl-L
  [0x0e, { type: "down" }], // Ctrl-N
  [0x10, { type: "up" }], // Ctrl-P
  [0x15, { type: "kill-to-start" }], // Ctrl-U
  [0x17, { type: "kill-word" }], // Ctrl-W
  [0x7f, { type: "backspace" }], // DEL, what most terminals send for Backspace
]);

/** Final bytes shared by CSI (`ESC [ x`) and SS3 (`ESC O x`) cursor keys. */
const CURSOR_FINALS: ReadonlyMap<string, Key> = new Map<string, Key>([
  ["A", { type: "up" }],
  ["B", { type: "down" }],
  ["C", { type: "right" }],
  ["D", { type: "left" }],
  ["H", { type: "home" }],
  ["F", { type: "end" }],
]);

/** `ESC [ n ~` keys by their number. */
const TILDE_KEYS: ReadonlyMap<string, Key> = new Map<string, Key>([
  ["1", { type: "home" }],
  ["7", { type: "home" }],
  ["4", { type: "end" }],
  ["8", { type: "end" }],
  ["3", { type: "delete" }],
]);

const PASTE_START = "200";
const PASTE_END_BYTES = [ESC, 0x5b, 0x32, 0x30, 0x31, 0x7e]; // ESC [ 2 0 1 ~

/** Longest escape sequence kept; anything longer is junk and is dropped. */
const MAX_SEQUENCE_BYTES = 64;

type State = "ground" | "escape" | "csi" | "ss3" | "paste";

/** Stateful decoder of raw-mode terminal input; see the module comment. */
export class KeyDecoder {
  #state: State = "ground";
  /** Parameter and intermediate bytes of the CSI sequence being read. */
  #sequence = "";
  /** Bytes of the paste end marker matched so far, held back until it is certain. */
  #pasteEndMatched = 0;
  /**
   * True when a chunk ended right after an ESC. Terminals send a whole escape
   * sequence in one write, so that ESC was most likely the Escape key alone,
   * and the next character must still be typed rather than read as Alt-key.
   */
  #escapeEndedChunk = false;
  /** True right after a CR, so that the LF of a CR LF pair is not a second Enter. */
  #afterCarriageReturn = false;
  /** Printable bytes waiting to be decoded into one text key. */
  #textBytes: number[] = [];
  #utf8 = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });
  #keys: Key[] = [];

  /** Decodes one chunk of input and returns the keys it completed, in order. */
  push(chunk: Uint8Array): Key[] {
    for (const byte of chunk) this.#feed(byte);
    // A multi-byte character may continue in the next chunk: decode in stream mode.
    this.#flushText(true);
    this.#escapeEndedChunk = this.#state === "escape";
    const keys = this.#keys;
    this.#keys = [];
    return keys;
  }

  /** True while inside a bracketed paste whose end marker has not arrived yet. */
  get inPaste(): boolean {
    return this.#state === "paste";
  }

  #feed(byte: number): void {
    const afterCarriageReturn = this.#afterCarriageReturn;
    this.#afterCarriageReturn = false;
    switch (this.#state) {
      case "ground":
        return this.#ground(byte, afterCarriageReturn);
      case "escape":
        return this.#escape(byte, afterCarriageReturn);
      case "csi":
        return this.#csi(byte, afterCarriageReturn);
      case "ss3":
        return this.#ss3(byte, afterCarriageReturn);
      case "paste":
        return this.#paste(byte, afterCarriageReturn);
    }
  }

  #ground(byte: number, afterCarriageReturn: boolean): void {
    if (byte >= 0x20 && byte !== 0x7f) {
      this.#textBytes.push(byte);
      return;
    }
    this.#flushText(false);
    if (byte === ESC) {
      this.#state = "escape";
    } else if (byte === CR) {
      this.#emit({ type: "enter" });
      this.#afterCarriageReturn = true;
    } else if (byte === LF) {
      if (!afterCarriageReturn) this.#emit({ type: "enter" });
    } else if (byte === TAB) {
      // A tab would render at an unpredictable width; the brief is one space.
      this.#emitText(" ");
    } else {
      const key = CONTROL_KEYS.get(byte);
      if (key) this.#emit(key);
    }
  }

  #escape(byte: number, afterCarriageReturn: boolean): void {
    this.#state = "ground";
    const loneEscape = this.#escapeEndedChunk;
    this.#escapeEndedChunk = false;
    if (byte === 0x5b) { // [
      this.#state = "csi";
      this.#sequence = "";
    } else if (byte === 0x4f) { // O
      this.#state = "ss3";
    } else if (loneEscape) {
      this.#ground(byte, afterCarriageReturn);
    } else if (byte === 0x7f || byte === 0x08) {
      this.#emit({ type: "kill-word" }); // Alt-Backspace
    } else if (byte === 0x62) {
      this.#emit({ type: "word-left" }); // Alt-B
    } else if (byte === 0x66) {
      this.#emit({ type: "word-right" }); // Alt-F
    } else if (byte >= 0x20 && byte < 0x7f) {
      // Some other Alt-key: swallowed, so "Alt-x" never types "x".
    } else {
      // A lone Escape followed by a control key or a non-ASCII character:
      // the Escape means nothing to us, the byte after it still counts.
      this.#ground(byte, afterCarriageReturn);
    }
  }

  #csi(byte: number, afterCarriageReturn: boolean): void {
    if (byte >= 0x20 && byte <= 0x3f) {
      this.#sequence += String.fromCharCode(byte);
      if (this.#sequence.length > MAX_SEQUENCE_BYTES) this.#state = "ground";
      return;
    }
    this.#state = "ground";
    if (byte < 0x40 || byte > 0x7e) {
      // Not a valid sequence: drop what was read, but keep this byte, so a
      // Ctrl-C or Enter right after line noise is never lost.
      this.#ground(byte, afterCarriageReturn);
      return;
    }
    const final = String.fromCharCode(byte);
    const parameters = this.#sequence;
    if (final === "~") {
      if (parameters === PASTE_START) {
        this.#state = "paste";
        this.#pasteEndMatched = 0;
        return;
      }
      const key = TILDE_KEYS.get(parameters.split(";")[0]);
      if (key) this.#emit(key);
      return;
    }
    const report = final === "R" && /^(\d+);(\d+)$/.exec(parameters);
    if (report) {
      this.#emit({ type: "cursor-report", row: Number(report[1]), column: Number(report[2]) });
      return;
    }
    const key = CURSOR_FINALS.get(final);
    if (!key) return;
    // "1;5C" is Ctrl-Right, "1;3D" Alt-Left: those move by words.
    const modifier = parameters.split(";")[1];
    if (modifier && modifier !== "1" && (final === "C" || final === "D")) {
      this.#emit({ type: final === "C" ? "word-right" : "word-left" });
    } else {
      this.#emit(key);
    }
  }

  #ss3(byte: number, afterCarriageReturn: boolean): void {
    this.#state = "ground";
    if (byte < 0x20 || byte === 0x7f) {
      this.#ground(byte, afterCarriageReturn);
      return;
    }
    const key = CURSOR_FINALS.get(String.fromCharCode(byte));
    if (key) this.#emit(key); // F1-F4 (ESC O P..S) and the like are swallowed.
  }

  #paste(byte: number, afterCarriageReturn: boolean): void {
    if (byte === PASTE_END_BYTES[this.#pasteEndMatched]) {
      this.#pasteEndMatched++;
      if (this.#pasteEndMatched === PASTE_END_BYTES.length) {
        this.#pasteEndMatched = 0;
        this.#flushText(false);
        this.#state = "ground";
      }
      return;
    }
    if (this.#pasteEndMatched > 0) {
      // What looked like the end marker was pasted text after all.
      const heldBack = PASTE_END_BYTES.slice(0, this.#pasteEndMatched);
      this.#pasteEndMatched = 0;
      for (const held of heldBack) this.#pastedByte(held, false);
      this.#paste(byte, false);
      return;
    }
    this.#pastedByte(byte, afterCarriageReturn);
  }

  /** Inside a paste every byte is text; line breaks stay line breaks, never Enter. */
  #pastedByte(byte: number, afterCarriageReturn: boolean): void {
    if (byte === CR || byte === LF) {
      this.#flushText(false);
      if (byte === CR || !afterCarriageReturn) this.#emit({ type: "newline" });
      this.#afterCarriageReturn = byte === CR;
    } else if (byte === TAB) {
      this.#textBytes.push(0x20);
    } else if (byte >= 0x20 && byte !== 0x7f) {
      this.#textBytes.push(byte);
    }
    // Other control bytes in pasted text are dropped.
  }

  #flushText(stream: boolean): void {
    if (this.#textBytes.length === 0 && stream) return;
    const text = this.#utf8.decode(new Uint8Array(this.#textBytes), { stream });
    this.#textBytes = [];
    this.#emitText(text);
  }

  #emitText(text: string): void {
    // C1 controls and bidi overrides can arrive as UTF-8; they never belong in a line.
    const safe = sanitizeText(text);
    if (safe === "") return;
    const last = this.#keys.at(-1);
    if (last?.type === "text") last.text += safe;
    else this.#keys.push({ type: "text", text: safe });
  }

  #emit(key: Key): void {
    // Copy, so a caller that mutates a key cannot change the shared tables.
    this.#keys.push({ ...key });
  }
}
