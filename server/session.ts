/**
 * One connection's life: choose a framing from the first line, register a
 * nickname, then feed lines through flood control into the room. Nothing a
 * client sends can throw out of here; a user's mistake becomes a private
 * error line.
 */
import { type ClientMessage, JSON_HANDSHAKE, type ServerEvent } from "../protocol/events.ts";
import type { LineResult } from "../protocol/framing.ts";
import { type Limits, MAX_PASTE_LINES } from "../protocol/limits.ts";
import { readLines } from "../protocol/line_reader.ts";
import {
  NICKNAME_PROMPT,
  PASSWORD_GREETING,
  PASSWORD_PROMPT,
  PLAIN_GREETING,
} from "../protocol/plain.ts";
import type { PasswordVerdict } from "./password_gate.ts";
import { TelnetFilter } from "../protocol/telnet.ts";
import { isTimeZone } from "../protocol/time.ts";
import { JSON_HANDSHAKE_V2, newNonce, verifyProof } from "../protocol/identity.ts";
import { sanitizeText } from "../protocol/text.ts";
import type { Connection } from "./connection.ts";
import { FloodControl } from "./flood_control.ts";
import type { LogSink } from "./log.ts";
import type { Room } from "./room.ts";
import type { RoomInput } from "./room_input.ts";

export interface SessionHost {
  room: Room;
  /** Where joins and lines go: the room at once, or a cluster's shared log. */
  input: RoomInput;
  limits: Limits;
  /** Delivers a private line in order with the broadcasts around it (the fan-out). */
  send(connection: Connection, event: ServerEvent): void;
  /** Ends a connection with a reason shown to it, and logs it. */
  disconnect(connection: Connection, reason: string): void;
  log: LogSink;
  /** Monotonic milliseconds for flood control (default performance.now). */
  monotonicNow?: () => number;
  /** Whether a fresh join from this address may go ahead now (the join rate). */
  admitJoin?: (address: string) => { reason: string; wait: number } | null;
  /** Set when the room has a password: checks a guess from an address (password_gate.ts). */
  checkPassword?: (address: string, guess: unknown) => PasswordVerdict;
}

/** The longest JSON line read: a whole paste, escaped, and the object around it. */
function jsonLineBytes(limits: Limits): number {
  return 2 * Math.max(limits.maxPasteBytes, limits.maxLineBytes) + 1024;
}

/**
 * Why a structured client's `say` is refused, or null. The limits apply to
 * the text itself, as they do to a plain client's line: one line may have
 * --max-line-bytes, a pasted block --max-paste-bytes and MAX_PASTE_LINES.
 */
function sayProblem(text: string, limits: Limits): string | null {
  const bytes = encoder.encode(text).length;
  if (!text.includes("\n")) {
    if (bytes <= limits.maxLineBytes) return null;
    return `Line too long (${bytes} bytes; the limit is ${limits.maxLineBytes}). It was not sent.`;
  }
  const lines = text.split("\n").length;
  if (lines > MAX_PASTE_LINES) {
    return `Paste too long (${lines} lines; the limit is ${MAX_PASTE_LINES}). It was not sent.`;
  }
  if (bytes > limits.maxPasteBytes) {
    return `Paste too long (${bytes} bytes; the limit is ${limits.maxPasteBytes}). It was not sent.`;
  }
  return null;
}

const encoder = new TextEncoder();

export class Session {
  #host: SessionHost;
  #connection: Connection;
  /** Null when flood control is off (`--rate 0`). */
  #flood: FloodControl | null;
  #floodTimer: ReturnType<typeof setTimeout> | undefined;
  #registerTimer: ReturnType<typeof setTimeout> | undefined;
  #framingChosen = false;
  #registered = false;
  /** A join the room has not answered yet (a cluster's log); lines wait behind it. */
  #joining: Promise<void> | undefined;
  /** Set after `CHAT/2 json`: what the client signs to prove its key. */
  #nonce: string | null = null;
  /** A key's proof is being checked; the nickname waits for it. */
  #verifying = false;
  /** The room's password was given (or the room has none). */
  #passwordGiven: boolean;
  /** Telnet commands are taken out of a plain connection's bytes; null once it chose JSON. */
  #telnet: TelnetFilter | null = new TelnetFilter();

  constructor(host: SessionHost, connection: Connection) {
    this.#host = host;
    this.#connection = connection;
    this.#passwordGiven = host.checkPassword === undefined;
    this.#flood = host.limits.rate > 0
      ? new FloodControl({
        rate: host.limits.rate,
        burst: host.limits.burst,
        now: host.monotonicNow,
      })
      : null;
  }

  /** Reads until the connection ends; never throws. */
  async run(): Promise<void> {
    const connection = this.#connection;
    connection.enqueue(
      encoder.encode(
        this.#passwordGiven ? PLAIN_GREETING : `${PASSWORD_GREETING}\r\n${PASSWORD_PROMPT}\r\n`,
      ),
    );
    this.#registerTimer = setTimeout(() => {
      this.#host.disconnect(
        connection,
        `No valid nickname was chosen within ${this.#host.limits.registerTimeout} seconds.`,
      );
    }, this.#host.limits.registerTimeout * 1000);
    try {
      const lines = readLines(connection, {
        // A JSON line carries a pasted block and JSON's escapes: the text's
        // own limits are checked once it is parsed (#handleJson).
        maxLineBytes: () =>
          this.#connection.framing === "json"
            ? jsonLineBytes(this.#host.limits)
            : this.#host.limits.maxLineBytes,
        filter: (chunk) => this.#withoutTelnet(chunk),
      });
      for await (const result of lines) {
        if (connection.closing) break;
        this.#receive(result);
      }
    } finally {
      clearTimeout(this.#registerTimer);
      clearTimeout(this.#floodTimer);
    }
  }

  /**
   * Takes telnet commands out of a chunk and answers them at once (a telnet
   * client shows nothing until its TIMING-MARK is answered). Where a command
   * shows that the client mangled the line around it, a 0xFF byte, which
   * UTF-8 text never holds, marks the line so `#receive` can refuse it.
   */
  #withoutTelnet(chunk: Uint8Array): Uint8Array {
    if (this.#telnet === null) return chunk;
    const { data, reply, damagedAt } = this.#telnet.push(chunk);
    if (reply) this.#connection.enqueue(reply);
    if (damagedAt === null) return data;
    const marked = new Uint8Array(data.length + damagedAt.length);
    let from = 0;
    let to = 0;
    for (const at of damagedAt) {
      marked.set(data.subarray(from, at), to);
      to += at - from;
      marked[to++] = 0xff;
      from = at;
    }
    marked.set(data.subarray(from), to);
    return marked;
  }

  #receive(result: LineResult): void {
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
      if (result.text === JSON_HANDSHAKE || result.text === JSON_HANDSHAKE_V2) {
        this.#connection.useFraming("json");
        this.#telnet = null;
        if (result.text === JSON_HANDSHAKE_V2) {
          this.#nonce = newNonce();
          this.#host.send(this.#connection, {
            type: "challenge",
            at: this.#host.room.clock.now(),
            nonce: this.#nonce,
            ...(this.#passwordGiven ? {} : { password: true as const }),
          });
        }
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
    if (this.#joining) {
      this.#joining.then(() => {
        if (!this.#connection.closing) this.#handle(line);
      });
      return;
    }
    // A telnet client that mangled bytes (or sent invalid UTF-8) before it
    // agreed to send 8-bit data: the line is not what the user typed.
    if (this.#telnet?.speaksTelnet && line.includes("\uFFFD")) {
      this.#error("Your terminal sent a damaged line; please type it again.");
      return;
    }
    try {
      if (this.#connection.framing === "json") {
        this.#handleJson(line);
      } else if (this.#registered) {
        this.#host.input.line(this.#connection.id, line);
      } else if (!this.#passwordGiven) {
        if (this.#checkPassword(line)) {
          this.#connection.enqueue(encoder.encode(`${NICKNAME_PROMPT}\r\n`));
        }
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
      if (!this.#passwordGiven && !this.#checkPassword(message.password)) return;
      if (message.key === undefined) this.#register(message.nick, message);
      else this.#registerWithKey(message.nick, message);
    } else if (message?.type === "say" && typeof message.text === "string" && this.#registered) {
      const problem = sayProblem(message.text, this.#host.limits);
      if (problem) this.#error(problem);
      else this.#host.input.line(this.#connection.id, message.text);
    } else {
      this.#error("Malformed message: unknown type or missing field.");
    }
  }

  /**
   * Checks the room's password; a wrong one (or too many wrong ones from
   * this address) closes the connection with the reason, and is logged.
   */
  #checkPassword(guess: unknown): boolean {
    const address = this.#connection.remoteIp;
    const verdict = this.#host.checkPassword!(address, guess);
    if (verdict.ok) {
      this.#passwordGiven = true;
      return true;
    }
    this.#host.log("warn", "password", {
      id: this.#connection.id,
      address,
      problem: guess === undefined ? "none given" : verdict.reason,
    });
    this.#host.disconnect(
      this.#connection,
      guess === undefined ? "This room asks for a password, and none was given." : verdict.reason,
    );
    return false;
  }

  /**
   * Checks the proof of the client's key (async: WebCrypto), then joins
   * with the key's fingerprint. A proof that does not hold is refused like
   * a nickname, and the client may try again.
   */
  #registerWithKey(nick: string, message: ClientMessage & { type: "nick" }): void {
    if (this.#nonce === null) {
      this.#error("A key needs the CHAT/2 json handshake; it was not used.");
      return;
    }
    if (this.#verifying) {
      this.#error("Your key is still being checked; wait for the welcome.");
      return;
    }
    this.#verifying = true;
    const key = message.key as { public?: unknown; signature?: unknown } | null;
    verifyProof(key?.public, key?.signature, this.#nonce).then((identity) => {
      this.#verifying = false;
      if (this.#connection.closing || this.#registered) return;
      if (identity === null) {
        this.#host.log("warn", "limit", {
          id: this.#connection.id,
          address: this.#connection.remoteIp,
          limit: "bad-key-proof",
        });
        this.#host.send(this.#connection, {
          type: "nick_refused",
          at: this.#host.room.clock.now(),
          nick: sanitizeText(nick).slice(0, 64),
          reason: "Your key's signature did not check out; the join was refused.",
        });
        return;
      }
      this.#register(nick, message, identity);
    });
  }

  #register(nick: string, message?: ClientMessage & { type: "nick" }, identity?: string): void {
    const timeZone = typeof message?.timeZone === "string" && isTimeZone(message.timeZone)
      ? message.timeZone
      : undefined;
    const joined = this.#host.input.join(this.#connection.id, nick, {
      resumable: this.#connection.framing === "json",
      resume: typeof message?.resume === "string" ? message.resume : undefined,
      // Checked by the room, which says what was wrong with it.
      lastSeq: message?.lastSeq,
      timeZone,
      address: this.#connection.remoteIp,
      identity,
      admit: () => this.#host.admitJoin?.(this.#connection.remoteIp) ?? null,
    });
    if (joined instanceof Promise) {
      this.#joining = joined.catch(() => false).then((ok) => {
        this.#joining = undefined;
        if (ok) this.#joined();
      });
    } else if (joined) {
      this.#joined();
    }
  }

  #joined(): void {
    this.#registered = true;
    clearTimeout(this.#registerTimer);
    this.#registerTimer = undefined;
  }

  #error(text: string): void {
    this.#host.send(this.#connection, { type: "error", at: this.#host.room.clock.now(), text });
  }
}
