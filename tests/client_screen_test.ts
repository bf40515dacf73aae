import { assert, assertEquals } from "./support/assert.ts";
import { KeyDecoder } from "../client/key_decoder.ts";
import { type InputLineState, LineEditor } from "../client/line_editor.ts";
import { Screen } from "../client/screen.ts";
import { graphemeWidth, splitGraphemes } from "../client/text_width.ts";

/**
 * A tiny terminal emulator: enough of a VT100 to interpret what `Screen`
 * writes (CR, LF, erase line/screen, cursor column moves, SGR) onto a grid of
 * cells. A wide character fills its cell and leaves the next one empty (""),
 * as a real terminal does. Anything else it does not know fails the test, so
 * the screen cannot get away with sequences a terminal would misread.
 */
class VirtualTerminal {
  readonly rows: number;
  columns: number;
  grid: string[][];
  /** Cursor position requests (ESC [ 6 n) the screen made. */
  positionRequests = 0;
  row: number;
  column = 0;
  /** Set after writing the last column: the next character wraps first (xterm behavior). */
  #pendingWrap = false;

  constructor(rows: number, columns: number) {
    this.rows = rows;
    this.columns = columns;
    this.grid = Array.from({ length: rows }, () => this.#blankRow());
    this.row = rows - 1; // the client starts at the bottom of a used terminal
  }

  write(text: string): void {
    let index = 0;
    while (index < text.length) {
      const escape = /^\x1b\[([0-9;?]*)([A-Za-z@~])/.exec(text.slice(index));
      if (escape) {
        this.#control(escape[1], escape[2]);
        index += escape[0].length;
        continue;
      }
      const char = text[index];
      if (char === "\x1b") throw new Error(`Unknown escape ${JSON.stringify(text.slice(index))}`);
      if (char === "\r") {
        this.column = 0;
        this.#pendingWrap = false;
        index++;
      } else if (char === "\n") {
        this.#lineFeed();
        index++;
      } else if (char < " ") {
        throw new Error(`Unexpected control ${JSON.stringify(char)}`);
      } else {
        const grapheme = splitGraphemes(text.slice(index))[0];
        this.#print(grapheme);
        index += grapheme.length;
      }
    }
  }

  /**
   * The window gets narrower. A reflowing terminal (tmux, VTE) moves what no
   * longer fits on the cursor's row onto a new row below, scrolling the rest
   * up, and the cursor with it; a clipping one (xterm) cuts the row off.
   */
  narrow(columns: number, reflow: boolean): void {
    const row = this.grid[this.row];
    const overflow = row.slice(columns);
    this.grid = this.grid.map((cells) => cells.slice(0, columns));
    this.columns = columns;
    if (!reflow || overflow.join("").trim() === "") {
      this.column = Math.min(this.column, columns - 1);
      return;
    }
    const spill = [...overflow, ...Array(columns).fill(" ")].slice(0, columns);
    this.grid.shift();
    this.grid.splice(this.row, 0, spill);
    // Rows shifted up by one; the cursor's row is now the spilled row.
    const cursorAt = this.column;
    this.row = Math.min(this.rows - 1, this.row);
    this.column = cursorAt >= columns ? cursorAt - columns : cursorAt;
    if (cursorAt < columns) this.row -= 1;
  }

  /** A row as text, trailing blanks trimmed. */
  line(row: number): string {
    return this.grid[row].join("").trimEnd();
  }

  get bottomLine(): string {
    return this.line(this.rows - 1);
  }

  #control(parameters: string, final: string): void {
    const n = parameters === "" ? 1 : Number(parameters);
    switch (final) {
      case "K":
        if (parameters === "2") this.grid[this.row] = this.#blankRow();
        else {
          for (let c = this.column; c < this.columns; c++) this.grid[this.row][c] = " ";
        }
        return;
      case "J":
        if (parameters === "2") {
          this.grid = Array.from({ length: this.rows }, () => this.#blankRow());
        } else if (parameters === "" || parameters === "0") {
          for (let c = this.column; c < this.columns; c++) this.grid[this.row][c] = " ";
          for (let r = this.row + 1; r < this.rows; r++) this.grid[r] = this.#blankRow();
        } else {
          throw new Error(`Unsupported erase ${parameters}J`);
        }
        return;
      case "A":
        this.row = Math.max(0, this.row - n);
        break;
      case "n":
        if (parameters !== "6") throw new Error(`Unsupported report ${parameters}n`);
        this.positionRequests++;
        return;
      case "H":
        this.row = 0;
        this.column = 0;
        return;
      case "G":
        this.column = Math.min(this.columns - 1, n - 1);
        break;
      case "C":
        this.column = Math.min(this.columns - 1, this.column + n);
        break;
      case "D":
        this.column = Math.max(0, this.column - n);
        break;
      case "m":
        return; // colors do not change the text
      default:
        throw new Error(`Unsupported sequence ${parameters}${final}`);
    }
    this.#pendingWrap = false;
  }

  #print(grapheme: string): void {
    const width = graphemeWidth(grapheme);
    if (width === 0) return;
    if (this.#pendingWrap || this.column + width > this.columns) {
      this.column = 0;
      this.#lineFeed();
    }
    this.grid[this.row][this.column] = grapheme;
    if (width === 2) this.grid[this.row][this.column + 1] = "";
    this.column += width;
    if (this.column >= this.columns) {
      this.column = this.columns - 1;
      this.#pendingWrap = true;
    }
  }

  #lineFeed(): void {
    this.#pendingWrap = false;
    if (this.row < this.rows - 1) {
      this.row++;
      return;
    }
    this.grid.shift();
    this.grid.push(this.#blankRow());
  }

  #blankRow(): string[] {
    return Array(this.columns).fill(" ");
  }
}

const encoder = new TextEncoder();

/** A screen wired to a virtual terminal, with a log of each write call. */
function setUp(columns = 40, rows = 6) {
  const terminal = new VirtualTerminal(rows, columns);
  const writes: string[] = [];
  const screen = new Screen({
    columns,
    write: (text) => {
      writes.push(text);
      terminal.write(text);
    },
  });
  return { terminal, writes, screen };
}

/** Types `typed` through the real decoder and editor, redrawing after each key. */
function type(
  screen: Screen,
  editor: LineEditor,
  decoder: KeyDecoder,
  prompt: string,
  typed: string,
) {
  for (const key of decoder.push(encoder.encode(typed))) {
    if (editor.apply(key)) screen.showInput(prompt, editor.state);
  }
}

function line(text: string, cursor = [...text].length): InputLineState {
  return { graphemes: splitGraphemes(text), cursor };
}

Deno.test("Screen.printAbove() keeps a half-typed line intact and prints the message above it", () => {
  const { terminal, writes, screen } = setUp(40);
  const editor = new LineEditor();
  const decoder = new KeyDecoder();
  screen.showInput("> ", editor.state);
  type(screen, editor, decoder, "> ", "안녕 wor");

  writes.length = 0;
  screen.printAbove("[12:00] bob: 한국어 message arrives");

  assertEquals(writes.length, 1, "one write call, so nothing can interleave");
  assertEquals(terminal.line(terminal.rows - 2), "[12:00] bob: 한국어 message arrives");
  assertEquals(terminal.bottomLine, "> 안녕 wor");
  assertEquals(terminal.row, terminal.rows - 1);
  assertEquals(terminal.column, 2 + 4 + 1 + 3, "the cursor is right after the typed text");

  // Typing goes on where it left off.
  type(screen, editor, decoder, "> ", "ld");
  assertEquals(terminal.bottomLine, "> 안녕 world");
  assertEquals(terminal.line(terminal.rows - 2), "[12:00] bob: 한국어 message arrives");
});

Deno.test("Screen.printAbove() keeps the cursor where it was inside the line", () => {
  const { terminal, screen } = setUp(40);
  screen.showInput("me> ", line("abcdef", 2));
  screen.printAbove("first");
  screen.printAbove("second");
  assertEquals([terminal.line(3), terminal.line(4), terminal.bottomLine], [
    "first",
    "second",
    "me> abcdef",
  ]);
  assertEquals(terminal.column, 6);
});

Deno.test("Screen.printAbove() lets a line wider than the terminal wrap above the input", () => {
  const { terminal, screen } = setUp(10);
  screen.showInput("> ", line("hi"));
  screen.printAbove("0123456789abcde");
  assertEquals(terminal.line(3), "0123456789");
  assertEquals(terminal.line(4), "abcde");
  assertEquals(terminal.bottomLine, "> hi");
});

Deno.test("Screen.printAbove() of exactly one terminal width leaves no blank row", () => {
  const { terminal, screen } = setUp(10);
  screen.showInput("> ", line(""));
  screen.printAbove("0123456789");
  assertEquals(terminal.line(4), "0123456789");
  assertEquals(terminal.bottomLine, ">");
});

Deno.test("Screen.printAbove() turns embedded newlines into separate rows", () => {
  const { terminal, screen } = setUp(20);
  screen.showInput("> ", line("x"));
  screen.printAbove("one\ntwo");
  assertEquals([terminal.line(3), terminal.line(4), terminal.bottomLine], [
    "one",
    "two",
    "> x",
  ]);
});

Deno.test("Screen.printAbove() resets styles so a colored line cannot color the prompt", () => {
  const { writes, screen } = setUp(20);
  screen.showInput("> ", line("x"));
  screen.printAbove("\x1b[31mred");
  const written = writes.at(-1)!;
  assert(written.indexOf("\x1b[0m") < written.lastIndexOf("> x"));
});

Deno.test("Screen.printAbove() before any input line just prints the line", () => {
  const { terminal, writes, screen } = setUp(20);
  screen.printAbove("hello");
  assertEquals(terminal.line(terminal.rows - 2), "hello");
  assertEquals(terminal.bottomLine, "");
  assert(!writes.join("").includes("\x1b[1G"), "no prompt drawn");
});

Deno.test("Screen.showInput() places the cursor after wide characters correctly", () => {
  const { terminal, screen } = setUp(40);
  screen.showInput("이름> ", line("한글abc", 2));
  assertEquals(terminal.bottomLine, "이름> 한글abc");
  assertEquals(terminal.column, 6 + 4);
});

Deno.test("Screen.showInput() scrolls a long line sideways so it stays on one row", () => {
  const { terminal, screen } = setUp(20);
  const long = "abcdefghijklmnopqrstuvwxyz0123456789";
  screen.showInput("> ", line(long));
  const bottom = terminal.bottomLine;
  assert(bottom.startsWith("> "));
  assert(bottom.endsWith("456789"), `shows the end where the cursor is: ${bottom}`);
  assert(bottom.length < 20, "never reaches the last column");
  assertEquals(terminal.line(terminal.rows - 2), "", "did not wrap onto another row");
  assertEquals(terminal.column, bottom.length, "cursor right after the text");

  screen.showInput("> ", line(long, 0));
  assert(terminal.bottomLine.startsWith("> abcdef"), terminal.bottomLine);
  assertEquals(terminal.column, 2);
});

Deno.test("Screen.showInput() does not jump while the cursor moves inside the view", () => {
  const { terminal, screen } = setUp(20);
  const long = "abcdefghijklmnopqrstuvwxyz";
  screen.showInput("> ", line(long));
  const scrolled = terminal.bottomLine;
  screen.showInput("> ", line(long, long.length - 3));
  assertEquals(terminal.bottomLine, scrolled);
  assertEquals(terminal.column, scrolled.length - 3);
});

Deno.test("Screen.showInput() scrolls a long Korean line by whole characters", () => {
  const { terminal, screen } = setUp(21);
  const korean = "가나다라마바사아자차카타파하";
  for (let cursor = 0; cursor <= 14; cursor++) {
    screen.showInput("> ", line(korean, cursor));
    const cells = terminal.grid[terminal.rows - 1];
    assert(cells[20] === " ", "the last column stays empty");
    const under = cells[terminal.column];
    const expected = korean[cursor] ?? " ";
    assertEquals(under, expected, `cursor ${cursor} sits on its character`);
  }
});

Deno.test("Screen.resize() redraws the input line for the new width", () => {
  const { terminal, screen } = setUp(40);
  screen.showInput("> ", line("abcdefghijklmnopqrstuvwxyz"));
  assertEquals(terminal.bottomLine, "> abcdefghijklmnopqrstuvwxyz");
  terminal.narrow(12, false);
  assertEquals(screen.resize(12), "report");
  screen.cursorReport({ row: terminal.row + 1, column: terminal.column + 1 });
  assertEquals(screen.columns, 12);
  assert(terminal.bottomLine.length <= 11, terminal.bottomLine);
  assert(terminal.bottomLine.endsWith("xyz…") || terminal.bottomLine.endsWith("xyz"));
});

for (const reflow of [true, false]) {
  Deno.test(
    `narrowing the window leaves no piece of the old input line (${
      reflow ? "reflowing" : "clipping"
    } terminal)`,
    () => {
      const { terminal, screen } = setUp(100);
      screen.printAbove("earlier message");
      screen.showInput("ana> ", line("x".repeat(70)));
      terminal.narrow(60, reflow);
      assertEquals(screen.resize(60), "report");
      assertEquals(terminal.positionRequests, 1);
      screen.cursorReport({ row: terminal.row + 1, column: terminal.column + 1 });
      const rows = Array.from({ length: terminal.rows }, (_, row) => terminal.line(row));
      const withInput = rows.filter((row) => row.includes("xxx"));
      assertEquals(withInput.length, 1, rows.join("\n"));
      assert(rows.filter((row) => row !== "").at(-1)!.startsWith("ana> "), rows.join("\n"));
      assert(rows.includes("earlier message"), rows.join("\n"));
      // What is printed next goes above the input line, which stays whole.
      screen.printAbove("next message");
      assertEquals(terminal.bottomLine.slice(0, 5), "ana> ");
      assertEquals(terminal.line(terminal.rows - 2), "next message");
    },
  );
}

Deno.test("Screen.resize() wider needs no cursor report", () => {
  const { terminal, screen } = setUp(40);
  screen.showInput("> ", line("short"));
  assertEquals(screen.resize(80), "redrawn");
  assertEquals(terminal.positionRequests, 0);
});

Deno.test("a line scrolled sideways shows … where text is hidden, and ↵ for a pasted line break", () => {
  const { terminal, screen } = setUp(20);
  const editor = new LineEditor();
  editor.setText("0123456789abcdefghijklmnop");
  screen.showInput("> ", editor.state);
  assert(terminal.bottomLine.startsWith("> …"), terminal.bottomLine);
  assert(terminal.bottomLine.endsWith("nop"), terminal.bottomLine);
  editor.apply({ type: "home" });
  screen.showInput("> ", editor.state);
  assert(terminal.bottomLine.startsWith("> 0123"), terminal.bottomLine);
  assert(terminal.bottomLine.endsWith("…"), terminal.bottomLine);
  assert(terminal.bottomLine.length <= 19, terminal.bottomLine);
  editor.setText("one");
  editor.apply({ type: "newline" });
  editor.apply({ type: "text", text: "two" });
  screen.showInput("> ", editor.state);
  assertEquals(terminal.bottomLine, "> one↵two");
});

Deno.test("Screen.clear() wipes the screen and redraws the input line", () => {
  const { terminal, screen } = setUp(20);
  screen.showInput("> ", line("kept"));
  screen.printAbove("old");
  screen.clear();
  assertEquals(terminal.line(0), "> kept");
  assertEquals(terminal.line(terminal.rows - 2), "");
});

Deno.test("Screen.hideInput() erases the input line and stops redrawing it", () => {
  const { terminal, screen } = setUp(20);
  screen.showInput("> ", line("bye"));
  screen.hideInput();
  assertEquals(terminal.bottomLine, "");
  screen.printAbove("last words");
  assertEquals(terminal.bottomLine, "");
  assertEquals(terminal.line(terminal.rows - 2), "last words");
});

Deno.test("Screen without a terminal prints plain lines and no prompt", () => {
  const writes: string[] = [];
  const screen = new Screen({ tty: false, write: (text) => writes.push(text) });
  screen.showInput("> ", line("typed"));
  screen.printAbove("one");
  screen.printAbove("two");
  screen.clear();
  screen.hideInput();
  assertEquals(writes, ["one\n", "two\n"]);
});
