/**
 * Test support: a real server on an ephemeral loopback port, and real TCP
 * clients that read lines with a deadline, so a missing line fails the test
 * instead of hanging it.
 */
import { ChatServer, type ChatServerOptions } from "../../server/chat_server.ts";
import { type EventOf, JSON_HANDSHAKE, type ServerEvent } from "../../protocol/events.ts";
import { JSON_HANDSHAKE_V2 } from "../../protocol/identity.ts";
import type { Identity } from "../../client/identity.ts";
import { readLines } from "../../protocol/line_reader.ts";
import { CHURN_NOTICE } from "../../server/room.ts";

/** Longer than anything the server sends a test client. */
const MAX_LINE_BYTES = 16 * 1024 * 1024;

/** Starts a server on 127.0.0.1, port 0. Dispose it with `await using`. */
export function startServer(
  options: ChatServerOptions = {},
): ChatServer & AsyncDisposable {
  const server = new ChatServer({ hostname: "127.0.0.1", port: 0, ...options });
  return Object.assign(server, {
    [Symbol.asyncDispose]: () => server.shutdown(),
  });
}

const encoder = new TextEncoder();

/** A raw TCP client that speaks line by line. */
export class LineClient implements AsyncDisposable {
  readonly conn: Deno.Conn;
  #lines: string[] = [];
  #all: string[] = [];
  #waiters: (() => void)[] = [];
  #ended = false;
  #paused: PromiseWithResolvers<void> | null = null;
  #reading: Promise<void>;

  private constructor(conn: Deno.Conn) {
    this.conn = conn;
    this.#reading = this.#readLoop();
  }

  static async connect(port: number): Promise<LineClient> {
    return new LineClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  /** Over TLS to 127.0.0.1, trusting certificates signed by `caCerts` (PEM). */
  static async connectTls(port: number, caCerts: string[]): Promise<LineClient> {
    return new LineClient(await Deno.connectTls({ hostname: "127.0.0.1", port, caCerts }));
  }

  /** Every line received so far, including those already read. */
  get received(): readonly string[] {
    return this.#all;
  }

  /**
   * Stops reading from the socket (after the lines already read), so the
   * server's output backs up as it would for a client that never reads.
   */
  pauseReading(): void {
    this.#paused ??= Promise.withResolvers();
  }

  resumeReading(): void {
    this.#paused?.resolve();
    this.#paused = null;
  }

  /** True once the server closed the connection and every line was read. */
  get ended(): boolean {
    return this.#ended && this.#lines.length === 0;
  }

  async #readLoop(): Promise<void> {
    const lines = readLines(this.conn, { maxLineBytes: MAX_LINE_BYTES, minBufferBytes: 64 * 1024 });
    for await (const result of lines) {
      if (this.#paused) await this.#paused.promise;
      if (result.kind !== "line") {
        throw new Error(`The server sent a line of ${result.bytes} bytes.`);
      }
      this.#lines.push(result.text);
      this.#all.push(result.text);
      this.#wake();
    }
    this.#ended = true;
    this.#wake();
  }

  #wake(): void {
    for (const waiter of this.#waiters.splice(0)) waiter();
  }

  async write(text: string): Promise<void> {
    const bytes = typeof text === "string" ? encoder.encode(text) : text;
    let written = 0;
    while (written < bytes.length) written += await this.conn.write(bytes.subarray(written));
  }

  writeBytes(bytes: Uint8Array): Promise<number> {
    return this.conn.write(bytes);
  }

  /** Sends one line. */
  send(line: string): Promise<void> {
    return this.write(`${line}\n`);
  }

  /** The next line, or an error if none arrives within `timeoutMs`. */
  async readLine(timeoutMs = 3000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    while (this.#lines.length === 0) {
      if (this.#ended) throw new Error("Connection closed while waiting for a line.");
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`No line within ${timeoutMs} ms.`);
      await this.#waitForData(left);
    }
    return this.#lines.shift()!;
  }

  /** The next line, or null once the server has closed the connection and all was read. */
  async nextLine(timeoutMs = 3000): Promise<string | null> {
    const deadline = Date.now() + timeoutMs;
    while (this.#lines.length === 0) {
      if (this.#ended) return null;
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`No line within ${timeoutMs} ms.`);
      await this.#waitForData(left);
    }
    return this.#lines.shift()!;
  }

  /** Reads lines until one matches; returns it. Fails after `timeoutMs`. */
  async waitFor(
    match: string | RegExp | ((line: string) => boolean),
    timeoutMs = 3000,
  ): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    const seen: string[] = [];
    while (true) {
      const left = deadline - Date.now();
      let line: string;
      try {
        line = await this.readLine(Math.max(1, left));
      } catch (error) {
        throw new Error(
          `${(error as Error).message} Waited for ${String(match)}; saw: ${JSON.stringify(seen)}`,
        );
      }
      seen.push(line);
      if (matches(line, match)) return line;
    }
  }

  /** Lines that arrive within `ms`, without failing if there are none. */
  async collect(ms: number): Promise<string[]> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline && !this.#ended) {
      await this.#waitForData(deadline - Date.now());
    }
    return this.#lines.splice(0);
  }

  /** Resolves once the server has closed the connection. */
  async waitForClose(timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!this.#ended) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`Connection still open after ${timeoutMs} ms.`);
      await this.#waitForData(left);
    }
  }

  #waitForData(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        const index = this.#waiters.indexOf(done);
        if (index !== -1) this.#waiters.splice(index, 1);
        resolve();
      }, ms);
      const done = () => {
        clearTimeout(timer);
        resolve();
      };
      this.#waiters.push(done);
    });
  }

  async close(): Promise<void> {
    this.resumeReading();
    try {
      this.conn.close();
    } catch {
      // Already closed.
    }
    await this.#reading;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Connects a plain client (or takes one already connected, over TLS say) and
 * registers `nick`; the greeting and welcome are consumed.
 */
export async function joinPlain(to: number | LineClient, nick: string): Promise<LineClient> {
  const client = typeof to === "number" ? await LineClient.connect(to) : to;
  await client.waitFor("Enter your nickname");
  await client.send(nick);
  await client.waitFor(`Welcome, ${nick}!`);
  // Its own join line, or under churn the notice that takes its place: either
  // way the history before it has been read, and live lines come next.
  await client.waitFor(
    (line) => line.endsWith(`‣ ${nick} joined the chat.`) || line.endsWith(CHURN_NOTICE),
  );
  return client;
}

/** A structured (JSON lines) client. */
export class JsonClient implements AsyncDisposable {
  readonly lines: LineClient;

  private constructor(lines: LineClient) {
    this.lines = lines;
  }

  /** Connects and sends the handshake: `CHAT/1 json`, or `CHAT/2 json` to prove a key. */
  static async connect(port: number, handshake = JSON_HANDSHAKE): Promise<JsonClient> {
    const lines = await LineClient.connect(port);
    await lines.send(handshake);
    return new JsonClient(lines);
  }

  /** Every event received so far, including those already read. */
  get received(): ServerEvent[] {
    return this.lines.received.filter((line) => line.startsWith("{")).map((line) =>
      JSON.parse(line)
    );
  }

  sendMessage(message: unknown): Promise<void> {
    return this.lines.send(JSON.stringify(message));
  }

  say(text: string): Promise<void> {
    return this.sendMessage({ type: "say", text });
  }

  /** The next event, skipping the plain greeting sent before the handshake was seen. */
  async next(timeoutMs = 3000): Promise<ServerEvent> {
    while (true) {
      const line = await this.lines.readLine(timeoutMs);
      if (line.startsWith("{")) return JSON.parse(line);
    }
  }

  /** Events until one satisfies `match`; returns that one. */
  async waitFor(
    match: (event: ServerEvent) => boolean,
    timeoutMs = 3000,
  ): Promise<ServerEvent> {
    const deadline = Date.now() + timeoutMs;
    const seen: string[] = [];
    while (true) {
      let event: ServerEvent;
      try {
        event = await this.next(Math.max(1, deadline - Date.now()));
      } catch (error) {
        throw new Error(`${(error as Error).message} Saw: ${seen.join(" | ")}`);
      }
      seen.push(JSON.stringify(event));
      if (match(event)) return event;
    }
  }

  close(): Promise<void> {
    return this.lines.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Connects a structured client and registers `nick`; returns it and its
 * welcome. With an `identity`, it joins as `chat join` does: `CHAT/2 json`,
 * then the challenge's nonce signed with the key.
 */
export async function joinJson(
  port: number,
  nick: string,
  extra: Record<string, unknown> = {},
  identity?: Identity,
): Promise<{ client: JsonClient; welcome: Extract<ServerEvent, { type: "welcome" }> }> {
  const client = await JsonClient.connect(port, identity ? JSON_HANDSHAKE_V2 : JSON_HANDSHAKE);
  let key: { public: string; signature: string } | undefined;
  if (identity) {
    const challenge = await client.waitFor((event) => event.type === "challenge");
    key = await identity.prove((challenge as EventOf<"challenge">).nonce);
  }
  await client.sendMessage({ type: "nick", nick, ...(key ? { key } : {}), ...extra });
  const welcome = await client.waitFor((event) => event.type === "welcome");
  return { client, welcome: welcome as Extract<ServerEvent, { type: "welcome" }> };
}

function matches(line: string, match: string | RegExp | ((line: string) => boolean)): boolean {
  if (typeof match === "string") return line.includes(match);
  if (typeof match === "function") return match(line);
  return match.test(line);
}
