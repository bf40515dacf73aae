/**
 * Test support: the real `chat serve` process on an ephemeral loopback port,
 * with the port read back from its "listening" log line (text or JSON).
 */
const ROOT = new URL("../../", import.meta.url);
const MAIN = new URL("main.ts", ROOT).pathname;

/** The "listening" line in either log format: `address=…` or `"address":"…"`. */
const LISTENING = /listening\W+address\W+127\.0\.0\.1:(\d+)/;

export interface ServeProcessOptions {
  /** Flags for `deno run`; all permissions by default. */
  permissions?: string[];
  /** Variables added to (or overriding) the inherited environment. */
  env?: Record<string, string>;
  /** Runs the server under `ulimit -n maxFiles`. */
  maxFiles?: number;
  /** How long to wait for the "listening" line before killing the server. */
  listenTimeoutMs?: number;
}

/** What a stopped server left: its exit code and everything it logged. */
export interface ServeExit {
  code: number;
  log: string;
}

/**
 * `chat serve --host 127.0.0.1 --port 0 ...args`. Its stderr is drained for
 * the whole life of the process, so it never blocks on a full pipe. Dispose
 * it with `await using`: that kills it and awaits everything it started.
 */
export class ServeProcess implements AsyncDisposable {
  readonly child: Deno.ChildProcess;
  /** Resolves once the server listens; rejects if it exits or times out first. */
  readonly port: Promise<number>;
  #log = "";
  #logDone: Promise<void>;
  #logWaiters: (() => void)[] = [];

  constructor(args: string[], options: ServeProcessOptions = {}) {
    const denoArgs = [
      "run",
      ...(options.permissions ?? ["-A"]),
      MAIN,
      "serve",
      "--host",
      "127.0.0.1",
      "--port",
      "0",
      ...args,
    ];
    const { maxFiles } = options;
    const child = new Deno.Command(maxFiles === undefined ? Deno.execPath() : "sh", {
      args: maxFiles === undefined
        ? denoArgs
        : ["-c", `ulimit -n ${maxFiles} && exec "$0" "$@"`, Deno.execPath(), ...denoArgs],
      // From the repository root, so deno.json (the import map) is found.
      cwd: ROOT,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
      env: options.env,
    }).spawn();
    this.child = child;
    const port = Promise.withResolvers<number>();
    this.port = port.promise;
    // A test that never awaits the port must not fail on an unhandled rejection.
    this.port.catch(() => {});
    const timeoutMs = options.listenTimeoutMs ?? 20_000;
    const timer = setTimeout(() => {
      port.reject(new Error(`chat serve did not listen in ${timeoutMs} ms:\n${this.#log}`));
      this.#kill("SIGKILL");
    }, timeoutMs);
    this.#logDone = (async () => {
      const decoder = new TextDecoder();
      try {
        for await (const chunk of child.stderr) {
          this.#log += decoder.decode(chunk, { stream: true });
          for (const wake of this.#logWaiters.splice(0)) wake();
          const found = LISTENING.exec(this.#log);
          if (found) {
            clearTimeout(timer);
            port.resolve(Number(found[1]));
          }
        }
      } finally {
        for (const wake of this.#logWaiters.splice(0)) wake();
        clearTimeout(timer);
        port.reject(new Error(`chat serve exited before listening:\n${this.#log}`));
      }
    })();
  }

  /** Everything the server has logged so far. */
  get log(): string {
    return this.#log;
  }

  /** Resolves once the log matches `pattern`; fails after `timeoutMs` or if the server exits. */
  async waitForLog(pattern: RegExp, timeoutMs = 5000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    this.child.status.then(() => exited = true);
    while (!pattern.test(this.#log)) {
      const left = deadline - Date.now();
      if (left <= 0 || exited) {
        throw new Error(
          `The server never logged ${pattern}${exited ? " (it exited)" : ""}:\n${this.#log}`,
        );
      }
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#logWaiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  /**
   * Sends `signal` and waits for the process to end, with SIGKILL after
   * `timeoutMs`; returns its exit code and its whole log.
   */
  async stop(signal: Deno.Signal = "SIGTERM", timeoutMs = 10_000): Promise<ServeExit> {
    this.#kill(signal);
    const timer = setTimeout(() => this.#kill("SIGKILL"), timeoutMs);
    try {
      const status = await this.child.status;
      await this.#logDone;
      return { code: status.code, log: this.#log };
    } finally {
      clearTimeout(timer);
    }
  }

  #kill(signal: Deno.Signal): void {
    try {
      this.child.kill(signal);
    } catch {
      // Already exited.
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop("SIGKILL");
  }
}
