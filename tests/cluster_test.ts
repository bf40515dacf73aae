/**
 * One room on several nodes over a real redis-server: each node a real
 * server on a loopback port with its own Redis connections (in this process,
 * for speed; tests/cluster_process_test.ts runs `chat serve --redis`
 * processes), and real TCP clients spread across the nodes. Skipped where
 * redis-server is not installed.
 */
import { assert, assertEquals } from "./support/assert.ts";
import { generateIdentity } from "../client/identity.ts";
import type { EventOf, ServerEvent } from "../protocol/events.ts";
import { JSON_HANDSHAKE_V2 } from "../protocol/identity.ts";
import {
  ClusterError,
  ClusterNode,
  REDIS_BACK_NOTICE,
  REDIS_DOWN_ERROR,
  REDIS_DOWN_NOTICE,
} from "../server/cluster_node.ts";
import { settle, startNodes, TestNode, until } from "./support/cluster.ts";
import { REDIS_MISSING, redisAvailable, startRedis } from "./support/redis_server.ts";
import { joinJson, joinPlain, JsonClient, LineClient } from "./support/test_server.ts";

const ignore = !redisAvailable();
if (ignore) console.warn(REDIS_MISSING);

type Said = { seq: number; from: string; text: string };

/** The chat messages a client has received, as seq, sender and text. */
function messages(client: JsonClient): Said[] {
  return client.received.flatMap((event) =>
    event.type === "message" ? [{ seq: event.seq, from: event.from, text: event.text }] : []
  );
}

/** Every node's copy of the room is the same. */
async function assertSameRoom(nodes: TestNode[]): Promise<void> {
  await settle(nodes);
  const [first, ...rest] = nodes.map((node) => node.snapshot());
  for (const [index, other] of rest.entries()) {
    assertEquals(other, first, `node ${index + 1}'s room differs from node 0's`);
  }
}

Deno.test({
  name: "members on two nodes see one room: the same messages with the same seqs, in one order",
  ignore,
  async fn() {
    await using redis = await startRedis();
    await using nodes = await startNodes(redis, 2);
    const nicks = ["ana", "bob", "cy", "dan"];
    const clients: JsonClient[] = [];
    try {
      for (const [index, nick] of nicks.entries()) {
        clients.push((await joinJson(nodes[index % 2].port, nick)).client);
      }
      // Everyone talks at once, through both nodes.
      const perClient = 10;
      await Promise.all(clients.map(async (client, index) => {
        for (let n = 0; n < perClient; n++) await client.say(`${nicks[index]} ${n}`);
      }));
      const total = nicks.length * perClient;
      await until(
        () => clients.every((client) => messages(client).length === total),
        `every client to get ${total} messages`,
      );
      const streams = clients.map(messages);
      for (const stream of streams) assertEquals(stream, streams[0]);
      const seqs = streams[0].map((said) => said.seq);
      assertEquals(seqs, [...seqs].sort((a, b) => a - b), "in seq order");
      assertEquals(seqs.at(-1)! - seqs[0] + 1, total, "no holes");
      // Each sender's own lines keep their order.
      for (const nick of nicks) {
        assertEquals(
          streams[0].filter((said) => said.from === nick).map((said) => said.text),
          Array.from({ length: perClient }, (_, n) => `${nick} ${n}`),
        );
      }
      await assertSameRoom(nodes);
    } finally {
      await Promise.all(clients.map((client) => client.close()));
    }
  },
});

Deno.test({
  name: "lines sent right behind the nickname wait for the log's answer, and go out in order",
  ignore,
  async fn() {
    await using redis = await startRedis();
    await using nodes = await startNodes(redis, 2);
    await using bob = await joinPlain(nodes[1].port, "bob");
    await using ana = await LineClient.connect(nodes[0].port);
    await ana.waitFor("Enter your nickname");
    // One write: the nickname, then lines, before the room has answered the join.
    await ana.write("ana\nfirst\nsecond\n/me third\n");
    await bob.waitFor("ana: first");
    await bob.waitFor("ana: second");
    await bob.waitFor("* ana third");
  },
});

Deno.test({
  name: "a nickname asked for on two nodes at once goes to exactly one of them",
  ignore,
  async fn() {
    await using redis = await startRedis();
    await using nodes = await startNodes(redis, 2);
    for (let round = 0; round < 5; round++) {
      await using a = await JsonClient.connect(nodes[0].port);
      await using b = await JsonClient.connect(nodes[1].port);
      const nick = `racer${round}`;
      await Promise.all([a, b].map((client) => client.sendMessage({ type: "nick", nick })));
      const answers = await Promise.all(
        [a, b].map((client) =>
          client.waitFor((event) => event.type === "welcome" || event.type === "nick_refused")
        ),
      );
      assertEquals(answers.map((event) => event.type).sort(), ["nick_refused", "welcome"]);
      const refused = answers.find((event) => event.type === "nick_refused");
      assert(refused?.type === "nick_refused" && /already taken/.test(refused.reason));
      await settle(nodes);
      for (const node of nodes) assertEquals(node.server.room.findByNick(nick) !== undefined, true);
    }
    await assertSameRoom(nodes);
  },
});

Deno.test({
  name: "whispers and kicks reach across nodes, and a member resumes on another node as owner",
  ignore,
  async fn() {
    await using redis = await startRedis();
    await using nodes = await startNodes(redis, 2);
    const ana = await joinJson(nodes[0].port, "ana");
    await using bob = await joinPlain(nodes[1].port, "bob");
    const { client: cy } = await joinJson(nodes[1].port, "cy");
    await using _cy = cy;
    try {
      await bob.send("/whisper ana psst");
      const whisper = await ana.client.waitFor((event) => event.type === "whisper");
      assert(whisper.type === "whisper" && whisper.from === "bob" && whisper.text === "psst");
      await bob.waitFor("[Whisper to ana] psst");
      await ana.client.say("/whisper bob hi back");
      await bob.waitFor("[Whisper from ana] hi back");

      await ana.client.say("/kick bob");
      await bob.waitFor("You have been kicked from the chat.");
      await bob.waitForClose();
      await cy.waitFor((event) => event.type === "kick" && event.nick === "bob");

      // ana's connection drops: cy stands in; ana comes back through the other node.
      const lastSeq = Math.max(
        ...ana.client.received.map((event) => "seq" in event ? Number(event.seq) : 0),
      );
      await ana.client.close();
      await cy.waitFor((event) => event.type === "owner" && event.nick === "cy");
      await cy.say("while ana was away");
      await using again = await JsonClient.connect(nodes[1].port);
      await again.sendMessage({ type: "nick", nick: "ana", resume: ana.welcome.resume, lastSeq });
      const welcome = await again.waitFor((event) => event.type === "welcome");
      assert(welcome.type === "welcome" && welcome.resumed && welcome.owner);
      await again.waitFor((event) =>
        event.type === "message" && event.text === "while ana was away"
      );
      await cy.waitFor((event) => event.type === "owner" && event.nick === "ana");
      await again.say("/user");
      const users = await again.waitFor((event) => event.type === "users");
      assert(users.type === "users");
      assertEquals(users.nicks, ["ana", "cy"]);
      assertEquals(users.owner, "ana");
      await assertSameRoom(nodes);
    } finally {
      await ana.client.close();
    }
  },
});

Deno.test({
  name: "a keyed name is held, and a kick is a ban, on every node alike",
  ignore,
  async fn() {
    await using redis = await startRedis();
    await using nodes = await startNodes(redis, 2);
    const { identity } = await generateIdentity();
    const ana = await joinJson(nodes[0].port, "ana");
    await using _ana = ana.client;
    // bob proves his key on node 1 and leaves: his name stays his.
    const bob = await joinJson(nodes[1].port, "bob", {}, identity);
    await bob.client.say("/quit");
    await ana.client.waitFor((event) => event.type === "leave" && event.nick === "bob");
    await using impostor = await JsonClient.connect(nodes[0].port);
    await impostor.sendMessage({ type: "nick", nick: "bob" });
    const held = await impostor.waitFor((e) => e.type === "nick_refused") as EventOf<
      "nick_refused"
    >;
    assertEquals(
      held.reason,
      'Nickname "bob" is held for another member\'s key (chat join proves one; nc and older ' +
        "clients cannot).",
    );
    await impostor.close();

    // With his key he takes it on node 0; kicked there, he is banned on node 1 too.
    const back = await joinJson(nodes[0].port, "bob", {}, identity);
    await ana.client.say("/kick bob");
    await back.client.waitFor((event) => event.type === "kicked");
    await back.client.close();
    const again = await JsonClient.connect(nodes[1].port, JSON_HANDSHAKE_V2);
    await using _again = again;
    const challenge = await again.waitFor((e) => e.type === "challenge") as EventOf<"challenge">;
    await again.sendMessage({
      type: "nick",
      nick: "bob",
      key: await identity.prove(challenge.nonce),
    });
    const bye = await again.waitFor((event) => event.type === "bye") as EventOf<"bye">;
    assertEquals(bye.reason, "You are banned from this room for 10 more minutes.");
    await ana.client.say("/bans");
    await ana.client.waitFor((event) => event.type === "notice" && event.text === "Bans (2):");
    // The held name and the bans are in every node's copy, and in a snapshot.
    await assertSameRoom(nodes);
    const snapshot = JSON.parse(nodes[1].snapshot());
    const kinds = (snapshot.store.records as [string, unknown[]][]).map(([kind]) => kind).sort();
    assertEquals(kinds, ["ban", "hold"]);
  },
});

Deno.test({
  name: "a schedule fires exactly once with three nodes up, at the same seq everywhere",
  ignore,
  async fn() {
    await using redis = await startRedis();
    await using nodes = await startNodes(redis, 3);
    const clients: JsonClient[] = [];
    try {
      for (const [index, nick] of ["ana", "bob", "cy"].entries()) {
        clients.push((await joinJson(nodes[index].port, nick)).client);
      }
      await clients[1].say("/schedule +1s stand-up");
      await clients[1].waitFor((event) => event.type === "schedule_ok");
      const fired = await Promise.all(
        clients.map((client) => client.waitFor((event) => event.type === "scheduled", 4_000)),
      );
      // Ticks keep coming while anything is due; none may fire it again.
      await new Promise((resolve) => setTimeout(resolve, 1_000));
      const scheduled = (client: JsonClient) =>
        client.received.filter((event) => event.type === "scheduled");
      for (const [index, client] of clients.entries()) {
        assertEquals(scheduled(client).length, 1, `client ${index} got it once`);
        assertEquals(fired[index], fired[0]);
      }
      assert(fired[0].type === "scheduled" && fired[0].text === "stand-up");
      await assertSameRoom(nodes);
    } finally {
      await Promise.all(clients.map((client) => client.close()));
    }
  },
});

Deno.test({
  name:
    "while Redis is down nodes refuse lines, say so and let nothing fall due; after it is back " +
    "they agree and lost nothing",
  ignore,
  async fn() {
    await using redis = await startRedis();
    await using nodes = await startNodes(redis, 2);
    const { client: ana } = await joinJson(nodes[0].port, "ana");
    const { client: bob } = await joinJson(nodes[1].port, "bob");
    try {
      await ana.say("before");
      await bob.waitFor((event) => event.type === "message" && event.text === "before");
      await bob.say("/schedule +1s while Redis is away");
      await bob.waitFor((event) => event.type === "schedule_ok");
      const scheduledAt = Date.now();

      await redis.stop();
      const isNotice = (text: string) => (event: ServerEvent) =>
        event.type === "notice" && event.text === text;
      await Promise.all([ana, bob].map((client) => client.waitFor(isNotice(REDIS_DOWN_NOTICE))));
      await ana.say("during");
      const refused = await ana.waitFor((event) => event.type === "error");
      assert(refused.type === "error" && refused.text === REDIS_DOWN_ERROR);

      // Time passes only through the log: with Redis away, nothing falls due.
      await new Promise((resolve) => setTimeout(resolve, 1_500 - (Date.now() - scheduledAt)));
      assert(![ana, bob].some((client) => client.received.some((e) => e.type === "scheduled")));

      await redis.start();
      await Promise.all(
        [ana, bob].map((client) => client.waitFor(isNotice(REDIS_BACK_NOTICE), 5_000)),
      );
      const fired = await Promise.all(
        [ana, bob].map((client) => client.waitFor((event) => event.type === "scheduled")),
      );
      assertEquals(fired[0], fired[1]);
      await ana.say("after 1");
      await bob.say("after 2");
      for (const client of [ana, bob]) {
        await until(() => messages(client).length === 3, "both lines after the restart");
      }
      assertEquals(messages(ana), messages(bob));
      assertEquals(messages(ana).map((said) => said.text).slice(0, 1), ["before"]);
      assert(!messages(ana).some((said) => said.text === "during"));
      // A node that starts now builds the same room from what Redis kept.
      await using late = await TestNode.start(redis);
      await assertSameRoom([...nodes, late]);
    } finally {
      await ana.close();
      await bob.close();
    }
  },
});

Deno.test({
  name:
    "a node that starts late loads the snapshot and the log after it, and shows the same history " +
    "and owner key",
  ignore,
  async fn() {
    await using redis = await startRedis();
    // The room's owner key is given to every node; its holder hands the room on.
    const [{ identity: kimKey }, { identity: leeKey }] = await Promise.all([
      generateIdentity(),
      generateIdentity(),
    ]);
    // A short log: entries before the snapshot are trimmed away.
    const options = { snapshotEvery: 20, maxEntries: 100, ownerKey: kimKey.fingerprint };
    await using nodes = await startNodes(redis, 2, options);
    const { client: ana } = await joinJson(nodes[0].port, "ana");
    await using bob = await joinPlain(nodes[1].port, "bob");
    const { client: kim } = await joinJson(nodes[1].port, "kim", {}, kimKey);
    await using _kim = kim;
    const { client: lee } = await joinJson(nodes[0].port, "lee", {}, leeKey);
    await using _lee = lee;
    try {
      await kim.say("/owner lee");
      await ana.waitFor((event) => event.type === "owner" && event.nick === "lee");
      await lee.say("/topic the late node test");
      await bob.send("/schedule +1h later on");
      await bob.waitFor("Scheduled");
      await ana.say("/ignore bob");
      // In steps, so no node's tail falls 100 entries behind (it would stop: a gap).
      for (let n = 0; n < 150; n++) {
        await ana.say(`line ${n}`);
        if (n % 25 === 24) await bob.waitFor(`ana: line ${n}`);
      }
      await settle(nodes);
      await until(
        () => nodes.some((node) => node.node.janitor),
        "a janitor",
      );
      // Long enough for the janitor to snapshot past what the log still holds.
      await new Promise((resolve) => setTimeout(resolve, 300));
      await using late = await TestNode.start(redis, options);
      assert(late.node.startSeq > 100, `it started from a snapshot, not ${late.node.startSeq}`);
      // Its --owner-key does not undo the /owner that its snapshot holds.
      assertEquals(late.server.room.ownerKey, leeKey.fingerprint);
      await assertSameRoom([...nodes, late]);
      const { client: cy } = await joinJson(late.port, "cy");
      await using _cy = cy;
      const history = await cy.waitFor((event) =>
        event.type === "message" && event.text === "line 149"
      );
      assert(history.type === "message" && "history" in history);
      const shown = messages(cy);
      assertEquals(shown.length, 50);
      assertEquals(shown.at(-1), messages(ana).at(-1));
      await cy.say("/topic");
      const topic = await cy.waitFor((event) => event.type === "current_topic");
      assert(topic.type === "current_topic" && topic.text === "the late node test");
      await assertSameRoom([...nodes, late]);
    } finally {
      await ana.close();
    }
  },
});

Deno.test({
  name: "a node whose room-shaping flags differ from the room's is refused, naming each flag",
  ignore,
  async fn() {
    await using redis = await startRedis();
    await using _nodes = await startNodes(redis, 1, { room: "shaped" });
    const settings = {
      historySize: 50,
      maxSchedules: 1000,
      maxSchedulesPerAddress: 20,
      scheduleBytesPerMinute: 65536,
      nickHoldDays: 7,
      ownerKey: null,
      exempt: "none",
    };
    const error = await ClusterNode.open({ redisUrl: redis.url, room: "shaped", settings })
      .then(() => null, (error) => error);
    assert(error instanceof ClusterError, String(error));
    assertEquals(
      error.message,
      `This node's settings differ from room "shaped"'s, which every node must share (they ` +
        "shape the room's state): --nick-hold is 30 there, 7 here; --exempt is " +
        "127.0.0.1/32,::1/128 there, none here.",
    );
  },
});
