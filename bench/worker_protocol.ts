/**
 * The JSON lines the coordinator (bench/main.ts) and its load workers
 * (bench/load_worker.ts) exchange over the workers' stdin and stdout.
 * Each request travels in an envelope with an id, and gets exactly one reply
 * carrying the same id; "stats" may be answered ahead of a running "send".
 */
import type { SparseHistogram } from "./histogram.ts";

/** What the coordinator asks a worker to do. */
export type WorkerRequest =
  | {
    op: "init";
    port: number;
    /** The `--web` port; members whose global index the share picks join there. */
    webPort: number | null;
    /** Share of the members (0 to 1) that join over a WebSocket. */
    webShare: number;
    /** Senders in the whole run, to size each member's sequence table. */
    senders: number;
    /** Read buffer per connection, in bytes. */
    readBufferBytes: number;
  }
  | {
    op: "join";
    /** Global index of this worker's first member; nicknames derive from it. */
    first: number;
    count: number;
    /** Connections this worker opens and registers at the same time. */
    concurrency: number;
    nickPrefix: string;
  }
  | {
    op: "send";
    /** Global sender numbers and the local member (0-based) that sends for each. */
    senders: { sender: number; member: number }[];
    /** Messages a second from each sender. */
    ratePerSender: number;
    /** When the first message is due, in epoch microseconds (see clock.ts). */
    startMicros: number;
    durationMs: number;
  }
  | { op: "stats"; reset: boolean }
  | { op: "quit" };

/** What a worker answers. */
export type WorkerReply =
  | { op: "ready" }
  | {
    op: "joined";
    registered: number;
    failed: number;
    /** First connect started and last registration finished, in epoch microseconds. */
    startMicros: number;
    endMicros: number;
    /** Time from connect to the welcome line, per member. */
    registerLatency: SparseHistogram;
    errors: string[];
  }
  | {
    op: "sent";
    /** Messages sent by each of the request's senders, in order. */
    counts: number[];
    /** Worst lateness of a send against its schedule, in milliseconds. */
    lagMaxMs: number;
  }
  | { op: "stats" } & WorkerStats
  | { op: "bye" }
  | { op: "error"; message: string };

/** What a worker's receivers saw. Counts add up across workers. */
export interface WorkerStats {
  members: number;
  /** Bench messages received in order (sequence higher than any before from that sender). */
  received: number;
  /** Of those, per global sender. */
  receivedBySender: number[];
  /** Messages whose sequence was not above the last one from that sender: duplicates or reordered. */
  disordered: number;
  /** Sequence numbers skipped over when a later one arrived first. */
  gaps: number;
  /** `joined the chat.` lines received. */
  joins: number;
  /** Lines neither a bench message nor a join. */
  otherLines: number;
  /** Connections the server closed on us. */
  closed: number;
  latency: SparseHistogram;
  /**
   * How late a 5 ms interval timer fired in the worker: when the generator's
   * event loop is starved, this grows, and the latency it reports is partly its own.
   */
  loopLag: SparseHistogram;
  /** Time of the latest bench message received, epoch microseconds; 0 if none. */
  lastReceiveMicros: number;
}

/** A request line: the id comes back on the reply. */
export interface WorkerEnvelope {
  id: number;
  request: WorkerRequest;
}

/**
 * Whether global member `index` joins over a WebSocket: the share is spread
 * evenly over the indexes (0.5 is every other member), so senders and
 * receivers both come in both kinds.
 */
export function joinsOverWeb(index: number, share: number): boolean {
  return Math.floor((index + 1) * share) > Math.floor(index * share);
}
