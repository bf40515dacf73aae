// Generated from protocol/ by `deno task bundle:web` (scripts/bundle_web.ts); do not edit.
// protocol/events.ts
var CONVERSATION_EVENT_TYPES = [
  "message",
  "scheduled",
  "join",
  "leave",
  "kick",
  "rename",
  "owner"
];
var PRIVATE_EVENT_TYPES = [
  "welcome",
  "nick_refused",
  "whisper",
  "users",
  "notice",
  "error",
  "schedule_ok",
  "schedules",
  "unscheduled",
  "schedule_dropped",
  "kicked",
  "bye"
];
var CONVERSATION = new Set(CONVERSATION_EVENT_TYPES);
var KNOWN = /* @__PURE__ */ new Set([
  ...CONVERSATION_EVENT_TYPES,
  ...PRIVATE_EVENT_TYPES
]);
function isConversationEvent(event) {
  return CONVERSATION.has(event.type);
}
function isReplayed(event) {
  return "history" in event && event.history === true;
}
function parseServerEvent(value) {
  if (typeof value !== "object" || value === null) return null;
  const { type, at } = value;
  if (typeof type !== "string" || !KNOWN.has(type) || typeof at !== "number") return null;
  if (CONVERSATION.has(type) && typeof value.seq !== "number") return null;
  return value;
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
    case "scheduled":
      return `[Scheduled by ${event.from}] ${event.text}${event.late ? " (sent late)" : ""}`;
    case "join":
      return `* ${event.nick} joined the chat.`;
    case "leave":
      return `* ${event.nick} left the chat${event.reason ? ` (${event.reason})` : ""}.`;
    case "kick":
      return `* ${event.nick} was kicked from the chat by ${event.by}.`;
    case "rename":
      return `User "${event.from}" has changed their nickname to "${event.to}".`;
    case "owner":
      return `* ${event.nick} is now the room owner.`;
    case "welcome":
      return event.resumed ? `Welcome back, ${event.nick}! Your session was resumed.` : `Welcome, ${event.nick}!${event.owner ? " You are the room owner." : ""} Type /help for commands.`;
    case "nick_refused":
      return `${event.reason} Please choose another nickname:`;
    case "whisper":
      return event.direction === "in" ? `[Whisper from ${event.from}] ${event.text}` : `[Whisper to ${event.to}] ${event.text}`;
    case "users":
      return `Users in chat: ${event.nicks.map((nick) => nick === event.owner ? `${nick} (owner)` : nick).join(", ")}`;
    case "notice":
    case "error":
    case "kicked":
      return event.text;
    case "schedule_ok":
      return `Scheduled #${event.id} for ${formatClock(event.due)}: ${event.text}`;
    case "unscheduled":
      return `Cancelled scheduled message #${event.id} for ${formatClock(event.due)}.`;
    case "schedule_dropped":
      return `Your scheduled message #${event.id} for ${formatClock(event.due)} was not sent: the server was down at that time. Text: ${event.text}`;
    case "schedules":
      return event.items.length === 0 ? "You have no pending scheduled messages." : `Pending scheduled messages: ${event.items.map((item) => `#${item.id} at ${formatClock(item.due)}: ${item.text}`).join("; ")}`;
    case "bye":
      return `Disconnected: ${event.reason}`;
  }
}
var GREETING = "Welcome to chat! Enter your nickname:";
var PLAIN_GREETING = `${GREETING}\r
`;

// protocol/text.ts
function nicknameKey(nick) {
  return nick.normalize("NFKC").toLowerCase().normalize("NFKC");
}
export {
  GREETING,
  eventText,
  formatClock,
  isConversationEvent,
  isReplayed,
  localTimeZone,
  nicknameKey,
  parseServerEvent
};
