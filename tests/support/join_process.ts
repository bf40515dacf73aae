/**
 * Test support: the real `chat join` process with piped stdin and stdout,
 * read line by line with deadlines.
 */
import { readLines, streamReader } from "../../protocol/line_reader.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;

export class JoinProcess implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #lines: string[] = [];
  #all: string[] = [];
  /** Stdout exactly as the process wrote it, chunk by chunk. */
  #raw: Uint8Array[] = [];
  #waiters: (() => void)[] = [];
  #ended = false;
  #reading: Promise<void>;
  #stderr: Promise<string>;
  #configDir: string | null;

  /**
   * `permissions` are the flags for `deno run`; all permissions by default.
   * Unless `env` says where, the client keeps its key in a config directory
   * of its own, removed on dispose: never the user's.
   */
  constructor(args: string[], env: Record<string, string> = {}, permissions = ["-A"]) {
    this.#configDir = env.XDG_CONFIG_HOME === undefined
      ? Deno.makeTempDirSync({ prefix: "chat_join_config_" })
      : null;
    this.child = new Deno.Command(Deno.execPath(), {
      args: ["run", ...permissions, MAIN, "join", ...args],
      stdin: "piped",
      stdout: "piped",
      stderr: "piped",
      env: {
        NO_COLOR: "1",
        ...(this.#configDir === null ? {} : { XDG_CONFIG_HOME: this.#configDir }),
        ...env,
      },
    }).spawn();
    this.#writer = this.child.stdin.getWriter();
    this.#reading = this.#read();
    this.#stderr = new Response(this.child.stderr).text();
  }

  async #read(): Promise<void> {
    const stdout = streamReader(this.child.stdout);
    const recording = {
      read: async (buffer: Uint8Array) => {
        const count = await stdout.read(buffer);
        if (count !== null) this.#raw.push(buffer.slice(0, count));
        return count;
      },
    };
    for await (const result of readLines(recording, { maxLineBytes: 1 << 20 })) {
      if (result.kind !== "line") continue;
      this.#lines.push(result.text);
      this.#all.push(result.text);
      for (const wake of this.#waiters.splice(0)) wake();
    }
    this.#ended = true;
    for (const wake of this.#waiters.splice(0)) wake();
  }

  /** Everything printed so far. */
  get output(): string[] {
    return this.#all;
  }

  /** Every byte written to stdout so far, before any decoding or line splitting. */
  get rawOutput(): Uint8Array {
    const bytes = new Uint8Array(this.#raw.reduce((total, chunk) => total + chunk.length, 0));
    let at = 0;
    for (const chunk of this.#raw) {
      bytes.set(chunk, at);
      at += chunk.length;
    }
    return bytes;
  }

  async type(line: string): Promise<void> {
    await this.#writer.write(new TextEncoder().encode(`${line}\n`));
  }

  async closeStdin(): Promise<void> {
    await this.#writer.close().catch(() => {});
  }

  /** Reads printed lines until one matches; fails after `timeoutMs`. */
  async waitFor(match: string | RegExp, timeoutMs = 10_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const line = this.#lines.shift();
      if (line !== undefined) {
        if (typeof match === "string" ? line.includes(match) : match.test(line)) return line;
        continue;
      }
      if (this.#ended) {
        throw new Error(`Process ended before ${match}. Output: ${this.#all.join(" | ")}`);
      }
      const left = deadline - Date.now();
      if (left <= 0) {
        throw new Error(`No ${match} within ${timeoutMs} ms. Output: ${this.#all.join(" | ")}`);
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /** Waits for the process to exit (killing it after `timeoutMs`); returns its exit code. */
  async exitCode(timeoutMs = 5000): Promise<number> {
    const timer = setTimeout(() => this.child.kill("SIGKILL"), timeoutMs);
    const status = await this.child.status;
    clearTimeout(timer);
    await this.#reading;
    await this.#stderr;
    return status.code;
  }

  stderr(): Promise<string> {
    return this.#stderr;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.closeStdin();
    try {
      this.child.kill("SIGKILL");
    } catch {
      // Already exited.
    }
    await this.child.status;
    await this.#reading;
    if (this.#configDir !== null) await Deno.remove(this.#configDir, { recursive: true });
    await this.#stderr;
  }
}
