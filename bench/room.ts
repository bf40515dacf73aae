/**
 * A bench room: a fresh server process plus the load workers, with N members
 * connected and registered. Every scenario starts from one and closes it, so
 * runs never share a server's warm-up, garbage or leftover members.
 */
import { Histogram } from "./histogram.ts";
import { readProc } from "./proc_stats.ts";
import { type ServerOptions, ServerProcess } from "./server_process.ts";
import { WorkerPool } from "./worker_pool.ts";
import { type RedisServer, startRedis } from "../tests/support/redis_server.ts";

/** Settings every scenario shares. */
import type { RunResult } from "./result.ts";

export interface BenchContext {
  server: ServerOptions;
  workers: number;
  /** CPU list the load workers are pinned to, or null. */
  workerCpus: string | null;
  /** Cores the generator may use, for its utilisation figure. */
  generatorCores: number;
  /** Share of the members (0 to 1) that join over a WebSocket. */
  webShare: number;
  /** Nodes serving the room over Redis; 1 is one server without Redis. */
  nodes: number;
  /** With nodes: all on one port. */
  reusePort: boolean;
  /** Progress messages for the console. */
  progress: (message: string) => void;
}

/** How the members got in. */
export interface JoinOutcome {
  registered: number;
  failed: number;
  /** First connect to last welcome, across workers, in seconds. */
  seconds: number;
  registerLatency: Histogram;
  errors: string[];
}

/** Where a member lives: its worker and its index there. */
export interface MemberPlace {
  worker: number;
  local: number;
}

export class BenchRoom {
  /** The first (or only) server. */
  readonly server: ServerProcess;
  /** Every node serving the room (just `server` without --nodes). */
  readonly servers: ServerProcess[];
  /** The redis-server behind the nodes, or null. */
  readonly redis: RedisServer | null;
  readonly pool: WorkerPool;
  /** Members per worker; worker w holds global members first[w] .. first[w] + counts[w] - 1. */
  readonly counts: number[];
  readonly first: number[];
  #context: BenchContext;

  private constructor(
    context: BenchContext,
    servers: ServerProcess[],
    redis: RedisServer | null,
    pool: WorkerPool,
    counts: number[],
  ) {
    this.#context = context;
    this.server = servers[0];
    this.servers = servers;
    this.redis = redis;
    this.pool = pool;
    this.counts = counts;
    this.first = counts.map((_, index) => counts.slice(0, index).reduce((a, b) => a + b, 0));
  }

  /** Starts a server and the workers; nobody has joined yet. */
  static async open(context: BenchContext, members: number, senders: number): Promise<BenchRoom> {
    const { servers, redis } = await startServers(context);
    const workers = Math.max(1, Math.min(context.workers, members));
    const pool = WorkerPool.start({ workers, cpus: context.workerCpus });
    const counts = Array.from(
      { length: workers },
      (_, index) => Math.floor(members / workers) + (index < members % workers ? 1 : 0),
    );
    const room = new BenchRoom(context, servers, redis, pool, counts);
    const server = servers[0];
    try {
      // Large rooms get smaller read buffers so that 10,000 members fit in a worker's memory.
      const readBufferBytes = members > 2000 ? 8192 : 32768;
      await pool.each((worker) => ({
        op: "init",
        // Worker w's members are node w mod N's (with --reuse-port all ports are one).
        port: servers[worker % servers.length].port,
        webPort: server.webPort,
        webShare: context.webShare,
        senders,
        readBufferBytes,
      }));
    } catch (error) {
      await room.close();
      throw error;
    }
    return room;
  }

  /** Where global member `index` lives. */
  place(index: number): MemberPlace {
    let worker = this.counts.length - 1;
    while (worker > 0 && this.first[worker] > index) worker--;
    return { worker, local: index - this.first[worker] };
  }

  /** Connects and registers every member, `concurrency` at a time in total. */
  async join(concurrency: number, nickPrefix: string): Promise<JoinOutcome> {
    const perWorker = Math.max(1, Math.ceil(concurrency / this.counts.length));
    const replies = await this.pool.each((worker) => ({
      op: "join",
      first: this.first[worker],
      count: this.counts[worker],
      concurrency: perWorker,
      nickPrefix,
    }));
    const outcome: JoinOutcome = {
      registered: 0,
      failed: 0,
      seconds: 0,
      registerLatency: new Histogram(),
      errors: [],
    };
    let start = Infinity;
    let end = 0;
    for (const reply of replies) {
      if (reply.op !== "joined") continue;
      outcome.registered += reply.registered;
      outcome.failed += reply.failed;
      outcome.registerLatency.merge(reply.registerLatency);
      outcome.errors.push(...reply.errors);
      start = Math.min(start, reply.startMicros);
      end = Math.max(end, reply.endMicros);
    }
    outcome.seconds = (end - start) / 1e6;
    return outcome;
  }

  /**
   * Waits until the members have received `expected` join announcements in
   * total, or `timeoutMs` passes. Returns how many arrived.
   */
  async waitForJoins(expected: number, timeoutMs: number): Promise<number> {
    const deadline = performance.now() + timeoutMs;
    let joins = 0;
    while (true) {
      joins = (await this.pool.stats()).joins;
      if (joins >= expected || performance.now() > deadline || this.server.exited) return joins;
      await sleep(50);
    }
  }

  /** Peak RSS so far, in bytes, of the server. */
  serverPeakRss(): number {
    return readProc(this.server.pid)?.hwmBytes ?? 0;
  }

  /**
   * Stops the server, then the workers. In that order, because members
   * leaving one by one would make the server announce N leaves to N members.
   */
  async close(result?: RunResult): Promise<void> {
    for (const server of this.servers) {
      const diedEarly = server.exited !== null;
      const exitCode = await server.stop();
      if (!diedEarly) continue;
      this.#context.progress(`server log:\n${server.log.slice(-20).join("\n")}`);
      result?.problems.push(`a server died during the run (exit ${exitCode})`);
    }
    await this.pool.close();
    await this.redis?.[Symbol.asyncDispose]();
  }
}

/** One server, or a redis-server and `context.nodes` nodes of one room on it. */
async function startServers(
  context: BenchContext,
): Promise<{ servers: ServerProcess[]; redis: RedisServer | null }> {
  if (context.nodes <= 1) {
    return { servers: [await ServerProcess.start(context.server)], redis: null };
  }
  const redis = await startRedis();
  const servers: ServerProcess[] = [];
  try {
    const room = `bench-${crypto.randomUUID()}`;
    for (let node = 0; node < context.nodes; node++) {
      servers.push(
        await ServerProcess.start({
          ...context.server,
          redis: { url: redis.url, room },
          reusePort: context.reusePort,
          port: context.reusePort && node > 0 ? servers[0].port : 0,
        }),
      );
    }
  } catch (error) {
    for (const server of servers) await server.stop();
    await redis[Symbol.asyncDispose]();
    throw error;
  }
  return { servers, redis };
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Join announcements a room of `members` produces: the k-th newcomer is announced to k members. */
export function expectedJoins(members: number): number {
  return members * (members + 1) / 2;
}
