/**
 * Schedules cannot be hoarded or fired as a bomb: caps room-wide, per
 * address (whatever the nickname) and per minute of due time, and due
 * schedules go out paced. The core with a fake clock, then the attacks over
 * real sockets at a reduced scale.
 */
import type { EventOf, ServerEvent } from "../protocol/events.ts";
import { handleLine } from "../server/commands.ts";
import { Room } from "../server/room.ts";
import { assert, assertEquals } from "./support/assert.ts";
import { RecordingOutbox } from "./support/recording_outbox.ts";
import { joinJson, joinPlain, startServer } from "./support/test_server.ts";

const START = Date.UTC(2026, 0, 6, 9, 0);

function errors(events: ServerEvent[]): string[] {
  return events.filter((e) => e.type === "error").map((e) => (e as EventOf<"error">).text);
}

function setup(limits: { maxSchedules?: number; perAddress?: number; bytesPerMinute?: number }) {
  let now = START;
  const outbox = new RecordingOutbox();
  const room = new Room(outbox, {
    clock: { now: () => now },
    scheduleLimits: {
      maxSchedules: limits.maxSchedules ?? 1000,
      perAddress: limits.perAddress ?? 20,
      bytesPerMinute: limits.bytesPerMinute ?? 64 * 1024,
    },
  });
  return { room, outbox, advance: (ms: number) => now += ms };
}

Deno.test("one address may keep 20 pending schedules, however many nicknames it uses", () => {
  const { room, outbox } = setup({});
  let id = 1;
  for (let round = 0; round < 4; round++) {
    room.join(id, `throwaway${round}`, { address: "203.0.113.7" });
    for (let i = 0; i < 10; i++) handleLine(room, id, `/schedule +${i + 1}m hoard ${round}.${i}`);
    room.leave(id, "quit");
    id++;
  }
  assertEquals(room.pendingSchedules.length, 20);
  const refused = errors(outbox.take(3));
  assertEquals(refused.length, 10);
  assertEquals(
    refused[0],
    "You already have 20 pending scheduled messages (at most 20 from one address); /unschedule one first.",
  );
  // Another address is not held back by it.
  room.join(id, "neighbour", { address: "198.51.100.2" });
  handleLine(room, id, "/schedule +5m mine");
  assertEquals(errors(outbox.take(id)), []);
});

Deno.test("the room holds at most --max-schedules pending, and says which limit refused", () => {
  const { room, outbox } = setup({ maxSchedules: 5, perAddress: 100 });
  for (let member = 1; member <= 3; member++) {
    room.join(member, `m${member}`, { address: `192.0.2.${member}` });
    handleLine(room, member, "/schedule +1m a");
    handleLine(room, member, "/schedule +2m b");
  }
  assertEquals(room.pendingSchedules.length, 5);
  assertEquals(errors(outbox.take(3)), [
    "The room already has 5 pending scheduled messages, its limit; try again later.",
  ]);
});

Deno.test("at most --schedule-bytes-per-minute of scheduled text may fall due in one minute", () => {
  const { room, outbox } = setup({ bytesPerMinute: 10_000, perAddress: 100 });
  room.join(1, "ana", { address: "192.0.2.1" });
  handleLine(room, 1, `/schedule +2m ${"x".repeat(6000)}`);
  handleLine(room, 1, `/schedule +2m ${"y".repeat(6000)}`);
  handleLine(room, 1, `/schedule +3m ${"z".repeat(6000)}`);
  const refused = errors(outbox.take(1));
  assertEquals(refused.length, 1);
  assert(refused[0].startsWith("Too much is already scheduled for "), refused[0]);
  assert(refused[0].includes("(at most 10000 bytes may fall due in one minute)"), refused[0]);
  assertEquals(room.pendingSchedules.length, 2);
});

Deno.test("schedules that fall due together go out a bounded batch per tick, in order", () => {
  const { room, outbox, advance } = setup({ perAddress: 1000, bytesPerMinute: 1 << 30 });
  room.join(1, "ana");
  for (let i = 0; i < 100; i++) handleLine(room, 1, `/schedule +1m n${i}`);
  outbox.take(1);
  advance(60_000);
  const batches: number[] = [];
  let more = true;
  for (let tick = 0; more && tick < 20; tick++) {
    more = room.tick();
    batches.push(outbox.take(1).filter((e) => e.type === "scheduled").length);
  }
  assertEquals(batches, [20, 20, 20, 20, 20]);
  assertEquals(room.pendingSchedules.length, 0);
});

Deno.test("a schedule bomb from many nicknames fires paced: members who read are not dropped and live lines get through", async () => {
  const disconnects: Record<string, unknown>[] = [];
  await using server = startServer({
    limits: {
      rate: 0,
      outboxBytes: 128 * 1024,
      maxSchedulesPerAddress: 10_000,
      scheduleBytesPerMinute: 1 << 30,
    },
    tickMs: 200,
    log: (_level, event, fields) => {
      if (event === "disconnect") disconnects.push(fields);
    },
  });
  const port = server.address.port;
  await using reader = await joinPlain(port, "reader");
  const { client: structured } = await joinJson(port, "structured");
  await using _ = structured;
  // 16 throwaway nicknames schedule 20 messages of 2 KB each for the same instant, then leave.
  const due = new Date(Date.now() + 3000).toISOString();
  const text = "b".repeat(2000);
  for (let n = 0; n < 16; n++) {
    await using bomber = await joinPlain(port, `bomber${n}`);
    await bomber.write(
      Array.from({ length: 20 }, (_, i) => `/schedule ${due} ${n}.${i} ${text}\n`).join(""),
    );
    await bomber.waitFor(`Scheduled #${n * 20 + 20} `, 5000);
    await bomber.send("/quit");
  }
  assertEquals(server.room.pendingSchedules.length, 320);
  // A live line every 50 ms while the 640 KB fall due; each is timed to the reader.
  const latencies: number[] = [];
  await using talker = await joinPlain(port, "talker");
  for (let i = 0; server.room.pendingSchedules.length > 0 || i < 10; i++) {
    if (i > 400) throw new Error("The schedules never all went out.");
    const sent = performance.now();
    await talker.send(`live ${i}`);
    await reader.waitFor(`talker: live ${i}`, 5000);
    latencies.push(performance.now() - sent);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  // The last scheduled line may have come before the last live line (waitFor passed it by):
  // count everything the reader has received.
  const scheduled = () =>
    reader.received.filter((line) => line.includes("[Scheduled by bomber")).length;
  for (const deadline = Date.now() + 10_000; scheduled() < 320;) {
    if (Date.now() > deadline) throw new Error(`${scheduled()} of 320 scheduled lines arrived`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  assert(reader.received.some((line) => /15\.19 b+$/.test(line)), "the last one arrived");
  assertEquals(disconnects, []);
  assertEquals(scheduled(), 320);
  latencies.sort((a, b) => a - b);
  const p99 = latencies[Math.floor(latencies.length * 0.99)];
  assert(p99 < 1000, `live lines p99 ${p99.toFixed(0)} ms`);
});
