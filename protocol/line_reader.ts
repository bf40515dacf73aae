/**
 * The one place bytes become lines: `readLines()` reads a byte source and
 * yields capped, decoded lines, in the shape of std's `TextLineStream`. The
 * server's sessions, the client's link and the test helpers all consume it
 * with `for await`, so `\r\n`, the line cap, invalid UTF-8 and a last line
 * without a newline are handled the same everywhere (see `LineSplitter`).
 *
 * The read buffer starts small and grows only for a source that fills it,
 * so ten thousand idle connections hold a quarter of a kilobyte each.
 */
import { type LineResult, LineSplitter } from "./framing.ts";

/** Anything with `Deno.Conn`'s `read()`. */
export interface ByteReader {
  read(buffer: Uint8Array): Promise<number | null>;
}

export interface ReadLinesOptions {
  /**
   * Longest line, in bytes without its line ending; longer ones are reported
   * as oversized. A function is asked again for every line, for a source
   * whose limit changes with what it said (the server's framing handshake).
   */
  maxLineBytes: number | (() => number);
  /** First read buffer size (default 256 bytes). */
  minBufferBytes?: number;
  /** The read buffer never grows past this (default 64 KiB). */
  maxBufferBytes?: number;
  /**
   * Sees every chunk before it is split, and returns the bytes to split:
   * where a framing (telnet commands, say) removes bytes that are not text.
   */
  filter?: (chunk: Uint8Array) => Uint8Array;
}

/**
 * Lines from `source` until it ends. A read that fails (a reset, a closed
 * socket) ends the lines like the end of input does. At the end, a last line
 * without a newline still counts as a line.
 */
export async function* readLines(
  source: ByteReader,
  options: ReadLinesOptions,
): AsyncGenerator<LineResult> {
  const min = options.minBufferBytes ?? 256;
  const max = Math.max(min, options.maxBufferBytes ?? 64 * 1024);
  const splitter = new LineSplitter(options.maxLineBytes);
  const ready: LineResult[] = [];
  const emit = (result: LineResult) => void ready.push(result);
  let buffer = new Uint8Array(min);
  while (true) {
    let count: number | null;
    try {
      count = await source.read(buffer);
    } catch {
      count = null;
    }
    if (count === null) break;
    const chunk = buffer.subarray(0, count);
    splitter.push(options.filter ? options.filter(chunk) : chunk, emit);
    // The splitter copies what it keeps, so the buffer may be replaced or reused.
    if (count === buffer.length && buffer.length < max) {
      buffer = new Uint8Array(Math.min(buffer.length * 4, max));
    } else if (count < min && buffer.length > min) {
      buffer = new Uint8Array(min);
    }
    if (ready.length > 0) yield* ready.splice(0);
  }
  splitter.finish(emit);
  yield* ready.splice(0);
}

/** A `ByteReader` over a stream (a child process's stdout, a WebSocket's bytes). */
export function streamReader(stream: ReadableStream<Uint8Array>): ByteReader & {
  cancel(): Promise<void>;
} {
  const reader = stream.getReader();
  let leftover: Uint8Array | null = null;
  return {
    async read(buffer: Uint8Array): Promise<number | null> {
      if (leftover === null) {
        const next = await reader.read();
        if (next.done) return null;
        leftover = next.value;
      }
      const count = Math.min(buffer.length, leftover.length);
      buffer.set(leftover.subarray(0, count));
      leftover = count < leftover.length ? leftover.subarray(count) : null;
      return count;
    },
    cancel: () => reader.cancel().catch(() => {}),
  };
}
