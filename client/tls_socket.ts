/**
 * A `node:tls` socket seen the way the rest of the client sees a
 * `Deno.Conn`: `read()` into a buffer, `write()` that resolves once the bytes
 * are taken, `close()`. The client speaks TLS through `node:tls` because
 * Deno 2.9's own `Deno.TlsConn` does not show the certificate the server
 * presented, which the known-rooms check needs (see tls_connect.ts).
 *
 * Reading holds at most about one chunk beyond what was asked for: the
 * socket is paused while unread bytes wait, so a fast room cannot fill the
 * client's memory.
 */
import type { TLSSocket } from "node:tls";

export class TlsSocketConn {
  #socket: TLSSocket;
  #chunks: Uint8Array[] = [];
  #ended = false;
  #wake: (() => void) | null = null;

  constructor(socket: TLSSocket) {
    this.#socket = socket;
    const wake = () => {
      this.#wake?.();
      this.#wake = null;
    };
    socket.on("data", (chunk: Uint8Array) => {
      this.#chunks.push(chunk);
      socket.pause();
      wake();
    });
    const end = () => {
      this.#ended = true;
      wake();
    };
    socket.on("end", end);
    socket.on("close", end);
    // An error is followed by "close"; without a listener it would be thrown.
    socket.on("error", () => {});
  }

  /** Like `Deno.Conn.read()`: bytes into `buffer`, or null once the room has closed. */
  async read(buffer: Uint8Array): Promise<number | null> {
    while (this.#chunks.length === 0) {
      if (this.#ended) return null;
      this.#socket.resume();
      await new Promise<void>((resolve) => this.#wake = resolve);
    }
    const chunk = this.#chunks[0];
    const count = Math.min(buffer.length, chunk.length);
    buffer.set(chunk.subarray(0, count));
    if (count < chunk.length) this.#chunks[0] = chunk.subarray(count);
    else this.#chunks.shift();
    return count;
  }

  /** Like `Deno.Conn.write()`: all of `bytes`, resolved once the socket has taken them. */
  write(bytes: Uint8Array): Promise<number> {
    return new Promise((resolve, reject) => {
      if (this.#socket.destroyed) return reject(new Deno.errors.BrokenPipe("The room is gone."));
      this.#socket.write(bytes, (error) => error ? reject(error) : resolve(bytes.length));
    });
  }

  close(): void {
    this.#socket.destroy();
  }
}
