/**
 * `chat serve --redis` as real processes over a real redis-server: a node
 * killed with SIGKILL, its members resuming on another; `--reuse-port`.
 * Skipped where redis-server is not installed.
 */
import { assert, assertEquals } from "./support/assert.ts";
import type { ServerEvent } from "../protocol/events.ts";
import { RUNTIME_PERMISSIONS } from "../scripts/permissions.ts";
import { REDIS_MISSING, redisAvailable, startRedis } from "./support/redis_server.ts";
import { assertUsageErrors, runChat } from "./support/chat_command.ts";
import { ServeProcess } from "./support/serve_process.ts";
import { joinJson, JsonClient, LineClient } from "./support/test_server.ts";

const ignore = !redisAvailable();
if (ignore) console.warn(REDIS_MISSING);

function seqOf(event: ServerEvent): number | undefined {
  return "seq" in event && typeof event.seq === "number" && event.type !== "welcome"
    ? event.seq
    : undefined;
}

Deno.test({
  name: "kill -9 of a node: its member resumes on another, missing nothing and seeing nothing " +
    "twice; one who does not come back shows as reconnecting",
  ignore,
  async fn() {
    await using redis = await startRedis();
    const args = ["--redis", redis.url, "--room", "kill", "--node-timeout", "1", "--rate", "0"];
    await using doomed = new ServeProcess(args);
    // The survivor runs under the shipped binary's permissions.
    await using survivor = new ServeProcess(args, {
      permissions: ["--no-prompt", ...RUNTIME_PERMISSIONS],
    });
    const [doomedPort, survivorPort] = await Promise.all([doomed.port, survivor.port]);
    await survivor.waitForLog(/cluster node=node-\d+ room=kill from=0 logEnd=\d+/);

    const ana = await joinJson(doomedPort, "ana");
    const { client: cy } = await joinJson(doomedPort, "cy");
    const { client: bob } = await joinJson(survivorPort, "bob");
    await using _bob = bob;
    await using _cy = cy;
    try {
      await bob.say("one");
      await ana.client.waitFor((event) => event.type === "message" && event.text === "one");
      await ana.client.say("two");
      await ana.client.waitFor((event) => event.type === "message" && event.text === "two");
      const lastSeq = Math.max(...ana.client.received.map((e) => seqOf(e) ?? 0));

      doomed.child.kill("SIGKILL");
      await doomed.child.status;
      await bob.say("three");
      await bob.say("four");
      await bob.waitFor((event) => event.type === "message" && event.text === "four");

      // Until the dead node's lease lapses, ana's session looks live, and only
      // a keyed client may take a live session over: this one has no key.
      assertEquals(await untilReconnecting(bob, "ana"), { nick: "ana", reconnecting: true });
      await using again = await JsonClient.connect(survivorPort);
      await again.sendMessage({ type: "nick", nick: "ana", resume: ana.welcome.resume, lastSeq });
      const welcome = await again.waitFor((event) => event.type === "welcome");
      assert(welcome.type === "welcome" && welcome.resumed, JSON.stringify(welcome));
      await bob.say("five");
      await again.waitFor((event) => event.type === "message" && event.text === "five");
      const after = again.received.slice(again.received.indexOf(welcome) + 1);
      const seqs = after.map(seqOf).filter((seq) => seq !== undefined);
      assertEquals(seqs, [...seqs].sort((a, b) => a - b), "in order");
      assertEquals(new Set(seqs).size, seqs.length, "nothing twice");
      assertEquals(seqs[0], lastSeq + 1, "nothing missed");
      const texts = after.flatMap((event) =>
        event.type === "message" ? [`${event.text}${"history" in event ? " (replayed)" : ""}`] : []
      );
      assertEquals(texts, ["three (replayed)", "four (replayed)", "five"]);
      const others = bob.received.filter((event) =>
        (event.type === "leave" || event.type === "join") && event.nick === "ana"
      );
      assertEquals(others, [], "bob (who came after her) never saw ana leave or join again");

      // cy was on the dead node too and does not come back: once the node's
      // lease lapses it is reconnecting, and it leaves only after the grace.
      assertEquals(await untilReconnecting(bob, "cy"), { nick: "cy", reconnecting: true });
      assert(!bob.received.some((event) => event.type === "leave" && event.nick === "cy"));
      assert(!/NotCapable|PermissionDenied/.test(survivor.log), survivor.log);
    } finally {
      await ana.client.close();
    }
  },
});

Deno.test({
  name: "--reuse-port: two nodes on one machine share one port and serve one room",
  ignore,
  async fn() {
    await using redis = await startRedis();
    const args = ["--redis", redis.url, "--room", "shared", "--reuse-port", "--log-level", "debug"];
    const permissions = ["-A", "--unstable-net"];
    await using first = new ServeProcess(args, { permissions });
    const port = await first.port;
    await using second = new ServeProcess([...args, "--port", String(port)], { permissions });
    assertEquals(await second.port, port);
    // The kernel spreads connections over both; sixteen all landing on one is 1 in 32 768.
    const clients = await Promise.all(
      Array.from({ length: 16 }, () => LineClient.connect(port)),
    );
    try {
      await Promise.all(clients.map((client) => client.waitFor("Enter your nickname")));
      for (const [index, client] of clients.entries()) await client.send(`m${index}`);
      await Promise.all(clients.map((client, index) => client.waitFor(`Welcome, m${index}!`)));
      await clients[0].send("/user");
      const users = await clients[0].waitFor("Users in chat:");
      for (let index = 0; index < 16; index++) assert(users.includes(`m${index}`), users);
      const connected = (log: string) => (log.match(/DEBUG connect /g) ?? []).length;
      assert(connected(first.log) > 0 && connected(second.log) > 0, "both nodes took some");
    } finally {
      await Promise.all(clients.map((client) => client.close()));
    }
  },
});

Deno.test({
  name: "chat serve --redis exits 1 with one line when Redis cannot be reached",
  ignore,
  async fn() {
    // A port where nothing listens: the temp Redis is stopped before the node starts.
    const redis = await startRedis();
    const url = redis.url;
    await redis[Symbol.asyncDispose]();
    await using node = new ServeProcess(["--redis", url]);
    const status = await node.child.status;
    assertEquals(status.code, 1);
    assert(/ERROR error error=.*Redis at /.test(node.log), node.log);
    assert(!node.log.includes("listening"), node.log);
  },
});

Deno.test("the cluster flags of chat serve that do not fit are a one-line usage error, exit 2", async () => {
  await assertUsageErrors([
    [
      ["serve", "--redis", "http://10.0.0.5"],
      `option '--redis <url>' argument 'http://10.0.0.5' is invalid. "http://10.0.0.5" is not ` +
      "a redis:// or rediss:// URL.",
    ],
    [
      ["serve", "--redis", "redis://10.0.0.5", "--memory"],
      "option '--redis <url>' cannot be used with option '--memory'",
    ],
    [["serve", "--room", "lobby"], "--room needs --redis."],
    [["serve", "--node-timeout", "3"], "--node-timeout needs --redis."],
    [
      ["serve", "--redis", "redis://10.0.0.5", "--room", "a{b}"],
      "option '--room <name>' argument 'a{b}' is invalid. A room name is 1 to 100 characters, " +
      "without spaces or braces.",
    ],
  ]);
});

Deno.test("chat serve --reuse-port without Deno's --unstable-net says so and exits 1", async () => {
  const { code, stderr } = await runChat(["serve", "--port", "0", "--reuse-port"]);
  assertEquals(code, 1);
  assert(
    stderr.some((line) => line.includes("--reuse-port needs Deno's --unstable-net")),
    stderr.join("\n"),
  );
});

/** Asks /user until `nick` shows as reconnecting (or 8 s pass); what it last showed of `nick`. */
async function untilReconnecting(asker: JsonClient, nick: string): Promise<unknown> {
  let info: unknown;
  const deadline = Date.now() + 8_000;
  while (Date.now() < deadline) {
    await asker.say("/user");
    const users = await asker.waitFor((event) => event.type === "users");
    info = users.type === "users" && users.members?.find((member) => member.nick === nick);
    if ((info as { reconnecting?: boolean })?.reconnecting) break;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  return info;
}
