/**
 * A browser's WebSocket presented as the byte stream a `Session` reads and a
 * `Connection` writes, so the browser is one more client of the structured
 * framing, under the same line limit, flood control, queue and slow-reader
 * rule as `chat join`.
 *
 * - Reading: the stream starts with the `CHAT/1 json` handshake line, so the
 *   session picks the JSON framing; then each frame is one line (its bytes
 *   and a newline). A frame over the line limit reaches the line splitter
 *   whole and is refused with the same "Line too long" error as a long TCP
 *   line; one far over it (more than `closeAboveBytes`) closes the socket
 *   with 1009, because the WebSocket layer holds a frame in memory before we
 *   see it, where TCP never does. A frame holding a newline is not one line:
 *   it becomes an empty line, which the JSON framing answers with its
 *   malformed-message error.
 * - Writing: the connection writes whole encoded lines, several per write
 *   (a flush's worth); they go out together as one text frame, lines
 *   separated by "\n". One frame per line cost five times the CPU per
 *   delivered line (a frame is one write to the socket, as a write is for
 *   TCP; see docs/performance.md), so a write stays a write. `write()`
 *   resolves once the socket's
 *   `bufferedAmount` is back under a high-water mark, polled with a bounded
 *   back-off: that is the only back-pressure signal a WebSocket gives, and it
 *   is what lets the connection's slow-reader rule see a browser that stopped
 *   reading.
 */
import { JSON_HANDSHAKE } from "../protocol/events.ts";
import type { Transport } from "./transport.ts";

const encoder = new TextEncoder();
const NEWLINE = 0x0a;
/** `write()` waits while more than this many bytes are buffered towards the browser. */
const HIGH_WATER_BYTES = 64 * 1024;
/** The back-off between looks at `bufferedAmount`: from the first to the last, doubling. */
const FIRST_POLL_MS = 1;
const LAST_POLL_MS = 50;
/** WebSocket close codes (RFC 6455). */
const CLOSE_NORMAL = 1000;
const CLOSE_TOO_BIG = 1009;

/**
 * Outgoing chunks as frame texts, remembered per chunk: a broadcast reaches
 * every browser as a view of the same bytes, so it is decoded once per
 * flush, not once per member. One per web server.
 */
export class FrameTexts {
  #decoder = new TextDecoder("utf-8", { ignoreBOM: true });
  #known = new WeakMap<Uint8Array, string>();

  /**
   * The text of `bytes` (whole lines, each ending "\n") as one frame: the
   * lines separated by "\n", without the last one's newline or any "\r"
   * (plain lines, the greeting and a refusal, end "\r\n"; JSON never holds
   * a raw "\r").
   */
  of(bytes: Uint8Array): string {
    let text = this.#known.get(bytes);
    if (text === undefined) {
      text = this.#decoder.decode(bytes.subarray(0, bytes.length - 1));
      if (text.includes("\r")) text = text.replaceAll("\r", "");
      this.#known.set(bytes, text);
    }
    return text;
  }
}

export interface WebSocketTransportOptions {
  /** The browser's address, read from the HTTP request before the upgrade. */
  remoteAddr: Deno.Addr;
  /** A frame larger than this closes the socket instead of getting an error line. */
  closeAboveBytes: number;
  /** Shared by the transports of one web server. */
  frames: FrameTexts;
}

export class WebSocketTransport implements Transport {
  readonly remoteAddr: Deno.Addr;
  #socket: WebSocket;
  #closeAboveBytes: number;
  #frames: FrameTexts;
  /** What arrived and has not been read yet; starts with the handshake line. */
  #incoming: Uint8Array[] = [encoder.encode(`${JSON_HANDSHAKE}\n`)];
  #wakeReader: (() => void) | null = null;
  /** Bytes written after the last newline, held until the line is whole. */
  #unfinished: Uint8Array | null = null;
  #opened = Promise.withResolvers<void>();
  #ended = false;
  #closeWhenOpen = false;
  /** The pending look at `bufferedAmount`, cancelled when the socket closes. */
  #pollTimer: ReturnType<typeof setTimeout> | undefined;
  #wakeWriter: (() => void) | null = null;

  constructor(socket: WebSocket, options: WebSocketTransportOptions) {
    this.#socket = socket;
    this.remoteAddr = options.remoteAddr;
    this.#closeAboveBytes = options.closeAboveBytes;
    this.#frames = options.frames;
    socket.binaryType = "arraybuffer";
    socket.onopen = () => {
      if (this.#closeWhenOpen) this.#closeSocket(CLOSE_NORMAL);
      this.#opened.resolve();
    };
    socket.onmessage = (event) => this.#receive(event.data);
    // An error is always followed by a close.
    socket.onerror = () => {};
    socket.onclose = () => this.#end();
  }

  read(buffer: Uint8Array): Promise<number | null> {
    const chunk = this.#incoming[0];
    if (chunk === undefined) {
      if (this.#ended) return Promise.resolve(null);
      return new Promise<void>((resolve) => this.#wakeReader = resolve)
        .then(() => this.read(buffer));
    }
    const count = Math.min(buffer.length, chunk.length);
    buffer.set(chunk.subarray(0, count));
    if (count === chunk.length) this.#incoming.shift();
    else this.#incoming[0] = chunk.subarray(count);
    return Promise.resolve(count);
  }

  async write(bytes: Uint8Array): Promise<number> {
    if (this.#socket.readyState === WebSocket.CONNECTING) await this.#opened.promise;
    if (this.#socket.readyState !== WebSocket.OPEN) throw new Error("The WebSocket is closed.");
    let whole = bytes;
    if (this.#unfinished !== null) {
      whole = new Uint8Array(this.#unfinished.length + bytes.length);
      whole.set(this.#unfinished);
      whole.set(bytes, this.#unfinished.length);
      this.#unfinished = null;
    }
    const end = whole.lastIndexOf(NEWLINE) + 1;
    if (end < whole.length) {
      this.#unfinished = whole.slice(end);
      whole = whole.subarray(0, end);
    }
    if (whole.length > 0) this.#socket.send(this.#frames.of(whole));
    await this.#drained();
    return bytes.length;
  }

  close(): void {
    if (this.#socket.readyState === WebSocket.CONNECTING) {
      this.#closeWhenOpen = true;
      return;
    }
    this.#closeSocket(CLOSE_NORMAL);
  }

  #receive(data: string | ArrayBuffer): void {
    if (this.#ended) return;
    // A string's UTF-8 is at least as long as the string.
    const size = typeof data === "string" ? data.length : data.byteLength;
    if (size > this.#closeAboveBytes) {
      this.#closeSocket(CLOSE_TOO_BIG, "Message too big.");
      return;
    }
    const bytes = typeof data === "string" ? encoder.encode(data) : new Uint8Array(data);
    if (bytes.length > this.#closeAboveBytes) {
      this.#closeSocket(CLOSE_TOO_BIG, "Message too big.");
      return;
    }
    if (bytes.includes(NEWLINE)) {
      this.#incoming.push(encoder.encode("\n"));
    } else {
      const line = new Uint8Array(bytes.length + 1);
      line.set(bytes);
      line[bytes.length] = NEWLINE;
      this.#incoming.push(line);
    }
    this.#wake();
  }

  /** Resolves once the browser has taken enough that more may be sent; rejects if it closes. */
  #drained(): Promise<void> {
    if (this.#socket.bufferedAmount <= HIGH_WATER_BYTES) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      let waitMs = FIRST_POLL_MS;
      const look = () => {
        this.#pollTimer = undefined;
        if (this.#ended || this.#socket.readyState !== WebSocket.OPEN) {
          this.#wakeWriter = null;
          reject(new Error("The WebSocket closed before the browser took what was sent."));
        } else if (this.#socket.bufferedAmount <= HIGH_WATER_BYTES) {
          this.#wakeWriter = null;
          resolve();
        } else {
          this.#pollTimer = setTimeout(look, waitMs);
          waitMs = Math.min(waitMs * 2, LAST_POLL_MS);
        }
      };
      this.#wakeWriter = () => {
        clearTimeout(this.#pollTimer);
        look();
      };
      this.#pollTimer = setTimeout(look, waitMs);
    });
  }

  #closeSocket(code: number, reason?: string): void {
    try {
      this.#socket.close(code, reason);
    } catch {
      // Already closing.
    }
    this.#end();
  }

  #end(): void {
    if (this.#ended) return;
    this.#ended = true;
    this.#opened.resolve();
    this.#wake();
    this.#wakeWriter?.();
  }

  #wake(): void {
    const wake = this.#wakeReader;
    this.#wakeReader = null;
    wake?.();
  }
}
