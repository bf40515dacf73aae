/**
 * A load worker: a separate Deno process that holds a share of the bench's
 * members, registers them, sends paced bench messages for some of them, and
 * tallies what they all receive. The coordinator (bench/main.ts) drives it
 * with one JSON request per stdin line and reads one JSON reply per stdout
 * line (worker_protocol.ts).
 *
 * Run by the bench only: `deno run -A bench/load_worker.ts`.
 */
import { benchMessage } from "./bench_line.ts";
import { nowMicros } from "./clock.ts";
import { Histogram } from "./histogram.ts";
import { Member } from "./member.ts";
import { ReceiveTally } from "./receive_tally.ts";
import { WebMember } from "./web_member.ts";
import {
  joinsOverWeb,
  type WorkerEnvelope,
  type WorkerReply,
  type WorkerRequest,
} from "./worker_protocol.ts";

const encoder = new TextEncoder();

interface WorkerState {
  port: number;
  webPort: number | null;
  webShare: number;
  senders: number;
  readBufferBytes: number;
  tally: ReceiveTally;
  /** By local index, in the order the join requests named them; a hole where registration failed. */
  members: (Member | WebMember | undefined)[];
}

let state: WorkerState | null = null;

async function handle(request: WorkerRequest): Promise<WorkerReply> {
  switch (request.op) {
    case "init":
      state = {
        port: request.port,
        webPort: request.webPort,
        webShare: request.webShare,
        senders: request.senders,
        readBufferBytes: request.readBufferBytes,
        tally: new ReceiveTally(request.senders),
        members: [],
      };
      watchLoopLag(state.tally);
      return { op: "ready" };
    case "join":
      return await join(need(), request);
    case "send":
      return await send(need(), request);
    case "stats":
      return { op: "stats", ...need().tally.snapshot(registeredCount(need()), request.reset) };
    case "quit":
      clearInterval(lagProbe);
      for (const member of state?.members ?? []) member?.close();
      return { op: "bye" };
  }
}

function registeredCount(worker: WorkerState): number {
  let count = 0;
  for (const member of worker.members) if (member !== undefined) count++;
  return count;
}

function need(): WorkerState {
  if (state === null) throw new Error("The worker got a request before init");
  return state;
}

async function join(
  worker: WorkerState,
  request: Extract<WorkerRequest, { op: "join" }>,
): Promise<WorkerReply> {
  const latency = new Histogram();
  const errors: string[] = [];
  let next = 0;
  let registered = 0;
  let failed = 0;
  const base = worker.members.length;
  worker.members.length = base + request.count;
  const startMicros = nowMicros();
  async function runner(): Promise<void> {
    while (next < request.count) {
      const local = next++;
      const index = request.first + local;
      const nick = `${request.nickPrefix}${index}`;
      const web = worker.webPort !== null && joinsOverWeb(index, worker.webShare);
      const member = web
        ? new WebMember(nick, worker.tally, worker.senders)
        : new Member(nick, worker.tally, worker.senders, worker.readBufferBytes);
      const began = nowMicros();
      try {
        await member.register(web ? worker.webPort! : worker.port);
        latency.record(nowMicros() - began);
        worker.members[base + local] = member;
        registered++;
      } catch (error) {
        failed++;
        member.close();
        if (errors.length < 5) errors.push(String(error));
      }
    }
  }
  const runners = Math.max(1, Math.min(request.concurrency, request.count));
  await Promise.all(Array.from({ length: runners }, runner));
  return {
    op: "joined",
    registered,
    failed,
    startMicros,
    endMicros: nowMicros(),
    registerLatency: latency.toSparse(),
    errors,
  };
}

/**
 * Sends on a fixed schedule: message k of this worker is due at
 * start + k / (rate × senders), taking senders in turn, so lateness never
 * accumulates into drift. Each message is stamped when it is actually written.
 */
async function send(
  worker: WorkerState,
  request: Extract<WorkerRequest, { op: "send" }>,
): Promise<WorkerReply> {
  const senders = request.senders;
  const counts = senders.map(() => 0);
  if (senders.length === 0 || request.ratePerSender <= 0) {
    return { op: "sent", counts, lagMaxMs: 0 };
  }
  const intervalMicros = 1e6 / (request.ratePerSender * senders.length);
  const total = Math.floor(request.durationMs * 1000 / intervalMicros);
  const deadline = request.startMicros + request.durationMs * 1000 + 5_000_000;
  let lagMax = 0;
  let k = 0;
  while (k < total) {
    const now = nowMicros();
    if (now > deadline) break;
    const due = request.startMicros + k * intervalMicros;
    if (now < due) {
      await sleep((due - now) / 1000);
      continue;
    }
    if (now - due > lagMax) lagMax = now - due;
    // Everything due by now goes out in this turn.
    while (k < total && request.startMicros + k * intervalMicros <= now) {
      const slot = k % senders.length;
      const seq = Math.floor(k / senders.length);
      const member = worker.members[senders[slot].member];
      if (member !== undefined) {
        member.send(encoder.encode(benchMessage(senders[slot].sender, seq, nowMicros())));
        counts[slot]++;
      }
      k++;
    }
    // Let the receivers run between bursts.
    await sleep(0);
  }
  return { op: "sent", counts, lagMaxMs: lagMax / 1000 };
}

const LAG_PROBE_MS = 5;
let lagProbe: ReturnType<typeof setInterval> | undefined;

/** Records how late a 5 ms interval fires: the worker's own event-loop delay. */
function watchLoopLag(tally: ReceiveTally): void {
  clearInterval(lagProbe);
  let expected = performance.now() + LAG_PROBE_MS;
  lagProbe = setInterval(() => {
    const now = performance.now();
    tally.loopLag.record(Math.max(0, now - expected) * 1000);
    expected = now + LAG_PROBE_MS;
  }, LAG_PROBE_MS);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}

async function main(): Promise<void> {
  const lines = Deno.stdin.readable.pipeThrough(new TextDecoderStream());
  let carry = "";
  let quit = false;
  // Requests run one after another, except "stats", which is answered at once
  // even while a send is under way; replies carry the request's id.
  let work: Promise<void> = Promise.resolve();
  let output: Promise<unknown> = Promise.resolve();
  const reply = (id: number, body: WorkerReply) => {
    const bytes = encoder.encode(JSON.stringify({ id, ...body }) + "\n");
    output = output.then(() => writeAll(bytes));
  };
  const run = async (envelope: WorkerEnvelope) => {
    let body: WorkerReply;
    try {
      body = await handle(envelope.request);
    } catch (error) {
      body = { op: "error", message: String(error) };
    }
    reply(envelope.id, body);
  };
  for await (const chunk of lines) {
    carry += chunk;
    let newline = carry.indexOf("\n");
    while (newline >= 0) {
      const envelope = JSON.parse(carry.slice(0, newline)) as WorkerEnvelope;
      carry = carry.slice(newline + 1);
      newline = carry.indexOf("\n");
      if (envelope.request.op === "stats") {
        await run(envelope);
      } else {
        work = work.then(() => run(envelope));
      }
      if (envelope.request.op === "quit") quit = true;
    }
    if (quit) break;
  }
  await work;
  await output;
  Deno.exit(0);
}

async function writeAll(bytes: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < bytes.length) offset += await Deno.stdout.write(bytes.subarray(offset));
}

if (import.meta.main) main();
