/**
 * The PROXY protocol at the TCP edge. A connection from a `--trusted-proxy`
 * must open with a PROXY header (v1 or v2), as nginx's `proxy_protocol` and
 * HAProxy's `send-proxy` send; it is then treated in every limit and log as
 * the client the header names. A connection from anywhere else that opens
 * with a PROXY header is refused: it would be claiming an address it has no
 * right to.
 */
import { encodeLine } from "../protocol/framing.ts";
import { parseProxyHeader, PROXY_HEADER_MAX_BYTES } from "./proxy_protocol.ts";
import type { Transport } from "./transport.ts";

/** How long a trusted proxy has to send its header; a proxy sends it at once. */
export const PROXY_HEADER_TIMEOUT_MS = 5000;

/** What an untrusted sender of a PROXY header is told before the connection closes. */
export const UNTRUSTED_PROXY_TEXT =
  "A PROXY protocol header is only accepted from the room's --trusted-proxy addresses.";

/** A transport whose first bytes were already read, and whose peer is the proxied client. */
class ProxiedTransport implements Transport {
  #inner: Transport;
  #pending: Uint8Array | null;
  readonly remoteAddr: Deno.Addr;

  constructor(inner: Transport, pending: Uint8Array, remoteAddr: Deno.Addr) {
    this.#inner = inner;
    this.#pending = pending.length > 0 ? pending : null;
    this.remoteAddr = remoteAddr;
  }

  read(buffer: Uint8Array): Promise<number | null> {
    const pending = this.#pending;
    if (pending === null) return this.#inner.read(buffer);
    const n = Math.min(buffer.length, pending.length);
    buffer.set(pending.subarray(0, n));
    this.#pending = n < pending.length ? pending.subarray(n) : null;
    return Promise.resolve(n);
  }

  write(bytes: Uint8Array): Promise<number> {
    return this.#inner.write(bytes);
  }

  close(): void {
    this.#inner.close();
  }
}

/**
 * Reads the PROXY header a trusted proxy sends first. Resolves with the
 * client's transport (the header consumed, the client's own bytes kept), or
 * with why there is none; the connection is then closed.
 */
export async function acceptFromProxy(
  transport: Transport,
  timeoutMs = PROXY_HEADER_TIMEOUT_MS,
): Promise<{ transport: Transport } | { problem: string }> {
  const buffered = new Uint8Array(PROXY_HEADER_MAX_BYTES);
  let length = 0;
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    closeQuietly(transport);
  }, timeoutMs);
  try {
    while (true) {
      const parse = parseProxyHeader(buffered.subarray(0, length));
      if (parse.kind === "header") {
        const peer = transport.remoteAddr as Deno.NetAddr;
        const remoteAddr: Deno.NetAddr = parse.source
          ? { transport: "tcp", hostname: parse.source.address, port: parse.source.port }
          : peer;
        return {
          transport: new ProxiedTransport(
            transport,
            buffered.slice(parse.length, length),
            remoteAddr,
          ),
        };
      }
      if (parse.kind !== "incomplete") {
        closeQuietly(transport);
        return {
          problem: parse.kind === "absent"
            ? "no PROXY header from a trusted proxy"
            : `bad PROXY header: ${parse.reason}`,
        };
      }
      let n: number | null = null;
      try {
        n = await transport.read(buffered.subarray(length));
      } catch {
        // Closed by the timer, or reset by the peer.
      }
      if (n === null) {
        closeQuietly(transport);
        return { problem: timedOut ? "no PROXY header in time" : "closed before its PROXY header" };
      }
      length += n;
    }
  } finally {
    clearTimeout(timer);
  }
}

/**
 * A connection from an untrusted address: if its first bytes are a PROXY
 * header, it is told so and closed (its session sees the end of input), and
 * `onRefused` is called. Every later read goes straight to the socket, so an
 * idle member holds no suspended read of its own here.
 */
class ProxyHeaderRefusal implements Transport {
  #inner: Transport;
  #onRefused: (() => void) | null;

  constructor(inner: Transport, onRefused: () => void) {
    this.#inner = inner;
    this.#onRefused = onRefused;
  }

  get remoteAddr(): Deno.Addr {
    return this.#inner.remoteAddr;
  }

  read(buffer: Uint8Array): Promise<number | null> {
    const onRefused = this.#onRefused;
    if (onRefused === null) return this.#inner.read(buffer);
    this.#onRefused = null;
    return this.#firstRead(buffer, onRefused);
  }

  async #firstRead(buffer: Uint8Array, onRefused: () => void): Promise<number | null> {
    const n = await this.#inner.read(buffer);
    if (n === null || !opensWithProxyHeader(buffer.subarray(0, n))) return n;
    onRefused();
    await this.#inner.write(encodeLine(`${UNTRUSTED_PROXY_TEXT}\r\n`)).catch(() => {});
    closeQuietly(this.#inner);
    return null;
  }

  write(bytes: Uint8Array): Promise<number> {
    return this.#inner.write(bytes);
  }

  close(): void {
    this.#inner.close();
  }
}

/** Wraps a connection from an untrusted address (see `ProxyHeaderRefusal`). */
export function refusingProxyHeaders(transport: Transport, onRefused: () => void): Transport {
  return new ProxyHeaderRefusal(transport, onRefused);
}

/**
 * Whether a connection's first chunk is a PROXY header. A proxy writes its
 * header in one piece; a chunk too short to tell (an empty line is the start
 * of a v2 signature) is the client's own.
 */
function opensWithProxyHeader(chunk: Uint8Array): boolean {
  const parse = parseProxyHeader(chunk);
  if (parse.kind === "header" || parse.kind === "invalid") return true;
  return parse.kind === "incomplete" && chunk.length >= 6;
}

function closeQuietly(transport: Transport): void {
  try {
    transport.close();
  } catch {
    // Already closed.
  }
}
