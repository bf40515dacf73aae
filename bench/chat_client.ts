/**
 * A structured (`CHAT/1 json`) chat client for the bench's coordinator: the
 * few members a scenario drives itself (the honest chatters, the attackers
 * and the resumers of the abuse scenario), where the load workers' plain
 * members would not do, because it needs resume tokens, `bye` and `gap`
 * events, and replies to commands.
 *
 * Every event is handed to the listeners with the time its bytes were read,
 * so a listener can time a line from its sender's stamp.
 */
import { type EventOf, JSON_HANDSHAKE, type ServerEvent } from "../protocol/events.ts";
import { nowMicros } from "./clock.ts";

const NEWLINE = 0x0a;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Receives every event, with the time (µs since the epoch) its bytes were read. */
export type EventListener = (event: ServerEvent, receivedMicros: number) => void;

/** What a join asks for: a fresh nickname, or a resume of an earlier session. */
export interface JoinOptions {
  resume?: string;
  lastSeq?: number;
  timeoutMs?: number;
}

export class ChatClient {
  /** Set once the server says `bye`: why it closed the connection. */
  byeReason: string | null = null;
  /** Resolves once the connection has ended, from either side. */
  readonly ended: Promise<void>;
  #conn: Deno.TcpConn;
  #listeners = new Set<EventListener>();
  #writes: Promise<unknown> = Promise.resolve();
  #closing = false;
  #open = true;

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
    this.ended = this.#readLoop();
  }

  /** Connects to the room on 127.0.0.1 and sends the structured handshake. */
  static async connect(port: number): Promise<ChatClient> {
    const conn = await Deno.connect({ hostname: "127.0.0.1", port, transport: "tcp" });
    conn.setNoDelay(true);
    const client = new ChatClient(conn);
    client.#writeLine(JSON_HANDSHAKE);
    return client;
  }

  /** True until the connection ends. */
  get open(): boolean {
    return this.#open;
  }

  /** True when the server, not this client, ended the connection. */
  get dropped(): boolean {
    return !this.#open && !this.#closing;
  }

  /** Calls `listener` for every event from now on; returns a function that stops it. */
  listen(listener: EventListener): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Resolves with the first event from now on that `match` accepts; rejects
   * after `timeoutMs` or when the connection ends. Call it before sending
   * whatever the event answers.
   */
  waitFor(match: (event: ServerEvent) => boolean, timeoutMs: number): Promise<ServerEvent> {
    return new Promise((resolve, reject) => {
      const finish = (error: Error | null, event?: ServerEvent) => {
        clearTimeout(timer);
        stop();
        if (error) reject(error);
        else resolve(event!);
      };
      const timer = setTimeout(
        () => finish(new Error(`No matching event within ${timeoutMs} ms`)),
        timeoutMs,
      );
      const stop = this.listen((event) => {
        if (match(event)) finish(null, event);
      });
      this.ended.then(() => finish(new Error("The connection ended")));
    });
  }

  /** Chooses a nickname (or resumes); resolves with the welcome, rejects on a refusal. */
  async join(nick: string, options: JoinOptions = {}): Promise<EventOf<"welcome">> {
    const answer = this.waitFor(
      (event) => event.type === "welcome" || event.type === "nick_refused",
      options.timeoutMs ?? 10_000,
    );
    this.send({
      type: "nick",
      nick,
      ...(options.resume === undefined ? {} : { resume: options.resume }),
      ...(options.lastSeq === undefined ? {} : { lastSeq: options.lastSeq }),
    });
    const event = await answer;
    if (event.type === "nick_refused") {
      throw new Error(`Nickname "${nick}" was refused: ${event.reason}`);
    }
    return event as EventOf<"welcome">;
  }

  /** Sends a chat line or a command, as a user types it. */
  say(text: string): void {
    this.send({ type: "say", text });
  }

  /** Sends one JSON message. */
  send(message: unknown): void {
    this.#writeLine(JSON.stringify(message));
  }

  /** Closes the connection from this side (not counted as dropped). */
  close(): Promise<void> {
    this.#closing = true;
    try {
      this.#conn.close();
    } catch {
      // Already closed by the server.
    }
    return this.ended;
  }

  #writeLine(line: string): void {
    const bytes = encoder.encode(`${line}\n`);
    this.#writes = this.#writes.then(async () => {
      let offset = 0;
      while (offset < bytes.length) offset += await this.#conn.write(bytes.subarray(offset));
    }).catch(() => {
      // The read loop sees the connection end.
    });
  }

  async #readLoop(): Promise<void> {
    let buffer = new Uint8Array(64 * 1024);
    let kept = 0;
    try {
      while (true) {
        if (kept === buffer.length) {
          const bigger = new Uint8Array(buffer.length * 2);
          bigger.set(buffer);
          buffer = bigger;
        }
        const read = await this.#conn.read(buffer.subarray(kept));
        if (read === null) break;
        const at = nowMicros();
        const end = kept + read;
        let start = 0;
        let newline = buffer.subarray(0, end).indexOf(NEWLINE, kept);
        while (newline >= 0) {
          // The plain greeting comes before the handshake is seen; it is not JSON.
          if (buffer[start] === 0x7b) {
            this.#dispatch(JSON.parse(decoder.decode(buffer.subarray(start, newline))), at);
          }
          start = newline + 1;
          newline = buffer.subarray(0, end).indexOf(NEWLINE, start);
        }
        kept = end - start;
        if (kept > 0 && start > 0) buffer.copyWithin(0, start, end);
      }
    } catch {
      // Reset by the server, or closed by us.
    }
    this.#open = false;
    try {
      this.#conn.close();
    } catch {
      // Closed already.
    }
  }

  #dispatch(event: ServerEvent, at: number): void {
    if (event.type === "bye") this.byeReason = event.reason;
    for (const listener of [...this.#listeners]) listener(event, at);
  }
}
