/**
 * Test support: a real `redis-server` on a loopback port, with append-only
 * persistence in a temp dir, that can be stopped and started again on the
 * same port and data (for restart tests). `await using redis = await
 * startRedis()` stops it and removes its dir.
 *
 * Port choice: Redis cannot listen on port 0 (0 turns TCP off), so we pick a
 * random high port and, if that redis-server exits with "Address already in
 * use", try another. Probing for a free port first would race with every
 * other process on the machine; letting redis-server itself bind is the only
 * check that cannot go stale. To be sure the server we PING is ours and not
 * one that already held the port, readiness is `INFO server` answering with
 * our child's `process_id`.
 */

/** What tests print when they are skipped. */
export const REDIS_MISSING = "redis-server is not installed; .ci/run installs it";

let available: boolean | undefined;

/** Whether `redis-server` can be run here; tests pass `ignore: !redisAvailable()`. */
export function redisAvailable(): boolean {
  if (available === undefined) {
    try {
      available = new Deno.Command("redis-server", { args: ["--version"], stdout: "null" })
        .outputSync().success;
    } catch {
      available = false;
    }
  }
  return available;
}

const PORT_ATTEMPTS = 10;
const READY_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 5_000;
const PROBE_TIMEOUT_MS = 500;

/** A running (or stopped, between `stop()` and `start()`) redis-server. */
export class RedisServer implements AsyncDisposable {
  readonly dir: string;
  #port = 0;
  #child: Deno.ChildProcess | undefined;
  #output: Promise<string> | undefined;

  private constructor(dir: string) {
    this.dir = dir;
  }

  /**
   * Starts a fresh server with an empty data dir on a free port, trying
   * `options.port` first if given (the tests of this helper use that).
   */
  static async start(options: { port?: number } = {}): Promise<RedisServer> {
    const server = new RedisServer(await Deno.makeTempDir({ prefix: "chat_redis_" }));
    try {
      let lastError: Error | undefined;
      for (let attempt = 0; attempt < PORT_ATTEMPTS; attempt++) {
        // 20000-59999: above the usual service ports, below Linux's ephemeral range.
        server.#port = attempt === 0 && options.port !== undefined
          ? options.port
          : 20_000 + Math.floor(Math.random() * 40_000);
        try {
          await server.start();
          return server;
        } catch (error) {
          if (!(error instanceof PortInUseError)) throw error;
          lastError = error;
        }
      }
      throw new Error(`No free port for redis-server in ${PORT_ATTEMPTS} tries`, {
        cause: lastError,
      });
    } catch (error) {
      await Deno.remove(server.dir, { recursive: true });
      throw error;
    }
  }

  get port(): number {
    return this.#port;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.#port}`;
  }

  /** The server's process id while it runs. */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  /** Starts the server again on the same port and data dir after `stop()`. */
  async start(): Promise<void> {
    if (this.#child) throw new Error("redis-server is already running");
    const child = new Deno.Command("redis-server", {
      args: [
        "--bind",
        "127.0.0.1",
        "--port",
        String(this.#port),
        "--save",
        "",
        "--appendonly",
        "yes",
        "--dir",
        this.dir,
        "--daemonize",
        "no",
        "--logfile",
        "",
      ],
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    this.#child = child;
    // Drained for the whole life of the process so it never blocks on a full pipe.
    this.#output = Promise.all([readAll(child.stdout), readAll(child.stderr)])
      .then(([out, err]) => out + err);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    let exited = false;
    child.status.then(() => exited = true);
    while (Date.now() < deadline) {
      if (exited) {
        const output = await this.#reap();
        if (output.includes("Address already in use")) throw new PortInUseError(this.#port);
        throw new Error(`redis-server exited before it was ready:\n${output}`);
      }
      if (await answersAsProcess(this.#port, child.pid)) return;
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    await this.stop("SIGKILL");
    throw new Error(`redis-server did not answer on port ${this.#port} in ${READY_TIMEOUT_MS} ms`);
  }

  /**
   * Stops the server by PID: `signal` (SIGTERM lets it flush its append-only
   * file), then SIGKILL if it has not exited in 5 s. Returns its output.
   */
  async stop(signal: Deno.Signal = "SIGTERM"): Promise<string> {
    const child = this.#child;
    if (!child) return "";
    try {
      child.kill(signal);
    } catch {
      // Already exited.
    }
    const timer = setTimeout(() => {
      try {
        child.kill("SIGKILL");
      } catch {
        // Exited in the meantime.
      }
    }, STOP_TIMEOUT_MS);
    try {
      return await this.#reap();
    } finally {
      clearTimeout(timer);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
    await Deno.remove(this.dir, { recursive: true });
  }

  async #reap(): Promise<string> {
    const child = this.#child!;
    await child.status;
    const output = await this.#output!;
    this.#child = undefined;
    this.#output = undefined;
    return output;
  }
}

/** Starts a redis-server; see `RedisServer`. */
export function startRedis(options: { port?: number } = {}): Promise<RedisServer> {
  return RedisServer.start(options);
}

class PortInUseError extends Error {
  constructor(port: number) {
    super(`Port ${port} is already in use`);
    this.name = "PortInUseError";
  }
}

async function readAll(stream: ReadableStream<Uint8Array>): Promise<string> {
  return await new Response(stream).text();
}

/**
 * Whether the server on `port` is process `pid` and has finished loading its
 * data: `INFO` answers while the append-only file loads, other commands say
 * LOADING.
 */
async function answersAsProcess(port: number, pid: number): Promise<boolean> {
  let conn: Deno.TcpConn;
  try {
    conn = await Deno.connect({ hostname: "127.0.0.1", port });
  } catch {
    return false;
  }
  // Whatever holds the port may accept and never answer: give up on it after a while.
  const timer = setTimeout(() => conn.close(), PROBE_TIMEOUT_MS);
  try {
    await conn.write(new TextEncoder().encode("*1\r\n$4\r\nINFO\r\n"));
    const decoder = new TextDecoder();
    const buffer = new Uint8Array(16_384);
    let text = "";
    // INFO is a few kB; a reply without these fields would end the loop at EOF.
    for (let reads = 0; reads < 64; reads++) {
      const n = await conn.read(buffer);
      if (n === null) return false;
      text += decoder.decode(buffer.subarray(0, n), { stream: true });
      const process = /process_id:(\d+)\r\n/.exec(text);
      if (process && Number(process[1]) !== pid) return false;
      const loading = /\r\nloading:(\d)\r\n/.exec(text);
      if (process && loading) return loading[1] === "0";
      if (text.startsWith("-")) return false; // LOADING or another error: not ready yet.
    }
    return false;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // Closed by the timer.
    }
  }
}
