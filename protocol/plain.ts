/**
 * The plain-text rendering of room events, as `nc` and telnet users see them.
 * The `chat join` client reuses the wording and adds its own times and colors.
 */
import type { EventOf, MemberInfo, ServerEvent } from "./events.ts";
import { SYSTEM_MARK } from "./text.ts";
import { formatClock, formatDue } from "./time.ts";

/**
 * Continuation lines of a multi-line event (a pasted block, the schedule
 * list) start with this much space, under the text after the `[HH:MM] `
 * stamp, so no line of a user's block can start like a line of its own.
 */
export const CONTINUATION_INDENT = "        ";

/** The words of an event, without its time stamp. */
export function eventText(event: ServerEvent): string {
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
      return `${SYSTEM_MARK} ${event.nick} left the chat${
        event.reason ? ` (${event.reason})` : ""
      }.`;
    case "kick":
      return `${SYSTEM_MARK} ${event.nick} was kicked from the chat by ${event.by}.`;
    case "rename":
      return `${SYSTEM_MARK} User "${event.from}" has changed their nickname to "${event.to}".`;
    case "owner":
      return event.standIn
        ? `${SYSTEM_MARK} ${event.nick} stands in as the room owner while ${event.for} reconnects.`
        : `${SYSTEM_MARK} ${event.nick} is now the room owner.`;
    case "topic":
      return event.text === ""
        ? `${SYSTEM_MARK} ${event.by} cleared the topic.`
        : `${SYSTEM_MARK} ${event.by} set the topic: ${event.text}`;
    case "presence":
      return `${SYSTEM_MARK} ${describePresence(event)}`;
    case "current_topic":
      return `Topic: ${event.text} (set by ${event.by})`;
    case "challenge":
      // Only structured clients get one, and they answer it, not show it.
      return "";
    case "welcome":
      return event.resumed
        ? `Welcome back, ${event.nick}! Your session was resumed.`
        : `Welcome, ${event.nick}!${
          event.owner ? " You are the room owner." : ""
        } Type /help for commands.`;
    case "nick_refused":
      return event.wait === undefined
        ? `${event.reason} Please choose another nickname:`
        : `${event.reason} Send your nickname again in ${event.wait} s:`;
    case "whisper":
      return event.direction === "in"
        ? `[Whisper from ${event.from}] ${event.text}`
        : `[Whisper to ${event.to}] ${event.text}`;
    case "users":
      return `Users in chat: ${
        (event.members ?? event.nicks.map((nick) => memberOf(nick, event.owner))).map(
          describeMember,
        )
          .join(", ")
      }`;
    case "notice":
    case "error":
    case "kicked":
      return event.text;
    case "schedule_ok":
      return `Scheduled #${event.id} for ${formatDue(event.due, event.at)}: ${event.text}`;
    case "unscheduled":
      return event.by === undefined
        ? `Cancelled scheduled message #${event.id} for ${formatClock(event.due)}.`
        : `${event.by} cancelled your scheduled message #${event.id} for ${
          formatClock(event.due)
        }: ${event.text}`;
    case "schedule_dropped":
      return `Your scheduled message #${event.id} for ${
        formatClock(event.due)
      } was not sent: the server was down at that time. Text: ${event.text}`;
    case "schedules":
      return event.items.length === 0
        ? "No pending scheduled messages."
        : `Pending scheduled messages:${
          event.items.map((item) =>
            `\n#${item.id} ${atDue(item.due, event.at)} (${item.from}): ${item.text}`
          ).join("")
        }`;
    case "gap":
      return `… ${event.count} earlier messages not shown.`;
    case "bye":
      return `Disconnected: ${event.reason}`;
  }
}

/** "at 09:30" today, "tomorrow at 09:30" or "Sat 29 Nov at 09:30" later. */
function atDue(due: number, now: number): string {
  const when = formatDue(due, now);
  return when.includes(" at ") ? when : `at ${when}`;
}

function memberOf(nick: string, owner: string | null): MemberInfo {
  return nick === owner ? { nick, owner: true } : { nick };
}

function describeMember(member: MemberInfo): string {
  const notes: string[] = [];
  if (member.owner) notes.push(member.standIn ? "standing in as owner" : "owner");
  if (member.away !== undefined) notes.push(member.away ? `away: ${member.away}` : "away");
  if (member.reconnecting) notes.push("reconnecting");
  return notes.length === 0 ? member.nick : `${member.nick} (${notes.join(", ")})`;
}

/** Indents every line after the first, for a multi-line event under one stamp. */
export function indentContinuation(text: string, indent = CONTINUATION_INDENT): string {
  return text.includes("\n") ? text.replaceAll("\n", `\n${indent}`) : text;
}

/** The plain-text lines for an event, in the server's time zone, each ending in CRLF. */
export function plainLine(event: ServerEvent): string {
  const history = "history" in event && event.history ? "(history) " : "";
  const text = indentContinuation(eventText(event)).replaceAll("\n", "\r\n");
  return `[${formatClock(event.at)}] ${history}${text}\r\n`;
}

/** The first line every client receives, before it has said anything. */
export const GREETING = "Welcome to chat! Enter your nickname:";

/** The greeting as a plain client receives it. */
export const PLAIN_GREETING = `${GREETING}\r\n`;

/** In a room with a password, the first line instead, and the prompt under it. */
export const PASSWORD_GREETING = "Welcome to chat! This room has a password.";
export const PASSWORD_PROMPT = "Password:";

/** Once the password was right, the nickname prompt. */
export const NICKNAME_PROMPT = "Enter your nickname:";

/** A churn summary's words: "37 members joined and left in the last 10 s." */
function describePresence(counts: EventOf<"presence">): string {
  const members = (n: number) => `${n} ${n === 1 ? "member" : "members"}`;
  const span = `in the last ${counts.seconds} s`;
  if (counts.left === 0) return `${members(counts.joined)} joined ${span}.`;
  if (counts.joined === 0) return `${members(counts.left)} left ${span}.`;
  if (counts.joined === counts.left) return `${members(counts.joined)} joined and left ${span}.`;
  return `${members(counts.joined)} joined and ${counts.left} left ${span}.`;
}
