/**
 * Churn is summarized, stays are announced: the digest's rules in
 * isolation, the room's use of it, and a churning client over real sockets.
 */
import type { EventOf } from "../protocol/events.ts";
import { eventText } from "../protocol/plain.ts";
import { PresenceDigest } from "../server/presence_digest.ts";
import { CHURN_NOTICE, Room } from "../server/room.ts";
import { assert, assertEquals } from "./support/assert.ts";
import { RecordingOutbox } from "./support/recording_outbox.ts";
import { joinPlain, startServer } from "./support/test_server.ts";

Deno.test("thirty members who come and stay are each announced", () => {
  const digest = new PresenceDigest({ limit: 5, windowMs: 10_000 });
  for (let i = 0; i < 30; i++) assertEquals(digest.join(), true);
  for (let i = 0; i < 30; i++) assertEquals(digest.leave(0, 20_000 + i), true);
  assertEquals(digest.due(60_000), null);
});

Deno.test("past five brief visits in ten seconds, joins and leaves are counted and summarized once a window", () => {
  const digest = new PresenceDigest({ limit: 5, windowMs: 10_000 });
  let now = 0;
  const announced: boolean[] = [];
  for (let cycle = 0; cycle < 20; cycle++) {
    now += 100;
    announced.push(digest.join());
    announced.push(digest.leave(now, now + 50));
  }
  // Five whole visits and the sixth's join are announced; the sixth leave starts counting.
  assertEquals(announced.filter(Boolean).length, 11);
  assertEquals(digest.due(now + 50), null, "not before a window has passed");
  assertEquals(digest.due(650 + 10_000), { joined: 14, left: 15, seconds: 10 });
  // The churn stopped: the next window has nothing to say, and announcements come back.
  assertEquals(digest.due(650 + 20_000), null);
  assertEquals(digest.counting, false);
  assertEquals(digest.join(), true);
});

Deno.test("churn that goes on gives one summary per window, and counting goes on", () => {
  const digest = new PresenceDigest({ limit: 5, windowMs: 10_000 });
  const summaries = [];
  for (let now = 0; now < 35_000; now += 100) {
    digest.join();
    digest.leave(now, now + 10);
    const counts = digest.due(now + 10);
    if (counts) summaries.push(counts);
  }
  assertEquals(summaries.length, 3);
  for (const counts of summaries) assert(counts.joined >= 99 && counts.left >= 99);
  assertEquals(digest.counting, true);
});

Deno.test("summaries read as a person would say them", () => {
  const line = (joined: number, left: number) =>
    eventText({ type: "presence", seq: 1, at: 0, joined, left, seconds: 10 });
  assertEquals(line(37, 37), "‣ 37 members joined and left in the last 10 s.");
  assertEquals(line(22, 3), "‣ 22 members joined and 3 left in the last 10 s.");
  assertEquals(line(4, 0), "‣ 4 members joined in the last 10 s.");
  assertEquals(line(0, 1), "‣ 1 member left in the last 10 s.");
});

Deno.test("in the room: a churning newcomer is told why there is no join line, and the log stays short", () => {
  const clock = { time: 0, now: () => clock.time };
  const outbox = new RecordingOutbox();
  const room = new Room(outbox, { clock });
  room.join(1, "watcher");
  room.say(1, "the conversation");
  const seqBefore = room.lastSeq;
  for (let i = 0; i < 200; i++) {
    clock.time += 10;
    room.join(100 + i, `bot${i}`);
    room.leave(100 + i, "quit");
  }
  const seen = outbox.take(1);
  assertEquals(seen.filter((e) => e.type === "join").length, 7, "the watcher and six bots");
  assertEquals(seen.filter((e) => e.type === "leave").length, 5);
  const last = outbox.take(299);
  assert(last.some((e) => e.type === "notice" && e.text === CHURN_NOTICE));
  clock.time += 10_000;
  room.tick();
  const summary = outbox.take(1).find((e) => e.type === "presence") as EventOf<"presence">;
  assertEquals([summary.joined, summary.left], [194, 195]);
  // Two hundred visits cost the log eleven lines and a summary, not four hundred.
  assertEquals(room.lastSeq - seqBefore, 12);
  assertEquals(room.store.recentMessages(1)[0].type, "message");
});

Deno.test("over real sockets: one client cycling nicknames gets a summary on the watcher's screen, not a flood", async () => {
  const clock = { time: Date.now(), now: () => clock.time };
  await using server = startServer({ clock, tickMs: 50 });
  const port = server.address.port;
  await using watcher = await joinPlain(port, "watcher");
  for (let i = 0; i < 40; i++) {
    await using bot = await joinPlain(port, `bot${i}`);
    await bot.send("/quit");
    await bot.waitForClose();
  }
  clock.time += 10_000;
  const summary = await watcher.waitFor("members joined and");
  assert(/‣ \d+ members joined and (left|\d+ left) in the last 10 s\.$/.test(summary), summary);
  const lines = watcher.received.filter((line) => /‣ bot\d+ (joined|left) the chat/.test(line));
  assert(lines.length <= 12, `${lines.length} join and leave lines:\n${lines.join("\n")}`);
  // The room is whole: only the watcher is here.
  await watcher.send("/who");
  assert((await watcher.waitFor("Users in chat")).endsWith("Users in chat: watcher (owner)"));
});
