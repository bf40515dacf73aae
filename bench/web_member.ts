/**
 * One simulated chat member that joins over the browser door: a WebSocket
 * to `/ws` (`chat serve --web`), speaking the structured events. It counts
 * what it receives into the same tally as the TCP members (member.ts), so a
 * run can put any share of the room on WebSockets and compare.
 *
 * A browser parses every frame as JSON; the bench does less, finding the
 * `text` of a message event with two string searches, so that the load
 * generator (one core) measures the server rather than itself.
 */
import { type BenchFields, parseBenchText } from "./bench_line.ts";
import type { ReceiveTally } from "./receive_tally.ts";

/** How long a member may take from connect to welcome before it counts as failed. */
const REGISTER_TIMEOUT_MS = 30_000;
const MESSAGE = '{"type":"message"';
const JOIN = '{"type":"join"';
const TEXT = '"text":"';
const decoder = new TextDecoder();

export class WebMember {
  readonly nick: string;
  #socket: WebSocket | null = null;
  #tally: ReceiveTally;
  /** Highest sequence seen from each sender; -1 before the first. */
  #lastSeq: Int32Array;
  #registered = false;
  #closing = false;
  #onRegistered: ((error?: Error) => void) | null = null;
  #fields: BenchFields = { sender: 0, seq: 0, sentMicros: 0 };

  constructor(nick: string, tally: ReceiveTally, senders: number) {
    this.nick = nick;
    this.#tally = tally;
    this.#lastSeq = new Int32Array(senders).fill(-1);
  }

  /** Opens the WebSocket, sends the nickname and resolves once welcomed. */
  async register(port: number): Promise<void> {
    const socket = new WebSocket(`ws://127.0.0.1:${port}/ws`);
    this.#socket = socket;
    const welcomed = new Promise<void>((resolve, reject) => {
      this.#onRegistered = (error) => error ? reject(error) : resolve();
    });
    const timer = setTimeout(() => {
      this.#onRegistered?.(new Error(`Member "${this.nick}" was not welcomed in time`));
    }, REGISTER_TIMEOUT_MS);
    socket.onopen = () => socket.send(JSON.stringify({ type: "nick", nick: this.nick }));
    socket.onmessage = (message) => {
      const data = message.data as string;
      let start = 0;
      let end = data.indexOf("\n");
      while (end !== -1) {
        this.#frame(data.slice(start, end));
        start = end + 1;
        end = data.indexOf("\n", start);
      }
      this.#frame(start === 0 ? data : data.slice(start));
    };
    socket.onclose = () => {
      if (!this.#closing) this.#tally.closed++;
      this.#onRegistered?.(new Error(`Member "${this.nick}" was disconnected before its welcome`));
    };
    try {
      await welcomed;
    } finally {
      clearTimeout(timer);
      this.#onRegistered = null;
    }
  }

  /** Sends one bench line (`b ...\n`, ASCII) as a `say` message. */
  send(bytes: Uint8Array): void {
    if (this.#socket?.readyState !== WebSocket.OPEN) return;
    const text = decoder.decode(bytes.subarray(0, bytes.length - 1));
    this.#socket.send(`{"type":"say","text":"${text}"}`);
  }

  close(): void {
    this.#closing = true;
    this.#socket?.close();
  }

  #frame(data: string): void {
    const tally = this.#tally;
    if (data.startsWith(MESSAGE)) {
      const at = data.lastIndexOf(TEXT);
      const fields = this.#fields;
      // The message's text is its last field: `..."text":"b 1 2 3"}`.
      if (at !== -1 && parseBenchText(data, at + TEXT.length, data.length - 2, fields)) {
        tally.countBench(this.#lastSeq, fields);
        return;
      }
    }
    if (data.startsWith(JOIN)) {
      tally.joins++;
      return;
    }
    tally.otherLines++;
    if (this.#registered) return;
    if (data.startsWith('{"type":"welcome"')) {
      this.#registered = true;
      this.#onRegistered?.();
    } else if (data.startsWith('{"type":"nick_refused"')) {
      this.#onRegistered?.(new Error(`Nickname "${this.nick}" was refused: ${data}`));
    }
  }
}
