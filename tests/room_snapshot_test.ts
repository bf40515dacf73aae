/**
 * A room restored from its snapshot is the same room: seeded random entries
 * (joins, lines and commands, drops, resumes, leaves, ticks) go to one room,
 * it is snapshotted midway, and from then on the same entries go to it and
 * to the room restored from the snapshot. Both must say the same things to
 * the same members and end in the same state.
 */
import { assertEquals } from "./support/assert.ts";
import { applyEntry, type RoomEntry } from "../server/room_entry.ts";
import { MemoryStore } from "../server/memory_store.ts";
import { Room, type RoomOptions } from "../server/room.ts";
import { restoreRoom, snapshotRoom } from "../server/room_snapshot.ts";
import { canonical } from "./support/cluster.ts";
import { RecordingOutbox } from "./support/recording_outbox.ts";
import { withSeed } from "./support/seed.ts";

const NICKS = ["ana", "Ana", "bob", "cy", "dan", "eve"];
const LINES = [
  "hello ana",
  "/me waves",
  "/whisper bob psst",
  "/reply back at you",
  "/rename fay",
  "/kick cy",
  "/away lunch",
  "/back",
  "/ignore ana",
  "/ignore bob",
  "/ignore cy",
  "/unignore ana",
  "/topic plans",
  "/schedule +30s later",
  "/schedule +2m much later",
  "/unschedule 1",
  "/user",
  "/history 5",
  "/quit",
];

/** A random script of entries, with the time each one is applied at. */
function script(random: () => number, length: number): { at: number; entry: RoomEntry }[] {
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  let at = Date.UTC(2030, 0, 1);
  let nextId = 1;
  const ids: number[] = [];
  const entries: { at: number; entry: RoomEntry }[] = [];
  for (let step = 0; step < length; step++) {
    at += Math.floor(random() * 8_000);
    const roll = random();
    let entry: RoomEntry;
    if (roll < 0.2 || ids.length === 0) {
      const member = nextId++;
      ids.push(member);
      entry = { kind: "join", member, nick: pick(NICKS), resumable: random() < 0.7 };
    } else if (roll < 0.75) {
      entry = { kind: "line", member: pick(ids), text: pick(LINES) };
    } else if (roll < 0.85) {
      entry = { kind: "drop", member: pick(ids) };
    } else if (roll < 0.9) {
      entry = { kind: "leave", member: pick(ids), reason: "quit" };
    } else {
      entry = { kind: "tick" };
    }
    entries.push({ at, entry });
  }
  return entries;
}

Deno.test("a room restored from its snapshot goes on exactly as the original", async () => {
  for (let run = 0; run < 40; run++) {
    await withSeed("a room restored from its snapshot", (random) => {
      const entries = script(random, 400);
      let now = 0;
      let applying = 0;
      let tokens = 0;
      const options = (store: MemoryStore): RoomOptions => ({
        clock: { now: () => now },
        store,
        historySize: 5,
        resumeGraceMs: 60_000,
        newToken: () => `token-${applying}-${tokens++}`,
      });
      const outbox = new RecordingOutbox();
      const store = new MemoryStore(64);
      const room = new Room(outbox, options(store));
      const apply = (target: Room, index: number) => {
        now = entries[index].at;
        applying = index;
        tokens = 0;
        applyEntry(target, entries[index].entry);
      };
      const half = 150 + Math.floor(random() * 100);
      for (let index = 0; index < half; index++) apply(room, index);

      const text = snapshotRoom(room, store);
      const restored = restoreRoom(text);
      assertEquals(
        snapshotRoom(
          new Room(new RecordingOutbox(), {
            ...options(restored.store),
            state: restored.state,
          }),
          restored.store,
        ),
        text,
        "a snapshot of the restored room is the same text",
      );

      const again = restoreRoom(text);
      const copyOutbox = new RecordingOutbox();
      for (const id of outbox.admitted) copyOutbox.admitted.add(id);
      const copy = new Room(copyOutbox, { ...options(again.store), state: again.state });
      outbox.sent.clear();
      for (let index = half; index < entries.length; index++) {
        apply(room, index);
        apply(copy, index);
        assertEquals(
          [...copyOutbox.sent.entries()],
          [...outbox.sent.entries()],
          `what entry ${index} (${JSON.stringify(entries[index].entry)}) delivered`,
        );
        outbox.sent.clear();
        copyOutbox.sent.clear();
      }
      assertEquals(
        canonical(JSON.parse(snapshotRoom(copy, again.store))),
        canonical(JSON.parse(snapshotRoom(room, store))),
      );
    });
  }
});
