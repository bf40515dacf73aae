/**
 * The thin edge between `chat join` and the real terminal: raw mode,
 * bracketed paste, reading stdin, writing stdout, and the terminal width.
 * Everything that decides what to show lives in the pure modules
 * (`KeyDecoder`, `LineEditor`, `Screen`, `renderEvent`); this file only moves
 * bytes and must stay small enough to trust without unit tests.
 *
 * Works on Windows terminals too: there is no SIGWINCH there, so the width is
 * polled once a second instead, and only signals the platform supports are
 * listened for.
 */

const BRACKETED_PASTE_ON = "\x1b[?2004h";
const BRACKETED_PASTE_OFF = "\x1b[?2004l";
const DEFAULT_COLUMNS = 80;
const WINDOWS_RESIZE_POLL_MS = 1000;

const encoder = new TextEncoder();
const isWindows = Deno.build.os === "windows";

let rawModeOn = false;
let bracketedPasteOn = false;
let exitHooksInstalled = false;
const exitSignalListeners: [Deno.Signal, () => void][] = [];

/** True when both stdin and stdout are terminals, so an interactive input line makes sense. */
export function isInteractive(): boolean {
  return Deno.stdin.isTerminal() && Deno.stdout.isTerminal();
}

/**
 * Puts the terminal into the mode the input line needs: stdin raw (each key
 * arrives at once, unechoed) and bracketed paste on. Does nothing for what is
 * not a terminal. `restore()` undoes it, and is also run on exit, on an
 * uncaught error and on SIGTERM/SIGHUP, so a crash never leaves the shell raw.
 */
export function enterInteractiveMode(): void {
  installExitHooks();
  if (Deno.stdin.isTerminal() && !rawModeOn) {
    Deno.stdin.setRaw(true);
    rawModeOn = true;
  }
  if (Deno.stdout.isTerminal() && !bracketedPasteOn) {
    writeText(BRACKETED_PASTE_ON);
    bracketedPasteOn = true;
  }
}

/** Puts the terminal back as it was: cooked mode, bracketed paste off. Safe to call twice. */
export function restore(): void {
  if (bracketedPasteOn) {
    bracketedPasteOn = false;
    try {
      writeText(BRACKETED_PASTE_OFF);
    } catch {
      // stdout may already be gone; the terminal will reset itself.
    }
  }
  if (rawModeOn) {
    rawModeOn = false;
    try {
      Deno.stdin.setRaw(false);
    } catch {
      // stdin may already be closed; nothing left to restore.
    }
  }
  for (const [signal, listener] of exitSignalListeners.splice(0)) {
    Deno.removeSignalListener(signal, listener);
  }
}

function installExitHooks(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  // "unload" also runs on Deno.exit(); "error" and "unhandledrejection" run
  // before an uncaught error ends the process (the error is still reported).
  globalThis.addEventListener("unload", restore);
  globalThis.addEventListener("error", restore);
  globalThis.addEventListener("unhandledrejection", restore);
  if (isWindows) return; // SIGTERM and SIGHUP cannot be listened for there.
  for (const [signal, code] of [["SIGTERM", 143], ["SIGHUP", 129]] as const) {
    const listener = () => {
      restore();
      Deno.exit(code);
    };
    Deno.addSignalListener(signal, listener);
    exitSignalListeners.push([signal, listener]);
  }
}

/** Stdin as chunks of bytes, exactly as the terminal sent them. */
export async function* readInput(): AsyncGenerator<Uint8Array> {
  const buffer = new Uint8Array(4096);
  while (true) {
    const count = await Deno.stdin.read(buffer);
    if (count === null) return;
    yield buffer.slice(0, count);
  }
}

/** Writes all of `text` to stdout before returning, however the OS splits the write. */
export function writeText(text: string): void {
  const bytes = encoder.encode(text);
  let written = 0;
  while (written < bytes.length) {
    written += Deno.stdout.writeSync(bytes.subarray(written));
  }
}

/** The terminal's width in columns, or 80 when stdout is not a terminal. */
export function terminalColumns(): number {
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
export function onResize(listener: (columns: number) => void): () => void {
  let last = terminalColumns();
  const check = () => {
    const columns = terminalColumns();
    if (columns === last) return;
    last = columns;
    listener(columns);
  };
  if (isWindows) {
    const timer = setInterval(check, WINDOWS_RESIZE_POLL_MS);
    // The poll alone must not keep the process running.
    Deno.unrefTimer(timer);
    return () => clearInterval(timer);
  }
  Deno.addSignalListener("SIGWINCH", check);
  return () => Deno.removeSignalListener("SIGWINCH", check);
}
