/**
 * Tests of the test helper that runs a real redis-server: the Redis log's
 * tests rely on it choosing a port safely and restarting with its data.
 */
import assert from "node:assert/strict";
import { REDIS_MISSING, redisAvailable, startRedis } from "./support/redis_server.ts";

const ignore = !redisAvailable();
if (ignore) console.warn(REDIS_MISSING);

/** Sends one command in RESP and returns the raw reply. */
async function command(port: number, ...args: string[]): Promise<string> {
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    const frame = `*${args.length}\r\n` +
      args.map((arg) => `$${arg.length}\r\n${arg}\r\n`).join("");
    await conn.write(new TextEncoder().encode(frame));
    const buffer = new Uint8Array(4096);
    const n = await conn.read(buffer);
    return new TextDecoder().decode(buffer.subarray(0, n ?? 0));
  } finally {
    conn.close();
  }
}

Deno.test({
  name: "startRedis() moves to another port when the first one is taken",
  ignore,
  async fn() {
    // A listener that accepts connections but never answers, like a stuck server.
    using taken = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    await using redis = await startRedis({ port: taken.addr.port });
    assert.notEqual(redis.port, taken.addr.port);
    assert.equal(await command(redis.port, "PING"), "+PONG\r\n");
  },
});

Deno.test({
  name: "A stopped redis-server starts again on the same port with its data",
  ignore,
  async fn() {
    await using redis = await startRedis();
    assert.equal(await command(redis.port, "SET", "k", "v"), "+OK\r\n");
    const port = redis.port;
    const pid = redis.pid;
    await redis.stop();
    assert.equal(redis.pid, undefined);
    await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port }));
    await redis.start();
    assert.equal(redis.port, port);
    assert.notEqual(redis.pid, pid);
    assert.equal(await command(redis.port, "GET", "k"), "$1\r\nv\r\n");
  },
});

Deno.test({
  name: "Disposing a redis-server stops it and removes its data dir",
  ignore,
  async fn() {
    let dir: string;
    let port: number;
    {
      await using redis = await startRedis();
      dir = redis.dir;
      port = redis.port;
    }
    await assert.rejects(Deno.stat(dir), Deno.errors.NotFound);
    await assert.rejects(Deno.connect({ hostname: "127.0.0.1", port }));
  },
});
