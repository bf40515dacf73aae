/**
 * What a `Connection` and a `Session` need from the thing underneath them: a
 * byte stream they can read, write and close, and the peer's address for
 * the per-address cap. `Deno.Conn` satisfies it as it is (the TCP edge);
 * `WebSocketTransport` presents a browser's WebSocket the same way, so both
 * kinds of client go through the same framing, limits and queue.
 */

export interface Transport {
  /** Reads into `buffer`; resolves with the byte count, or null at the end. */
  read(buffer: Uint8Array): Promise<number | null>;
  /**
   * Writes some of `bytes`; resolves with how many were taken, once the
   * transport can take more (that is the back-pressure the slow-reader rule
   * watches).
   */
  write(bytes: Uint8Array): Promise<number>;
  /** Closes at once; safe to call twice (it may throw if already closed). */
  close(): void;
  /** The peer; a `Deno.NetAddr` for TCP and for a browser alike. */
  readonly remoteAddr: Deno.Addr;
}

/** The peer's IP address, or "unknown" (a Unix socket, say). */
export function remoteIp(transport: Transport): string {
  return (transport.remoteAddr as Deno.NetAddr).hostname ?? "unknown";
}
