/**
 * Test support: the real `chat serve` process on an ephemeral loopback port,
 * with the port read back from its "listening" log line.
 */
const MAIN = new URL("../../main.ts", import.meta.url).pathname;

export interface ServeProcessOptions {
  /** Flags for `deno run`; all permissions by default. */
  permissions?: string[];
  env?: Record<string, string>;
}

export class ServeProcess implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  readonly port: Promise<number>;
  #log = "";
  #logDone: Promise<void>;

  constructor(args: string[], options: ServeProcessOptions = {}) {
    const child = new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        ...(options.permissions ?? ["-A"]),
        MAIN,
        "serve",
        "--host",
        "127.0.0.1",
        "--port",
        "0",
        ...args,
      ],
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      env: options.env,
    }).spawn();
    this.child = child;
    const port = Promise.withResolvers<number>();
    this.port = port.promise;
    this.#logDone = (async () => {
      const decoder = new TextDecoder();
      for await (const chunk of child.stderr) {
        this.#log += decoder.decode(chunk, { stream: true });
        const found = /listening address=127\.0\.0\.1:(\d+)/.exec(this.#log);
        if (found) port.resolve(Number(found[1]));
      }
      port.reject(new Error(`chat serve exited before listening:\n${this.#log}`));
    })();
  }

  /** Everything the server has logged so far. */
  get log(): string {
    return this.#log;
  }

  /** Sends a signal and waits (bounded) for the exit code. */
  async stop(signal: Deno.Signal = "SIGTERM", timeoutMs = 10_000): Promise<number> {
    try {
      this.child.kill(signal);
    } catch {
      // Already exited.
    }
    const timer = setTimeout(() => {
      try {
        this.child.kill("SIGKILL");
      } catch {
        // Already exited.
      }
    }, timeoutMs);
    const status = await this.child.status;
    clearTimeout(timer);
    await this.#logDone;
    return status.code;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop("SIGKILL");
    await this.port.catch(() => {});
  }
}
