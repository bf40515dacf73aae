/**
 * Test support: a TCP client that keeps every raw byte it receives, to check
 * exactly what would reach a terminal (escape sequences, telnet negotiation).
 */
const encoder = new TextEncoder();

/** A client that keeps every raw byte it receives. */
export class RawClient implements AsyncDisposable {
  readonly conn: Deno.TcpConn;
  #chunks: Uint8Array[] = [];
  #size = 0;
  #reading: Promise<void>;
  #ended = false;
  #waiters: (() => void)[] = [];

  private constructor(conn: Deno.TcpConn) {
    this.conn = conn;
    this.#reading = this.#readLoop();
  }

  static async connect(port: number): Promise<RawClient> {
    return new RawClient(await Deno.connect({ hostname: "127.0.0.1", port }));
  }

  #wake(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }

  async #readLoop(): Promise<void> {
    const buffer = new Uint8Array(16 * 1024);
    try {
      while (true) {
        const count = await this.conn.read(buffer);
        if (count === null) break;
        this.#chunks.push(buffer.slice(0, count));
        this.#size += count;
        this.#wake();
      }
    } catch {
      // Closed.
    }
    this.#ended = true;
    this.#wake();
  }

  get bytes(): Uint8Array {
    const all = new Uint8Array(this.#size);
    let offset = 0;
    for (const chunk of this.#chunks) {
      all.set(chunk, offset);
      offset += chunk.length;
    }
    return all;
  }

  /** True once the server has closed the connection. */
  get ended(): boolean {
    return this.#ended;
  }

  get text(): string {
    return new TextDecoder().decode(this.bytes);
  }

  /** Writes raw bytes. */
  async write(bytes: Uint8Array): Promise<void> {
    let written = 0;
    while (written < bytes.length) written += await this.conn.write(bytes.subarray(written));
  }

  async send(line: string): Promise<void> {
    const bytes = encoder.encode(`${line}\n`);
    let written = 0;
    while (written < bytes.length) written += await this.conn.write(bytes.subarray(written));
  }

  /** Waits until the text received so far contains `marker`. */
  waitFor(marker: string, timeoutMs = 3000): Promise<void> {
    return this.waitUntil(
      () => this.text.includes(marker),
      () => `Never received ${JSON.stringify(marker)}; got ${JSON.stringify(this.text)}`,
      timeoutMs,
    );
  }

  /** Waits until the bytes received so far contain `sequence`. */
  waitForBytes(sequence: Uint8Array, timeoutMs = 3000): Promise<void> {
    return this.waitUntil(
      () => indexOfBytes(this.bytes, sequence) !== -1,
      () => `Never received bytes ${[...sequence]}; got ${[...this.bytes]}`,
      timeoutMs,
    );
  }

  async waitUntil(done: () => boolean, describe: () => string, timeoutMs = 3000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!done()) {
      const left = deadline - Date.now();
      if (this.#ended || left <= 0) throw new Error(describe());
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.#waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    try {
      this.conn.close();
    } catch { /* already closed */ }
    await this.#reading;
  }
}

/** Where `sequence` first occurs in `bytes`, or -1. */
export function indexOfBytes(bytes: Uint8Array, sequence: Uint8Array): number {
  outer: for (let i = 0; i + sequence.length <= bytes.length; i++) {
    for (let j = 0; j < sequence.length; j++) if (bytes[i + j] !== sequence[j]) continue outer;
    return i;
  }
  return -1;
}
