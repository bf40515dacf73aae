/**
 * The thin edge between `chat join` and the real terminal: raw mode,
 * bracketed paste, reading stdin, writing stdout, and the terminal width.
 * Everything that decides what to show lives in the pure modules
 * (`KeyDecoder`, `LineEditor`, `Screen`, `renderEvent`); this file only moves
 * bytes and must stay small enough to trust without unit tests (the tmux
 * test in tests/terminal_test.ts drives it for real).
 *
 * Works on Windows terminals too: there is no SIGWINCH there, so the width is
 * polled once a second instead, and only signals the platform supports are
 * listened for.
 */
import { BRACKETED_PASTE_OFF, BRACKETED_PASTE_ON } from "./ansi.ts";

const DEFAULT_COLUMNS = 80;
const WINDOWS_RESIZE_POLL_MS = 1000;

/** The process's terminal; one per `chat join`, holding what it changed so it can undo it. */
export class Terminal {
  #encoder = new TextEncoder();
  #isWindows = Deno.build.os === "windows";
  #rawModeOn = false;
  #bracketedPasteOn = false;
  #exitHooksInstalled = false;
  #exitSignalListeners: [Deno.Signal, () => void][] = [];
  #restore = () => this.restore();

  /** True when both stdin and stdout are terminals, so an interactive input line makes sense. */
  get interactive(): boolean {
    return Deno.stdin.isTerminal() && Deno.stdout.isTerminal();
  }

  /**
   * Puts the terminal into the mode the input line needs: stdin raw (each key
   * arrives at once, unechoed) and bracketed paste on. Does nothing for what is
   * not a terminal. `restore()` undoes it, and is also run on exit, on an
   * uncaught error and on SIGTERM/SIGHUP, so a crash never leaves the shell raw.
   */
  enterInteractiveMode(): void {
    this.#installExitHooks();
    if (Deno.stdin.isTerminal() && !this.#rawModeOn) {
      Deno.stdin.setRaw(true);
      this.#rawModeOn = true;
    }
    if (Deno.stdout.isTerminal() && !this.#bracketedPasteOn) {
      this.write(BRACKETED_PASTE_ON);
      this.#bracketedPasteOn = true;
    }
  }

  /** Puts the terminal back as it was: cooked mode, bracketed paste off. Safe to call twice. */
  restore(): void {
    if (this.#bracketedPasteOn) {
      this.#bracketedPasteOn = false;
      try {
        this.write(BRACKETED_PASTE_OFF);
      } catch {
        // stdout may already be gone; the terminal will reset itself.
      }
    }
    if (this.#rawModeOn) {
      this.#rawModeOn = false;
      try {
        Deno.stdin.setRaw(false);
      } catch {
        // stdin may already be closed; nothing left to restore.
      }
    }
    for (const [signal, listener] of this.#exitSignalListeners.splice(0)) {
      Deno.removeSignalListener(signal, listener);
    }
  }

  #installExitHooks(): void {
    if (this.#exitHooksInstalled) return;
    this.#exitHooksInstalled = true;
    // "unload" also runs on Deno.exit(); "error" and "unhandledrejection" run
    // before an uncaught error ends the process (the error is still reported).
    globalThis.addEventListener("unload", this.#restore);
    globalThis.addEventListener("error", this.#restore);
    globalThis.addEventListener("unhandledrejection", this.#restore);
    if (this.#isWindows) return; // SIGTERM and SIGHUP cannot be listened for there.
    for (const [signal, code] of [["SIGTERM", 143], ["SIGHUP", 129]] as const) {
      const listener = () => {
        this.restore();
        Deno.exit(code);
      };
      Deno.addSignalListener(signal, listener);
      this.#exitSignalListeners.push([signal, listener]);
    }
  }

  /** Stdin as chunks of bytes, exactly as the terminal sent them. */
  async *input(): AsyncGenerator<Uint8Array> {
    const buffer = new Uint8Array(4096);
    while (true) {
      const count = await Deno.stdin.read(buffer);
      if (count === null) return;
      yield buffer.slice(0, count);
    }
  }

  /** Writes all of `text` to stdout before returning, however the OS splits the write. */
  write(text: string): void {
    const bytes = this.#encoder.encode(text);
    let written = 0;
    while (written < bytes.length) {
      written += Deno.stdout.writeSync(bytes.subarray(written));
    }
  }

  /** Writes a line to stderr. */
  writeError(text: string): void {
    Deno.stderr.writeSync(this.#encoder.encode(`${text}\n`));
  }

  /** The terminal's width in columns, or 80 when stdout is not a terminal. */
  columns(): number {
    try {
      const { columns } = Deno.consoleSize();
      return columns > 0 ? columns : DEFAULT_COLUMNS;
    } catch {
      return DEFAULT_COLUMNS;
    }
  }

  /**
   * Calls `listener` with the new width whenever the terminal is resized, until
   * the returned function is called. Uses SIGWINCH, or a poll on Windows.
   */
  onResize(listener: (columns: number) => void): () => void {
    let last = this.columns();
    const check = () => {
      const columns = this.columns();
      if (columns === last) return;
      last = columns;
      listener(columns);
    };
    if (this.#isWindows) {
      const timer = setInterval(check, WINDOWS_RESIZE_POLL_MS);
      // The poll alone must not keep the process running.
      Deno.unrefTimer(timer);
      return () => clearInterval(timer);
    }
    Deno.addSignalListener("SIGWINCH", check);
    return () => Deno.removeSignalListener("SIGWINCH", check);
  }

  /** Calls `listener` on Ctrl-C when stdin is not in raw mode (piped input). */
  onInterrupt(listener: () => void): () => void {
    Deno.addSignalListener("SIGINT", listener);
    return () => Deno.removeSignalListener("SIGINT", listener);
  }
}
