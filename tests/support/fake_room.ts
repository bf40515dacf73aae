/**
 * Test support: a scripted stand-in for a room server on a loopback port, to
 * drive the real `chat join` through situations a correct server never
 * creates (duplicate replays, hostile text, unknown events). Each accepted
 * connection is handed to the next script in turn.
 */
import { readLines } from "../../protocol/line_reader.ts";

/** One connection as a script sees it. */
export interface FakeConnection {
  /** The next line the client sent (the handshake, then JSON), or null at its end. */
  readLine(timeoutMs?: number): Promise<string | null>;
  /** The next line parsed as JSON, skipping nothing; fails on end of input. */
  readMessage(timeoutMs?: number): Promise<Record<string, unknown>>;
  /** Sends one line as it is. */
  sendLine(line: string): Promise<void>;
  /** Sends one event as a JSON line. */
  send(event: Record<string, unknown>): Promise<void>;
  close(): void;
}

export type FakeScript = (connection: FakeConnection) => Promise<void>;

export class FakeRoom implements AsyncDisposable {
  #listener: Deno.TcpListener;
  #serving: Promise<void>;
  #scripts: FakeScript[];
  #errors: unknown[] = [];

  /** Listens on 127.0.0.1 (a port of its own) and runs `scripts` for successive connections. */
  constructor(scripts: FakeScript[]) {
    this.#scripts = [...scripts];
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#serving = this.#serve();
  }

  get port(): number {
    return this.#listener.addr.port;
  }

  /** Errors the scripts threw; a test should expect none. */
  get errors(): unknown[] {
    return this.#errors;
  }

  async #serve(): Promise<void> {
    const running: Promise<void>[] = [];
    try {
      for await (const conn of this.#listener) {
        const script = this.#scripts.shift();
        if (!script) {
          conn.close();
          continue;
        }
        running.push(runScript(conn, script).catch((error) => void this.#errors.push(error)));
      }
    } catch {
      // Listener closed.
    }
    await Promise.all(running);
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    await this.#serving;
  }
}

async function runScript(conn: Deno.Conn, script: FakeScript): Promise<void> {
  const lines = readLines(conn, { maxLineBytes: 1 << 20 })[Symbol.asyncIterator]();
  const encoder = new TextEncoder();
  let closed = false;
  const connection: FakeConnection = {
    async readLine(timeoutMs = 5000) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`No line within ${timeoutMs} ms.`)), timeoutMs);
      });
      try {
        const next = await Promise.race([lines.next(), timeout]);
        if (next.done) return null;
        return next.value.kind === "line" ? next.value.text : "";
      } finally {
        clearTimeout(timer);
      }
    },
    async readMessage(timeoutMs) {
      const line = await connection.readLine(timeoutMs);
      if (line === null) throw new Error("The client closed the connection.");
      return JSON.parse(line);
    },
    async sendLine(line) {
      const bytes = encoder.encode(`${line}\n`);
      let written = 0;
      while (written < bytes.length) written += await conn.write(bytes.subarray(written));
    },
    send(event) {
      return connection.sendLine(JSON.stringify(event));
    },
    close() {
      if (closed) return;
      closed = true;
      try {
        conn.close();
      } catch {
        // Already closed.
      }
    },
  };
  try {
    await script(connection);
  } finally {
    connection.close();
    await lines.return?.(undefined);
  }
}
