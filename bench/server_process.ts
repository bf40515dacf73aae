/**
 * The chat server under test, started as its own process exactly as a user
 * would start it (`deno run -A main.ts serve ...`), with flood control off.
 *
 * `deno run` is itself the server process (it does not fork a child), and
 * `taskset` execs into it, so the spawned pid is the one to measure; `start`
 * checks that against /proc before handing it back.
 */
import { RUNTIME_UNSTABLE_FLAGS, V8_FLAGS_ARGUMENT } from "../scripts/permissions.ts";
import { identify, type ProcIdentity } from "./proc_stats.ts";

/** How the server is started. */
export interface ServerOptions {
  /** Repository root: the server runs with it as working directory. */
  root: string;
  /** Entry point, relative to `root`. */
  entry: string;
  /** CPU list for `taskset -c`, or null. */
  cpus: string | null;
  /** Directory for a V8 CPU profile (`--cpu-prof`), or null for none. */
  profileDir: string | null;
  /** Pass the V8 flags from scripts/permissions.ts, as `deno task serve` does. */
  v8Flags: boolean;
  /** Also serve the browser door (`--web 127.0.0.1:0`). */
  web: boolean;
  /** A cluster node of this room (`--redis URL --room NAME`) instead of a `--memory` room. */
  redis?: { url: string; room: string };
  /** Listen on this port (default 0, any free one). */
  port?: number;
  /** Share the port with other nodes (`--reuse-port`). */
  reusePort?: boolean;
}

/** What one case adds to the usual start: a data file, more flags, a reader of the log. */
export interface ServerSetup {
  /** `--data PATH` in place of `--memory`. */
  data?: string;
  /** More `chat serve` flags, after the usual ones (a later flag wins). */
  args?: string[];
  /** Called with every line the server logs, as it arrives. */
  onLog?: (line: string) => void;
}

const LISTENING = /listening address=([\d.]+):(\d+)/;
const WEB_LISTENING = /\bweb address=([\d.]+):(\d+)/;
const START_TIMEOUT_MS = 30_000;
const STOP_TIMEOUT_MS = 10_000;

export class ServerProcess {
  readonly pid: number;
  readonly port: number;
  /** The `--web` port, or null without one. */
  readonly webPort: number | null;
  readonly identity: ProcIdentity;
  readonly command: string[];
  #child: Deno.ChildProcess;
  #log: string[];
  #exit: Deno.CommandStatus | null = null;

  private constructor(
    child: Deno.ChildProcess,
    port: number,
    webPort: number | null,
    identity: ProcIdentity,
    command: string[],
    log: string[],
  ) {
    this.#child = child;
    this.pid = child.pid;
    this.port = port;
    this.webPort = webPort;
    this.identity = identity;
    this.command = command;
    this.#log = log;
    child.status.then((status) => this.#exit = status);
  }

  /** Starts the server and waits for its `listening address=` log line. */
  static async start(options: ServerOptions, setup: ServerSetup = {}): Promise<ServerProcess> {
    const deno = Deno.execPath();
    const profile = options.profileDir === null
      ? []
      : ["--cpu-prof", `--cpu-prof-dir=${options.profileDir}`];
    const serve = [
      deno,
      "run",
      "-A",
      ...(options.v8Flags ? [V8_FLAGS_ARGUMENT] : []),
      ...RUNTIME_UNSTABLE_FLAGS,
      ...profile,
      options.entry,
      "serve",
      "--host",
      "127.0.0.1",
      "--port",
      String(options.port ?? 0),
      "--rate",
      "0",
      ...(options.redis
        ? ["--redis", options.redis.url, "--room", options.redis.room]
        : setup.data === undefined
        ? ["--memory"]
        : ["--data", setup.data]),
      ...(options.reusePort ? ["--reuse-port"] : []),
      "--history",
      "0",
      "--max-connections",
      "20000",
      ...(options.web ? ["--web", "127.0.0.1:0"] : []),
      ...(setup.args ?? []),
    ];
    const command = options.cpus === null ? serve : ["taskset", "-c", options.cpus, ...serve];
    const child = new Deno.Command(command[0], {
      args: command.slice(1),
      cwd: options.root,
      stdin: "null",
      stdout: "null",
      stderr: "piped",
    }).spawn();
    const log: string[] = [];
    let webPort: number | null = null;
    const port = await new Promise<number>((resolve, reject) => {
      let tcpPort: number | null = null;
      const timer = setTimeout(() => {
        reject(
          new Error(`The server did not log "listening address=" within 30 s:\n${log.join("\n")}`),
        );
      }, START_TIMEOUT_MS);
      child.status.then((status) => {
        clearTimeout(timer);
        reject(
          new Error(
            `The server exited with code ${status.code} before listening:\n${log.join("\n")}`,
          ),
        );
      });
      // Keep draining stderr for the server's whole life, or it would block on a full pipe.
      drainLines(child.stderr, (line) => {
        if (log.length >= 200) log.shift();
        log.push(line);
        setup.onLog?.(line);
        const match = LISTENING.exec(line);
        if (match) tcpPort = Number(match[2]);
        const web = WEB_LISTENING.exec(line);
        if (web) webPort = Number(web[2]);
        // With --web, the web server logs its address right after the room's.
        if (tcpPort !== null && (!options.web || webPort !== null)) {
          clearTimeout(timer);
          resolve(tcpPort);
        }
      });
    });
    const identity = identify(child.pid);
    const joined = identity?.commandLine.join(" ") ?? "";
    if (identity === null || !joined.includes(" serve ") || identity.children.length > 0) {
      child.kill("SIGKILL");
      throw new Error(`Pid ${child.pid} is not the serving process: "${joined}"`);
    }
    return new ServerProcess(child, port, webPort, identity, command, log);
  }

  /** The exit status once the server has exited, else null. */
  get exited(): Deno.CommandStatus | null {
    return this.#exit;
  }

  /** The last lines the server logged. */
  get log(): string[] {
    return this.#log;
  }

  /** Sends SIGTERM and waits for the exit; SIGKILL after 10 s. Resolves to the exit code. */
  async stop(): Promise<number> {
    if (this.#exit === null) {
      try {
        this.#child.kill("SIGTERM");
      } catch {
        // Already gone.
      }
    }
    const timer = setTimeout(() => {
      try {
        this.#child.kill("SIGKILL");
      } catch {
        // Gone.
      }
    }, STOP_TIMEOUT_MS);
    const status = await this.#child.status;
    clearTimeout(timer);
    return status.code;
  }
}

async function drainLines(stream: ReadableStream<Uint8Array>, onLine: (line: string) => void) {
  let carry = "";
  try {
    for await (const chunk of stream.pipeThrough(new TextDecoderStream())) {
      carry += chunk;
      let newline = carry.indexOf("\n");
      while (newline >= 0) {
        onLine(carry.slice(0, newline));
        carry = carry.slice(newline + 1);
        newline = carry.indexOf("\n");
      }
    }
  } catch {
    // The pipe closed with the process.
  }
  if (carry !== "") onLine(carry);
}
