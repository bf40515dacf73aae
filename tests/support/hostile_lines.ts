/**
 * Test support: what a hostile or broken room might send `chat join` once it
 * is in, one line each, with what the client must do about it: show it (with
 * every control character gone), skip it as malformed (a debug note under
 * CHAT_DEBUG), or skip it silently as an event of a newer server. Shared by
 * the parser's unit test and the hostile server test, so both hold the
 * client to the same list.
 */

/**
 * Terminal controls a room could hide in any string: a title change (OSC
 * 0), a screen clear and a color (CSI), the same through the 8-bit CSI and
 * OSC, string terminators, the bell, backspace, DEL, a carriage return that
 * would let a line overwrite itself, a device control string, bidi
 * overrides and isolates, and NUL.
 */
export const EVIL =
  "\x1b]0;pwned\x07\x1b[2J\x1b[31m\x9b31m\x9d0;t\x9c\x07\x08\x7f\r\x1bP+q\x1b\\\u202e\u2066\x00";

/** Put in a skipped line's text wherever it could show; no printed line may contain it. */
export const SKIP = "SKIPPED";

export interface HostileLine {
  /** What the line tries. */
  name: string;
  /** The line as sent, without its "\n". */
  line: string;
  /**
   * "shown": printed with every control removed, and `shows` in it;
   * "malformed": skipped, with a debug note when CHAT_DEBUG is set;
   * "unknown": an event type this client does not know, skipped silently.
   */
  expect: "shown" | "malformed" | "unknown";
  /** For a shown line: words the printed line holds. */
  shows?: string;
}

/** An object nested `depth` levels deep: {"a":{"a":...1...}}. */
export function deeplyNested(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${"}".repeat(depth)}`;
}

/**
 * The hostile lines, for a room whose clock says `at`. `seq` gives the next
 * conversation sequence number, so a shown conversation event is never
 * taken for a repeat.
 */
export function hostileLines(at: number, seq: () => number): HostileLine[] {
  const json = JSON.stringify;
  const shown = (name: string, event: Record<string, unknown>, shows: string): HostileLine => ({
    name,
    line: json(event),
    expect: "shown",
    shows,
  });
  const malformed = (name: string, line: string | Record<string, unknown>): HostileLine => ({
    name,
    line: typeof line === "string" ? line : json(line),
    expect: "malformed",
  });
  const unknown = (name: string, event: Record<string, unknown>): HostileLine => ({
    name,
    line: json(event),
    expect: "unknown",
  });
  const message = (fields: Record<string, unknown>) => ({
    type: "message",
    seq: seq(),
    at,
    from: "eve",
    text: SKIP,
    ...fields,
  });
  const due = at + 3_600_000;
  return [
    // Every string of every event the client knows, with controls in it.
    {
      name: "a plain line",
      line: `plain${EVIL} shown-plain`,
      expect: "shown",
      shows: "shown-plain",
    },
    shown(
      "message",
      message({ from: `eve${EVIL}`, text: `${EVIL}shown-message${EVIL}` }),
      "shown-message",
    ),
    shown("pasted block", message({ text: `shown-paste${EVIL}\nline two${EVIL}` }), "line two"),
    shown("action", {
      type: "action",
      seq: seq(),
      at,
      from: EVIL,
      text: `shown-action${EVIL}`,
    }, "shown-action"),
    shown("scheduled", {
      type: "scheduled",
      seq: seq(),
      at,
      from: EVIL,
      text: `shown-scheduled${EVIL}`,
      late: true,
    }, "shown-scheduled"),
    shown("join", { type: "join", seq: seq(), at, nick: `shown-join${EVIL}` }, "shown-join"),
    shown("leave", {
      type: "leave",
      seq: seq(),
      at,
      nick: EVIL,
      reason: `shown-leave${EVIL}`,
    }, "shown-leave"),
    shown("kick", {
      type: "kick",
      seq: seq(),
      at,
      nick: `shown-kick${EVIL}`,
      by: EVIL,
    }, "shown-kick"),
    shown("rename", {
      type: "rename",
      seq: seq(),
      at,
      from: `rob${EVIL}`,
      to: `shown-rename${EVIL}`,
    }, "shown-rename"),
    shown("stand-in owner", {
      type: "owner",
      seq: seq(),
      at,
      nick: EVIL,
      standIn: true,
      for: `shown-owner${EVIL}`,
    }, "shown-owner"),
    shown("topic", {
      type: "topic",
      seq: seq(),
      at,
      text: `shown-topic${EVIL}`,
      by: EVIL,
    }, "shown-topic"),
    shown("current topic", {
      type: "current_topic",
      at,
      text: `shown-current-topic${EVIL}`,
      by: EVIL,
      since: at,
    }, "shown-current-topic"),
    shown("presence", {
      type: "presence",
      seq: seq(),
      at,
      joined: 3,
      left: 2,
      seconds: 10,
    }, "3 members joined and 2 left in the last 10 s."),
    shown("whisper in", {
      type: "whisper",
      at,
      from: EVIL,
      to: "ana",
      text: `shown-whisper-in${EVIL}`,
      direction: "in",
    }, "shown-whisper-in"),
    shown("whisper out", {
      type: "whisper",
      at,
      from: "ana",
      to: `shown-whisper-out${EVIL}`,
      text: EVIL,
      direction: "out",
    }, "shown-whisper-out"),
    shown("users", {
      type: "users",
      at,
      nicks: ["ana", `shown-users${EVIL}`],
      owner: `ana${EVIL}`,
      members: [
        { nick: `ana${EVIL}`, owner: true },
        { nick: `shown-users${EVIL}`, away: `lunch${EVIL}`, reconnecting: true },
      ],
    }, "(away: lunch"),
    shown("notice", { type: "notice", at, text: `shown-notice${EVIL}` }, "shown-notice"),
    shown("error", { type: "error", at, text: `shown-error${EVIL}` }, "shown-error"),
    shown("schedule_ok", {
      type: "schedule_ok",
      at,
      id: 7,
      due,
      text: `shown-schedule-ok${EVIL}`,
    }, "Scheduled #7 for"),
    shown("schedules", {
      type: "schedules",
      at,
      items: [{ id: 7, due, from: EVIL, text: `shown-schedules${EVIL}` }],
    }, "shown-schedules"),
    shown("unscheduled", {
      type: "unscheduled",
      at,
      id: 7,
      due,
      text: `shown-unscheduled${EVIL}`,
      by: EVIL,
    }, "shown-unscheduled"),
    shown("schedule_dropped", {
      type: "schedule_dropped",
      at,
      id: 8,
      due,
      text: `shown-dropped${EVIL}`,
    }, "shown-dropped"),
    shown("gap", { type: "gap", at, count: 5 }, "5 earlier messages not shown"),
    shown("resumed welcome", {
      type: "welcome",
      at,
      nick: `ana${EVIL}`,
      owner: false,
      seq: 0,
      resume: `t2${EVIL}`,
      resumed: true,
      mentions: 2,
    }, "You were mentioned 2 times while away."),
    shown("fields this client does not know", {
      ...message({ text: "shown-extra-fields" }),
      reactions: { "+1": 3 },
      color: EVIL,
      attachments: [deeplyNested(50)],
    }, "eve: shown-extra-fields"),

    // Events of a newer server: skipped without a word.
    unknown("an unknown type", { type: "poll", at, question: `${SKIP}${EVIL}` }),
    unknown("an unknown type without at", { type: "reaction", emoji: SKIP }),
    unknown("a type named like Object's own properties", { type: "constructor", at }),
    unknown("a type named __proto__", { type: "__proto__", at, text: SKIP }),
    unknown("a type named toString", { type: "toString", at, text: SKIP }),

    // Not JSON, or JSON that is not an object.
    malformed("broken JSON", `{"type":"message","text":"${SKIP}", broken`),
    malformed(
      "a raw ESC inside a JSON string",
      `{"type":"notice","at":${at},"text":"${SKIP}\x1b]0;x\x07"}`,
    ),
    malformed("a JSON array", `[1, 2, "${SKIP}"]`),
    malformed("a JSON string", json(`${SKIP}${EVIL}`)),
    malformed("a JSON number", "42"),
    malformed("JSON null", "null"),
    malformed("JSON true", "true"),
    malformed("a deeply nested array", `${"[".repeat(100_000)}${"]".repeat(100_000)}`),
    malformed("a deeply nested object", deeplyNested(100_000)),
    malformed(
      "a 1 MB line that is not JSON",
      `{"type":"message","text":"${SKIP}${"A".repeat(1 << 20)}`,
    ),
    malformed(
      "a 1 MB text of the wrong type",
      message({ text: [`${SKIP}${"A".repeat(1 << 20)}`] }),
    ),

    // A known type with missing or wrong-typed fields.
    malformed("no type", { at, text: SKIP }),
    malformed("a type that is not a string", { type: 42, at, text: SKIP }),
    malformed("a type in an array", { type: ["message"], seq: seq(), at, from: "eve", text: SKIP }),
    malformed("no at", { type: "notice", text: SKIP }),
    malformed("at that is not a number", { type: "notice", at: "soon", text: SKIP }),
    malformed("at past any date", { type: "notice", at: 1e300, text: SKIP }),
    malformed("no seq", { type: "message", at, from: "eve", text: SKIP }),
    malformed("seq as a string", message({ seq: "9" })),
    malformed("a negative seq", message({ seq: -1 })),
    malformed("a fractional seq", message({ seq: 1.5 })),
    malformed("a huge seq", message({ seq: 1e300 })),
    malformed("a seq past 2^53", message({ seq: 2 ** 53 + 2 })),
    malformed("a missing text", { type: "message", seq: seq(), at, from: SKIP }),
    malformed("a nick that is a number", message({ from: 42 })),
    malformed("a text that is deeply nested", message({ text: { a: { a: { a: SKIP } } } })),
    malformed("history that is not a boolean", message({ history: "yes" })),
    malformed("join with a number nick", { type: "join", seq: seq(), at, nick: 42 }),
    malformed("leave without a reason", { type: "leave", seq: seq(), at, nick: SKIP }),
    malformed("kick without by", { type: "kick", seq: seq(), at, nick: SKIP }),
    malformed("rename from a number", { type: "rename", seq: seq(), at, from: 42, to: SKIP }),
    malformed("owner with standIn as a string", {
      type: "owner",
      seq: seq(),
      at,
      nick: SKIP,
      standIn: "yes",
    }),
    malformed("owner standing in for a number", {
      type: "owner",
      seq: seq(),
      at,
      nick: SKIP,
      standIn: true,
      for: 42,
    }),
    malformed("topic by null", { type: "topic", seq: seq(), at, text: SKIP, by: null }),
    malformed("current_topic since a string", {
      type: "current_topic",
      at,
      text: SKIP,
      by: "ana",
      since: "x",
    }),
    malformed("scheduled late as a string", {
      type: "scheduled",
      seq: seq(),
      at,
      from: "eve",
      text: SKIP,
      late: "yes",
    }),
    malformed(
      "presence of infinitely many",
      `{"type":"presence","seq":${seq()},"at":${at},"joined":1e400,"left":0,"seconds":10}`,
    ),
    malformed("presence of a negative count", {
      type: "presence",
      seq: seq(),
      at,
      joined: 1,
      left: -1,
      seconds: 10,
    }),
    malformed("presence seconds as a string", {
      type: "presence",
      seq: seq(),
      at,
      joined: 1,
      left: 1,
      seconds: `10${EVIL}`,
    }),
    malformed("whisper direction sideways", {
      type: "whisper",
      at,
      from: "eve",
      to: "ana",
      text: SKIP,
      direction: "sideways",
    }),
    malformed("users nicks as a string", { type: "users", at, nicks: SKIP, owner: null }),
    malformed("users nicks holding a number", { type: "users", at, nicks: [42], owner: null }),
    malformed("users owner as a number", { type: "users", at, nicks: [SKIP], owner: 42 }),
    malformed("users members null", {
      type: "users",
      at,
      nicks: [SKIP],
      owner: null,
      members: null,
    }),
    malformed("a member without a nick", {
      type: "users",
      at,
      nicks: [SKIP],
      owner: null,
      members: [{ away: SKIP }],
    }),
    malformed("a member away for a number", {
      type: "users",
      at,
      nicks: [SKIP],
      owner: null,
      members: [{ nick: SKIP, away: 7 }],
    }),
    malformed("a member that is a string", {
      type: "users",
      at,
      nicks: [SKIP],
      owner: null,
      members: [SKIP],
    }),
    malformed("notice text as an array", { type: "notice", at, text: [SKIP] }),
    malformed("error text null", { type: "error", at, text: null }),
    malformed("a schedule id with controls", {
      type: "schedule_ok",
      at,
      id: `${EVIL}${SKIP}`,
      due,
      text: SKIP,
    }),
    malformed("a schedule due past any date", {
      type: "schedule_ok",
      at,
      id: 9,
      due: 1e300,
      text: SKIP,
    }),
    malformed("schedules items as a string", { type: "schedules", at, items: SKIP }),
    malformed("a schedules item id with controls", {
      type: "schedules",
      at,
      items: [{ id: `${EVIL}1`, due, from: "ana", text: SKIP }],
    }),
    malformed("a schedules item without a text", {
      type: "schedules",
      at,
      items: [{ id: 1, due, from: SKIP }],
    }),
    malformed("unscheduled id as a string", {
      type: "unscheduled",
      at,
      id: `${EVIL}7`,
      due,
      text: SKIP,
    }),
    malformed("schedule_dropped id as a fraction", {
      type: "schedule_dropped",
      at,
      id: 1.5,
      due,
      text: SKIP,
    }),
    malformed("gap count with controls", { type: "gap", at, count: `${EVIL}${SKIP}` }),
    malformed("welcome mentions with controls", {
      type: "welcome",
      at,
      nick: SKIP,
      owner: false,
      seq: 0,
      resumed: true,
      mentions: `${EVIL}${SKIP}`,
    }),
    malformed("welcome with a number nick", {
      type: "welcome",
      at,
      nick: 42,
      owner: false,
      seq: 0,
      resumed: true,
    }),
    malformed("welcome owner as a string", {
      type: "welcome",
      at,
      nick: SKIP,
      owner: "yes",
      seq: 0,
      resumed: true,
    }),
    malformed("welcome seq as a string", {
      type: "welcome",
      at,
      nick: SKIP,
      owner: false,
      seq: "0",
      resumed: true,
    }),
    malformed("welcome limits that are not numbers", {
      type: "welcome",
      at,
      nick: SKIP,
      owner: false,
      seq: 0,
      resumed: true,
      limits: { maxLineBytes: "x", maxPasteBytes: 16384 },
    }),
    malformed("welcome resume token as a number", {
      type: "welcome",
      at,
      nick: SKIP,
      owner: false,
      seq: 0,
      resume: 42,
      resumed: true,
    }),
    malformed("kicked text as a number", { type: "kicked", at, text: 42 }),
    malformed("bye without a reason", { type: "bye", at }),
  ];
}
