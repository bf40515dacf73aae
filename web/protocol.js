// Generated from protocol/ by `deno task bundle:web` (scripts/bundle_web.ts); do not edit.
// protocol/events.ts
var CONVERSATION_EVENT_TYPES = [
  "message",
  "action",
  "scheduled",
  "join",
  "leave",
  "kick",
  "rename",
  "owner",
  "topic",
  "presence"
];
var CONVERSATION = new Set(CONVERSATION_EVENT_TYPES);
function isConversationEvent(event) {
  return CONVERSATION.has(event.type);
}
function isReplayed(event) {
  return "history" in event && event.history === true;
}
function readServerEvent(value) {
  if (!isRecord(value)) {
    return {
      kind: "malformed",
      problem: `${describeJson(value)}, not an object`
    };
  }
  const type = Object.hasOwn(value, "type") ? value.type : void 0;
  if (typeof type !== "string") {
    return {
      kind: "malformed",
      problem: 'an object without a "type" string'
    };
  }
  const checks = EVENT_CHECKS.get(type);
  if (checks === void 0) return {
    kind: "unknown",
    type
  };
  const problem = fieldProblem(value, checks);
  if (problem !== null) {
    return {
      kind: "malformed",
      problem: `${/^[aeiou]/.test(type) ? "an" : "a"} ${type} event ${problem}`
    };
  }
  return {
    kind: "event",
    event: value
  };
}
function parseServerEvent(value) {
  const reading = readServerEvent(value);
  return reading.kind === "event" ? reading.event : null;
}
function isRecord(value) {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
function isString(value) {
  return typeof value === "string";
}
function isBoolean(value) {
  return typeof value === "boolean";
}
function isWhole(value) {
  return Number.isSafeInteger(value) && value >= 0;
}
var MAX_INSTANT_MS = 864e13;
function isInstant(value) {
  return typeof value === "number" && Math.abs(value) <= MAX_INSTANT_MS;
}
function isNonNegative(value) {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}
function oneOf(...values) {
  return (value) => values.includes(value);
}
function nullable(check) {
  return (value) => value === null || check(value);
}
function arrayOf(check) {
  return (value) => Array.isArray(value) && value.every((item) => check(item));
}
function objectOf(checks) {
  const table = checks;
  return (value) => isRecord(value) && fieldProblem(value, table) === null;
}
function optional(check) {
  return {
    optional: check
  };
}
function fieldProblem(value, checks) {
  for (const [name, field] of Object.entries(checks)) {
    const check = typeof field === "function" ? field : field.optional;
    if (!Object.hasOwn(value, name)) {
      if (typeof field === "function") return `without "${name}"`;
      continue;
    }
    if (!check(value[name])) return `with a malformed "${name}"`;
  }
  return null;
}
function describeJson(value) {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}
var AT = {
  at: isInstant
};
var SEQ = {
  at: isInstant,
  seq: isWhole,
  history: optional(isBoolean)
};
var CONVERSATION_CHECKS = {
  message: {
    from: isString,
    text: isString
  },
  action: {
    from: isString,
    text: isString
  },
  scheduled: {
    from: isString,
    text: isString,
    late: optional(isBoolean)
  },
  join: {
    nick: isString
  },
  leave: {
    nick: isString,
    reason: isString
  },
  kick: {
    nick: isString,
    by: isString
  },
  rename: {
    from: isString,
    to: isString
  },
  owner: {
    nick: isString,
    standIn: optional(isBoolean),
    for: optional(isString)
  },
  topic: {
    text: isString,
    by: isString
  },
  presence: {
    joined: isWhole,
    left: isWhole,
    seconds: isWhole
  }
};
var PRIVATE_CHECKS = {
  challenge: {
    nonce: isString,
    password: optional(isBoolean)
  },
  welcome: {
    nick: isString,
    owner: isBoolean,
    seq: isWhole,
    resume: optional(isString),
    resumed: optional(isBoolean),
    limits: optional(objectOf({
      maxLineBytes: isWhole,
      maxPasteBytes: isWhole
    })),
    mentions: optional(isWhole)
  },
  nick_refused: {
    nick: isString,
    reason: isString,
    wait: optional(isNonNegative)
  },
  whisper: {
    from: isString,
    to: isString,
    text: isString,
    direction: oneOf("in", "out")
  },
  users: {
    nicks: arrayOf(isString),
    owner: nullable(isString),
    members: optional(arrayOf(objectOf({
      nick: isString,
      owner: optional(isBoolean),
      standIn: optional(isBoolean),
      away: optional(isString),
      reconnecting: optional(isBoolean)
    })))
  },
  current_topic: {
    text: isString,
    by: isString,
    since: isInstant
  },
  notice: {
    text: isString
  },
  error: {
    text: isString
  },
  schedule_ok: {
    id: isWhole,
    due: isInstant,
    text: isString
  },
  schedules: {
    items: arrayOf(objectOf({
      id: isWhole,
      due: isInstant,
      from: isString,
      text: isString
    }))
  },
  unscheduled: {
    id: isWhole,
    due: isInstant,
    text: isString,
    by: optional(isString)
  },
  schedule_dropped: {
    id: isWhole,
    due: isInstant,
    text: isString
  },
  gap: {
    count: isWhole
  },
  kicked: {
    text: isString
  },
  bye: {
    reason: isString
  }
};
var EVENT_CHECKS = new Map([
  ...Object.entries(CONVERSATION_CHECKS).map(([type, checks]) => [
    type,
    {
      ...SEQ,
      ...checks
    }
  ]),
  ...Object.entries(PRIVATE_CHECKS).map(([type, checks]) => [
    type,
    {
      ...AT,
      ...checks
    }
  ])
]);

// protocol/text.ts
var SYSTEM_MARK = "\u2023";
function nicknameKey(nick) {
  return nick.normalize("NFKC").toLowerCase().normalize("NFKC");
}

// protocol/time.ts
function formatClock(at, timeZone) {
  if (timeZone === void 0) {
    const date = new Date(at);
    return `${pad2(date.getHours())}:${pad2(date.getMinutes())}`;
  }
  const { hour, minute } = wallClock(at, timeZone);
  return `${pad2(hour)}:${pad2(minute)}`;
}
var WEEKDAYS = [
  "Sun",
  "Mon",
  "Tue",
  "Wed",
  "Thu",
  "Fri",
  "Sat"
];
var MONTHS = [
  "Jan",
  "Feb",
  "Mar",
  "Apr",
  "May",
  "Jun",
  "Jul",
  "Aug",
  "Sep",
  "Oct",
  "Nov",
  "Dec"
];
function formatDue(due, now) {
  const clock = formatClock(due);
  const dueDay = new Date(due);
  const today = new Date(now);
  dueDay.setHours(0, 0, 0, 0);
  today.setHours(0, 0, 0, 0);
  const days = Math.round((dueDay.getTime() - today.getTime()) / 864e5);
  if (days <= 0) return clock;
  if (days === 1) return `tomorrow at ${clock}`;
  const date = new Date(due);
  return `${WEEKDAYS[date.getDay()]} ${date.getDate()} ${MONTHS[date.getMonth()]} at ${clock}`;
}
function pad2(value) {
  return value < 10 ? `0${value}` : `${value}`;
}
function localTimeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone;
  } catch {
    return void 0;
  }
}
function wallClock(at, timeZone) {
  const format = new Intl.DateTimeFormat("en-US", {
    timeZone,
    hourCycle: "h23",
    year: "numeric",
    month: "numeric",
    day: "numeric",
    hour: "numeric",
    minute: "numeric",
    second: "numeric"
  });
  const parts = {};
  for (const part of format.formatToParts(at)) {
    if (part.type !== "literal") parts[part.type] = Number(part.value);
  }
  return {
    year: parts.year,
    month: parts.month,
    day: parts.day,
    hour: parts.hour,
    minute: parts.minute,
    second: parts.second
  };
}

// protocol/plain.ts
function eventText(event) {
  switch (event.type) {
    case "message":
      return `${event.from}: ${event.text}`;
    case "action":
      return `* ${event.from} ${event.text}`;
    case "scheduled":
      return `[Scheduled by ${event.from}] ${event.text}${event.late ? " (sent late)" : ""}`;
    case "join":
      return `${SYSTEM_MARK} ${event.nick} joined the chat.`;
    case "leave":
      return `${SYSTEM_MARK} ${event.nick} left the chat${event.reason ? ` (${event.reason})` : ""}.`;
    case "kick":
      return `${SYSTEM_MARK} ${event.nick} was kicked from the chat by ${event.by}.`;
    case "rename":
      return `${SYSTEM_MARK} User "${event.from}" has changed their nickname to "${event.to}".`;
    case "owner":
      return event.standIn ? `${SYSTEM_MARK} ${event.nick} stands in as the room owner while ${event.for} reconnects.` : `${SYSTEM_MARK} ${event.nick} is now the room owner.`;
    case "topic":
      return event.text === "" ? `${SYSTEM_MARK} ${event.by} cleared the topic.` : `${SYSTEM_MARK} ${event.by} set the topic: ${event.text}`;
    case "presence":
      return `${SYSTEM_MARK} ${describePresence(event)}`;
    case "current_topic":
      return `Topic: ${event.text} (set by ${event.by})`;
    case "challenge":
      return "";
    case "welcome":
      return event.resumed ? `Welcome back, ${event.nick}! Your session was resumed.` : `Welcome, ${event.nick}!${event.owner ? " You are the room owner." : ""} Type /help for commands.`;
    case "nick_refused":
      return event.wait === void 0 ? `${event.reason} Please choose another nickname:` : `${event.reason} Send your nickname again in ${event.wait} s:`;
    case "whisper":
      return event.direction === "in" ? `[Whisper from ${event.from}] ${event.text}` : `[Whisper to ${event.to}] ${event.text}`;
    case "users":
      return `Users in chat: ${(event.members ?? event.nicks.map((nick) => memberOf(nick, event.owner))).map(describeMember).join(", ")}`;
    case "notice":
    case "error":
    case "kicked":
      return event.text;
    case "schedule_ok":
      return `Scheduled #${event.id} for ${formatDue(event.due, event.at)}: ${event.text}`;
    case "unscheduled":
      return event.by === void 0 ? `Cancelled scheduled message #${event.id} for ${formatClock(event.due)}.` : `${event.by} cancelled your scheduled message #${event.id} for ${formatClock(event.due)}: ${event.text}`;
    case "schedule_dropped":
      return `Your scheduled message #${event.id} for ${formatClock(event.due)} was not sent: the server was down at that time. Text: ${event.text}`;
    case "schedules":
      return event.items.length === 0 ? "No pending scheduled messages." : `Pending scheduled messages:${event.items.map((item) => `
#${item.id} ${atDue(item.due, event.at)} (${item.from}): ${item.text}`).join("")}`;
    case "gap":
      return `\u2026 ${event.count} earlier messages not shown.`;
    case "bye":
      return `Disconnected: ${event.reason}`;
  }
}
function atDue(due, now) {
  const when = formatDue(due, now);
  return when.includes(" at ") ? when : `at ${when}`;
}
function memberOf(nick, owner) {
  return nick === owner ? {
    nick,
    owner: true
  } : {
    nick
  };
}
function describeMember(member) {
  const notes = [];
  if (member.owner) notes.push(member.standIn ? "standing in as owner" : "owner");
  if (member.away !== void 0) notes.push(member.away ? `away: ${member.away}` : "away");
  if (member.reconnecting) notes.push("reconnecting");
  return notes.length === 0 ? member.nick : `${member.nick} (${notes.join(", ")})`;
}
var GREETING = "Welcome to chat! Enter your nickname:";
var PLAIN_GREETING = `${GREETING}\r
`;
var PASSWORD_GREETING = "Welcome to chat! This room has a password.";
var PASSWORD_PROMPT = "Password:";
function describePresence(counts) {
  const members = (n) => `${n} ${n === 1 ? "member" : "members"}`;
  const span = `in the last ${counts.seconds} s`;
  if (counts.left === 0) return `${members(counts.joined)} joined ${span}.`;
  if (counts.joined === 0) return `${members(counts.left)} left ${span}.`;
  if (counts.joined === counts.left) return `${members(counts.joined)} joined and left ${span}.`;
  return `${members(counts.joined)} joined and ${counts.left} left ${span}.`;
}

// protocol/seen_events.ts
var SeenEvents = class {
  /** The highest conversation seq shown; 0 before any. */
  lastSeq = 0;
  /** History shown on a fresh join has seq up to here and is shown without de-duplication. */
  #historyCeiling = 0;
  /** A welcome came: a fresh join's history is shown as it comes; a resume's replay is checked. */
  welcomed(event) {
    this.#historyCeiling = event.resumed ? 0 : event.seq;
    if (!event.resumed) this.lastSeq = event.seq;
  }
  /** True when `event` was shown before (skip it); otherwise it counts as shown now. */
  alreadyShown(event) {
    if (!isConversationEvent(event)) return false;
    const seq = event.seq;
    if (isReplayed(event) && seq <= this.#historyCeiling) return false;
    if (seq <= this.lastSeq) return true;
    this.lastSeq = seq;
    return false;
  }
};
export {
  GREETING,
  PASSWORD_GREETING,
  PASSWORD_PROMPT,
  SeenEvents,
  eventText,
  formatClock,
  isConversationEvent,
  isReplayed,
  localTimeZone,
  nicknameKey,
  parseServerEvent
};
