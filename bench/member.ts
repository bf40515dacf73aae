/**
 * One simulated chat member inside a load worker: a loopback TCP connection
 * that registers a nickname, then reads every line the server sends and
 * checks bench messages for order, gaps and latency.
 *
 * Reading is the generator's hot path. Each member reads into its own buffer,
 * finds line ends with `indexOf`, and parses bench lines from the bytes
 * (bench_line.ts); only the few lines before registration become strings.
 */
import { type BenchFields, isJoinLine, parseBenchLine } from "./bench_line.ts";
import type { ReceiveTally } from "./receive_tally.ts";

const NEWLINE = 0x0a;
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** How long a member may take from connect to welcome before it counts as failed. */
const REGISTER_TIMEOUT_MS = 30_000;

export class Member {
  readonly nick: string;
  #conn: Deno.TcpConn | null = null;
  #tally: ReceiveTally;
  /** Highest sequence seen from each sender; -1 before the first. */
  #lastSeq: Int32Array;
  #buffer: Uint8Array;
  #registered = false;
  #onRegistered: ((error?: Error) => void) | null = null;
  #closing = false;
  #writing = false;
  #pending: Uint8Array[] = [];
  #fields: BenchFields = { sender: 0, seq: 0, sentMicros: 0 };

  constructor(nick: string, tally: ReceiveTally, senders: number, readBufferBytes: number) {
    this.nick = nick;
    this.#tally = tally;
    this.#lastSeq = new Int32Array(senders).fill(-1);
    this.#buffer = new Uint8Array(readBufferBytes);
  }

  /** Connects, answers the nickname prompt and resolves once welcomed. */
  async register(port: number): Promise<void> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port, transport: "tcp" });
    conn.setNoDelay(true);
    this.#conn = conn;
    const welcomed = new Promise<void>((resolve, reject) => {
      this.#onRegistered = (error) => error ? reject(error) : resolve();
    });
    const timer = setTimeout(() => {
      this.#onRegistered?.(new Error(`Member "${this.nick}" was not welcomed in time`));
    }, REGISTER_TIMEOUT_MS);
    this.#readLoop();
    try {
      await welcomed;
    } finally {
      clearTimeout(timer);
      this.#onRegistered = null;
    }
  }

  /** Queues one line to the server; lines go out in order, batched while a write is under way. */
  send(bytes: Uint8Array): void {
    if (this.#conn === null || this.#closing) return;
    if (this.#writing) {
      this.#pending.push(bytes);
      return;
    }
    this.#drain(bytes);
  }

  close(): void {
    this.#closing = true;
    try {
      this.#conn?.close();
    } catch {
      // Already closed by the server.
    }
  }

  async #drain(first: Uint8Array): Promise<void> {
    this.#writing = true;
    let chunk: Uint8Array | null = first;
    try {
      while (chunk !== null) {
        let offset = 0;
        while (offset < chunk.length) offset += await this.#conn!.write(chunk.subarray(offset));
        chunk = takeAll(this.#pending);
      }
    } catch {
      // The read loop notices the closed connection and counts it.
    }
    this.#writing = false;
  }

  async #readLoop(): Promise<void> {
    const conn = this.#conn!;
    let buffer = this.#buffer;
    let kept = 0;
    try {
      while (true) {
        if (kept === buffer.length) {
          // A line longer than the buffer: grow it.
          const bigger = new Uint8Array(buffer.length * 2);
          bigger.set(buffer);
          buffer = bigger;
        }
        const read = await conn.read(buffer.subarray(kept));
        if (read === null) break;
        const end = kept + read;
        const view = buffer.subarray(0, end);
        let start = 0;
        let newline = view.indexOf(NEWLINE, kept);
        while (newline >= 0) {
          this.#line(buffer, start, newline);
          start = newline + 1;
          newline = view.indexOf(NEWLINE, start);
        }
        kept = end - start;
        if (kept > 0 && start > 0) buffer.copyWithin(0, start, end);
      }
    } catch {
      // Reset by the server, or closed by us.
    }
    if (!this.#closing) this.#tally.closed++;
    this.#onRegistered?.(new Error(`Member "${this.nick}" was disconnected before its welcome`));
  }

  #line(bytes: Uint8Array, start: number, end: number): void {
    const tally = this.#tally;
    const fields = this.#fields;
    if (parseBenchLine(bytes, start, end, fields)) {
      tally.countBench(this.#lastSeq, fields);
      return;
    }
    if (isJoinLine(bytes, start, end)) {
      tally.joins++;
      return;
    }
    tally.otherLines++;
    if (this.#registered) return;
    const text = decoder.decode(bytes.subarray(start, end));
    if (text.includes("Enter your nickname:")) {
      this.send(encoder.encode(`${this.nick}\n`));
    } else if (text.includes(`Welcome, ${this.nick}!`)) {
      this.#registered = true;
      this.#onRegistered?.();
    } else if (text.includes("Please choose another nickname:")) {
      this.#onRegistered?.(new Error(`Nickname "${this.nick}" was refused: ${text.trim()}`));
    }
  }
}

function takeAll(pending: Uint8Array[]): Uint8Array | null {
  if (pending.length === 0) return null;
  if (pending.length === 1) return pending.pop()!;
  let length = 0;
  for (const part of pending) length += part.length;
  const joined = new Uint8Array(length);
  let offset = 0;
  for (const part of pending) {
    joined.set(part, offset);
    offset += part.length;
  }
  pending.length = 0;
  return joined;
}
