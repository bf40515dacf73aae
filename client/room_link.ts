/**
 * The client's connection to a room: opens the socket (TCP, or TLS that
 * tls_connect.ts has decided to trust), negotiates the JSON framing, and
 * turns the byte stream into events. One link is one connection;
 * reconnecting makes a new link.
 */
import {
  type ClientMessage,
  JSON_HANDSHAKE,
  parseServerEvent,
  type ServerEvent,
} from "../protocol/events.ts";
import { JSON_HANDSHAKE_V2 } from "../protocol/identity.ts";
import { type ByteReader, readLines } from "../protocol/line_reader.ts";
import { connectTls, type TlsJoinOptions } from "./tls_connect.ts";

/** What a link produces: a structured event, or a plain line (e.g. "server is full"). */
export type Incoming = { kind: "event"; event: ServerEvent } | { kind: "text"; text: string };

/** Long enough for a `/user` list of a full room. */
const MAX_EVENT_BYTES = 16 * 1024 * 1024;

/** What a link needs of its connection: a `Deno.TcpConn`, or a TLS socket made to look like one. */
type RoomConn = ByteReader & Pick<Deno.Conn, "write" | "close">;

export class RoomLink {
  /** What the user should be told about the room's certificate (a first visit), if anything. */
  readonly notice: string | null;
  /** The link opened with `CHAT/2 json`: the room will send a challenge for a key to sign. */
  readonly keyed: boolean;
  #conn: RoomConn;
  #closed = false;
  #writes: Promise<unknown> = Promise.resolve();
  #encoder = new TextEncoder();

  private constructor(conn: RoomConn, notice: string | null, keyed: boolean) {
    this.#conn = conn;
    this.notice = notice;
    this.keyed = keyed;
  }

  /**
   * Connects (over TLS when `tls` is given) and sends the handshake; throws
   * if the room cannot be reached, or `RoomTrustError` if it is not trusted.
   */
  static async open(
    host: string,
    port: number,
    tls?: TlsJoinOptions,
    keyed = false,
  ): Promise<RoomLink> {
    if (tls) {
      const { conn, notice } = await connectTls(host, port, tls);
      return RoomLink.#start(conn, notice, keyed);
    }
    const conn = await Deno.connect({ hostname: host, port, transport: "tcp" });
    conn.setNoDelay(true);
    return RoomLink.#start(conn, null, keyed);
  }

  static #start(conn: RoomConn, notice: string | null, keyed: boolean): RoomLink {
    const link = new RoomLink(conn, notice, keyed);
    link.#writeLine(keyed ? JSON_HANDSHAKE_V2 : JSON_HANDSHAKE);
    return link;
  }

  send(message: ClientMessage): void {
    this.#writeLine(JSON.stringify(message));
  }

  #writeLine(line: string): void {
    const bytes = this.#encoder.encode(`${line}\n`);
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

  /**
   * Everything the room sends, until the connection ends. Never throws; an
   * event of a type this client does not know (from a newer server) is
   * skipped.
   */
  async *incoming(): AsyncGenerator<Incoming> {
    for await (const result of readLines(this.#conn, { maxLineBytes: MAX_EVENT_BYTES })) {
      if (result.kind !== "line") continue;
      const incoming = parseIncoming(result.text);
      if (incoming) yield incoming;
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

/**
 * A TLS alert record (content type 21, version 3.x): what a TLS port answers
 * to the plain handshake, when the user left out tls://.
 */
const TLS_ALERT = "\x15\x03";

/** A JSON event, a plain text line, or null for JSON this client cannot use. */
function parseIncoming(line: string): Incoming | null {
  if (line.startsWith(TLS_ALERT)) {
    return { kind: "text", text: "This port speaks TLS: join with a tls:// address." };
  }
  if (!line.startsWith("{")) return { kind: "text", text: line };
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return { kind: "text", text: line };
  }
  const event = parseServerEvent(value);
  return event ? { kind: "event", event } : null;
}
