/**
 * The client's connection to a room: opens the socket, negotiates the JSON
 * framing, and turns the byte stream into events. One link is one TCP
 * connection; reconnecting makes a new link.
 */
import { type ClientMessage, JSON_HANDSHAKE, type ServerEvent } from "../protocol/events.ts";
import { LineSplitter } from "../protocol/framing.ts";

/** What a link produces: a structured event, or a plain line (e.g. "server is full"). */
export type Incoming = { kind: "event"; event: ServerEvent } | { kind: "text"; text: string };

/** Long enough for a `/user` list of a full room. */
const MAX_EVENT_BYTES = 16 * 1024 * 1024;
const encoder = new TextEncoder();

export class RoomLink {
  #conn: Deno.TcpConn;
  #closed = false;
  #writes: Promise<unknown> = Promise.resolve();

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  /** Connects and sends the handshake; throws if the room cannot be reached. */
  static async open(host: string, port: number): Promise<RoomLink> {
    const conn = await Deno.connect({ hostname: host, port, transport: "tcp" });
    conn.setNoDelay(true);
    const link = new RoomLink(conn);
    link.#writeLine(JSON_HANDSHAKE);
    return link;
  }

  send(message: ClientMessage): void {
    this.#writeLine(JSON.stringify(message));
  }

  #writeLine(line: string): void {
    const bytes = encoder.encode(`${line}\n`);
    // Chained so lines leave in order even when the socket is slow.
    this.#writes = this.#writes.then(async () => {
      let written = 0;
      while (written < bytes.length && !this.#closed) {
        written += await this.#conn.write(bytes.subarray(written));
      }
    }).catch(() => {});
  }

  /** Resolves once every line sent so far has been handed to the socket. */
  flushed(): Promise<void> {
    return this.#writes.then(() => {});
  }

  /** Everything the room sends, until the connection ends. Never throws. */
  async *incoming(): AsyncGenerator<Incoming> {
    const splitter = new LineSplitter(MAX_EVENT_BYTES);
    const buffer = new Uint8Array(64 * 1024);
    const ready: Incoming[] = [];
    try {
      while (true) {
        const count = await this.#conn.read(buffer);
        if (count === null) break;
        splitter.push(buffer.subarray(0, count), (result) => {
          if (result.kind === "line") ready.push(parseIncoming(result.text));
        });
        yield* ready.splice(0);
      }
    } catch {
      // Reset or closed: the stream simply ends.
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed.
    }
  }
}

function parseIncoming(line: string): Incoming {
  if (line.startsWith("{")) {
    try {
      const event = JSON.parse(line);
      if (event && typeof event.type === "string" && typeof event.at === "number") {
        return { kind: "event", event };
      }
    } catch {
      // Not JSON after all: show it as text.
    }
  }
  return { kind: "text", text: line };
}
