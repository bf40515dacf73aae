/**
 * Test support: a program running in a real terminal, tmux, on a private
 * tmux server, so a test can type into it and read the screen. Tests that
 * need it skip themselves where tmux (or the program) is not installed.
 */

/** Whether `command` can be run (asks it for its version or help). */
export function hasCommand(command: string, args: string[] = ["-V"]): boolean {
  try {
    new Deno.Command(command, { args, stdout: "null", stderr: "null", stdin: "null" }).outputSync();
    return true;
  } catch {
    return false;
  }
}

/** The screen rows, trailing spaces and empty rows removed. */
export type Screen = string[];

export class TmuxSession implements AsyncDisposable {
  readonly socket: string;
  #started = false;

  private constructor(socket: string) {
    this.socket = socket;
  }

  /** Starts `command` (a shell command line) in a detached session of `columns`×`rows`. */
  static async start(
    command: string,
    options: { columns?: number; rows?: number } = {},
  ): Promise<TmuxSession> {
    const session = new TmuxSession(`chat-test-${Deno.pid}-${crypto.randomUUID().slice(0, 8)}`);
    await session.#tmux(
      "new-session",
      "-d",
      "-s",
      "t",
      "-x",
      String(options.columns ?? 80),
      "-y",
      String(options.rows ?? 12),
      command,
    );
    session.#started = true;
    return session;
  }

  async #tmux(...args: string[]): Promise<string> {
    const output = await new Deno.Command("tmux", {
      args: ["-L", this.socket, ...args],
      stdout: "piped",
      stderr: "piped",
    }).output();
    return new TextDecoder().decode(output.stdout);
  }

  /** Types `text` literally (no key names). */
  async type(text: string): Promise<void> {
    await this.#tmux("send-keys", "-t", "t", "-l", text);
  }

  /** Presses one named key: "Enter", "C-c", "BSpace". */
  async press(key: string): Promise<void> {
    await this.#tmux("send-keys", "-t", "t", key);
  }

  async resize(columns: number, rows: number): Promise<void> {
    await this.#tmux("resize-window", "-t", "t", "-x", String(columns), "-y", String(rows));
  }

  async screen(): Promise<Screen> {
    return (await this.#tmux("capture-pane", "-p", "-t", "t")).split("\n")
      .map((row) => row.trimEnd()).filter((row) => row !== "");
  }

  /** Polls the screen until `done` holds; fails with the last screen after `timeoutMs`. */
  async waitForScreen(done: (rows: Screen) => boolean, timeoutMs = 8000): Promise<Screen> {
    const deadline = Date.now() + timeoutMs;
    let rows: Screen = [];
    while (Date.now() < deadline) {
      rows = await this.screen();
      if (done(rows)) return rows;
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    throw new Error(`The screen never showed what was expected:\n${rows.join("\n")}`);
  }

  /** Waits until some row contains `text`. */
  waitForText(text: string, timeoutMs = 8000): Promise<Screen> {
    return this.waitForScreen((rows) => rows.some((row) => row.includes(text)), timeoutMs);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.#started) await this.#tmux("kill-server");
  }
}
