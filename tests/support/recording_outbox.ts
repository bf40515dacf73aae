/**
 * Test support: an `Outbox` for the pure room core that records what each
 * connection would receive, so tests read deliveries without sockets.
 */
import { readServerEvent, type ServerEvent } from "../../protocol/events.ts";
import { eventText } from "../../protocol/plain.ts";
import type { MemberId, Outbox } from "../../server/room.ts";

/**
 * Records every event sent to each connection, including any sent after it
 * was closed, so a test also sees what the room should not have sent. An
 * event a client would skip as malformed (`readServerEvent`) fails at once.
 */
export class RecordingOutbox implements Outbox {
  /** Everything each connection was sent and no test has taken yet. */
  readonly sent = new Map<MemberId, ServerEvent[]>();
  /** Connections that receive broadcasts. */
  readonly admitted = new Set<MemberId>();
  /** Connections the room has closed. */
  readonly closed = new Set<MemberId>();

  send(to: MemberId, event: ServerEvent): void {
    const reading = readServerEvent(JSON.parse(JSON.stringify(event)));
    if (reading.kind !== "event") {
      throw new Error(`A client would skip ${JSON.stringify(event)}: ${JSON.stringify(reading)}`);
    }
    let box = this.sent.get(to);
    if (!box) this.sent.set(to, box = []);
    box.push(event);
  }

  broadcast(event: ServerEvent, except?: ReadonlySet<MemberId>): void {
    for (const id of this.admitted) if (!except?.has(id)) this.send(id, event);
  }

  admit(id: MemberId): void {
    this.admitted.add(id);
  }

  /** Streams at once: a recording outbox has no flow control. */
  stream(to: MemberId, next: () => ServerEvent[] | null, done: () => void): void {
    for (let page = next(); page !== null; page = next()) {
      for (const event of page) this.send(to, event);
    }
    done();
  }

  close(id: MemberId): void {
    this.admitted.delete(id);
    this.closed.add(id);
  }

  /** Takes what `id` was sent since the last call. */
  take(id: MemberId): ServerEvent[] {
    const events = this.sent.get(id) ?? [];
    this.sent.set(id, []);
    return events;
  }

  /** Takes what `id` was sent, as the plain-text lines a terminal shows. */
  texts(id: MemberId): string[] {
    return this.take(id).map(eventText);
  }
}
