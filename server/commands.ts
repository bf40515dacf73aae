/**
 * The command table, and the one place a typed line becomes a chat message
 * or a command. Each entry declares its name, its parameters (from which the
 * usage line and the argument-count check come, as ergo's `minParams` does),
 * its help, and who may run it; its handler receives arguments already
 * checked and calls verbs on the room. `/help` is generated from the table,
 * so adding a command touches one entry.
 *
 * The room does not import this table; this table imports the room's verbs.
 */
import { sanitizeText } from "../protocol/text.ts";
import { nextOccurrence, parseClock } from "../protocol/time.ts";
import { CommandError } from "./command_error.ts";
import { DEFAULT_BAN_MS, type Member, type MemberId, type Room } from "./room.ts";

/** One parameter of a command, as the usage line shows it. */
export interface Param {
  name: string;
  /** Takes the rest of the line, spaces included (a message). */
  rest?: boolean;
  /** May be left out; shown in [brackets]. */
  optional?: boolean;
}

export interface Command {
  name: string;
  /** Other names for it, as IRC and ssh-chat users type them. */
  aliases?: readonly string[];
  params: readonly Param[];
  help: string;
  /** When set, only the owner may run it and others get this refusal. */
  ownerOnly?: string;
  /** `args` holds one string per parameter ("" for an optional one left out). */
  run(room: Room, member: Member, args: string[]): void;
}

/** "/name <param> [optional]" for a command. */
export function synopsis(command: Command): string {
  const params = command.params.map((param) =>
    param.optional ? `[${param.name}]` : `<${param.name}>`
  );
  return [`/${command.name}`, ...params].join(" ");
}

/** "Usage: /name <param>" for a command. */
export function usage(command: Command): string {
  return `Usage: ${synopsis(command)}`;
}

/**
 * Splits `text` into one value per parameter: words, with a `rest`
 * parameter taking what remains. Null when a required one is missing.
 */
export function parseArgs(command: Command, text: string): string[] | null {
  const args: string[] = [];
  let remaining = text.trim();
  for (const param of command.params) {
    let value: string;
    if (param.rest) {
      value = remaining;
      remaining = "";
    } else {
      const match = /^(\S+)\s*/.exec(remaining);
      value = match ? match[1] : "";
      remaining = match ? remaining.slice(match[0].length) : "";
    }
    if (value === "" && !param.optional) return null;
    args.push(value);
  }
  return args;
}

/** A `CommandError` whose text is the command's usage line. */
function usageError(command: Command): CommandError {
  return new CommandError(usage(command));
}

/**
 * When a schedule is due: "HH:MM" (its next occurrence in `timeZone`, the
 * member's own zone when its client said, else the server's), "+10m",
 * "+2h", "+30s", or an ISO 8601 instant. Null when it is none of these, is
 * zero, or lies more than a week ahead.
 */
export function parseDue(spec: string, now: number, timeZone?: string): number | null {
  const clock = parseClock(spec);
  if (clock) return nextOccurrence(now, clock.hours, clock.minutes, timeZone);
  const relative = /^\+(\d{1,5})([smh])$/.exec(spec);
  if (relative) {
    const unit = { s: 1_000, m: 60_000, h: 3_600_000 }[relative[2] as "s" | "m" | "h"];
    const delay = Number(relative[1]) * unit;
    return delay > 0 && delay <= 7 * 86_400_000 ? now + delay : null;
  }
  if (/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/.test(spec)) {
    const due = Date.parse(spec);
    // A client's clock may be a little behind ours; a due time in the past
    // by more than a minute or over a week ahead is a mistake.
    if (Number.isNaN(due) || due < now - 60_000 || due > now + 7 * 86_400_000) return null;
    return Math.max(due, now);
  }
  return null;
}

const whisper: Command = {
  name: "whisper",
  aliases: ["msg", "w"],
  params: [{ name: "nick" }, { name: "message", rest: true }],
  help: "Send a private message that only <nick> sees.",
  run(room, member, [nick, text]) {
    room.whisper(member, nick, text);
  },
};

const reply: Command = {
  name: "reply",
  aliases: ["r"],
  params: [{ name: "message", rest: true }],
  help: "Whisper back to whoever whispered to you last.",
  run(room, member, [text]) {
    room.reply(member, text);
  },
};

const me: Command = {
  name: "me",
  params: [{ name: "action", rest: true }],
  help: 'Say what you are doing: /me waves shows "* you waves".',
  run(room, member, [text]) {
    room.act(member, text);
  },
};

/**
 * How long a ban lasts: "30s", "10m", "2h", "7d", or a bare number of
 * minutes; up to a year. "" is the default (10 minutes); null when invalid.
 */
export function parseBanDuration(spec: string): number | null {
  if (spec === "") return DEFAULT_BAN_MS;
  const match = /^(\d{1,6})([smhd]?)$/.exec(spec.toLowerCase());
  if (!match) return null;
  const unit = { s: 1_000, m: 60_000, "": 60_000, h: 3_600_000, d: 86_400_000 }[
    match[2] as "s" | "m" | "" | "h" | "d"
  ];
  const ms = Number(match[1]) * unit;
  return ms <= 365 * 86_400_000 ? ms : null;
}

function banDuration(command: Command, spec: string): number {
  const ms = parseBanDuration(spec);
  if (ms === null) {
    throw new CommandError(
      `Invalid duration "${spec}" (such as 30s, 10m, 2h, 7d). ${usage(command)}`,
    );
  }
  return ms;
}

const kick: Command = {
  name: "kick",
  params: [{ name: "nick" }, { name: "duration", optional: true }],
  help: "Remove a member and keep them out for a while: 10m by default, 0 for no ban " +
    "(owner only).",
  ownerOnly: "Only the room owner can kick members.",
  run(room, member, [nick, duration]) {
    room.kick(member, nick, banDuration(kick, duration));
  },
};

const ban: Command = {
  name: "ban",
  params: [{ name: "nick" }, { name: "duration", optional: true }],
  help: "Keep a member (or a name) out for a while, 10m by default (owner only).",
  ownerOnly: "Only the room owner can ban.",
  run(room, member, [nick, duration]) {
    const ms = banDuration(ban, duration);
    if (ms === 0) throw new CommandError(`A ban needs a duration. ${usage(ban)}`);
    room.ban(member, nick, ms);
  },
};

const unban: Command = {
  name: "unban",
  params: [{ name: "nick|address|fingerprint" }],
  help: "Lift a ban (owner only).",
  ownerOnly: "Only the room owner can lift bans.",
  run(room, member, [target]) {
    room.unban(member, target);
  },
};

const bans: Command = {
  name: "bans",
  params: [],
  help: "List the bans in force (owner only).",
  ownerOnly: "Only the room owner can see the bans.",
  run(room, member) {
    room.listBans(member);
  },
};

const whois: Command = {
  name: "whois",
  params: [{ name: "nick" }],
  help: "Show a member's key and how long its name has been held.",
  run(room, member, [nick]) {
    room.whois(member, nick);
  },
};

const owner: Command = {
  name: "owner",
  params: [{ name: "nick" }],
  help: "Hand the room, and its owner's key, to another member with a key (owner only).",
  ownerOnly: "Only the room owner can hand the room on.",
  run(room, member, [nick]) {
    room.giveOwnership(member, nick);
  },
};

const schedule: Command = {
  name: "schedule",
  params: [{ name: "HH:MM|+10m|+2h" }, { name: "message", rest: true }],
  help: "Send a message to everyone at a later time.",
  run(room, member, [when, text]) {
    const due = parseDue(when, room.clock.now(), member.timeZone);
    if (due === null) throw new CommandError(`Invalid time "${when}". ${usage(schedule)}`);
    room.schedule(member, due, text);
  },
};

const schedules: Command = {
  name: "schedules",
  params: [],
  help: "List your pending scheduled messages.",
  run(room, member) {
    room.listSchedules(member);
  },
};

const unschedule: Command = {
  name: "unschedule",
  params: [{ name: "id" }],
  help: "Cancel one of your scheduled messages (the owner may cancel any).",
  run(room, member, [idText]) {
    const id = Number(idText.replace(/^#/, ""));
    if (!Number.isInteger(id) || id <= 0) throw usageError(unschedule);
    room.unschedule(member, id);
  },
};

const user: Command = {
  name: "user",
  aliases: ["names", "who"],
  params: [],
  help: "List the members of the room; the owner is marked.",
  run(room, member) {
    room.listMembers(member);
  },
};

const rename: Command = {
  name: "rename",
  aliases: ["nick"],
  params: [{ name: "new nickname", rest: true }],
  help: "Change your nickname.",
  run(room, member, [nick]) {
    room.rename(member, nick);
  },
};

const away: Command = {
  name: "away",
  params: [{ name: "reason", rest: true, optional: true }],
  help: "Mark yourself away; whoever whispers to you is told, once.",
  run(room, member, [reason]) {
    room.setAway(member, reason);
  },
};

const back: Command = {
  name: "back",
  params: [],
  help: "You are back; see how often you were mentioned.",
  run(room, member) {
    room.setBack(member);
  },
};

const ignore: Command = {
  name: "ignore",
  params: [{ name: "nick" }],
  help: "Stop seeing a member's messages and whispers.",
  run(room, member, [nick]) {
    room.ignore(member, nick);
  },
};

const unignore: Command = {
  name: "unignore",
  params: [{ name: "nick" }],
  help: "See a member's messages again.",
  run(room, member, [nick]) {
    room.unignore(member, nick);
  },
};

const ignored: Command = {
  name: "ignored",
  params: [],
  help: "List the members you ignore.",
  run(room, member) {
    room.listIgnored(member);
  },
};

const topic: Command = {
  name: "topic",
  params: [{ name: "text", rest: true, optional: true }],
  help: 'Show the topic; the owner sets it ("/topic -" clears it).',
  run(room, member, [text]) {
    room.topic(member, text === "" ? null : text === "-" ? "" : text);
  },
};

const history: Command = {
  name: "history",
  params: [{ name: "n", optional: true }],
  help: `Show up to n (default 20) earlier messages; again for the ones before those.`,
  run(room, member, [count]) {
    const n = count === "" ? 20 : Number(count);
    if (!Number.isInteger(n) || n < 1) throw usageError(history);
    room.history(member, n);
  },
};

const help: Command = {
  name: "help",
  params: [],
  help: "Show this list.",
  run(room, member) {
    room.notice(member, "Commands:");
    for (const command of COMMANDS) {
      const aliases = command.aliases?.map((alias) => `/${alias}`).join(", ");
      room.notice(
        member,
        `  ${synopsis(command)}${aliases ? ` (also ${aliases})` : ""} - ${command.help}`,
      );
    }
    room.notice(member, '  //text - Send a message that starts with "/".');
  },
};

const quit: Command = {
  name: "quit",
  params: [],
  help: "Leave the room.",
  run(room, member) {
    room.quit(member);
  },
};

export const COMMANDS: readonly Command[] = [
  whisper,
  reply,
  me,
  kick,
  ban,
  unban,
  bans,
  whois,
  owner,
  schedule,
  schedules,
  unschedule,
  user,
  rename,
  away,
  back,
  ignore,
  unignore,
  ignored,
  topic,
  history,
  help,
  quit,
];

const BY_NAME: ReadonlyMap<string, Command> = new Map(
  COMMANDS.flatMap((command) =>
    [command.name, ...command.aliases ?? []].map((name) => [name, command] as const)
  ),
);

export function findCommand(name: string): Command | undefined {
  return BY_NAME.get(name.toLowerCase());
}

/**
 * A member typed `line`: a command if it starts with "/", else a chat
 * message. Leading spaces and letter case of the command name do not
 * matter, so " /Schedule" is "/schedule"; "//text" says "/text", as in IRC.
 * A pasted block of several lines is always a message.
 */
export function handleLine(room: Room, id: MemberId, line: string): void {
  if (line.includes("\n")) {
    room.say(id, line);
    return;
  }
  const text = sanitizeText(line).trim();
  if (text === "") return;
  if (!text.startsWith("/") || text.startsWith("//")) {
    room.say(id, text.startsWith("//") ? text.slice(1) : text);
    return;
  }
  room.perform(id, (member) => runCommand(room, member, text));
}

/** Parses and runs one command line; a mistake throws `CommandError`. */
function runCommand(room: Room, member: Member, text: string): void {
  const match = /^\/(\S*)\s*(.*)$/s.exec(text)!;
  const command = findCommand(match[1]);
  if (!command) {
    throw new CommandError(
      `Unknown command "/${match[1].toLowerCase()}". Type /help for the list of commands.`,
    );
  }
  if (command.ownerOnly && room.owner !== member) throw new CommandError(command.ownerOnly);
  const args = parseArgs(command, match[2]);
  if (args === null) throw usageError(command);
  // Each argument is text of its own: one that starts with a combining mark
  // (the line did not) loses it, as a message would.
  command.run(room, member, args.map(sanitizeText));
}
