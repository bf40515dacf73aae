/**
 * The plain-text rendering of room events, as `nc` and telnet users see them.
 * The `chat join` client reuses the wording and adds its own times and colors.
 */
import type { ServerEvent } from "./events.ts";
import { formatClock } from "./time.ts";

/** The words of an event, without its time stamp. */
export function eventText(event: ServerEvent): string {
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
      return event.resumed
        ? `Welcome back, ${event.nick}! Your session was resumed.`
        : `Welcome, ${event.nick}!${
          event.owner ? " You are the room owner." : ""
        } Type /help for commands.`;
    case "nick_refused":
      return `${event.reason} Please choose another nickname:`;
    case "whisper":
      return event.direction === "in"
        ? `[Whisper from ${event.from}] ${event.text}`
        : `[Whisper to ${event.to}] ${event.text}`;
    case "users":
      return `Users in chat: ${
        event.nicks.map((nick) => nick === event.owner ? `${nick} (owner)` : nick).join(", ")
      }`;
    case "notice":
    case "error":
    case "kicked":
      return event.text;
    case "schedule_ok":
      return `Scheduled #${event.id} for ${formatClock(event.due)}: ${event.text}`;
    case "unscheduled":
      return `Cancelled scheduled message #${event.id} for ${formatClock(event.due)}.`;
    case "schedule_dropped":
      return `Your scheduled message #${event.id} for ${
        formatClock(event.due)
      } was not sent: the server was down at that time. Text: ${event.text}`;
    case "schedules":
      return event.items.length === 0
        ? "You have no pending scheduled messages."
        : `Pending scheduled messages: ${
          event.items.map((item) => `#${item.id} at ${formatClock(item.due)}: ${item.text}`)
            .join("; ")
        }`;
    case "bye":
      return `Disconnected: ${event.reason}`;
  }
}

/** One plain-text line for an event, in the server's time zone. */
export function plainLine(event: ServerEvent): string {
  const history = "history" in event && event.history ? "(history) " : "";
  return `[${formatClock(event.at)}] ${history}${eventText(event)}\r\n`;
}

/** The first line every client receives, before it has said anything. */
export const GREETING = "Welcome to chat! Enter your nickname:";

/** The greeting as a plain client receives it. */
export const PLAIN_GREETING = `${GREETING}\r\n`;
