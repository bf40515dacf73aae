/**
 * The server log's account of the room, decided in server/logged_outbox.ts:
 * presence changes are logged, chat text and whispers never are.
 */
import { handleLine } from "../server/commands.ts";
import type { LogFields } from "../server/log.ts";
import { LoggedOutbox } from "../server/logged_outbox.ts";
import { Room } from "../server/room.ts";
import { assertEquals } from "./support/assert.ts";
import { RecordingOutbox } from "./support/recording_outbox.ts";

Deno.test("the log records joins, renames, kicks, leaves and ownership, never what was said", () => {
  const lines: [string, LogFields][] = [];
  const inner = new RecordingOutbox();
  const room = new Room(
    new LoggedOutbox(inner, (_level, event, fields) => lines.push([event, fields])),
    {
      clock: { now: () => 0 },
      newToken: () => "token",
    },
  );
  room.join(1, "ana");
  room.join(2, "bob", { resumable: true });
  room.say(1, "a secret plan");
  handleLine(room, 1, "/whisper bob psst");
  handleLine(room, 2, "/rename rob");
  handleLine(room, 1, "/kick rob");
  room.leave(1, "quit");
  assertEquals(lines, [
    ["join", { nick: "ana", seq: 1 }],
    ["join", { nick: "bob", seq: 2 }],
    ["rename", { from: "bob", to: "rob", seq: 4 }],
    ["kick", { nick: "rob", by: "ana", seq: 5 }],
    ["leave", { nick: "ana", reason: "quit", seq: 6 }],
  ]);
  // Everything still reached the outbox behind it.
  assertEquals(inner.take(2).map((event) => event.type).includes("whisper"), true);
});
