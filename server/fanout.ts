/**
 * The room's outbox over real connections. A broadcast is encoded once per
 * framing and the same bytes are queued on every member's connection; no
 * write is ever awaited here, so one slow member delays no one.
 */
import type { ServerEvent } from "../protocol/events.ts";
import { encodeEvent } from "../protocol/framing.ts";
import type { MemberId, Outbox } from "./room.ts";
import type { Connection } from "./connection.ts";

export class Fanout implements Outbox {
  readonly connections = new Map<MemberId, Connection>();
  /** Admitted connections, kept dense for a fast broadcast loop. */
  #members: Connection[] = [];
  #onClose: (connection: Connection) => void;
  #observe: (event: ServerEvent) => void;

  /**
   * `observe` sees every broadcast except chat and scheduled messages (joins, leaves,
   * kicks, renames), which is what the server log records.
   */
  constructor(
    onClose: (connection: Connection) => void,
    observe: (event: ServerEvent) => void = () => {},
  ) {
    this.#onClose = onClose;
    this.#observe = observe;
  }

  get memberCount(): number {
    return this.#members.length;
  }

  add(connection: Connection): void {
    this.connections.set(connection.id, connection);
  }

  /** Forgets a connection that has ended. */
  remove(connection: Connection): void {
    this.#unadmit(connection);
    this.connections.delete(connection.id);
  }

  send(to: MemberId, event: ServerEvent): void {
    this.connections.get(to)?.send(event);
  }

  broadcast(event: ServerEvent): void {
    if (event.type !== "message" && event.type !== "scheduled") this.#observe(event);
    let plain: Uint8Array | undefined;
    let json: Uint8Array | undefined;
    for (const connection of this.#members) {
      if (connection.framing === "json") {
        connection.enqueue(json ??= encodeEvent(event, "json"));
      } else {
        connection.enqueue(plain ??= encodeEvent(event, "plain"));
      }
    }
  }

  admit(id: MemberId): void {
    const connection = this.connections.get(id);
    if (!connection || connection.memberIndex !== -1 || connection.closing) return;
    connection.memberIndex = this.#members.length;
    this.#members.push(connection);
  }

  close(id: MemberId): void {
    const connection = this.connections.get(id);
    if (!connection) return;
    this.#unadmit(connection);
    this.#onClose(connection);
  }

  #unadmit(connection: Connection): void {
    const index = connection.memberIndex;
    if (index === -1) return;
    const last = this.#members.pop()!;
    if (last !== connection) {
      this.#members[index] = last;
      last.memberIndex = index;
    }
    connection.memberIndex = -1;
  }
}
