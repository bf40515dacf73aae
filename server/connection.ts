/**
 * One client connection's outbound side: a bounded queue of encoded lines
 * and a writer that drains it. While a write is in flight further lines
 * queue up and go out together as one write, so a busy room costs few
 * syscalls, and a member who stops reading only ever fills its own queue.
 */
import type { ServerEvent } from "../protocol/events.ts";
import { encodeEvent, type Framing } from "../protocol/framing.ts";

/**
 * A queue over its limit is only "too slow" once its writer has made no
 * progress for this long: a burst of broadcasts that lands in one event-loop
 * turn can exceed the limit for a member who reads perfectly well.
 */
const STALL_MS = 1000;
/** Past this many times the limit a connection is dropped even if it is making progress. */
const HARD_LIMIT_FACTOR = 4;

/** Writes whose queue is waiting for the next flush, shared by all connections. */
const dirty: Connection[] = [];
let flushScheduled = false;

function flushDirty(): void {
  flushScheduled = false;
  const connections = dirty.splice(0);
  for (const connection of connections) connection.startWriting();
}

export class Connection {
  readonly id: number;
  readonly conn: Deno.Conn;
  readonly remoteIp: string;
  framing: Framing = "plain";
  /** Position in the fan-out's member list, or -1 when not a member. */
  memberIndex = -1;
  #limitBytes: number;
  #onOverflow: (connection: Connection) => void;
  #queue: Uint8Array[] = [];
  #queuedBytes = 0;
  #writing = false;
  /** When the writer last started or finished a write (performance.now()). */
  #progressAt = 0;
  #dirty = false;
  #closing = false;
  #closed = false;
  #drained: (() => void)[] = [];

  constructor(
    id: number,
    conn: Deno.Conn,
    options: { limitBytes: number; onOverflow: (connection: Connection) => void },
  ) {
    this.id = id;
    this.conn = conn;
    const address = conn.remoteAddr as Deno.NetAddr;
    this.remoteIp = address.hostname ?? "unknown";
    this.#limitBytes = options.limitBytes;
    this.#onOverflow = options.onOverflow;
  }

  get closed(): boolean {
    return this.#closed;
  }

  /** True once no more output will be accepted. */
  get closing(): boolean {
    return this.#closing || this.#closed;
  }

  get queuedBytes(): number {
    return this.#queuedBytes;
  }

  send(event: ServerEvent): void {
    this.enqueue(encodeEvent(event, this.framing));
  }

  /** Queues encoded bytes; the same buffer may be queued on many connections. */
  enqueue(bytes: Uint8Array): void {
    if (this.#closing || this.#closed) return;
    const queued = this.#queuedBytes + bytes.length;
    if (queued > this.#limitBytes && this.#overLimit(queued)) {
      this.#discardPending();
      this.#onOverflow(this);
      return;
    }
    this.#queue.push(bytes);
    this.#queuedBytes += bytes.length;
    if (!this.#writing && !this.#dirty) {
      this.#dirty = true;
      dirty.push(this);
      if (!flushScheduled) {
        flushScheduled = true;
        queueMicrotask(flushDirty);
      }
    }
  }

  /** Sends what is queued, then closes; bounded by `graceMs`. */
  async closeAfterFlush(graceMs = 2000): Promise<void> {
    if (this.#closed) return;
    this.#closing = true;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => {
      timer = setTimeout(resolve, graceMs);
    });
    await Promise.race([this.drained(), timeout]);
    clearTimeout(timer);
    this.close();
  }

  /** Queues a final line even while closing, replacing anything unsent. */
  sendFinal(event: ServerEvent): void {
    if (this.#closed) return;
    const wasClosing = this.#closing;
    this.#closing = false;
    this.#discardPending();
    this.send(event);
    this.#closing = wasClosing;
  }

  /** Whether a queue past the soft limit means the reader is too slow (see STALL_MS). */
  #overLimit(queued: number): boolean {
    if (queued > this.#limitBytes * HARD_LIMIT_FACTOR) return true;
    return this.#writing && performance.now() - this.#progressAt > STALL_MS;
  }

  /** Forgets queued bytes that no write has taken yet. */
  #discardPending(): void {
    for (const chunk of this.#queue) this.#queuedBytes -= chunk.length;
    this.#queue = [];
  }

  /** Resolves once the queue is empty and no write is in flight. */
  drained(): Promise<void> {
    if (!this.#writing && this.#queue.length === 0) return Promise.resolve();
    return new Promise((resolve) => this.#drained.push(resolve));
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#closing = true;
    this.#queue = [];
    this.#queuedBytes = 0;
    try {
      this.conn.close();
    } catch {
      // Already closed by the other side or by a failed write.
    }
    for (const resolve of this.#drained.splice(0)) resolve();
  }

  /** Called by the shared flush: writes everything queued, coalesced. */
  startWriting(): void {
    this.#dirty = false;
    if (this.#writing || this.#closed) return;
    this.#writing = true;
    this.#progressAt = performance.now();
    this.#writeLoop().catch(() => this.close());
  }

  async #writeLoop(): Promise<void> {
    while (this.#queue.length > 0 && !this.#closed) {
      const chunks = this.#queue;
      const total = this.#queuedBytes;
      this.#queue = [];
      let bytes: Uint8Array;
      if (chunks.length === 1) {
        bytes = chunks[0];
      } else {
        bytes = new Uint8Array(total);
        let offset = 0;
        for (const chunk of chunks) {
          bytes.set(chunk, offset);
          offset += chunk.length;
        }
      }
      let written = 0;
      while (written < bytes.length) {
        written += await this.conn.write(written === 0 ? bytes : bytes.subarray(written));
        this.#progressAt = performance.now();
      }
      this.#queuedBytes -= total;
    }
    this.#writing = false;
    for (const resolve of this.#drained.splice(0)) resolve();
  }
}
