/**
 * How fast the shared Redis log is on loopback: the time from calling
 * `append` on one node to another node's tail yielding that record (p50,
 * p99), with one append in flight at a time, and appends per second with
 * one and with 64 in flight. A probe to run by hand, not a test.
 *
 *   deno run -A bench/redis_log_probe.ts [--appends 2000] [--url redis://127.0.0.1:6379]
 *
 * Without --url it starts its own redis-server (append-only, as in
 * production) with the tests' helper, and stops it at the end.
 */
import { parseArgs } from "node:util";
import { type LogItem, RedisLog } from "../server/redis_log.ts";
import { startRedis } from "../tests/support/redis_server.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    appends: { type: "string", default: "2000" },
    url: { type: "string" },
  },
});
const APPENDS = Number(values.appends);
const IN_FLIGHT = 64;

interface Probe {
  i: number;
  text: string;
}

const TEXT = "a line of chat about as long as a line of chat usually is";

function percentile(sorted: number[], q: number): number {
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function micros(ms: number): string {
  return `${Math.round(ms * 1000)} µs`;
}

async function probe(url: string): Promise<void> {
  const writer = await RedisLog.connect<Probe>(url, "probe", { maxEntries: 100_000 });
  const reader = await RedisLog.connect<Probe>(url, "probe");
  try {
    // A short warm-up, so JIT and connection setup do not count.
    for (let i = 0; i < 100; i++) await writer.append({ i: -1, text: TEXT });
    const sentAt: number[] = [];
    const delivery: number[] = [];
    const roundTrip: number[] = [];

    // Part 1: one append at a time; the tail runs alongside on its own connection.
    const tail = reader.tail(await writer.lastSeq());
    const drained = (async () => {
      for await (const item of tail as AsyncIterable<LogItem<Probe>>) {
        if ("gap" in item) throw new Error("Unexpected gap in the probe's log");
        delivery.push(performance.now() - sentAt[item.entry.i]);
        if (delivery.length === APPENDS) return;
      }
    })();
    // Let the tail connect and block before timing starts.
    await new Promise((resolve) => setTimeout(resolve, 200));
    const started = performance.now();
    for (let i = 0; i < APPENDS; i++) {
      const t0 = performance.now();
      sentAt[i] = t0;
      await writer.append({ i, text: TEXT });
      roundTrip.push(performance.now() - t0);
    }
    const sequentialMs = performance.now() - started;
    await drained;
    const measured = delivery.sort((a, b) => a - b);
    roundTrip.sort((a, b) => a - b);

    // Part 2: many appends in flight from one node.
    const pipelinedStart = performance.now();
    let next = 0;
    await Promise.all(Array.from({ length: IN_FLIGHT }, async () => {
      while (next < APPENDS) {
        next++;
        await writer.append({ i: next, text: TEXT });
      }
    }));
    const pipelinedMs = performance.now() - pipelinedStart;

    console.log(
      `appends: ${APPENDS} on loopback, entry ${JSON.stringify({ i: 0, text: TEXT }).length} B`,
    );
    console.log(
      `append -> tail delivery: p50 ${micros(percentile(measured, 0.5))}, ` +
        `p99 ${micros(percentile(measured, 0.99))}, max ${micros(measured.at(-1)!)}`,
    );
    console.log(
      `append round trip:       p50 ${micros(percentile(roundTrip, 0.5))}, ` +
        `p99 ${micros(percentile(roundTrip, 0.99))}`,
    );
    console.log(`appends/s, 1 in flight:  ${Math.round(APPENDS / (sequentialMs / 1000))}`);
    console.log(`appends/s, ${IN_FLIGHT} in flight: ${Math.round(APPENDS / (pipelinedMs / 1000))}`);
  } finally {
    await Promise.all([writer.close(), reader.close()]);
  }
}

if (import.meta.main) {
  if (values.url) {
    await probe(values.url);
  } else {
    await using redis = await startRedis();
    await probe(redis.url);
  }
}
