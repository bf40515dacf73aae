/**
 * The room core's commands and the exact texts members see, tested without
 * sockets: a recording outbox stands in for the edge and a fake clock for time.
 */
import { assert, assertEquals } from "./support/assert.ts";
import { handleLine } from "../server/commands.ts";
import { eventText } from "../protocol/plain.ts";
import { COMMANDS, usage } from "../server/commands.ts";
import { Room } from "../server/room.ts";
import { RecordingOutbox } from "./support/recording_outbox.ts";

/** A room at 10:30 local time on 15 January 2026, with members joined in order. */
function setup(...nicks: string[]) {
  const clock = { time: new Date(2026, 0, 15, 10, 30, 0, 0).getTime(), now: () => clock.time };
  const outbox = new RecordingOutbox();
  const room = new Room(outbox, { clock, historySize: 0 });
  nicks.forEach((nick, i) => assert(room.join(i + 1, nick), nick));
  for (let i = 1; i <= nicks.length; i++) outbox.take(i);
  return { room, outbox, clock };
}

Deno.test("/whisper reaches only its target, marked in for the target and out for the sender", () => {
  const { room, outbox } = setup("alice", "bob", "carol");
  handleLine(room, 1, "/whisper bob  meet me at noon ");
  const [incoming] = outbox.take(2);
  assertEquals(incoming, {
    type: "whisper",
    at: room.clock.now(),
    from: "alice",
    to: "bob",
    text: "meet me at noon",
    direction: "in",
  });
  assertEquals(outbox.texts(1), ["[Whisper to bob] meet me at noon"]);
  assertEquals(outbox.texts(3), []);
  assertEquals(eventText(incoming), "[Whisper from alice] meet me at noon");
  // Nicknames match case-insensitively.
  handleLine(room, 1, "/whisper BOB hi");
  assertEquals(outbox.texts(2), ["[Whisper from alice] hi"]);
});

Deno.test("/whisper to an unknown nick or without a message gets an error only the sender sees", () => {
  const { room, outbox } = setup("alice", "bob");
  handleLine(room, 1, "/whisper zed hello");
  assertEquals(outbox.texts(1), ["User 'zed' not found."]);
  handleLine(room, 1, "/whisper bob");
  handleLine(room, 1, "/whisper");
  assertEquals(outbox.texts(1), [
    "Usage: /whisper <nick> <message>",
    "Usage: /whisper <nick> <message>",
  ]);
  assertEquals(outbox.texts(2), []);
});

Deno.test("/kick: only the owner, never oneself, and the target is told and closed", () => {
  const { room, outbox } = setup("alice", "bob", "carol");
  handleLine(room, 2, "/kick carol");
  assertEquals(outbox.texts(2), ["Only the room owner can kick members."]);
  handleLine(room, 1, "/kick alice");
  handleLine(room, 1, "/kick zed");
  handleLine(room, 1, "/kick");
  assertEquals(outbox.texts(1), [
    "You cannot kick yourself.",
    "User 'zed' not found.",
    "Usage: /kick <nick> [duration]",
  ]);
  assertEquals(outbox.texts(3), []);

  handleLine(room, 1, "/kick Carol");
  assertEquals(outbox.texts(3), ["You have been kicked from the chat."]);
  assert(outbox.closed.has(3));
  assertEquals(room.member(3), undefined);
  assertEquals(outbox.texts(1), ["‣ carol was kicked from the chat by alice."]);
  assertEquals(outbox.texts(2), ["‣ carol was kicked from the chat by alice."]);
  // Kick is a ban: 10 minutes by default, on the name too.
  assertEquals(room.join(4, "carol"), false);
  assertEquals(outbox.texts(4), [
    "Disconnected: You are banned from this room for 10 more minutes.",
  ]);
  assert(outbox.closed.has(4));
  // With 0, a kick only removes.
  handleLine(room, 1, "/kick bob 0");
  assert(room.join(5, "bob"));
});

Deno.test("/schedule HH:MM picks the next occurrence, confirms, and fires on tick", () => {
  const { room, outbox, clock } = setup("alice", "bob");
  handleLine(room, 1, "/schedule 10:45 stand-up in the big room");
  const [ok] = outbox.take(1);
  const due = new Date(2026, 0, 15, 10, 45).getTime();
  assertEquals(ok, {
    type: "schedule_ok",
    at: clock.time,
    id: 1,
    due,
    text: "stand-up in the big room",
  });
  assertEquals(eventText(ok), "Scheduled #1 for 10:45: stand-up in the big room");
  // A time already past today means tomorrow.
  handleLine(room, 2, "/schedule 9:00 breakfast");
  const [tomorrow] = outbox.take(2);
  assertEquals((tomorrow as { due: number }).due, new Date(2026, 0, 16, 9, 0).getTime());

  clock.time = due - 1;
  room.tick();
  assertEquals(outbox.texts(2), []);
  clock.time = due;
  room.tick();
  assertEquals(outbox.texts(2), ["[Scheduled by alice] stand-up in the big room"]);
  assertEquals(outbox.texts(1), ["[Scheduled by alice] stand-up in the big room"]);
  room.tick();
  assertEquals(outbox.texts(1), []);
  assertEquals(room.pendingSchedules.length, 1);
});

Deno.test("/schedule with a bad time or no message answers with the usage line", () => {
  const { room, outbox } = setup("alice");
  const line = "Usage: /schedule <HH:MM|+10m|+2h> <message>";
  for (const bad of ["25:00", "10:61", "noon", "10h30"]) {
    handleLine(room, 1, `/schedule ${bad} hello`);
    assertEquals(outbox.texts(1), [`Invalid time "${bad}". ${line}`]);
  }
  handleLine(room, 1, "/schedule 10:45");
  handleLine(room, 1, "/schedule");
  assertEquals(outbox.texts(1), [line, line]);
  assertEquals(room.pendingSchedules.length, 0);
});

Deno.test("/user lists members in order of arrival with the owner marked", () => {
  const { room, outbox } = setup("a", "b", "김철수");
  handleLine(room, 2, "/user");
  assertEquals(outbox.texts(2), ["Users in chat: a (owner), b, 김철수"]);
});

Deno.test("/rename announces the change to everyone; whisper and kick then use the new name", () => {
  const { room, outbox } = setup("alice", "bob", "carol");
  handleLine(room, 2, "/rename robert");
  for (const id of [1, 2, 3]) {
    assertEquals(outbox.texts(id), ['‣ User "bob" has changed their nickname to "robert".']);
  }
  handleLine(room, 3, "/whisper robert psst");
  assertEquals(outbox.texts(2), ["[Whisper from carol] psst"]);
  handleLine(room, 3, "/whisper bob psst");
  assertEquals(outbox.texts(3).at(-1), "User 'bob' not found.");
  // The old name is free; the new one is taken.
  assert(room.join(4, "bob"));
  outbox.take(2);
  handleLine(room, 1, "/kick robert");
  assertEquals(outbox.texts(2), ["You have been kicked from the chat."]);
});

Deno.test("/rename to a taken or invalid name is refused to the sender only", () => {
  const { room, outbox } = setup("alice", "bob");
  handleLine(room, 2, "/rename ALICE");
  handleLine(room, 2, "/rename ａｌｉｃｅ");
  handleLine(room, 2, "/rename two words");
  handleLine(room, 2, "/rename /slash");
  handleLine(room, 2, "/rename bob");
  handleLine(room, 2, "/rename");
  assertEquals(outbox.texts(2), [
    'Nickname "ALICE" is already taken.',
    'Nickname "ａｌｉｃｅ" is already taken.',
    'Nickname "two words" cannot contain spaces.',
    'Nickname "/slash" cannot start with "/".',
    'Your nickname is already "bob".',
    "Usage: /rename <new nickname>",
  ]);
  assertEquals(outbox.texts(1), []);
  // Changing only the case of one's own name is allowed.
  handleLine(room, 2, "/rename Bob");
  assertEquals(outbox.texts(1), ['‣ User "bob" has changed their nickname to "Bob".']);
});

Deno.test("/help lists every command of the table with its usage and help", () => {
  const { room, outbox } = setup("alice");
  handleLine(room, 1, "/HELP");
  const expected = [
    "Commands:",
    ...COMMANDS.map((c) => {
      const aliases = c.aliases
        ? ` (also ${c.aliases.map((alias) => `/${alias}`).join(", ")})`
        : "";
      return `  ${usage(c).slice("Usage: ".length)}${aliases} - ${c.help}`;
    }),
    '  //text - Send a message that starts with "/".',
  ];
  assertEquals(outbox.texts(1), expected);
  for (
    const name of ["whisper", "kick", "schedule", "user", "rename", "help", "quit", "me", "topic"]
  ) {
    assert(expected.some((line) => line.startsWith(`  /${name}`)), name);
  }
  assert(expected.some((line) => line.includes("(also /msg, /w)")));
});

Deno.test("/quit says goodbye, closes the connection and announces the leave", () => {
  const { room, outbox } = setup("alice", "bob");
  handleLine(room, 2, "/quit");
  assertEquals(outbox.texts(2), ["Goodbye!"]);
  assert(outbox.closed.has(2));
  assertEquals(room.size, 1);
  assertEquals(outbox.texts(1), ["‣ bob left the chat (quit)."]);
});

Deno.test("an unknown command points to /help and is not broadcast", () => {
  const { room, outbox } = setup("alice", "bob");
  handleLine(room, 1, "/dance wildly");
  handleLine(room, 1, "/");
  assertEquals(outbox.texts(1), [
    'Unknown command "/dance". Type /help for the list of commands.',
    'Unknown command "/". Type /help for the list of commands.',
  ]);
  assertEquals(outbox.texts(2), []);
});

Deno.test("ownership passes to the longest-present member and is announced", () => {
  const { room, outbox } = setup("a", "b", "c");
  room.leave(2, "quit");
  room.leave(1, "quit");
  assertEquals(outbox.texts(3), [
    "‣ b left the chat (quit).",
    "‣ a left the chat (quit).",
    "‣ c is now the room owner.",
  ]);
  assertEquals(room.owner?.nick, "c");
  assert(room.join(7, "d"));
  assert(room.join(5, "e"));
  room.drop(3);
  assertEquals(room.owner?.nick, "d", "arrival order, not connection id, decides");
  assertEquals(outbox.texts(5).at(-1), "‣ d is now the room owner.");
  room.leave(7, "quit");
  room.leave(5, "quit");
  assertEquals(room.owner === null, true);
  // The first to arrive in an empty room owns it.
  assert(room.join(9, "f"));
  assertEquals(room.owner?.nick, "f");
  assertEquals(
    outbox.texts(9)[0],
    "Welcome, f! You are the room owner. Type /help for commands.",
  );
});

Deno.test("nicknames: NFKC case-insensitive uniqueness, Korean allowed, 1-32 characters", () => {
  const { room, outbox } = setup("Alice");
  for (const [id, nick] of [[2, "alice"], [3, "ａｌｉｃｅ"], [4, "ALICE"]] as const) {
    assertEquals(room.join(id, nick), false, nick);
    assertEquals(outbox.texts(id), [
      `Nickname "${nick}" is already taken. Please choose another nickname:`,
    ]);
  }
  assert(room.join(5, "김철수"));
  assert(room.join(6, "x".repeat(32)));
  assert(room.join(7, "dot.dash-under_score"));
  const refused: [string, string][] = [
    ["", "A nickname cannot be empty."],
    ["   ", "A nickname cannot be empty."],
    ["y".repeat(33), `Nickname "${"y".repeat(33)}" is too long (33 characters; at most 32).`],
    ["two words", 'Nickname "two words" cannot contain spaces.'],
    ["/admin", 'Nickname "/admin" cannot start with "/".'],
    ["zero\u200bwidth", 'Nickname "zero\u200bwidth" cannot contain control or format characters.'],
    ["bell\x07", 'Nickname "bell\\u0007" cannot contain control or format characters.'],
    ["bidi\u202e", 'Nickname "bidi\\u202e" cannot contain control or format characters.'],
    ["star*", 'Nickname "star*" may only contain letters, digits, "_", "-" and ".".'],
  ];
  for (const [nick, reason] of refused) {
    assertEquals(room.join(8, nick), false, JSON.stringify(nick));
    assertEquals(outbox.texts(8), [`${reason} Please choose another nickname:`]);
  }
  // 32 characters are counted as code points, not UTF-16 units.
  assert(room.join(9, "가".repeat(32)));
  assertEquals(room.join(10, "가".repeat(33)), false);
});

Deno.test("messages are sanitized before anyone sees them; empty lines are ignored", () => {
  const { room, outbox } = setup("alice", "bob");
  handleLine(room, 1, "hi\x1b[31m there\t\u202eyou\x00");
  handleLine(room, 1, "   ");
  handleLine(room, 1, "\x1b[0m");
  assertEquals(outbox.texts(2), ["alice: hi there you"]);
});
