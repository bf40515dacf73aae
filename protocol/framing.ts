/**
 * Line framing shared by server and client: splitting a byte stream into
 * lines without ever buffering more than the line limit, and the encoders
 * for both framings.
 */
import type { ServerEvent } from "./events.ts";
import { plainLine } from "./plain.ts";

const encoder = new TextEncoder();
/** Invalid UTF-8 becomes U+FFFD rather than an error. */
const decoder = new TextDecoder("utf-8", { fatal: false, ignoreBOM: true });

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** What the splitter produced: a decoded line, or notice of an oversized one. */
export type LineResult = { kind: "line"; text: string } | { kind: "oversized"; bytes: number };

/**
 * Splits bytes into lines. A line longer than `maxLineBytes` is reported
 * once as oversized and its bytes are discarded up to the next newline, so
 * memory per connection stays bounded whatever a client sends.
 */
export class LineSplitter {
  #limit: () => number;
  #pending: Uint8Array | null = null;
  #discarding = false;
  #discarded = 0;

  /** `maxLineBytes` may be a function, asked afresh for each line. */
  constructor(maxLineBytes: number | (() => number)) {
    this.#limit = typeof maxLineBytes === "number" ? () => maxLineBytes : maxLineBytes;
  }

  /** Feeds a chunk; calls `emit` for each complete line or oversized line. */
  push(chunk: Uint8Array, emit: (result: LineResult) => void): void {
    let start = 0;
    while (start < chunk.length) {
      const newline = chunk.indexOf(NEWLINE, start);
      const end = newline === -1 ? chunk.length : newline;
      if (this.#discarding) {
        this.#discarded += end - start;
      } else {
        const heldBytes = this.#pending?.length ?? 0;
        if (heldBytes + (end - start) > this.#limit() + 1) {
          // +1 leaves room for a trailing "\r" that is not part of the line.
          this.#discarding = true;
          this.#discarded = heldBytes + (end - start);
          this.#pending = null;
        } else if (newline !== -1) {
          const line = this.#pending
            ? concat(this.#pending, chunk.subarray(start, end))
            : chunk.subarray(start, end);
          this.#pending = null;
          this.#emitLine(line, emit);
        } else {
          // Copy: the caller may reuse its read buffer.
          this.#pending = this.#pending
            ? concat(this.#pending, chunk.subarray(start, end))
            : chunk.slice(start, end);
        }
      }
      if (newline === -1) return;
      if (this.#discarding) {
        emit({ kind: "oversized", bytes: this.#discarded });
        this.#discarding = false;
        this.#discarded = 0;
      }
      start = newline + 1;
    }
  }

  /**
   * The input has ended: a last line without a newline counts as a line (as
   * `printf 'hi\nlast' | nc` sends it), and an oversized one is reported.
   */
  finish(emit: (result: LineResult) => void): void {
    if (this.#discarding) {
      emit({ kind: "oversized", bytes: this.#discarded });
    } else if (this.#pending !== null && this.#pending.length > 0) {
      this.#emitLine(this.#pending, emit);
    }
    this.#pending = null;
    this.#discarding = false;
    this.#discarded = 0;
  }

  #emitLine(line: Uint8Array, emit: (result: LineResult) => void): void {
    let length = line.length;
    if (length > 0 && line[length - 1] === CARRIAGE_RETURN) length--;
    if (length > this.#limit()) {
      emit({ kind: "oversized", bytes: length });
      return;
    }
    emit({ kind: "line", text: decoder.decode(line.subarray(0, length)) });
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const joined = new Uint8Array(a.length + b.length);
  joined.set(a, 0);
  joined.set(b, a.length);
  return joined;
}

/** The two framings a connection can speak. */
export type Framing = "plain" | "json";

/** Encodes one event for one framing. */
export function encodeEvent(event: ServerEvent, framing: Framing): Uint8Array {
  return encoder.encode(framing === "json" ? `${JSON.stringify(event)}\n` : plainLine(event));
}

/** Encodes a raw text line (plain framing). */
export function encodeLine(text: string): Uint8Array {
  return encoder.encode(text);
}
