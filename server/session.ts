/**
 * One connection's life: choose a framing from the first line, register a
 * nickname, then feed lines through flood control into the room. Nothing a
 * client sends can throw out of here; a user's mistake becomes a private
 * error line.
 */
import { type ClientMessage, JSON_HANDSHAKE } from "../protocol/events.ts";
import { type LineResult, LineSplitter } from "../protocol/framing.ts";
import type { Limits } from "../protocol/limits.ts";
import { PLAIN_GREETING } from "../protocol/plain.ts";
import type { Connection } from "./connection.ts";
import { FloodControl } from "./flood_control.ts";
import type { Room } from "./room.ts";

/** Read buffers start small so idle members cost little, and grow for busy ones. */
const MIN_READ_BUFFER = 256;
const MAX_READ_BUFFER = 64 * 1024;

export interface SessionHost {
  room: Room;
  limits: Limits;
  /** Ends a connection with a reason shown to it, and logs it. */
  disconnect(connection: Connection, reason: string): void;
  log(level: "debug" | "info" | "warn", event: string, fields: Record<string, unknown>): void;
}

export class Session {
  #host: SessionHost;
  #connection: Connection;
  #splitter: LineSplitter;
  /** Null when flood control is off (`--rate 0`). */
  #flood: FloodControl | null;
  #floodTimer: ReturnType<typeof setTimeout> | undefined;
  #registerTimer: ReturnType<typeof setTimeout> | undefined;
  #framingChosen = false;
  #registered = false;

  constructor(host: SessionHost, connection: Connection) {
    this.#host = host;
    this.#connection = connection;
    this.#splitter = new LineSplitter(host.limits.maxLineBytes);
    this.#flood = host.limits.rate > 0
      ? new FloodControl({ rate: host.limits.rate, burst: host.limits.burst })
      : null;
  }

  get registered(): boolean {
    return this.#registered;
  }

  /** Reads until the connection ends; never throws. */
  async run(): Promise<void> {
    const connection = this.#connection;
    connection.enqueue(new TextEncoder().encode(PLAIN_GREETING));
    this.#registerTimer = setTimeout(() => {
      this.#host.disconnect(
        connection,
        `No valid nickname was chosen within ${this.#host.limits.registerTimeout} seconds.`,
      );
    }, this.#host.limits.registerTimeout * 1000);
    let buffer = new Uint8Array(MIN_READ_BUFFER);
    const onLine = (result: LineResult) => this.#receive(result);
    try {
      while (!connection.closing) {
        const count = await connection.conn.read(buffer);
        if (count === null) break;
        this.#splitter.push(buffer.subarray(0, count), onLine);
        if (count === buffer.length && buffer.length < MAX_READ_BUFFER) {
          buffer = new Uint8Array(Math.min(buffer.length * 4, MAX_READ_BUFFER));
        } else if (count < MIN_READ_BUFFER && buffer.length > MIN_READ_BUFFER) {
          buffer = new Uint8Array(MIN_READ_BUFFER);
        }
      }
    } catch {
      // A reset or a read on a socket we closed: the connection is over either way.
    } finally {
      clearTimeout(this.#registerTimer);
      clearTimeout(this.#floodTimer);
    }
  }

  #receive(result: LineResult): void {
    if (this.#connection.closing) return;
    if (result.kind === "oversized") {
      this.#error(
        `Line too long (${result.bytes} bytes; the limit is ${this.#host.limits.maxLineBytes}). It was not sent.`,
      );
      this.#host.log("info", "limit", {
        id: this.#connection.id,
        limit: "max-line-bytes",
        bytes: result.bytes,
      });
      return;
    }
    if (!this.#framingChosen) {
      this.#framingChosen = true;
      if (result.text === JSON_HANDSHAKE) {
        this.#connection.framing = "json";
        return;
      }
    }
    const verdict = this.#flood?.offer(result.text) ?? "pass";
    if (verdict === "pass") {
      this.#handle(result.text);
    } else if (verdict === "delay") {
      this.#armFloodTimer();
    } else if (verdict === "drop") {
      if (this.#flood!.dropped === 1) {
        this.#error(
          `You are sending too fast; slow down. ${
            this.#flood!.backlogSize
          } lines are waiting to be sent (at most ${this.#host.limits.rate} a second); further lines are being dropped.`,
        );
        this.#host.log("info", "limit", { id: this.#connection.id, limit: "rate" });
      }
    } else {
      this.#host.disconnect(this.#connection, "Flooding: too many lines sent too fast.");
    }
  }

  #armFloodTimer(): void {
    if (this.#floodTimer !== undefined) return;
    const wait = this.#flood?.nextReleaseIn() ?? null;
    if (wait === null) return;
    this.#floodTimer = setTimeout(() => {
      this.#floodTimer = undefined;
      for (const line of this.#flood!.release()) {
        if (this.#connection.closing) return;
        this.#handle(line);
      }
      this.#armFloodTimer();
    }, wait);
  }

  #handle(line: string): void {
    try {
      if (this.#connection.framing === "json") {
        this.#handleJson(line);
      } else if (this.#registered) {
        this.#host.room.say(this.#connection.id, line);
      } else {
        this.#register(line);
      }
    } catch (error) {
      // A bug must cost this one line, not the process.
      this.#host.log("warn", "error", { id: this.#connection.id, error: String(error) });
      this.#error("Internal error while handling your line; it was not sent.");
    }
  }

  #handleJson(line: string): void {
    let message: ClientMessage;
    try {
      message = JSON.parse(line);
    } catch {
      this.#error("Malformed message: expected one JSON object per line.");
      return;
    }
    if (message?.type === "nick" && typeof message.nick === "string" && !this.#registered) {
      this.#register(message.nick, message);
    } else if (message?.type === "say" && typeof message.text === "string" && this.#registered) {
      this.#host.room.say(this.#connection.id, message.text);
    } else {
      this.#error("Malformed message: unknown type or missing field.");
    }
  }

  #register(nick: string, message?: ClientMessage & { type: "nick" }): void {
    const resume = typeof message?.resume === "string" ? message.resume : undefined;
    const lastSeq = typeof message?.lastSeq === "number" ? message.lastSeq : undefined;
    const joined = this.#host.room.join(this.#connection.id, nick, {
      resumable: this.#connection.framing === "json",
      resume,
      lastSeq,
    });
    if (!joined) return;
    this.#registered = true;
    clearTimeout(this.#registerTimer);
    this.#registerTimer = undefined;
    const member = this.#host.room.member(this.#connection.id);
    this.#host.log("info", "register", {
      id: this.#connection.id,
      nick: member?.nick,
      framing: this.#connection.framing,
      resumed: resume !== undefined && member?.resumeToken === resume,
    });
  }

  #error(text: string): void {
    this.#connection.send({ type: "error", at: this.#host.room.clock.now(), text });
  }
}
