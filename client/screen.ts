/**
 * What `chat join` writes to the terminal: incoming lines scroll up above the
 * input line, and the input line stays intact on the bottom row.
 *
 * Every update is composed into one string and handed to the injected
 * `write` in one call, so an incoming message can never land in the middle of
 * a half-drawn prompt: `printAbove()` clears the input row, prints the line,
 * and redraws the prompt, the typed text and the cursor.
 *
 * The input line never wraps: when it is wider than the terminal it scrolls
 * sideways so the cursor stays visible, with "…" where text is hidden. A
 * pasted line break shows as "↵". Widths are counted in terminal columns,
 * so Hangul, CJK and emoji take two.
 *
 * Narrowing the window: most terminals (tmux, VTE, iTerm2, kitty, Windows
 * Terminal) reflow a row that no longer fits onto the next row and move the
 * cursor with it; xterm cuts it off instead. Only the terminal knows which
 * happened, so `resize()` asks it for the cursor position and
 * `cursorReport()` erases every row the old input line now covers before
 * drawing it again.
 *
 * When output is not a terminal (`tty: false`), there is no prompt and no
 * escape sequence: `printAbove()` writes the line and "\n", nothing else.
 */
import {
  CLEAR_BELOW,
  CLEAR_ROW,
  CLEAR_SCREEN,
  cursorToColumn,
  cursorUp,
  ESC,
  REQUEST_CURSOR_POSITION,
  RESET,
  STYLE_SEQUENCE,
} from "./ansi.ts";
import type { InputLineState } from "./line_editor.ts";
import { graphemeWidth, textWidth } from "./text_width.ts";

export interface ScreenOptions {
  /** Receives everything to show; it should write the text completely, synchronously. */
  write: (text: string) => void;
  /** Terminal width in columns. Default 80; change it with `resize()`. */
  columns?: number;
  /** False when stdout is not a terminal: plain lines, no prompt. Default true. */
  tty?: boolean;
}

/** The bottom-row input line and the lines printed above it. */
export class Screen {
  #write: (text: string) => void;
  #columns: number;
  #tty: boolean;
  #prompt = "";
  #input: InputLineState = { graphemes: [], cursor: 0 };
  #inputShown = false;
  /** Index of the first grapheme visible when the line is scrolled sideways. */
  #scrollStart = 0;
  /** The cursor's column (1-based) after the last draw of the input row. */
  #drawnCursorColumn = 1;
  /** Set while waiting for the terminal's cursor report after a narrowing. */
  #narrowedFrom: { cursorColumn: number } | null = null;

  constructor(options: ScreenOptions) {
    this.#write = options.write;
    this.#columns = sanitizeColumns(options.columns ?? 80);
    this.#tty = options.tty ?? true;
  }

  /** Terminal width in columns. */
  get columns(): number {
    return this.#columns;
  }

  /**
   * Records a new terminal width and redraws the input line to fit it.
   * Returns "report" when the old input row no longer fits: the caller
   * should pass the terminal's answer to `cursorReport()` (or call it with
   * null if none comes), and the row is redrawn then.
   */
  resize(columns: number): "redrawn" | "report" {
    const sanitized = sanitizeColumns(columns);
    if (sanitized === this.#columns) return "redrawn";
    this.#columns = sanitized;
    if (!this.#tty || !this.#inputShown) return "redrawn";
    if (this.#drawnCursorColumn > sanitized) {
      this.#narrowedFrom = { cursorColumn: this.#drawnCursorColumn };
      this.#write(REQUEST_CURSOR_POSITION);
      return "report";
    }
    this.#write(this.#inputRow());
    return "redrawn";
  }

  /**
   * The terminal's cursor position after a narrowing (null: it did not say;
   * most terminals reflow, so that is assumed). If the cursor column shows
   * the old row was reflowed, the rows it spilled onto are erased too.
   */
  cursorReport(position: { row: number; column: number } | null): void {
    const narrowed = this.#narrowedFrom;
    if (narrowed === null) return;
    this.#narrowedFrom = null;
    const columns = this.#columns;
    const reflowedColumn = ((narrowed.cursorColumn - 1) % columns) + 1;
    const reflowed = position === null || position.column === reflowedColumn;
    const rowsUp = reflowed ? Math.floor((narrowed.cursorColumn - 1) / columns) : 0;
    const up = rowsUp > 0 ? cursorUp(rowsUp) : "";
    if (this.#inputShown) this.#write(`${up}\r${CLEAR_BELOW}${this.#inputRow()}`);
  }

  /** Draws `prompt` and the input line on the bottom row, cursor in place. */
  showInput(prompt: string, input: InputLineState): void {
    if (!this.#tty) return;
    this.#prompt = prompt;
    this.#input = input;
    this.#inputShown = true;
    this.#write(this.#inputRow());
  }

  /** Prints a line above the input line, which is then redrawn intact. */
  printAbove(line: string): void {
    if (!this.#tty) {
      this.#write(`${line}\n`);
      return;
    }
    // Raw mode turns off the terminal's own "\n" to "\r\n" translation.
    let text = CLEAR_ROW + line.replace(/\r?\n/g, "\r\n");
    // A line with an unfinished style must not color the prompt.
    if (line.includes(ESC)) text += RESET;
    text += "\r\n";
    if (this.#inputShown) text += this.#inputRow();
    this.#write(text);
  }

  /** Clears the whole screen (Ctrl-L) and redraws the input line at the top. */
  clear(): void {
    if (!this.#tty) return;
    this.#write(CLEAR_SCREEN + (this.#inputShown ? this.#inputRow() : ""));
  }

  /** Erases the input line, for example before leaving, so the shell starts clean. */
  hideInput(): void {
    if (!this.#tty || !this.#inputShown) return;
    this.#inputShown = false;
    this.#write(CLEAR_ROW);
  }

  /** The bytes that draw the input row from scratch. */
  #inputRow(): string {
    const { graphemes, cursor } = this.#input;
    const prompt = this.#fittedPrompt();
    const promptWidth = textWidth(prompt.replace(STYLE_SEQUENCE, ""));
    // The last column stays empty: writing there makes some terminals wrap.
    const room = Math.max(1, this.#columns - 1 - promptWidth);
    const shown = graphemes.map(shownAs);
    const widths = shown.map(graphemeWidth);
    const total = sum(widths, 0, widths.length);
    // Too wide: scroll sideways, keeping a column at each end for the "…" marker.
    const scrolling = total + 1 > room && room >= 3;
    const inner = scrolling ? room - 2 : room;
    const start = this.#scrollFor(widths, cursor, inner);

    let visible = "";
    let used = 0;
    let cursorColumn = promptWidth;
    if (start > 0) {
      visible += HIDDEN;
      used += 1;
      cursorColumn += 1;
    }
    let end = start;
    const limit = scrolling && start === 0 ? room - 1 : scrolling ? room - 1 : room;
    for (; end < shown.length; end++) {
      if (used + widths[end] > limit) break;
      if (end < cursor) cursorColumn += widths[end];
      visible += shown[end];
      used += widths[end];
    }
    if (end < shown.length) visible += HIDDEN;
    const styled = prompt.includes(ESC) ? prompt + RESET : prompt;
    this.#drawnCursorColumn = cursorColumn + 1;
    return `${CLEAR_ROW}${styled}${visible}${cursorToColumn(cursorColumn + 1)}`;
  }

  /**
   * The first visible grapheme: unchanged unless the cursor left the view,
   * so the text does not jump while the cursor moves inside it.
   */
  #scrollFor(widths: readonly number[], cursor: number, room: number): number {
    let start = Math.min(this.#scrollStart, cursor);
    // The cursor needs its own column after the text before it.
    while (start < cursor && sum(widths, start, cursor) + 1 > room) start++;
    // Scroll back when text was deleted and more of it fits again.
    while (start > 0 && sum(widths, start - 1, widths.length) + 1 <= room) start--;
    this.#scrollStart = start;
    return start;
  }

  /** The prompt, cut down when it would leave less than half the row for input. */
  #fittedPrompt(): string {
    const limit = Math.floor(this.#columns / 2);
    const plain = this.#prompt.replace(STYLE_SEQUENCE, "");
    if (textWidth(plain) <= limit) return this.#prompt;
    let fitted = "";
    let width = 0;
    for (const char of plain) {
      const charWidth = textWidth(char);
      if (width + charWidth > limit) break;
      fitted += char;
      width += charWidth;
    }
    return fitted;
  }
}

/** Where the input line is scrolled past text, this stands for what is hidden. */
const HIDDEN = "…";

/** A grapheme as the input row shows it: a pasted line break as "↵". */
function shownAs(grapheme: string): string {
  return grapheme === "\n" || grapheme === "\r\n" ? "↵" : grapheme;
}

function sum(widths: readonly number[], from: number, to: number): number {
  let total = 0;
  for (let index = from; index < to; index++) total += widths[index];
  return total;
}

function sanitizeColumns(columns: number): number {
  return Number.isFinite(columns) && columns >= 2 ? Math.floor(columns) : 80;
}
