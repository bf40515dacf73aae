/**
 * Test support: WebSocket clients for the browser door without a browser.
 * `WsClient` is Deno's own `WebSocket` with every frame kept and waits that
 * have deadlines. `rawUpgrade()` speaks HTTP and RFC 6455 framing over a
 * plain TCP socket, for what a WebSocket object cannot do: send any Origin
 * and see the 403, or stop reading so the server's output backs up.
 */
import type { ServerEvent } from "../../protocol/events.ts";

/** One line as received (a frame carries one or more): its text, and the event if it is JSON. */
export interface Frame {
  text: string;
  event: ServerEvent | null;
  /** Which frame it came in, counting from 1. */
  frame: number;
}

export class WsClient implements AsyncDisposable {
  readonly socket: WebSocket;
  /** Every line received, in order. */
  readonly frames: Frame[] = [];
  /** How many frames they came in. */
  frameCount = 0;
  #read = 0;
  #closed: PromiseWithResolvers<{ code: number; reason: string }> = Promise.withResolvers();
  #waiters: (() => void)[] = [];

  private constructor(socket: WebSocket) {
    this.socket = socket;
    socket.onmessage = (message) => {
      this.frameCount++;
      for (const text of String(message.data).split("\n")) {
        let event: ServerEvent | null = null;
        try {
          event = JSON.parse(text);
        } catch {
          // A plain line: the greeting, or a refusal.
        }
        this.frames.push({ text, event, frame: this.frameCount });
      }
      this.#wake();
    };
    socket.onclose = (close) => {
      this.#closed.resolve({ code: close.code, reason: close.reason });
      this.#wake();
    };
  }

  /** Opens a WebSocket; fails if it does not open within `timeoutMs`. */
  static open(url: string, headers: Record<string, string> = {}, timeoutMs = 3000) {
    const socket = new WebSocket(url, { headers });
    const client = new WsClient(socket);
    return new Promise<WsClient>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.close();
        reject(new Error(`${url} did not open within ${timeoutMs} ms.`));
      }, timeoutMs);
      socket.onopen = () => {
        clearTimeout(timer);
        resolve(client);
      };
      socket.onerror = () => {
        clearTimeout(timer);
        reject(new Error(`${url} failed to open.`));
      };
    });
  }

  /** Every JSON event received so far. */
  get events(): ServerEvent[] {
    return this.frames.flatMap((frame) => frame.event ? [frame.event] : []);
  }

  send(message: unknown): void {
    this.socket.send(JSON.stringify(message));
  }

  say(text: string): void {
    this.send({ type: "say", text });
  }

  /** The next frame not yet read that satisfies `match`; fails after `timeoutMs`. */
  async waitFor(match: (frame: Frame) => boolean, timeoutMs = 3000): Promise<Frame> {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      while (this.#read < this.frames.length) {
        const frame = this.frames[this.#read++];
        if (match(frame)) return frame;
      }
      const left = deadline - Date.now();
      if (left <= 0 || this.socket.readyState === WebSocket.CLOSED) {
        throw new Error(
          `No matching frame within ${timeoutMs} ms${
            this.socket.readyState === WebSocket.CLOSED ? " (closed)" : ""
          }. Saw: ${this.frames.map((frame) => frame.text).join(" | ")}`,
        );
      }
      await this.#nextFrame(left);
    }
  }

  /** The next event of `type` (and matching `where`, if given). */
  async waitForEvent<Type extends ServerEvent["type"]>(
    type: Type,
    where: (event: Extract<ServerEvent, { type: Type }>) => boolean = () => true,
    timeoutMs = 3000,
  ): Promise<Extract<ServerEvent, { type: Type }>> {
    const frame = await this.waitFor(
      (frame) =>
        frame.event?.type === type &&
        where(frame.event as Extract<ServerEvent, { type: Type }>),
      timeoutMs,
    );
    return frame.event as Extract<ServerEvent, { type: Type }>;
  }

  /** Resolves with the close code and reason once the server has closed; fails after `timeoutMs`. */
  async closed(timeoutMs = 3000): Promise<{ code: number; reason: string }> {
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`Still open after ${timeoutMs} ms.`)), timeoutMs);
    });
    try {
      return await Promise.race([this.#closed.promise, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  #nextFrame(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.#waiters.push(done);
    });
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    if (this.socket.readyState !== WebSocket.CLOSED) {
      this.socket.close();
      await this.#closed.promise;
    }
  }
}

/** Joins as `nick` over a WebSocket; resolves once welcomed. */
export async function joinWeb(url: string, nick: string): Promise<WsClient> {
  const client = await WsClient.open(url);
  client.send({ type: "nick", nick });
  await client.waitForEvent("welcome");
  return client;
}

const encoder = new TextEncoder();

/** A WebSocket over a raw TCP socket: the handshake's answer, then frames. */
export interface RawWebSocket {
  conn: Deno.TcpConn;
  /** The status line and headers the server answered with. */
  status: number;
  head: string;
  /** Sends one masked text frame, as a browser does. */
  sendText(text: string): Promise<void>;
}

/**
 * Sends a WebSocket upgrade request for `/ws` with the given headers (Host
 * and Origin default to the server's own) and reads the answer's head.
 */
export async function rawUpgrade(
  port: number,
  headers: Record<string, string> = {},
): Promise<RawWebSocket> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const all: Record<string, string> = {
    Host: `127.0.0.1:${port}`,
    Origin: `http://127.0.0.1:${port}`,
    Upgrade: "websocket",
    Connection: "Upgrade",
    "Sec-WebSocket-Key": btoa("chat-test-key-16"),
    "Sec-WebSocket-Version": "13",
    ...headers,
  };
  const request = `GET /ws HTTP/1.1\r\n${
    Object.entries(all).map(([name, value]) => `${name}: ${value}\r\n`).join("")
  }\r\n`;
  await writeAll(conn, encoder.encode(request));
  // Read byte by byte up to the blank line, so no frame byte is taken with the head.
  let head = "";
  const byte = new Uint8Array(1);
  const deadline = Date.now() + 3000;
  while (!head.endsWith("\r\n\r\n")) {
    if (Date.now() > deadline) throw new Error(`No answer head: ${JSON.stringify(head)}`);
    if ((await conn.read(byte)) === null) break;
    head += String.fromCharCode(byte[0]);
  }
  return {
    conn,
    status: Number(/^HTTP\/1\.1 (\d{3})/.exec(head)?.[1] ?? 0),
    head,
    sendText: (text) => writeAll(conn, maskedTextFrame(text)),
  };
}

/** A client's text frame: FIN, opcode 1, masked payload (RFC 6455 section 5.2). */
function maskedTextFrame(text: string): Uint8Array {
  const payload = encoder.encode(text);
  const length = payload.length;
  const extended = length < 126 ? 0 : length < 65536 ? 2 : 8;
  const frame = new Uint8Array(2 + extended + 4 + length);
  frame[0] = 0x81;
  if (extended === 0) {
    frame[1] = 0x80 | length;
  } else if (extended === 2) {
    frame[1] = 0x80 | 126;
    new DataView(frame.buffer).setUint16(2, length);
  } else {
    frame[1] = 0x80 | 127;
    new DataView(frame.buffer).setBigUint64(2, BigInt(length));
  }
  const mask = crypto.getRandomValues(new Uint8Array(4));
  frame.set(mask, 2 + extended);
  const start = 2 + extended + 4;
  for (let i = 0; i < length; i++) frame[start + i] = payload[i] ^ mask[i % 4];
  return frame;
}

async function writeAll(conn: Deno.Conn, bytes: Uint8Array): Promise<void> {
  let written = 0;
  while (written < bytes.length) written += await conn.write(bytes.subarray(written));
}
