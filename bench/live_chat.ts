/**
 * Honest members chatting at a steady rate while the abuse scenario attacks
 * the room: each line is stamped when it is written and timed at every other
 * honest member that reads it. Measures the live-line latency an attack
 * costs, counts lines that never arrive, and notices any honest member the
 * server drops (a `bye`, or a connection it closes).
 */
import { nowMicros } from "./clock.ts";
import { ChatClient } from "./chat_client.ts";
import { Histogram } from "./histogram.ts";
import { sleep } from "./room.ts";

export interface LiveChatOptions {
  port: number;
  /** Honest members; each line is timed at every one but its sender. */
  members: number;
  /** Lines a second from all members together, taken in turn. */
  rate: number;
  /** Nickname prefix; member i is `${prefix}${i}`. */
  prefix: string;
  /** The chat stops by itself after this long, whatever happens. */
  maxDurationMs: number;
}

/** How the honest members fared over a whole run. */
export interface LiveChatOutcome {
  sent: number;
  /** Receipts that should have happened (each line at every other member) but did not. */
  lost: number;
  /** "honest1: Too slow: ..." for each honest member the server dropped. */
  dropped: string[];
}

const LINE = /^live (\d+) (\d+)$/;

export class LiveChat {
  readonly prefix: string;
  #clients: ChatClient[];
  #rate: number;
  #lap = new Histogram();
  #sent = 0;
  #receipts = 0;
  /** `scheduled` events each member has received. */
  #scheduled: number[];
  #sending: Promise<void> = Promise.resolve();
  #stopped = false;

  private constructor(clients: ChatClient[], options: LiveChatOptions) {
    this.prefix = options.prefix;
    this.#clients = clients;
    this.#rate = options.rate;
    this.#scheduled = clients.map(() => 0);
    clients.forEach((client, index) => {
      client.listen((event, at) => {
        if (event.type === "scheduled") {
          this.#scheduled[index]++;
          return;
        }
        if (event.type !== "message" || !event.from.startsWith(this.prefix)) return;
        const match = LINE.exec(event.text);
        if (match === null) return;
        this.#receipts++;
        this.#lap.record(at - Number(match[2]));
      });
    });
  }

  /** Joins the honest members and starts the chat. */
  static async start(options: LiveChatOptions): Promise<LiveChat> {
    const clients: ChatClient[] = [];
    try {
      for (let index = 0; index < options.members; index++) {
        const client = await ChatClient.connect(options.port);
        clients.push(client);
        await client.join(`${options.prefix}${index}`);
      }
    } catch (error) {
      await Promise.all(clients.map((client) => client.close()));
      throw error;
    }
    const chat = new LiveChat(clients, options);
    chat.#sending = chat.#send(options.maxDurationMs);
    return chat;
  }

  /** The latencies recorded since the last lap (µs), and a fresh histogram from now on. */
  lap(): Histogram {
    const lap = this.#lap;
    this.#lap = new Histogram();
    return lap;
  }

  /** `scheduled` events received by the member who has received the fewest. */
  get scheduledReceived(): number {
    return Math.min(...this.#scheduled);
  }

  /** Honest members the server has dropped so far. */
  dropped(): string[] {
    return this.#clients.flatMap((client, index) =>
      client.dropped || client.byeReason !== null
        ? [`${this.prefix}${index}: ${client.byeReason ?? "connection closed by the server"}`]
        : []
    );
  }

  /** Stops sending, waits up to `drainMs` for lines in flight, and leaves. */
  async stop(drainMs = 2000): Promise<LiveChatOutcome> {
    this.#stopped = true;
    await this.#sending;
    const expected = () => this.#sent * (this.#clients.length - 1);
    const deadline = performance.now() + drainMs;
    while (this.#receipts < expected() && performance.now() < deadline) await sleep(20);
    const outcome = {
      sent: this.#sent,
      lost: Math.max(0, expected() - this.#receipts),
      dropped: this.dropped(),
    };
    await Promise.all(this.#clients.map((client) => client.close()));
    return outcome;
  }

  /** Line k is due at start + k / rate (lateness never becomes drift), sent by member k mod n. */
  async #send(maxDurationMs: number): Promise<void> {
    const start = performance.now();
    const stopAt = start + maxDurationMs;
    for (let line = 0; !this.#stopped; line++) {
      const due = start + line * 1000 / this.#rate;
      if (due > stopAt) break;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      if (this.#stopped) break;
      const sender = this.#clients[line % this.#clients.length];
      if (!sender.open) continue;
      sender.say(`live ${line} ${Math.round(nowMicros())}`);
      this.#sent++;
    }
  }
}
