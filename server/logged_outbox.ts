/**
 * What the server log records about the room, decided in one place: an
 * `Outbox` that passes everything on and writes one log line for the events
 * an operator needs (who joined, left, was kicked, renamed, became owner,
 * resumed). Chat text and whispers are never logged.
 */
import type { ServerEvent } from "../protocol/events.ts";
import type { LogFields, LogSink } from "./log.ts";
import type { MemberId, Outbox } from "./room.ts";

/** The log line for a broadcast event, if it gets one. */
function broadcastFields(event: ServerEvent): LogFields | null {
  switch (event.type) {
    case "join":
      return { nick: event.nick, seq: event.seq };
    case "owner":
      return { nick: event.nick, standIn: event.standIn ?? false, seq: event.seq };
    case "topic":
      return { by: event.by, seq: event.seq };
    case "leave":
      return { nick: event.nick, reason: event.reason, seq: event.seq };
    case "kick":
      return { nick: event.nick, by: event.by, seq: event.seq };
    case "rename":
      return { from: event.from, to: event.to, seq: event.seq };
    case "scheduled":
      return { from: event.from, late: event.late ?? false, seq: event.seq };
    default:
      return null;
  }
}

export class LoggedOutbox implements Outbox {
  #inner: Outbox;
  #log: LogSink;

  constructor(inner: Outbox, log: LogSink) {
    this.#inner = inner;
    this.#log = log;
  }

  send(to: MemberId, event: ServerEvent): void {
    // A resume is the one change of membership nobody else is told about.
    if (event.type === "welcome" && event.resumed) {
      this.#log("info", "resume", { id: to, nick: event.nick });
    }
    this.#inner.send(to, event);
  }

  broadcast(event: ServerEvent, except?: ReadonlySet<MemberId>): void {
    const fields = broadcastFields(event);
    if (fields) this.#log("info", event.type, fields);
    this.#inner.broadcast(event, except);
  }

  admit(id: MemberId): void {
    this.#inner.admit(id);
  }

  close(id: MemberId): void {
    this.#inner.close(id);
  }

  stream(to: MemberId, next: () => ServerEvent[] | null, done: () => void): void {
    this.#inner.stream(to, next, done);
  }
}
