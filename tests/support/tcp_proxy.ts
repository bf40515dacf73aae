/**
 * Test support: a loopback TCP proxy whose connections can be cut, to stand
 * in for a network failure between a client and the server. It keeps what
 * clients sent upstream, so a test can check what a client said.
 */
export class TcpProxy implements AsyncDisposable {
  #listener: Deno.TcpListener;
  #pairs = new Set<[Deno.Conn, Deno.Conn]>();
  #pipes = new Set<Promise<void>>();
  #accepting: Promise<void>;
  #sent: Uint8Array[] = [];
  #refusing = false;

  constructor(upstreamPort: number) {
    this.#listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    this.#accepting = this.#accept(upstreamPort);
  }

  get port(): number {
    return this.#listener.addr.port;
  }

  async #accept(upstreamPort: number): Promise<void> {
    try {
      for await (const downstream of this.#listener) {
        if (this.#refusing) {
          closeQuietly(downstream);
          continue;
        }
        const upstream = await Deno.connect({ hostname: "127.0.0.1", port: upstreamPort });
        const pair: [Deno.Conn, Deno.Conn] = [downstream, upstream];
        this.#pairs.add(pair);
        const record = (chunk: Uint8Array) => this.#sent.push(chunk.slice());
        const piping = Promise.all([
          pipe(downstream, upstream, record),
          pipe(upstream, downstream),
        ])
          .then(() => {
            this.#pairs.delete(pair);
            closeQuietly(downstream);
            closeQuietly(upstream);
          });
        this.#pipes.add(piping);
        piping.finally(() => this.#pipes.delete(piping));
      }
    } catch {
      // Listener closed.
    }
  }

  /** Everything clients have sent through the proxy, as text. */
  get sentText(): string {
    const decoder = new TextDecoder();
    return this.#sent.map((chunk) => decoder.decode(chunk, { stream: true })).join("");
  }

  /** While refusing, a new connection is accepted and closed at once: the server seems down. */
  refuse(refusing: boolean): void {
    this.#refusing = refusing;
  }

  /** Cuts every open connection at once, both sides. */
  cutAll(): void {
    for (const [downstream, upstream] of this.#pairs) {
      closeQuietly(downstream);
      closeQuietly(upstream);
    }
  }

  async [Symbol.asyncDispose](): Promise<void> {
    this.#listener.close();
    await this.#accepting;
    this.cutAll();
    await Promise.all(this.#pipes);
  }
}

async function pipe(
  from: Deno.Conn,
  to: Deno.Conn,
  record: (chunk: Uint8Array) => void = () => {},
): Promise<void> {
  const buffer = new Uint8Array(16 * 1024);
  try {
    while (true) {
      const count = await from.read(buffer);
      if (count === null) break;
      record(buffer.subarray(0, count));
      let written = 0;
      while (written < count) written += await to.write(buffer.subarray(written, count));
    }
  } catch {
    // Cut: one side is gone.
  }
  closeQuietly(to);
}

function closeQuietly(conn: Deno.Conn): void {
  try {
    conn.close();
  } catch {
    // Already closed.
  }
}
