/**
 * One client connection: the socket to read from, and the outbound side it
 * owns alone: a bounded queue of encoded lines, the writer that drains it,
 * and its closing state. Lines queue until the write pacer's next flush or
 * until the write in flight completes, then go out together as one write,
 * so a busy room costs few syscalls, and a member who stops reading only
 * ever fills its own queue.
 */
import type { ServerEvent } from "../protocol/events.ts";
import { encodeEvent, type Framing } from "../protocol/framing.ts";
import type { ByteReader } from "../protocol/line_reader.ts";
import type { GatedOutput, OutputGate } from "./output_gate.ts";
import { remoteIp, type Transport } from "./transport.ts";
import type { Flushable, WritePacer } from "./write_pacer.ts";

/**
 * A queue over its limit is only "too slow" once its writer has made no
 * progress for this long: a burst of broadcasts that lands in one event-loop
 * turn can exceed the limit for a member who reads perfectly well.
 */
const STALL_MS = 1000;
/** Chunks are copied together into one write only up to this size. */
const MAX_COALESCED_BYTES = 4096;
/** Past this many times the limit a connection is dropped even if it is making progress. */
const HARD_LIMIT_FACTOR = 4;

export interface ConnectionOptions {
  /** Bytes queued before the reader counts as too slow (see `#overLimit`). */
  limitBytes: number;
  /** How long a queue over the limit may go without write progress (default 1000 ms). */
  stallMs?: number;
  pacer: WritePacer;
  /** Holds reads while members who read are behind with output (see output_gate.ts). */
  gate?: OutputGate;
  /** Called (at most once) when the connection turns out too slow; its queue is already gone. */
  onOverflow: (connection: Connection) => void;
}

export class Connection implements Flushable, ByteReader, GatedOutput {
  readonly id: number;
  readonly remoteIp: string;
  #conn: Transport;
  #framing: Framing = "plain";
  #limitBytes: number;
  #stallMs: number;
  #pacer: WritePacer;
  #gate: OutputGate | undefined;
  /** Whether the queue is over half the limit, as last told to the gate. */
  #congested = false;
  #onOverflow: (connection: Connection) => void;
  #queue: Uint8Array[] = [];
  /** Bytes queued or in flight: what this connection holds in memory. */
  #queuedBytes = 0;
  /** The write in flight, and how much of it the socket has taken. */
  #writing: Uint8Array | null = null;
  #written = 0;
  /** When the writer last made progress, by the pacer's clock. */
  #progressAt = 0;
  /** True while waiting in the write pacer's list to be written. */
  #flushRequested = false;
  #overflowed = false;
  #closing = false;
  #closed = false;
  #drained: (() => void)[] | null = null;
  /** Called once when the queue next falls to `bytes` or below. */
  #lowWater: { bytes: number; callback: () => void } | null = null;
  // Bound once per connection so a write costs no new closures.
  #onWritten = (count: number) => this.#afterWrite(count);
  #onWriteFailed = () => this.close();

  constructor(id: number, conn: Transport, options: ConnectionOptions) {
    this.id = id;
    this.#conn = conn;
    this.remoteIp = remoteIp(conn);
    this.#limitBytes = options.limitBytes;
    this.#stallMs = options.stallMs ?? STALL_MS;
    this.#pacer = options.pacer;
    this.#gate = options.gate;
    this.#onOverflow = options.onOverflow;
  }

  /** How events are encoded for this connection; chosen once, by its first line. */
  get framing(): Framing {
    return this.#framing;
  }

  useFraming(framing: Framing): void {
    this.#framing = framing;
  }

  /** Bytes queued or in flight. */
  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** True once no more output will be accepted. */
  get closing(): boolean {
    return this.#closing || this.#closed;
  }

  /** True when a write has been in flight with no progress for the stall interval. */
  get stalled(): boolean {
    return this.#writing !== null && performance.now() - this.#progressAt > this.#stallMs;
  }

  /**
   * Reads from the socket (what `readLines()` consumes), once the room's
   * readers have caught up with its output.
   */
  read(buffer: Uint8Array): Promise<number | null> {
    const wait = this.#gate?.wait();
    return wait ? wait.then(() => this.#conn.read(buffer)) : this.#conn.read(buffer);
  }

  /**
   * Calls `callback` once the queue holds `bytes` or less (at once if it
   * already does): how a long replay follows what the reader takes.
   */
  onceBelow(bytes: number, callback: () => void): void {
    if (this.#queuedBytes <= bytes) {
      callback();
      return;
    }
    this.#lowWater = { bytes, callback };
  }

  /** Queues one event as a private line, written at the end of this task. */
  send(event: ServerEvent): void {
    this.enqueue(encodeEvent(event, this.#framing));
  }

  /** Queues bytes as a private line, written at the end of this task. */
  enqueue(bytes: Uint8Array): void {
    if (this.closing) return;
    this.#push(bytes);
    this.#flushSoon();
  }

  /**
   * Queues bytes that many connections share (a view of a broadcast
   * segment); whoever queues them calls `flushQueued()` when done.
   */
  enqueueShared(bytes: Uint8Array): void {
    if (this.closing) return;
    this.#push(bytes);
  }

  /**
   * The last line this connection gets: what is queued and not yet written
   * is dropped (it is being disconnected), the event goes out, and the
   * connection closes once it is written or after `graceMs`.
   */
  finish(event: ServerEvent, graceMs = 2000): Promise<void> {
    if (this.#closed) return Promise.resolve();
    const wasClosing = this.#closing;
    this.#discardPending();
    if (!wasClosing) {
      const line = encodeEvent(event, this.#framing);
      this.#queue.push(line);
      this.#queuedBytes += line.length;
    }
    this.#closing = true;
    if (this.#writing === null && !this.#flushRequested) {
      this.#flushRequested = true;
      this.#pacer.requestUrgentFlush(this);
    }
    return this.#closeWhenDrained(graceMs);
  }

  /** Sends what is queued, then closes; bounded by `graceMs`. */
  closeAfterFlush(graceMs = 2000): Promise<void> {
    if (this.#closed) return Promise.resolve();
    this.#closing = true;
    return this.#closeWhenDrained(graceMs);
  }

  /** Closes at once; what is queued is dropped. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing = true;
    this.#queue = [];
    this.#queuedBytes = 0;
    this.#lowWater = null;
    this.#gate?.forget(this);
    try {
      this.#conn.close();
    } catch {
      // Already closed by the other side or by a failed write.
    }
    this.#settleDrained();
  }

  /** Writes the queue (small chunks coalesced into one write); returns the writes started. */
  flushQueued(): number {
    this.#flushRequested = false;
    const queue = this.#queue;
    if (this.#writing !== null || this.#closed || queue.length === 0) return 0;
    // Coalesce small chunks into one write; a large chunk (a shared broadcast
    // view) goes out as it is, so a member who is behind holds views of shared
    // buffers rather than private copies of them.
    let count = 1;
    let total = queue[0].length;
    while (count < queue.length && total + queue[count].length <= MAX_COALESCED_BYTES) {
      total += queue[count].length;
      count++;
    }
    let bytes = queue[0];
    if (count > 1) {
      bytes = new Uint8Array(total);
      let offset = 0;
      for (let i = 0; i < count; i++) {
        bytes.set(queue[i], offset);
        offset += queue[i].length;
      }
    }
    if (count === queue.length) this.#queue = [];
    else queue.splice(0, count);
    this.#writing = bytes;
    this.#written = 0;
    this.#progressAt = this.#pacer.now();
    this.#conn.write(bytes).then(this.#onWritten, this.#onWriteFailed);
    this.#pacer.countWrite();
    return 1;
  }

  #push(bytes: Uint8Array): void {
    const queued = this.#queuedBytes + bytes.length;
    if (queued > this.#limitBytes && this.#overLimit(queued)) {
      this.#discardPending();
      if (!this.#overflowed) {
        this.#overflowed = true;
        this.#onOverflow(this);
      }
      return;
    }
    this.#queue.push(bytes);
    this.#queuedBytes = queued;
    if (!this.#congested && queued > this.#limitBytes / 2) this.#setCongested(true);
  }

  #setCongested(congested: boolean): void {
    this.#congested = congested;
    this.#gate?.update(this, congested);
  }

  /** Writes the queue at the end of the current task, unless a write is in flight. */
  #flushSoon(): void {
    if (this.#writing !== null || this.#flushRequested) return;
    this.#flushRequested = true;
    this.#pacer.requestUrgentFlush(this);
  }

  /** Whether a queue past the soft limit means the reader is too slow (see STALL_MS). */
  #overLimit(queued: number): boolean {
    if (queued > this.#limitBytes * HARD_LIMIT_FACTOR) return true;
    return this.stalled;
  }

  /** Forgets queued bytes that no write has taken yet. */
  #discardPending(): void {
    for (const chunk of this.#queue) this.#queuedBytes -= chunk.length;
    this.#queue = [];
  }

  async #closeWhenDrained(graceMs: number): Promise<void> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([this.#whenDrained(), timeout]);
    clearTimeout(timer);
    this.close();
  }

  /** Resolves once the queue is empty and no write is in flight. */
  #whenDrained(): Promise<void> {
    if (this.#writing === null && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => (this.#drained ??= []).push(resolve));
  }

  #afterWrite(count: number): void {
    const bytes = this.#writing;
    if (bytes === null || this.#closed) return;
    this.#written += count;
    this.#progressAt = this.#pacer.now();
    if (this.#written < bytes.length) {
      // The socket took part of it: write the rest before anything newer.
      this.#conn.write(bytes.subarray(this.#written)).then(this.#onWritten, this.#onWriteFailed);
      return;
    }
    this.#queuedBytes -= bytes.length;
    this.#writing = null;
    if (this.#congested && this.#queuedBytes <= this.#limitBytes / 4) this.#setCongested(false);
    const lowWater = this.#lowWater;
    if (lowWater !== null && this.#queuedBytes <= lowWater.bytes) {
      this.#lowWater = null;
      lowWater.callback();
    }
    // What queued meanwhile (a member who fell behind, a private line) follows at once.
    if (this.#queue.length > 0) this.flushQueued();
    else this.#settleDrained();
  }

  #settleDrained(): void {
    const waiting = this.#drained;
    if (waiting === null) return;
    this.#drained = null;
    for (const resolve of waiting) resolve();
  }
}
