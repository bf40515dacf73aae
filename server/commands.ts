/**
 * The command table. Each entry names a command, its usage line and help,
 * and what it does; `/help` and every usage error are generated from here,
 * so adding a command touches one entry.
 */
import type { Member, Room } from "./room.ts";
import { formatClock, nextOccurrence, parseClock } from "../protocol/time.ts";

/** A mistake the user made; the room turns it into a private error line. */
export class CommandError extends Error {
  override name = "CommandError";
}

export interface Command {
  name: string;
  /** Arguments, as shown in the usage line: "<nick> <message>". */
  args: string;
  help: string;
  /** When set, only the owner may run it and others get this refusal. */
  ownerOnly?: string;
  run(room: Room, member: Member, args: string): void;
}

/** "Usage: /name args" for a command. */
export function usage(command: Command): string {
  return `Usage: /${command.name}${command.args ? ` ${command.args}` : ""}`;
}

/** Splits "first rest of line" at the first run of spaces. */
function firstWord(args: string): [string, string] {
  const match = /^(\S+)\s*(.*)$/s.exec(args);
  return match ? [match[1], match[2]] : ["", ""];
}

function requireArgs(command: Command, ...values: string[]): void {
  if (values.some((value) => value === "")) throw new CommandError(usage(command));
}

/**
 * When a schedule is due: "HH:MM" (next occurrence, server time), "+10m",
 * "+2h", "+30s", or an ISO 8601 instant, which `chat join` sends after
 * reading HH:MM in its user's own time zone.
 */
export function parseDue(spec: string, now: number): number | null {
  const clock = parseClock(spec);
  if (clock) return nextOccurrence(now, clock.hours, clock.minutes);
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
  args: "<nick> <message>",
  help: "Send a private message that only <nick> sees.",
  run(room, member, args) {
    const [nick, text] = firstWord(args);
    requireArgs(whisper, nick, text);
    const target = room.requireMember(nick);
    const at = room.clock.now();
    const event = { type: "whisper", at, from: member.nick, to: target.nick, text } as const;
    room.tell(target, { ...event, direction: "in" });
    room.tell(member, { ...event, direction: "out" });
  },
};

const kick: Command = {
  name: "kick",
  args: "<nick>",
  help: "Remove a member from the room (owner only).",
  ownerOnly: "Only the room owner can kick members.",
  run(room, member, args) {
    const [nick] = firstWord(args);
    requireArgs(kick, nick);
    const target = room.requireMember(nick);
    if (target === member) throw new CommandError("You cannot kick yourself.");
    room.kick(member, target);
  },
};

const schedule: Command = {
  name: "schedule",
  args: "<HH:MM|+10m|+2h> <message>",
  help: "Send a message to everyone at a later time.",
  run(room, member, args) {
    const [when, text] = firstWord(args);
    requireArgs(schedule, when, text);
    const now = room.clock.now();
    const due = parseDue(when, now);
    if (due === null) {
      throw new CommandError(`Invalid time "${when}". ${usage(schedule)}`);
    }
    const saved = room.addSchedule(member, due, text);
    room.tell(member, { type: "schedule_ok", at: now, id: saved.id, due, text });
  },
};

const schedules: Command = {
  name: "schedules",
  args: "",
  help: "List your pending scheduled messages.",
  run(room, member) {
    const items = room.pendingSchedules
      .filter((s) => s.authorKey === member.key)
      .map(({ id, due, author, text }) => ({ id, due, from: author, text }));
    room.tell(member, { type: "schedules", at: room.clock.now(), items });
  },
};

const unschedule: Command = {
  name: "unschedule",
  args: "<id>",
  help: "Cancel one of your scheduled messages (the owner may cancel any).",
  run(room, member, args) {
    const [idText] = firstWord(args);
    requireArgs(unschedule, idText);
    const id = Number(idText.replace(/^#/, ""));
    if (!Number.isInteger(id) || id <= 0) throw new CommandError(usage(unschedule));
    const cancelled = room.cancelSchedule(member, id);
    room.notice(
      member,
      `Cancelled scheduled message #${cancelled.id} for ${formatClock(cancelled.due)}.`,
    );
  },
};

const user: Command = {
  name: "user",
  args: "",
  help: "List the members of the room; the owner is marked.",
  run(room, member) {
    room.tell(member, {
      type: "users",
      at: room.clock.now(),
      nicks: room.members.map((m) => m.nick),
      owner: room.owner?.nick ?? null,
    });
  },
};

const rename: Command = {
  name: "rename",
  args: "<new nickname>",
  help: "Change your nickname.",
  run(room, member, args) {
    requireArgs(rename, args);
    room.rename(member, args);
  },
};

const help: Command = {
  name: "help",
  args: "",
  help: "Show this list.",
  run(room, member) {
    room.notice(member, "Commands:");
    for (const command of COMMANDS) {
      room.notice(member, `  ${usage(command).slice("Usage: ".length)} - ${command.help}`);
    }
  },
};

const quit: Command = {
  name: "quit",
  args: "",
  help: "Leave the room.",
  run(room, member) {
    room.quit(member);
  },
};

export const COMMANDS: readonly Command[] = [
  whisper,
  kick,
  schedule,
  schedules,
  unschedule,
  user,
  rename,
  help,
  quit,
];

const BY_NAME = new Map(COMMANDS.map((command) => [command.name, command]));

export function findCommand(name: string): Command | undefined {
  return BY_NAME.get(name);
}
