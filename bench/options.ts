/**
 * The command line of `deno task bench`. A usage error is a ValidationError,
 * which main.ts turns into exit code 2 with a hint.
 */
import type { ScenarioName } from "./result.ts";

export class ValidationError extends Error {
  override name = "ValidationError";
}

export interface BenchOptions {
  quick: boolean;
  scenario: ScenarioName | null;
  members: number | null;
  senders: number | null;
  rate: number | null;
  duration: number | null;
  concurrency: number | null;
  runs: number;
  workers: number;
  pin: boolean;
  profile: boolean;
  /** Start the server with the V8 flags from scripts/permissions.ts (--no-v8-flags: without). */
  v8Flags: boolean;
  /** Share of the members (0 to 1) that join over a WebSocket (`chat serve --web`) instead of TCP. */
  webShare: number;
  /** Serve the room from this many `chat serve --redis` nodes (fanout only); 1 is one plain server. */
  nodes: number;
  /** With nodes: all of them on one port (`--reuse-port`), the kernel spreading the members. */
  reusePort: boolean;
  docs: boolean;
  /** Server entry point, relative to the repository root. */
  server: string;
  output: string;
  help: boolean;
}

export const USAGE = `Usage: deno task bench [options]

Runs the chat server as its own process and loads it over loopback TCP from
separate load-worker processes. With no options, runs the full suite and
rewrites docs/performance.md and docs/performance.svg.

Options:
  --quick               every scenario at tiny sizes, a few seconds each (CI smoke test)
  --scenario NAME       one scenario: fanout, idle, join, soak or abuse
  --members N           members in the room
  --senders N           members that send (fanout, soak)
  --rate N              messages per second offered by all senders together
  --duration S          seconds of sending (fanout, soak)
  --concurrency N       registrations in flight while members join
  --runs N              repeat each case N times and report medians (default 1)
  --workers N           load-worker processes (default 2)
  --no-pin              do not pin the server and the workers to separate CPUs
  --profile             write V8 CPU profiles of the server (to a temp folder) and print its hot functions
  --no-v8-flags         start the server without --expose-gc, so its idle collector only trims
  --web-share F         start the server with --web and put this share (0 to 1) of the members on
                        WebSockets instead of TCP (default 0)
  --nodes N             serve the room from N chat serve --redis nodes over a redis-server the
                        bench starts (fanout only; default 1, one server without Redis); load
                        worker w talks to node w mod N
  --reuse-port          with --nodes, every node listens on one port and the kernel spreads
                        the members
  --no-docs             do not rewrite docs/performance.* after the full suite
  --server PATH         server entry point relative to the repo root (default main.ts)
  --output PATH         JSON lines file (default bench/results/latest.jsonl)
  -h, --help            this text

Exit codes: 0 all deliveries arrived, 1 messages lost or reordered, an honest
member dropped under abuse, or the server died, 2 usage error. Missed
performance targets are reported, not fatal.`;

const SCENARIOS: ScenarioName[] = ["fanout", "idle", "join", "soak", "abuse"];

export function parseOptions(args: string[]): BenchOptions {
  const options: BenchOptions = {
    quick: false,
    scenario: null,
    members: null,
    senders: null,
    rate: null,
    duration: null,
    concurrency: null,
    runs: 1,
    workers: 2,
    pin: true,
    profile: false,
    v8Flags: true,
    webShare: 0,
    nodes: 1,
    reusePort: false,
    docs: true,
    server: "main.ts",
    output: "bench/results/latest.jsonl",
    help: false,
  };
  for (let index = 0; index < args.length; index++) {
    const arg = args[index];
    const [flag, inline] = arg.startsWith("--") && arg.includes("=")
      ? [arg.slice(0, arg.indexOf("=")), arg.slice(arg.indexOf("=") + 1)]
      : [arg, undefined];
    const value = (): string => {
      const next = inline ?? args[++index];
      if (next === undefined) throw new ValidationError(`Option "${flag}" needs a value`);
      return next;
    };
    const count = (min: number): number => {
      const text = value();
      const parsed = Number(text);
      if (!Number.isFinite(parsed) || parsed < min) {
        throw new ValidationError(
          `Option "${flag}" needs a number of at least ${min}, not "${text}"`,
        );
      }
      return parsed;
    };
    switch (flag) {
      case "--quick":
        options.quick = true;
        break;
      case "--scenario": {
        const name = value();
        if (!SCENARIOS.includes(name as ScenarioName)) {
          throw new ValidationError(
            `Unknown scenario "${name}"; choose one of ${SCENARIOS.join(", ")}`,
          );
        }
        options.scenario = name as ScenarioName;
        break;
      }
      case "--members":
        options.members = Math.floor(count(1));
        break;
      case "--senders":
        options.senders = Math.floor(count(1));
        break;
      case "--rate":
        options.rate = count(0.001);
        break;
      case "--duration":
        options.duration = count(0.1);
        break;
      case "--concurrency":
        options.concurrency = Math.floor(count(1));
        break;
      case "--runs":
        options.runs = Math.floor(count(1));
        break;
      case "--workers":
        options.workers = Math.floor(count(1));
        break;
      case "--no-pin":
        options.pin = false;
        break;
      case "--no-v8-flags":
        options.v8Flags = false;
        break;
      case "--web-share": {
        const share = count(0);
        if (share > 1) throw new ValidationError(`Option "--web-share" is a share from 0 to 1`);
        options.webShare = share;
        break;
      }
      case "--nodes":
        options.nodes = Math.floor(count(1));
        if (options.nodes > 8) throw new ValidationError(`Option "--nodes" is at most 8`);
        break;
      case "--reuse-port":
        options.reusePort = true;
        break;
      case "--profile":
        options.profile = true;
        break;
      case "--no-docs":
        options.docs = false;
        break;
      case "--server":
        options.server = value();
        break;
      case "--output":
        options.output = value();
        break;
      case "-h":
      case "--help":
        options.help = true;
        break;
      default:
        throw new ValidationError(`Unknown option "${arg}"`);
    }
  }
  const sizing = options.members ?? options.senders ?? options.rate ?? options.duration ??
    options.concurrency;
  if (sizing !== null && options.scenario === null) {
    throw new ValidationError("Sizes (--members, --rate, ...) need --scenario");
  }
  if (options.nodes > 1 && options.scenario !== "fanout") {
    throw new ValidationError("--nodes needs --scenario fanout");
  }
  if (options.nodes > 1 && options.webShare > 0) {
    throw new ValidationError("--nodes and --web-share do not go together yet");
  }
  if (options.reusePort && options.nodes < 2) {
    throw new ValidationError("--reuse-port needs --nodes 2 or more");
  }
  return options;
}
