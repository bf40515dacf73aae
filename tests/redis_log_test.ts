/**
 * Tests of the room's shared log against a real redis-server (started per
 * test on a loopback port; skipped where redis-server is not installed).
 */
import assert from "node:assert/strict";
import {
  type LogItem,
  type LogRecord,
  LogResetError,
  RedisLog,
  type RedisLogOptions,
  type RedisStatus,
  RedisUnavailableError,
  withoutPassword,
} from "../server/redis_log.ts";
import { REDIS_MISSING, redisAvailable, startRedis } from "./support/redis_server.ts";

const ignore = !redisAvailable();
if (ignore) console.warn(REDIS_MISSING);

interface Said {
  node: number;
  n: number;
}

/** Opens a log on `url`; every log a test opens is closed by `closeAll`. */
function opener(url: string) {
  const opened: RedisLog<Said>[] = [];
  return {
    async open(room = "lobby", options: RedisLogOptions = {}): Promise<RedisLog<Said>> {
      const log = await RedisLog.connect<Said>(url, room, options);
      opened.push(log);
      return log;
    },
    async closeAll(): Promise<void> {
      await Promise.all(opened.map((log) => log.close()));
    },
  };
}

/** The next `count` items of `tail`, failing after `timeoutMs`. */
async function take<E>(
  tail: AsyncIterator<LogItem<E>>,
  count: number,
  timeoutMs = 10_000,
): Promise<LogItem<E>[]> {
  const items: LogItem<E>[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`Tail gave ${items.length} of ${count} items in ${timeoutMs} ms`)),
      timeoutMs,
    );
  });
  try {
    while (items.length < count) {
      const next = await Promise.race([tail.next(), timeout]);
      if (next.done) throw new Error(`Tail ended after ${items.length} of ${count} items`);
      items.push(next.value);
    }
    return items;
  } finally {
    clearTimeout(timer);
  }
}

function seqs(items: LogItem<unknown>[]): number[] {
  return items.map((item) => "gap" in item ? -1 : item.seq);
}

function range(from: number, to: number): number[] {
  return Array.from({ length: to - from + 1 }, (_, i) => from + i);
}

/** Polls `condition` every 20 ms until it holds, failing after `timeoutMs`. */
async function until(condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

Deno.test({
  name: "Three nodes appending at once make one order that every node's tail reads the same",
  ignore,
  async fn() {
    await using redis = await startRedis();
    const logs = opener(redis.url);
    try {
      const nodes = [await logs.open(), await logs.open(), await logs.open()];
      const tails = nodes.map((node) => node.tail(0));
      const perNode = 100;
      const appended = await Promise.all(nodes.map(async (node, index) => {
        const records: LogRecord<Said>[] = [];
        // Each node appends in turn, so its own entries keep its order.
        for (let n = 0; n < perNode; n++) records.push(await node.append({ node: index, n }));
        return records;
      }));
      const reads = await Promise.all(tails.map((tail) => take(tail, 3 * perNode)));
      for (const read of reads) assert.deepEqual(read, reads[0]);
      const records = reads[0] as LogRecord<Said>[];
      assert.deepEqual(seqs(records), range(1, 3 * perNode));
      for (let i = 1; i < records.length; i++) assert.ok(records[i].at >= records[i - 1].at);
      // What append() resolved with is exactly what the tails read.
      const bySeq = new Map(records.map((record) => [record.seq, record]));
      for (const record of appended.flat()) assert.deepEqual(bySeq.get(record.seq), record);
      for (let node = 0; node < 3; node++) {
        const own = records.filter((record) => record.entry.node === node);
        assert.deepEqual(own.map((record) => record.entry.n), range(0, perNode - 1));
      }
      // The appends really interleaved: not all of node 0's came first.
      assert.notDeepEqual(
        records.slice(0, perNode).map((record) => record.entry.node),
        Array(perNode).fill(0),
      );
      await Promise.all(tails.map((tail) => tail.return()));
    } finally {
      await logs.closeAll();
    }
  },
});

Deno.test({
  name: "RedisLog.tail() starts after the given seq and then yields live appends",
  ignore,
  async fn() {
    await using redis = await startRedis();
    const logs = opener(redis.url);
    try {
      const log = await logs.open();
      for (let n = 1; n <= 10; n++) await log.append({ node: 0, n });
      const tail = log.tail(4);
      assert.deepEqual(seqs(await take(tail, 6)), range(5, 10));
      const live = take(tail, 1);
      const appended = await log.append({ node: 0, n: 11 });
      assert.deepEqual(await live, [appended]);
      await tail.return();
      // A tail past the end waits for what comes next.
      const ahead = log.tail(11);
      const next = take(ahead, 1);
      await log.append({ node: 0, n: 12 });
      assert.deepEqual(seqs(await next), [12]);
      await ahead.return();
    } finally {
      await logs.closeAll();
    }
  },
});

Deno.test({
  name: "RedisLog.range() returns up to limit records after a seq, and lastSeq() the last",
  ignore,
  async fn() {
    await using redis = await startRedis();
    const logs = opener(redis.url);
    try {
      const log = await logs.open();
      assert.equal(await log.lastSeq(), 0);
      assert.deepEqual(await log.range(0, 10), []);
      for (let n = 1; n <= 20; n++) await log.append({ node: 0, n });
      assert.equal(await log.lastSeq(), 20);
      const some = await log.range(5, 4);
      assert.deepEqual(seqs(some), [6, 7, 8, 9]);
      assert.deepEqual(some.map((record) => record.entry.n), [6, 7, 8, 9]);
      assert.deepEqual(seqs(await log.range(18, 100)), [19, 20]);
      assert.deepEqual(await log.range(20, 100), []);
      // Rooms do not see each other's logs.
      const other = await logs.open("other");
      assert.equal(await other.lastSeq(), 0);
      assert.equal((await other.append({ node: 1, n: 1 })).seq, 1);
    } finally {
      await logs.closeAll();
    }
  },
});

Deno.test({
  name: "A tail yields one gap marker for records trimmed away before it read them",
  ignore,
  async fn() {
    await using redis = await startRedis();
    const logs = opener(redis.url);
    try {
      const log = await logs.open("lobby", { maxEntries: 5 });
      for (let n = 1; n <= 12; n++) await log.append({ node: 0, n });
      assert.equal(await log.lastSeq(), 12);
      assert.deepEqual(seqs(await log.range(0, 100)), range(8, 12));
      const tail = log.tail(2);
      const items = await take(tail, 6);
      assert.deepEqual(items[0], { gap: true, afterSeq: 2, firstSeq: 8 });
      assert.deepEqual(seqs(items.slice(1)), range(8, 12));
      await tail.return();
      // A tail that starts where the kept records begin has no gap.
      const whole = log.tail(7);
      assert.deepEqual(seqs(await take(whole, 5)), range(8, 12));
      await whole.return();
    } finally {
      await logs.closeAll();
    }
  },
});

Deno.test({
  name: "RedisLog.fireDue() racing on three nodes fires each of 200 due schedules exactly once",
  ignore,
  async fn() {
    await using redis = await startRedis();
    const logs = opener(redis.url);
    try {
      const nodes = [await logs.open(), await logs.open(), await logs.open()];
      const now = Date.now();
      const count = 200;
      for (let n = 0; n < count; n++) {
        await nodes[n % 3].addSchedule(`s${n}`, now - count + n, { node: n % 3, n });
      }
      await nodes[0].addSchedule("later", now + 60_000, { node: 0, n: -1 });
      const tail = nodes[0].tail(0);
      const fired = await Promise.all(nodes.map(async (node) => {
        let total = 0;
        // Bounded: 200 schedules at up to 10 per call need at most 20 calls in all.
        for (let call = 0; call < 50; call++) {
          const moved = await node.fireDue({ now, max: 10 });
          total += moved;
          if (moved === 0) break;
        }
        return total;
      }));
      assert.equal(fired.reduce((a, b) => a + b, 0), count);
      const records = await take(tail, count) as LogRecord<Said>[];
      assert.deepEqual(seqs(records), range(1, count));
      const ids = records.map((record) => record.fired?.id);
      assert.equal(new Set(ids).size, count);
      assert.deepEqual(
        records.map((record) => record.entry.n).sort((a, b) => a - b),
        range(0, count - 1),
      );
      for (const record of records) {
        assert.equal(record.fired?.due, now - count + record.entry.n);
      }
      assert.equal(await nodes[1].lastSeq(), count);
      // The one not yet due stays pending.
      assert.equal(await nodes[2].fireDue({ now }), 0);
      assert.equal(await nodes[2].cancelSchedule("later"), true);
      await tail.return();
    } finally {
      await logs.closeAll();
    }
  },
});

Deno.test({
  name: "RedisLog.fireDue() without a time uses Redis's clock and stamps the record with it",
  ignore,
  async fn() {
    await using redis = await startRedis();
    const logs = opener(redis.url);
    try {
      const log = await logs.open();
      const before = (await log.append({ node: 0, n: 0 })).at;
      await log.addSchedule("past", before - 1, { node: 0, n: 1 });
      await log.addSchedule("future", before + 3_600_000, { node: 0, n: 2 });
      assert.equal(await log.fireDue(), 1);
      const [record] = await log.range(1, 10);
      assert.deepEqual(record.entry, { node: 0, n: 1 });
      assert.deepEqual(record.fired, { id: "past", due: before - 1 });
      assert.ok(record.at >= before);
    } finally {
      await logs.closeAll();
    }
  },
});

Deno.test({
  name: "RedisLog.cancelSchedule() keeps a schedule from firing and says whether it was pending",
  ignore,
  async fn() {
    await using redis = await startRedis();
    const logs = opener(redis.url);
    try {
      const log = await logs.open();
      await log.addSchedule("a", 1_000, { node: 0, n: 1 });
      await log.addSchedule("b", 2_000, { node: 0, n: 2 });
      // Adding an id again replaces its schedule.
      await log.addSchedule("b", 3_000, { node: 0, n: 3 });
      assert.equal(await log.cancelSchedule("a"), true);
      assert.equal(await log.cancelSchedule("a"), false);
      assert.equal(await log.cancelSchedule("never"), false);
      assert.equal(await log.fireDue({ now: 2_500 }), 0);
      assert.equal(await log.fireDue({ now: 3_000 }), 1);
      assert.equal(await log.cancelSchedule("b"), false);
      const records = await log.range(0, 10);
      assert.deepEqual(records.map((record) => record.entry), [{ node: 0, n: 3 }]);
    } finally {
      await logs.closeAll();
    }
  },
});

Deno.test({
  name: "A lease has one holder until it is released or lapses",
  ignore,
  async fn() {
    await using redis = await startRedis();
    const logs = opener(redis.url);
    try {
      const [a, b] = [await logs.open(), await logs.open()];
      const won = await Promise.all([
        a.tryLease("leader", "a", 10_000),
        b.tryLease("leader", "b", 10_000),
      ]);
      assert.equal(won.filter(Boolean).length, 1);
      const [winner, loser] = won[0] ? ["a", "b"] : ["b", "a"];
      assert.equal(await a.leaseHolder("leader"), winner);
      assert.equal(await a.tryLease("leader", winner, 10_000), true);
      assert.equal(await a.renewLease("leader", loser, 10_000), false);
      assert.equal(await a.releaseLease("leader", loser), false);
      assert.equal(await a.renewLease("leader", winner, 10_000), true);
      assert.equal(await a.releaseLease("leader", winner), true);
      assert.equal(await a.leaseHolder("leader"), null);
      assert.equal(await b.tryLease("leader", loser, 50), true);
      await new Promise((resolve) => setTimeout(resolve, 120));
      assert.equal(await a.leaseHolder("leader"), null);
      assert.equal(await a.renewLease("leader", loser, 50), false);
    } finally {
      await logs.closeAll();
    }
  },
});

Deno.test({
  name: "A tail open across a Redis restart resumes without losing or repeating a record",
  ignore,
  async fn() {
    await using redis = await startRedis();
    const logs = opener(redis.url);
    try {
      const statuses: RedisStatus[] = [];
      const writer = await logs.open("lobby", { onStatus: (status) => statuses.push(status) });
      const reader = await logs.open();
      const tail = reader.tail(0);
      for (let n = 1; n <= 50; n++) await writer.append({ node: 0, n });
      assert.deepEqual(seqs(await take(tail, 30)), range(1, 30));
      await redis.stop();
      await redis.start();
      await until(
        () => statuses.at(-1) === "up" && statuses.length === 3,
        "the writer's reconnect",
      );
      for (let n = 51; n <= 100; n++) await writer.append({ node: 0, n });
      const rest = await take(tail, 70, 15_000) as LogRecord<Said>[];
      assert.deepEqual(seqs(rest), range(31, 100));
      assert.deepEqual(rest.map((record) => record.entry.n), range(31, 100));
      // Nothing more than the 100 appended.
      assert.equal(await reader.lastSeq(), 100);
      await tail.return();
    } finally {
      await logs.closeAll();
    }
  },
});

Deno.test({
  name: "RedisLog.append() rejects within 2 s while Redis is down, and onStatus says down then up",
  ignore,
  async fn() {
    await using redis = await startRedis();
    const logs = opener(redis.url);
    try {
      const statuses: [RedisStatus, string | undefined][] = [];
      const log = await logs.open("lobby", {
        onStatus: (status, error) => statuses.push([status, error]),
      });
      await log.append({ node: 0, n: 1 });
      await redis.stop();
      await until(() => statuses.length >= 2, "the down report");
      assert.equal(statuses[0][0], "up");
      assert.equal(statuses[1][0], "down");
      assert.ok(statuses[1][1], "a down report carries the error");
      const started = performance.now();
      await assert.rejects(log.append({ node: 0, n: 2 }), (error: Error) => {
        assert.ok(error instanceof RedisUnavailableError);
        assert.match(error.message, /^Redis at "redis:\/\/127\.0\.0\.1:\d+" is unavailable/);
        return true;
      });
      assert.ok(performance.now() - started < 2_000);
      await redis.start();
      await until(() => statuses.at(-1)?.[0] === "up", "the up report");
      assert.equal((await log.append({ node: 0, n: 3 })).seq, 2);
    } finally {
      await logs.closeAll();
    }
  },
});

Deno.test({
  name: "RedisLog.append() rejects within 2 s when Redis stops answering",
  ignore,
  async fn() {
    await using redis = await startRedis();
    const logs = opener(redis.url);
    try {
      const log = await logs.open("lobby", { commandTimeoutMs: 500 });
      await log.append({ node: 0, n: 1 });
      // A stopped (not dead) process: the connection stays open but nothing answers.
      Deno.kill(redis.pid!, "SIGSTOP");
      try {
        const started = performance.now();
        await assert.rejects(log.append({ node: 0, n: 2 }), /did not answer append within 500 ms/);
        assert.ok(performance.now() - started < 2_000);
      } finally {
        Deno.kill(redis.pid!, "SIGCONT");
      }
    } finally {
      await logs.closeAll();
    }
  },
});

Deno.test({
  name: "A tail ends with LogResetError when Redis comes back without records it already read",
  ignore,
  async fn() {
    await using redis = await startRedis();
    const logs = opener(redis.url);
    try {
      const log = await logs.open();
      for (let n = 1; n <= 5; n++) await log.append({ node: 0, n });
      const tail = log.tail(0);
      assert.deepEqual(seqs(await take(tail, 5)), range(1, 5));
      await redis.stop();
      // As if Redis had run without persistence: it restarts empty.
      for await (const file of Deno.readDir(redis.dir)) {
        await Deno.remove(`${redis.dir}/${file.name}`, { recursive: true });
      }
      await redis.start();
      await assert.rejects(take(tail, 1, 15_000), LogResetError);
    } finally {
      await logs.closeAll();
    }
  },
});

Deno.test({
  name: "RedisLog.close() ends an open tail, and later calls reject",
  ignore,
  async fn() {
    await using redis = await startRedis();
    const logs = opener(redis.url);
    try {
      const log = await logs.open();
      const tail = log.tail(0);
      const waiting = tail.next();
      // Let the tail connect and block in XREAD before closing.
      await new Promise((resolve) => setTimeout(resolve, 100));
      await log.close();
      assert.deepEqual(await waiting, { done: true, value: undefined });
      await assert.rejects(log.append({ node: 0, n: 1 }), RedisUnavailableError);
    } finally {
      await logs.closeAll();
    }
  },
});

Deno.test({
  name: "RedisLog.connect() rejects promptly when nothing listens, and refuses a bad room name",
  ignore,
  async fn() {
    await using redis = await startRedis();
    const url = redis.url;
    await redis.stop();
    const started = performance.now();
    await assert.rejects(
      RedisLog.connect(url, "lobby", { connectTimeoutMs: 500 }),
      RedisUnavailableError,
    );
    assert.ok(performance.now() - started < 2_000);
    await assert.rejects(RedisLog.connect(url, "a{b}"), RangeError);
  },
});

Deno.test("errors name Redis's address without the password in its URL", () => {
  assert.equal(withoutPassword("redis://:s3cret@10.0.0.5:6379/2"), "redis://:***@10.0.0.5:6379/2");
  assert.equal(withoutPassword("redis://10.0.0.5:6379"), "redis://10.0.0.5:6379");
});

Deno.test({
  name: "node numbers are never handed out twice; a shared value is the first one proposed; " +
    "the newest snapshot is kept",
  ignore,
  async fn() {
    await using redis = await startRedis();
    const logs = opener(redis.url);
    try {
      const [a, b] = [await logs.open(), await logs.open()];
      const numbers = await Promise.all([a, b, a, b].map((log) => log.nextNodeNumber()));
      assert.deepEqual([...numbers].sort(), [1, 2, 3, 4]);
      const [first, second] = await Promise.all([
        a.sharedValue("secret", "from a"),
        b.sharedValue("secret", "from b"),
      ]);
      assert.equal(first, second);
      assert.equal(await a.sharedValue("secret", "later"), first);
      assert.equal(await a.loadSnapshot(), null);
      assert.equal(await a.saveSnapshot(10, "ten"), true);
      assert.equal(await b.saveSnapshot(5, "five"), false, "an older snapshot is not kept");
      assert.deepEqual(await b.loadSnapshot(), { seq: 10, data: "ten" });
      assert.equal(await b.saveSnapshot(12, "twelve"), true);
      assert.deepEqual(await a.loadSnapshot(), { seq: 12, data: "twelve" });
      // Another room's keys are its own.
      const other = await logs.open("elsewhere");
      assert.equal(await other.loadSnapshot(), null);
      assert.equal(await other.nextNodeNumber(), 1);
    } finally {
      await logs.closeAll();
    }
  },
});
