/**
 * Random commands into random nodes of a three-node cluster over a real
 * redis-server: joins (plain and structured, names that clash or look
 * alike, some with a key), messages, whispers, renames, kicks, away, ignore, topics,
 * schedules, quits, dropped connections and resumes on another node. At the
 * end every node's copy of the room must be the same, `/user` must read the
 * same on every node, and every client that saw a seq must have seen the
 * same event under it.
 *
 * Seeded (CHAT_SEED=<seed> replays the same commands; which node's entry
 * reaches Redis first still varies run to run). Skipped without redis-server.
 */
import { assert, assertEquals } from "./support/assert.ts";
import { generateIdentity, type Identity } from "../client/identity.ts";
import type { EventOf, ServerEvent } from "../protocol/events.ts";
import { JSON_HANDSHAKE_V2 } from "../protocol/identity.ts";
import { settle, startNodes, type TestNode } from "./support/cluster.ts";
import { REDIS_MISSING, redisAvailable, startRedis } from "./support/redis_server.ts";
import { withSeed } from "./support/seed.ts";
import { JsonClient } from "./support/test_server.ts";

const ignore = !redisAvailable();
if (ignore) console.warn(REDIS_MISSING);

const NODES = 3;
const SLOTS = 7;
const STEPS = 300;
/** Names that clash by case and width, and one that looks like another. */
const NICKS = ["ana", "Ana", "ａｎａ", "bob", "cy", "dan", "eve", "bob2", "fay", "gus", "hal"];

interface Slot {
  client: JsonClient;
  node: number;
  resume?: string;
  /** The key this member proved, if it joined with one. */
  key?: Identity;
}

type Welcome = Extract<ServerEvent, { type: "welcome" }>;

/** The nickname a client holds now: its welcome's, followed through its renames. */
function currentNick(client: JsonClient): string | undefined {
  let nick: string | undefined;
  for (const event of client.received) {
    if (event.type === "welcome") nick = event.nick;
    else if (event.type === "rename" && event.from === nick) nick = event.to;
  }
  return nick;
}

function lastSeq(client: JsonClient): number {
  let seq = 0;
  for (const event of client.received) {
    if ("seq" in event && event.type !== "welcome") seq = Math.max(seq, Number(event.seq));
  }
  return seq;
}

/** Joins (or resumes) on `node`; the slot, or null when the name was refused or banned. */
async function join(
  nodes: TestNode[],
  node: number,
  nick: string,
  resume?: { token: string; lastSeq: number },
  key?: Identity,
): Promise<Slot | null> {
  const client = await JsonClient.connect(nodes[node].port, key ? JSON_HANDSHAKE_V2 : undefined);
  let proof = {};
  if (key) {
    const challenge = await client.waitFor((e) => e.type === "challenge") as EventOf<"challenge">;
    proof = { key: await key.prove(challenge.nonce) };
  }
  await client.sendMessage({
    type: "nick",
    nick,
    ...(resume ? { resume: resume.token, lastSeq: resume.lastSeq } : {}),
    ...proof,
  });
  // A kick bans the name for a while: a banned name is told so (bye) and closed.
  const answer = await client.waitFor((e) =>
    e.type === "welcome" || e.type === "nick_refused" || e.type === "bye"
  );
  if (answer.type !== "welcome") {
    await client.close();
    return null;
  }
  return { client, node, resume: (answer as Welcome).resume, key };
}

Deno.test({
  name: "random commands through three nodes leave every node with the same room",
  ignore,
  async fn() {
    await withSeed("random commands through three nodes", async (random) => {
      const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
      await using redis = await startRedis();
      // A short grace, so names held for a resume come free (through ticks) during the run.
      await using nodes = await startNodes(redis, NODES, { resumeGraceMs: 500 });
      const slots: (Slot | null)[] = Array(SLOTS).fill(null);
      // Two keys: their names are held for them across nodes, and a kick bans the key.
      const keys = await Promise.all([generateIdentity(), generateIdentity()]);
      const someKey = () => random() < 0.3 ? pick(keys).identity : undefined;
      const everyone: JsonClient[] = [];
      const text = () => pick(["hi", "hello ana", "bob?", "ok", "later", "cy cy"]);
      try {
        for (let step = 0; step < STEPS; step++) {
          const index = Math.floor(random() * SLOTS);
          const slot = slots[index];
          if (slot === null || slot.client.lines.ended) {
            const node = Math.floor(random() * NODES);
            const joined = await join(nodes, node, pick(NICKS), undefined, someKey());
            slots[index] = joined;
            if (joined) everyone.push(joined.client);
            continue;
          }
          const roll = random();
          const other = pick(NICKS);
          // A write to a connection the room has just closed (a kick) fails: the slot is free.
          const say = (line: string) => slot.client.say(line).catch(() => slots[index] = null);
          if (roll < 0.35) {
            await say(text());
          } else if (roll < 0.65) {
            await say(pick([
              `/me ${text()}`,
              `/whisper ${other} ${text()}`,
              `/rename ${other}`,
              `/kick ${other}`,
              `/away ${text()}`,
              "/back",
              `/ignore ${other}`,
              `/unignore ${other}`,
              `/topic ${text()}`,
              `/schedule +1s ${text()}`,
              `/unschedule ${1 + Math.floor(random() * 3)}`,
              "/user",
              "/history 3",
            ]));
          } else if (roll < 0.72) {
            await say("/quit");
            slots[index] = null;
          } else if (roll < 0.9 && slot.resume) {
            // The connection drops; the member comes back through a random node.
            const nick = currentNick(slot.client)!;
            const seen = lastSeq(slot.client);
            await slot.client.close();
            await new Promise((resolve) => setTimeout(resolve, random() * 20));
            const node = Math.floor(random() * NODES);
            const resume = { token: slot.resume, lastSeq: seen };
            const back = await join(nodes, node, nick, resume, slot.key);
            slots[index] = back;
            if (back) everyone.push(back.client);
          } else {
            await slot.client.close();
            slots[index] = null;
          }
          await new Promise((resolve) => setTimeout(resolve, random() * 10));
        }

        // Members held for a resume leave once the grace is over (a tick); then all is still.
        await new Promise((resolve) => setTimeout(resolve, 1_000));
        await settle(nodes);
        const rooms = nodes.map((node) => node.snapshot());
        for (const [index, room] of rooms.entries()) {
          assertEquals(room, rooms[0], `node ${index}'s room differs from node 0's`);
        }
        // What members see: /user on each node, through a newcomer there.
        const lists: unknown[] = [];
        for (let node = 0; node < NODES; node++) {
          const watcher = await join(nodes, node, `watcher${node}`);
          assert(watcher, `watcher${node} joins`);
          everyone.push(watcher.client);
          await settle(nodes);
          await watcher.client.say("/user");
          const users = await watcher.client.waitFor((event) => event.type === "users");
          assert(users.type === "users");
          lists.push(users.members);
          await settle(nodes);
        }
        // Everyone has joined by the time the last one asks; each earlier list lacks later watchers.
        const full = lists.at(-1) as { nick: string }[];
        for (const [node, list] of lists.entries()) {
          const expected = full.filter((m) =>
            !m.nick.startsWith("watcher") || Number(m.nick.slice(7)) <= node
          );
          assertEquals(list, expected, `/user on node ${node}`);
        }
        // One seq, one event, whoever saw it and whichever node it came through.
        const bySeq = new Map<number, string>();
        for (const client of everyone) {
          let live = 0;
          for (const event of client.received) {
            if (!("seq" in event) || event.type === "welcome") continue;
            const { history: _history, ...rest } = event as ServerEvent & { history?: true };
            const seq = Number(event.seq);
            const seen = JSON.stringify(rest);
            const before = bySeq.get(seq);
            if (before === undefined) bySeq.set(seq, seen);
            else assertEquals(seen, before, `seq ${seq}`);
            if (!("history" in event)) {
              assert(seq > live, `live seqs rise: ${seq} after ${live}`);
              live = seq;
            }
          }
        }
        assert(bySeq.size > 10, `the run said something (${bySeq.size} events)`);
      } finally {
        await Promise.all(everyone.map((client) => client.close()));
      }
    });
  },
});
