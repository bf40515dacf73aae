/**
 * The input line of `chat join` as pure state: the text being typed, the
 * cursor, and the history of submitted lines. No terminal I/O happens here;
 * `Screen` draws the state and `KeyDecoder` supplies the keys.
 *
 * The text is held as grapheme clusters, so the cursor moves over "한",
 * "é" (e + combining accent) or a family emoji in one step and a Backspace
 * never leaves half a character behind.
 *
 * ```ts
 * const result = editor.apply(key);
 * if (result === null) return; // nothing changed
 * if ("submit" in result) send(result.submit);
 * if ("quit" in result) leave();
 * screen.showInput(prompt, editor.state); // after any non-null result
 * ```
 */
import type { Key } from "./key_decoder.ts";
import { splitGraphemes } from "./text_width.ts";

/** What `LineEditor.apply()` did; after any non-null result, redraw the input line. */
export type EditResult =
  /** Enter on a non-blank line: send it. The input line is now empty. */
  | { submit: string }
  /** Ctrl-C, or Ctrl-D on an empty line: the user wants to leave. */
  | { quit: true }
  /** The line or cursor changed; `clearScreen` asks for a clean screen (Ctrl-L). */
  | { redraw: true; clearScreen?: true }
  /** Nothing changed (for example Left at the start of the line). */
  | null;

/** A snapshot of the input line, what `Screen.showInput()` draws. */
export interface InputLineState {
  /** The text as grapheme clusters. */
  readonly graphemes: readonly string[];
  /** Cursor position: how many graphemes lie before it (0..graphemes.length). */
  readonly cursor: number;
}

export interface LineEditorOptions {
  /**
   * Most UTF-8 bytes the input may hold (a pasted block included); typing
   * or pasting beyond it is cut off. Default 16384, the room's default paste
   * limit; `chat join` sets the room's own after the welcome.
   */
  maxBytes?: number;
  /** Submitted lines kept for Up/Down. Default 100. */
  historySize?: number;
}

const utf8 = new TextEncoder();

/** Input-line state machine: feed it keys with `apply()`. */
export class LineEditor {
  #graphemes: string[] = [];
  #cursor = 0;
  #history: string[] = [];
  /** Index into history of the line shown; history.length means the draft. */
  #historyIndex = 0;
  /** The unsubmitted line, kept while browsing history. */
  #draft = "";
  #maxBytes: number;
  #historySize: number;

  constructor(options: LineEditorOptions = {}) {
    this.#maxBytes = options.maxBytes ?? 16384;
    this.#historySize = options.historySize ?? 100;
  }

  /** The line as typed so far. */
  get text(): string {
    return this.#graphemes.join("");
  }

  /** Cursor position in graphemes. */
  get cursor(): number {
    return this.#cursor;
  }

  /** A snapshot for drawing; later edits do not change it. */
  get state(): InputLineState {
    return { graphemes: [...this.#graphemes], cursor: this.#cursor };
  }

  /** Submitted lines, oldest first. */
  get history(): readonly string[] {
    return this.#history;
  }

  /** The room's limit, once it is known. */
  set maxBytes(bytes: number) {
    this.#maxBytes = bytes;
  }

  /** Replaces the line (cursor at its end), for example to restore a draft. */
  setText(text: string): void {
    this.#graphemes = splitGraphemes(text);
    this.#cursor = this.#graphemes.length;
  }

  /** Applies one key and says what happened. */
  apply(key: Key): EditResult {
    switch (key.type) {
      case "text":
        return this.#insert(key.text);
      case "enter":
        return this.#submit();
      case "newline":
        return this.#insert("\n");
      case "backspace":
        if (this.#cursor === 0) return null;
        return this.#deleteRange(this.#cursor - 1, this.#cursor);
      case "delete":
        return this.#deleteRange(this.#cursor, this.#cursor + 1);
      case "left":
        return this.#moveTo(this.#cursor - 1);
      case "right":
        return this.#moveTo(this.#cursor + 1);
      case "home":
        return this.#moveTo(0);
      case "end":
        return this.#moveTo(this.#graphemes.length);
      case "word-left":
        return this.#moveTo(this.#wordStartBefore(this.#cursor));
      case "word-right":
        return this.#moveTo(this.#wordEndAfter(this.#cursor));
      case "kill-to-start":
        return this.#deleteRange(0, this.#cursor);
      case "kill-to-end":
        return this.#deleteRange(this.#cursor, this.#graphemes.length);
      case "kill-word":
        return this.#deleteRange(this.#wordStartBefore(this.#cursor), this.#cursor);
      case "up":
        return this.#recall(this.#historyIndex - 1);
      case "down":
        return this.#recall(this.#historyIndex + 1);
      case "redraw":
        return { redraw: true, clearScreen: true };
      case "interrupt":
        return { quit: true };
      case "eof":
        // Ctrl-D leaves only on an empty line, as in a shell; otherwise it deletes.
        if (this.#graphemes.length === 0) return { quit: true };
        return this.#deleteRange(this.#cursor, this.#cursor + 1);
      case "cursor-report":
        // Not an edit: the session hands it to the screen.
        return null;
    }
  }

  #insert(text: string): EditResult {
    const before = this.#graphemes.slice(0, this.#cursor).join("");
    const after = this.#graphemes.slice(this.#cursor).join("");
    const room = this.#maxBytes - utf8.encode(before).length - utf8.encode(after).length;
    const inserted = fitBytes(text, room);
    if (inserted === "") return null;
    // Segment again as a whole: a combining mark typed after "e" joins it.
    const joined = before + inserted + after;
    const cursorOffset = before.length + inserted.length;
    this.#graphemes = [];
    this.#cursor = 0;
    let offset = 0;
    for (const grapheme of splitGraphemes(joined)) {
      if (offset < cursorOffset) this.#cursor++;
      this.#graphemes.push(grapheme);
      offset += grapheme.length;
    }
    return { redraw: true };
  }

  #submit(): EditResult {
    const line = this.text;
    this.#graphemes = [];
    this.#cursor = 0;
    this.#draft = "";
    if (line.trim() === "") {
      // A blank line is not worth sending; just clear it.
      this.#historyIndex = this.#history.length;
      return line === "" ? null : { redraw: true };
    }
    if (this.#history.at(-1) !== line) {
      this.#history.push(line);
      if (this.#history.length > this.#historySize) this.#history.shift();
    }
    this.#historyIndex = this.#history.length;
    return { submit: line };
  }

  #deleteRange(start: number, end: number): EditResult {
    const from = Math.max(0, start);
    const to = Math.min(this.#graphemes.length, end);
    if (from >= to) return null;
    this.#graphemes.splice(from, to - from);
    this.#cursor = from;
    return { redraw: true };
  }

  #moveTo(position: number): EditResult {
    const clamped = Math.max(0, Math.min(this.#graphemes.length, position));
    if (clamped === this.#cursor) return null;
    this.#cursor = clamped;
    return { redraw: true };
  }

  #recall(index: number): EditResult {
    if (index < 0 || index > this.#history.length) return null;
    if (this.#historyIndex === this.#history.length) this.#draft = this.text;
    this.#historyIndex = index;
    this.setText(index === this.#history.length ? this.#draft : this.#history[index]);
    return { redraw: true };
  }

  /** Where the word before `position` starts: skip spaces, then non-spaces. */
  #wordStartBefore(position: number): number {
    let index = position;
    while (index > 0 && isSpace(this.#graphemes[index - 1])) index--;
    while (index > 0 && !isSpace(this.#graphemes[index - 1])) index--;
    return index;
  }

  /** Where the word after `position` ends: skip spaces, then non-spaces. */
  #wordEndAfter(position: number): number {
    const length = this.#graphemes.length;
    let index = position;
    while (index < length && isSpace(this.#graphemes[index])) index++;
    while (index < length && !isSpace(this.#graphemes[index])) index++;
    return index;
  }
}

function isSpace(grapheme: string): boolean {
  return /^\s+$/u.test(grapheme);
}

/** The longest prefix of `text`, in whole graphemes, that fits in `bytes` UTF-8 bytes. */
function fitBytes(text: string, bytes: number): string {
  if (bytes <= 0) return "";
  if (utf8.encode(text).length <= bytes) return text;
  let fitted = "";
  let used = 0;
  for (const grapheme of splitGraphemes(text)) {
    const size = utf8.encode(grapheme).length;
    if (used + size > bytes) break;
    fitted += grapheme;
    used += size;
  }
  return fitted;
}
