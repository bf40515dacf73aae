/**
 * The coordinator's side of the load workers: starts each as its own Deno
 * process (pinned to the generator CPUs when `taskset` is available), sends
 * requests and matches replies by id, and sums up what they report.
 */
import { Histogram } from "./histogram.ts";
import { readProc } from "./proc_stats.ts";
import type { WorkerEnvelope, WorkerReply, WorkerRequest, WorkerStats } from "./worker_protocol.ts";

const WORKER_SCRIPT = new URL("./load_worker.ts", import.meta.url).pathname;
const encoder = new TextEncoder();

/** How long any one worker request may take before the run is given up. */
const REQUEST_TIMEOUT_MS = 180_000;

class LoadWorker {
  readonly child: Deno.ChildProcess;
  #writer: WritableStreamDefaultWriter<Uint8Array>;
  #nextId = 1;
  #waiting = new Map<number, (reply: WorkerReply) => void>();
  #exited = false;

  constructor(command: string[]) {
    this.child = new Deno.Command(command[0], {
      args: command.slice(1),
      stdin: "piped",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
    this.#writer = this.child.stdin.getWriter();
    this.#readReplies();
    this.child.status.then(() => {
      this.#exited = true;
      for (const resolve of this.#waiting.values()) {
        resolve({ op: "error", message: "The load worker exited" });
      }
      this.#waiting.clear();
    });
  }

  get pid(): number {
    return this.child.pid;
  }

  async request(request: WorkerRequest): Promise<WorkerReply> {
    if (this.#exited) return { op: "error", message: "The load worker exited" };
    const id = this.#nextId++;
    const envelope: WorkerEnvelope = { id, request };
    let timer: ReturnType<typeof setTimeout> | undefined;
    const reply = new Promise<WorkerReply>((resolve) => {
      this.#waiting.set(id, resolve);
      timer = setTimeout(() => {
        this.#waiting.delete(id);
        resolve({ op: "error", message: `The load worker did not answer "${request.op}" in time` });
      }, REQUEST_TIMEOUT_MS + ("durationMs" in request ? request.durationMs : 0));
    });
    await this.#writer.write(encoder.encode(JSON.stringify(envelope) + "\n"));
    const answer = await reply;
    clearTimeout(timer);
    if (answer.op === "error") throw new Error(answer.message);
    return answer;
  }

  async close(): Promise<void> {
    if (!this.#exited) {
      try {
        await this.request({ op: "quit" });
      } catch {
        // It is exiting anyway.
      }
    }
    try {
      await this.#writer.close();
    } catch {
      // Already closed.
    }
    const timer = setTimeout(() => {
      try {
        this.child.kill("SIGKILL");
      } catch {
        // Gone.
      }
    }, 5000);
    await this.child.status;
    clearTimeout(timer);
  }

  async #readReplies(): Promise<void> {
    const text = this.child.stdout.pipeThrough(new TextDecoderStream());
    let carry = "";
    for await (const chunk of text) {
      carry += chunk;
      let newline = carry.indexOf("\n");
      while (newline >= 0) {
        const { id, ...reply } = JSON.parse(carry.slice(0, newline)) as
          & { id: number }
          & WorkerReply;
        carry = carry.slice(newline + 1);
        newline = carry.indexOf("\n");
        const resolve = this.#waiting.get(id);
        this.#waiting.delete(id);
        resolve?.(reply as WorkerReply);
      }
    }
  }
}

/** Options for starting the load workers. */
export interface PoolOptions {
  workers: number;
  /** CPU list for `taskset -c`, or null to leave scheduling to the kernel. */
  cpus: string | null;
}

/** What all workers' receivers saw, added up. */
export interface PoolStats extends Omit<WorkerStats, "latency" | "loopLag"> {
  latency: Histogram;
  loopLag: Histogram;
}

export class WorkerPool {
  readonly workers: LoadWorker[];

  private constructor(workers: LoadWorker[]) {
    this.workers = workers;
  }

  static start(options: PoolOptions): WorkerPool {
    const deno = Deno.execPath();
    const base = [deno, "run", "-A", "--quiet", WORKER_SCRIPT];
    const command = options.cpus === null ? base : ["taskset", "-c", options.cpus, ...base];
    return new WorkerPool(
      Array.from({ length: options.workers }, () => new LoadWorker(command)),
    );
  }

  get pids(): number[] {
    return this.workers.map((worker) => worker.pid);
  }

  /** Sends each worker its own request, built from its index, and waits for all replies. */
  each(requestOf: (index: number) => WorkerRequest): Promise<WorkerReply[]> {
    return Promise.all(this.workers.map((worker, index) => worker.request(requestOf(index))));
  }

  /** The summed receive counters of all workers. */
  async stats(reset = false): Promise<PoolStats> {
    const replies = await this.each(() => ({ op: "stats", reset }));
    const total: PoolStats = {
      members: 0,
      received: 0,
      receivedBySender: [],
      disordered: 0,
      gaps: 0,
      joins: 0,
      otherLines: 0,
      closed: 0,
      latency: new Histogram(),
      loopLag: new Histogram(),
      lastReceiveMicros: 0,
    };
    for (const reply of replies) {
      if (reply.op !== "stats") continue;
      total.members += reply.members;
      total.received += reply.received;
      total.disordered += reply.disordered;
      total.gaps += reply.gaps;
      total.joins += reply.joins;
      total.otherLines += reply.otherLines;
      total.closed += reply.closed;
      total.latency.merge(reply.latency);
      total.loopLag.merge(reply.loopLag);
      total.lastReceiveMicros = Math.max(total.lastReceiveMicros, reply.lastReceiveMicros);
      reply.receivedBySender.forEach((count, sender) => {
        total.receivedBySender[sender] = (total.receivedBySender[sender] ?? 0) + count;
      });
    }
    return total;
  }

  /** CPU seconds all workers have used so far. */
  cpuSeconds(): number {
    let total = 0;
    for (const pid of this.pids) total += readProc(pid)?.cpuSeconds ?? 0;
    return total;
  }

  async close(): Promise<void> {
    await Promise.all(this.workers.map((worker) => worker.close()));
  }
}
