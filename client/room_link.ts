/**
 * The client's connection to a room: opens the socket (TCP, or TLS that
 * tls_connect.ts has decided to trust), negotiates the JSON framing, and
 * turns the byte stream into events. One link is one connection;
 * reconnecting makes a new link.
 */
import {
  type ClientMessage,
  JSON_HANDSHAKE,
  readServerEvent,
  type ServerEvent,
} from "../protocol/events.ts";
import { JSON_HANDSHAKE_V2 } from "../protocol/identity.ts";
import { type ByteReader, readLines } from "../protocol/line_reader.ts";
import { connectTls, type TlsJoinOptions } from "./tls_connect.ts";

/**
 * What a link produces: a structured event, a plain line (the greeting, or
 * "server is full"), or a line it skipped as malformed, with why in words of
 * its own (for a debug note; never the room's bytes).
 */
export type Incoming =
  | { kind: "event"; event: ServerEvent }
  | { kind: "text"; text: string }
  | { kind: "malformed"; problem: string };

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
   * skipped without a word, a malformed one is reported as such, and a line
   * over the cap is skipped unread.
   */
  async *incoming(): AsyncGenerator<Incoming> {
    for await (const result of readLines(this.#conn, { maxLineBytes: MAX_EVENT_BYTES })) {
      if (result.kind !== "line") {
        yield { kind: "malformed", problem: `a line over ${MAX_EVENT_BYTES} bytes` };
        continue;
      }
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

/**
 * A JSON event, a plain text line, or null for an event type this client
 * does not know. A line that opens like JSON ("{" or "[") but is not, and
 * JSON that is not an event, are malformed; any other line is plain text,
 * which the room sends before it knows the client speaks JSON.
 */
function parseIncoming(line: string): Incoming | null {
  if (line.startsWith(TLS_ALERT)) {
    return { kind: "text", text: "This port speaks TLS: join with a tls:// address." };
  }
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    if (/^\s*[[{]/.test(line)) return { kind: "malformed", problem: "a line that is not JSON" };
    return { kind: "text", text: line };
  }
  const reading = readServerEvent(value);
  if (reading.kind === "unknown") return null;
  return reading.kind === "event" ? reading : { kind: "malformed", problem: reading.problem };
}
