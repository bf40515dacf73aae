/**
 * What storing the conversation costs. Part 1: microseconds per
 * `appendEvent` for the memory store and SQLite (WAL, synchronous=NORMAL and
 * FULL). Part 2: chat messages per second a real `chat serve` process
 * sustains with its SQLite file versus `--memory`, measured end to end over
 * loopback (every message received by every member).
 *
 *   deno task bench:store [--appends N] [--members N] [--messages N]
 */
import { parseArgs } from "node:util";
import type { ConversationEvent } from "../protocol/events.ts";
import { MemoryStore } from "../server/memory_store.ts";
import { SqliteStore } from "../server/sqlite_store.ts";
import type { RoomStore } from "../server/store.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

const { values } = parseArgs({
  args: Deno.args,
  options: {
    appends: { type: "string", default: "20000" },
    members: { type: "string", default: "10" },
    messages: { type: "string", default: "20000" },
  },
});
const APPENDS = Number(values.appends);
const MEMBERS = Number(values.members);
const MESSAGES = Number(values.messages);

function event(seq: number): ConversationEvent {
  return {
    type: "message",
    seq,
    at: Date.now(),
    from: "alice",
    text: `message number ${seq}, about as long as a line of chat usually is`,
  };
}

/** Mean microseconds per append over `count` appends, after a warm-up. */
function timeAppends(store: RoomStore, count: number): { mean: number; p99: number } {
  for (let seq = 1; seq <= 500; seq++) store.appendEvent(event(seq));
  const samples = new Float64Array(count);
  const start = performance.now();
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    store.appendEvent(event(501 + i));
    samples[i] = performance.now() - t;
  }
  const mean = ((performance.now() - start) / count) * 1000;
  samples.sort();
  return { mean, p99: samples[Math.floor(count * 0.99)] * 1000 };
}

function appendCosts(dir: string): void {
  console.log(`appendEvent, ${APPENDS} appends each (µs: mean, p99)`);
  const rows: [string, () => RoomStore][] = [
    ["memory", () => new MemoryStore()],
    ["sqlite WAL synchronous=NORMAL", () => new SqliteStore(`${dir}/normal.db`)],
    [
      "sqlite WAL synchronous=FULL",
      () => new SqliteStore(`${dir}/full.db`, { synchronous: "FULL" }),
    ],
  ];
  for (const [name, open] of rows) {
    const store = open();
    // FULL fsyncs every commit: fewer appends keep the run short.
    const count = name.includes("FULL") ? Math.min(APPENDS, 2000) : APPENDS;
    const { mean, p99 } = timeAppends(store, count);
    store.close();
    console.log(
      `  ${name.padEnd(32)} ${mean.toFixed(2).padStart(9)} ${p99.toFixed(2).padStart(9)}`,
    );
  }
}

async function main(): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "chat_store_bench_" });
  try {
    appendCosts(dir);
    console.log(
      `\nserver throughput: ${MEMBERS} members, ${MESSAGES} messages from one sender, all delivered to all`,
    );
    for (
      const [name, args] of [
        ["--memory", ["--memory"]],
        ["--data (sqlite)", ["--data", `${dir}/server.db`]],
      ] as const
    ) {
      const rate = await serverThroughput([...args]);
      console.log(`  ${name.padEnd(18)} ${Math.round(rate).toString().padStart(8)} messages/s`);
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

/** Messages per second from first send until every member has every message. */
async function serverThroughput(storeArgs: string[]): Promise<number> {
  const port = freePort();
  const child = new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-A",
      MAIN,
      "serve",
      "--host",
      "127.0.0.1",
      "--port",
      String(port),
      "--rate",
      "0",
      "--outbox-bytes",
      String(64 << 20),
      ...storeArgs,
    ],
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const log = (async () => {
    let text = "";
    for await (const chunk of child.stderr.pipeThrough(new TextDecoderStream())) text += chunk;
    return text;
  })();
  try {
    await waitListening(port);
    const members: Member[] = [];
    for (let i = 0; i < MEMBERS; i++) members.push(await Member.join(port, `m${i}`));
    const sender = members[0];
    const start = performance.now();
    const marker = "bench-";
    const payload = new TextEncoder().encode(
      Array.from({ length: MESSAGES }, (_, i) => `${marker}${i} some typical chat text\n`).join(""),
    );
    await sender.writeAll(payload);
    await Promise.all(members.map((m) => m.until(`${marker}${MESSAGES - 1} `)));
    const seconds = (performance.now() - start) / 1000;
    for (const member of members) member.close();
    return MESSAGES / seconds;
  } finally {
    try {
      child.kill("SIGTERM");
    } catch { /* gone */ }
    await child.status;
    await log;
  }
}

/** A port that was free a moment ago. */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

async function waitListening(port: number): Promise<void> {
  for (let i = 0; i < 200; i++) {
    try {
      (await Deno.connect({ hostname: "127.0.0.1", port })).close();
      return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }
  throw new Error(`Nothing listening on ${port}.`);
}

/** A plain-text member that reads until a marker appears. */
class Member {
  #conn: Deno.TcpConn;
  #text = "";
  #decoder = new TextDecoder();
  #buffer = new Uint8Array(256 * 1024);

  private constructor(conn: Deno.TcpConn) {
    this.#conn = conn;
  }

  static async join(port: number, nick: string): Promise<Member> {
    const member = new Member(await Deno.connect({ hostname: "127.0.0.1", port }));
    await member.writeAll(new TextEncoder().encode(`${nick}\n`));
    await member.until(`* ${nick} joined`);
    return member;
  }

  async writeAll(bytes: Uint8Array): Promise<void> {
    let written = 0;
    while (written < bytes.length) written += await this.#conn.write(bytes.subarray(written));
  }

  /** Reads until `marker` has been seen; keeps only a tail to search in. */
  async until(marker: string): Promise<void> {
    while (!this.#text.includes(marker)) {
      const count = await this.#conn.read(this.#buffer);
      if (count === null) throw new Error("The server closed the connection.");
      this.#text = this.#text.slice(-marker.length) +
        this.#decoder.decode(this.#buffer.subarray(0, count), { stream: true });
    }
    this.#text = this.#text.slice(this.#text.indexOf(marker) + marker.length);
  }

  close(): void {
    this.#conn.close();
  }
}

if (import.meta.main) await main();
