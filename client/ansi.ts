/**
 * The terminal control sequences `chat join` writes, defined once: styles
 * (SGR) for rendering, and the cursor and screen controls for the input line.
 */

export const ESC = "\x1b";

// Styles.
export const RESET = "\x1b[0m";
export const BOLD = "\x1b[1m";
export const DIM = "\x1b[2m";
export const ITALIC = "\x1b[3m";
export const RED = "\x1b[31m";
export const GREEN = "\x1b[32m";
export const YELLOW = "\x1b[33m";
export const MAGENTA = "\x1b[35m";
export const CYAN = "\x1b[36m";

/** A 256-color foreground. */
export function color256(code: number): string {
  return `\x1b[38;5;${code}m`;
}

/** Style sequences (SGR); they take no columns on screen. */
// deno-lint-ignore no-control-regex -- matching ESC is the point
export const STYLE_SEQUENCE = /\x1b\[[0-9;]*m/g;

// The input line and the screen.
/** Back to column 1 and erase the row. */
export const CLEAR_ROW = "\r\x1b[2K";
/** Erase from the cursor to the end of the screen. */
export const CLEAR_BELOW = "\x1b[J";
/** Ask the terminal where the cursor is; it answers ESC [ row ; column R. */
export const REQUEST_CURSOR_POSITION = "\x1b[6n";

/** Moves the cursor up `rows` rows. */
export function cursorUp(rows: number): string {
  return `\x1b[${rows}A`;
}

/** Erase the whole screen and put the cursor at the top left. */
export const CLEAR_SCREEN = "\x1b[2J\x1b[H";

/** Moves the cursor to `column` (1-based) on its row. */
export function cursorToColumn(column: number): string {
  return `\x1b[${column}G`;
}

export const BRACKETED_PASTE_ON = "\x1b[?2004h";
export const BRACKETED_PASTE_OFF = "\x1b[?2004l";
