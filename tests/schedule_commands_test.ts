import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { handleLine } from "../server/commands.ts";
import { eventText } from "../protocol/plain.ts";
import type { ServerEvent } from "../protocol/events.ts";
import { MemoryStore } from "../server/memory_store.ts";
import { Room } from "../server/room.ts";
import { SqliteStore } from "../server/sqlite_store.ts";
import type { RoomStore } from "../server/store.ts";
import { RecordingOutbox } from "./support/recording_outbox.ts";
import { tempDir } from "./support/temp_dir.ts";

const START = Date.UTC(2025, 0, 6, 9, 0);
const MINUTE = 60_000;

function setup(store: RoomStore = new MemoryStore(), now = START) {
  const clock = { now: () => now };
  const outbox = new RecordingOutbox();
  const room = new Room(outbox, { clock, store });
  return {
    room,
    outbox,
    store,
    advance(ms: number) {
      now += ms;
    },
  };
}

function only<T extends ServerEvent["type"]>(
  events: ServerEvent[],
  type: T,
): Extract<ServerEvent, { type: T }>[] {
  return events.filter((event) => event.type === type) as Extract<ServerEvent, { type: T }>[];
}

Deno.test("/schedule +10m and +2h confirm privately and fire for everyone when due", () => {
  const { room, outbox, advance } = setup();
  room.join(1, "ana");
  room.join(2, "bob");
  outbox.take(1);
  outbox.take(2);
  handleLine(room, 1, "/schedule +10m stand-up now");
  handleLine(room, 1, "/schedule +2h lunch");
  assertEquals(
    outbox.take(1).map((e) => e.type === "schedule_ok" ? [e.id, e.due, e.text] : e.type),
    [[1, START + 10 * MINUTE, "stand-up now"], [2, START + 120 * MINUTE, "lunch"]],
  );
  assertEquals(outbox.take(2), []);

  advance(10 * MINUTE - 1);
  room.tick();
  assertEquals(outbox.take(2), []);
  advance(1);
  room.tick();
  const fired = only(outbox.take(2), "scheduled");
  assertEquals(fired.length, 1);
  assertEquals(fired[0].from, "ana");
  assertEquals(fired[0].text, "stand-up now");
  assertEquals(fired[0].late, undefined);
  assertEquals(only(outbox.take(1), "scheduled").length, 1);
  assertEquals(room.pendingSchedules.length, 1);
});

Deno.test("/schedule refuses a bad time with the usage line", () => {
  const { room, outbox } = setup();
  room.join(1, "ana");
  outbox.take(1);
  handleLine(room, 1, "/schedule +0m nothing");
  handleLine(room, 1, "/schedule soon hello");
  handleLine(room, 1, "/schedule +10m");
  const errors = only(outbox.take(1), "error").map((e) => e.text);
  assertMatch(
    errors[0],
    /^Invalid time "\+0m"\. Usage: \/schedule <HH:MM\|\+10m\|\+2h> <message>$/,
  );
  assertMatch(errors[1], /^Invalid time "soon"/);
  assertEquals(errors[2], "Usage: /schedule <HH:MM|+10m|+2h> <message>");
  assertEquals(room.pendingSchedules.length, 0);
});

Deno.test("/schedules lists a member's own pending messages, and everyone's for the owner", () => {
  const { room, outbox } = setup();
  room.join(1, "ana"); // owner
  room.join(2, "bob");
  handleLine(room, 2, "/schedule +10m b1");
  handleLine(room, 1, "/schedule +5m a1");
  handleLine(room, 2, "/schedule +1h b2");
  outbox.take(2);
  handleLine(room, 2, "/schedules");
  const [mine] = only(outbox.take(2), "schedules");
  assertEquals(mine.items, [
    { id: 1, due: START + 10 * MINUTE, from: "bob", text: "b1" },
    { id: 3, due: START + 60 * MINUTE, from: "bob", text: "b2" },
  ]);
  outbox.take(1);
  handleLine(room, 1, "/schedules");
  const [everyone] = only(outbox.take(1), "schedules");
  assertEquals(everyone.items.map((item) => [item.id, item.from]), [[2, "ana"], [1, "bob"], [
    3,
    "bob",
  ]]);
  // One schedule per line, with its author.
  assertEquals(eventText(everyone).split("\n").length, 4);
  assertMatch(eventText(everyone).split("\n")[1], /^#2 at \d\d:\d\d \(ana\): a1$/);
});

Deno.test("when the owner cancels someone's schedule, the author is told, or finds a note on return", () => {
  const { room, outbox } = setup();
  room.join(1, "ana"); // owner
  room.join(2, "bob", { identity: "SHA256:bob" });
  handleLine(room, 2, "/schedule +10m b1");
  handleLine(room, 2, "/schedule +20m b2");
  outbox.take(2);
  handleLine(room, 1, "/unschedule 1");
  const [told] = only(outbox.take(2), "unscheduled");
  assertEquals([told.id, told.by, told.text], [1, "ana", "b1"]);
  assertMatch(eventText(told), /^ana cancelled your scheduled message #1 for \d\d:\d\d: b1$/);
  room.leave(2, "quit");
  handleLine(room, 1, "/unschedule 2");
  // The note waits for bob's key, under whatever name it comes back.
  room.join(3, "robert", { identity: "SHA256:bob" });
  assertEquals(only(outbox.take(3), "unscheduled").map((e) => [e.id, e.by]), [[2, "ana"]]);
});

Deno.test("a schedule whose time has passed today is confirmed as tomorrow's", () => {
  const { room, outbox } = setup(new MemoryStore(), new Date(2026, 0, 6, 21, 0).getTime());
  room.join(1, "ana");
  outbox.take(1);
  handleLine(room, 1, "/schedule 08:15 breakfast");
  handleLine(room, 1, "/schedule 22:00 tonight");
  const [tomorrow, tonight] = only(outbox.take(1), "schedule_ok");
  assertEquals(eventText(tomorrow), "Scheduled #1 for tomorrow at 08:15: breakfast");
  assertEquals(eventText(tonight), "Scheduled #2 for 22:00: tonight");
});

Deno.test("/unschedule cancels your own; the owner may cancel anyone's; others may not", () => {
  const { room, outbox, advance } = setup();
  room.join(1, "ana"); // owner
  room.join(2, "bob");
  room.join(3, "cy");
  handleLine(room, 2, "/schedule +10m from bob");
  handleLine(room, 2, "/schedule +20m bob again");
  handleLine(room, 3, "/unschedule 1");
  assertMatch(
    only(outbox.take(3), "error")[0].text,
    /^Scheduled message #1 is not yours to cancel\.$/,
  );
  handleLine(room, 2, "/unschedule #2");
  const [cancelled] = only(outbox.take(2), "unscheduled");
  // The confirmation carries the instant; each viewer shows it in its own zone.
  assertEquals([cancelled.id, cancelled.due, cancelled.text], [
    2,
    START + 20 * MINUTE,
    "bob again",
  ]);
  assertMatch(eventText(cancelled), /^Cancelled scheduled message #2 for \d\d:\d\d\.$/);
  handleLine(room, 1, "/unschedule 1");
  assertEquals(only(outbox.take(1), "unscheduled")[0].id, 1);
  handleLine(room, 1, "/unschedule 1");
  assertEquals(only(outbox.take(1), "error")[0].text, "No pending scheduled message #1.");
  handleLine(room, 1, "/unschedule x");
  assertEquals(only(outbox.take(1), "error")[0].text, "Usage: /unschedule <id>");
  advance(30 * MINUTE);
  room.tick();
  assertEquals(only(outbox.take(3), "scheduled").length, 0);
});

Deno.test("schedules survive a restart on SqliteStore and fire on time", async () => {
  await using dir = await tempDir("chat_sched_");
  const path = `${dir.path}/chat.db`;
  const first = setup(new SqliteStore(path));
  first.room.join(1, "ana", { identity: "SHA256:ana" });
  handleLine(first.room, 1, "/schedule +10m survives");
  handleLine(first.room, 1, "/schedule +20m cancelled");
  handleLine(first.room, 1, "/unschedule 2");
  first.store.close();

  const second = setup(new SqliteStore(path), START + 5 * MINUTE);
  try {
    assertEquals(
      second.room.pendingSchedules.map((s) => [s.id, second.store.scheduleText(s.id)]),
      [[1, "survives"]],
    );
    second.room.join(1, "ana", { identity: "SHA256:ana" });
    handleLine(second.room, 1, "/schedule +1h new id");
    const [ok3] = only(second.outbox.take(1), "schedule_ok");
    assertEquals(ok3.id, 3, "ids are never reused, even after a cancel and a restart");
    second.advance(5 * MINUTE);
    second.room.tick();
    const [fired] = only(second.outbox.take(1), "scheduled");
    assertEquals(fired.text, "survives");
    assertEquals(fired.late, undefined);
  } finally {
    second.store.close();
  }
});

Deno.test("a schedule due while the room was down goes out on start marked late, even if only seconds late", async () => {
  await using dir = await tempDir("chat_sched_");
  const path = `${dir.path}/chat.db`;
  const first = setup(new SqliteStore(path));
  first.room.join(1, "ana");
  handleLine(first.room, 1, "/schedule +10m slightly late");
  handleLine(first.room, 1, "/schedule +2m very late");
  handleLine(first.room, 1, "/schedule +3h still ahead");
  first.store.close();

  // Down from START until 10m30s later: #1 is only 30 s late but still
  // "late" (the server was not up to send it); #2 is 8m30s late.
  const second = setup(new SqliteStore(path), START + 10 * MINUTE + 30_000);
  try {
    second.room.join(5, "bob");
    const history = only(second.outbox.take(5), "scheduled");
    assertEquals(history.map((e) => [e.text, e.late, "history" in e]), [
      ["very late", true, true],
      ["slightly late", true, true],
    ]);
    assertEquals(second.room.pendingSchedules.map((s) => s.id), [3]);
  } finally {
    second.store.close();
  }
});

Deno.test("a schedule over an hour late is dropped and its author told on the next join, even after another restart", async () => {
  await using dir = await tempDir("chat_sched_");
  const path = `${dir.path}/chat.db`;
  const first = setup(new SqliteStore(path));
  first.room.join(1, "ana", { identity: "SHA256:ana" });
  handleLine(first.room, 1, "/schedule +2m too old");
  first.store.close();

  const second = setup(new SqliteStore(path), START + 2 * MINUTE + 61 * MINUTE);
  assertEquals(second.room.pendingSchedules.length, 0);
  second.room.join(2, "bob");
  assertEquals(only(second.outbox.take(2), "scheduled").length, 0);
  second.store.close();

  const third = setup(new SqliteStore(path), START + 3 * 60 * MINUTE);
  try {
    third.room.join(1, "ana", { identity: "SHA256:ana" });
    const notices = only(third.outbox.take(1), "schedule_dropped").map((e) => eventText(e));
    assertEquals(notices.length, 1);
    assertMatch(
      notices[0],
      /^Your scheduled message #1 for \d\d:\d\d was not sent: the server was down/,
    );
    assert(notices[0].endsWith("Text: too old"));
    third.room.leave(1, "quit");
    third.room.join(1, "ana", { identity: "SHA256:ana" });
    assertEquals(only(third.outbox.take(1), "schedule_dropped").length, 0, "a note is shown once");
  } finally {
    third.store.close();
  }
});

Deno.test("a client may have 20 pending schedules; the 21st is refused with the limit named", () => {
  const { room, outbox } = setup();
  room.join(1, "ana");
  outbox.take(1);
  for (let i = 1; i <= 20; i++) handleLine(room, 1, `/schedule +${i}m note ${i}`);
  assertEquals(only(outbox.take(1), "schedule_ok").length, 20);
  handleLine(room, 1, "/schedule +30m one too many");
  assertEquals(only(outbox.take(1), "error").map((e) => e.text), [
    "You already have 20 pending scheduled messages (at most 20 from one address); /unschedule one first.",
  ]);
  assertEquals(room.pendingSchedules.length, 20);
  // Another member has a cap of their own.
  room.join(2, "bob");
  handleLine(room, 2, "/schedule +30m mine");
  assertEquals(only(outbox.take(2), "schedule_ok").length, 1);
});

Deno.test("a schedule that fires more than a minute after its time is marked (sent late)", () => {
  const { room, outbox, advance } = setup();
  room.join(1, "ana");
  handleLine(room, 1, "/schedule +1m on time");
  handleLine(room, 1, "/schedule +2m held up");
  outbox.take(1);
  advance(MINUTE);
  room.tick();
  const [onTime] = only(outbox.take(1), "scheduled");
  assertEquals(onTime.late, undefined);
  // The room's clock jumps (a suspended VM): the second one is now 3 minutes late.
  advance(4 * MINUTE);
  room.tick();
  const [late] = only(outbox.take(1), "scheduled");
  assertEquals(late.late, true);
  assertEquals(eventText(late), "[Scheduled by ana] held up (sent late)");
});

Deno.test("/rename carries the member's pending schedules to the new name", () => {
  const { room, outbox, advance } = setup();
  room.join(1, "Ana");
  room.join(2, "bob");
  handleLine(room, 1, "/schedule +10m from ana");
  handleLine(room, 1, "/rename anna");
  outbox.take(1);
  handleLine(room, 1, "/schedules");
  const [listing] = only(outbox.take(1), "schedules");
  assertEquals(listing.items.map((item) => [item.id, item.from, item.text]), [
    [1, "anna", "from ana"],
  ]);
  handleLine(room, 1, "/unschedule 1");
  assertEquals(only(outbox.take(1), "unscheduled")[0].id, 1);
  handleLine(room, 1, "/schedule +10m second");
  advance(10 * MINUTE);
  room.tick();
  assertEquals(only(outbox.take(2), "scheduled").map((e) => [e.from, e.text]), [
    ["anna", "second"],
  ]);
});

Deno.test("a due schedule is sent even when its author has left the room", () => {
  const { room, outbox, advance } = setup();
  room.join(1, "ana");
  room.join(2, "bob");
  handleLine(room, 1, "/schedule +5m while I am out");
  room.leave(1, "quit");
  outbox.take(2);
  advance(5 * MINUTE);
  room.tick();
  assertEquals(only(outbox.take(2), "scheduled").map((e) => [e.from, e.text]), [
    ["ana", "while I am out"],
  ]);
});
