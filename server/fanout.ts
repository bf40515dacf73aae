/**
 * The room's outbox over real connections. A broadcast is encoded once per
 * framing and appended to that framing's shared segment; at the next flush
 * every member gets a view of the same bytes, so fanning a line out costs no
 * per-member work until the one write per member per flush. No write is ever
 * awaited here, so one slow member delays no one.
 *
 * A private line to a member (a whisper, an error) first takes the part of
 * the segment that member has not yet been given, so it arrives in order
 * with the broadcasts around it.
 */
import type { ServerEvent } from "../protocol/events.ts";
import { encodeEvent, type Framing } from "../protocol/framing.ts";
import type { MemberId, Outbox } from "./room.ts";
import type { Connection } from "./connection.ts";
import { BroadcastSegment } from "./broadcast_segment.ts";
import { requestFlush } from "./write_pacer.ts";

export class Fanout implements Outbox {
  readonly connections = new Map<MemberId, Connection>();
  /** Admitted connections, kept dense for a fast flush loop. */
  #members: Connection[] = [];
  #jsonMembers = 0;
  #onClose: (connection: Connection) => void;
  #observe: (event: ServerEvent) => void;
  /** Counts flushes; a member's `segmentEpoch` says which segment its offset is in. */
  #epoch = 0;
  #plain = new BroadcastSegment();
  #json = new BroadcastSegment();
  #flushRequested = false;

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
    const members = this.#members.length;
    if (members === 0) return;
    if (members > this.#jsonMembers) this.#plain.append(encodeEvent(event, "plain"));
    if (this.#jsonMembers > 0) this.#json.append(encodeEvent(event, "json"));
    if (!this.#flushRequested) {
      this.#flushRequested = true;
      requestFlush(this);
    }
  }

  admit(id: MemberId): void {
    const connection = this.connections.get(id);
    if (!connection || connection.memberIndex !== -1 || connection.closing) return;
    connection.memberIndex = this.#members.length;
    this.#members.push(connection);
    if (connection.framing === "json") this.#jsonMembers++;
    // Only what is broadcast from now on is theirs.
    connection.segmentEpoch = this.#epoch;
    connection.segmentOffset = this.#segment(connection.framing).length;
    connection.beforePrivate = this.#catchUp;
  }

  close(id: MemberId): void {
    const connection = this.connections.get(id);
    if (!connection) return;
    this.#unadmit(connection);
    this.#onClose(connection);
  }

  /** Called by the write pacer: hands every member its share of the segments and writes. */
  flushQueued(): number {
    this.#flushRequested = false;
    const epoch = this.#epoch++;
    const plain = this.#plain;
    const json = this.#json;
    this.#plain = new BroadcastSegment();
    this.#json = new BroadcastSegment();
    // Most members take the whole segment: one view each, shared by all of them.
    const wholePlain = plain.view(0);
    const wholeJson = json.view(0);
    const members = this.#members;
    for (let i = 0; i < members.length; i++) {
      const connection = members[i];
      const isJson = connection.framing === "json";
      let bytes = isJson ? wholeJson : wholePlain;
      if (connection.segmentEpoch === epoch) {
        bytes = (isJson ? json : plain).view(connection.segmentOffset);
      }
      connection.segmentEpoch = -1;
      if (bytes.length > 0) connection.enqueueShared(bytes);
      connection.flushQueued();
    }
    return members.length;
  }

  #segment(framing: Framing): BroadcastSegment {
    return framing === "json" ? this.#json : this.#plain;
  }

  /** Gives a member the broadcasts it has not yet been given, before a private line. */
  #catchUp = (connection: Connection): void => {
    const segment = this.#segment(connection.framing);
    const from = connection.segmentEpoch === this.#epoch ? connection.segmentOffset : 0;
    if (segment.length > from) connection.enqueueShared(segment.view(from));
    connection.segmentEpoch = this.#epoch;
    connection.segmentOffset = segment.length;
  };

  #unadmit(connection: Connection): void {
    const index = connection.memberIndex;
    if (index === -1) return;
    const last = this.#members.pop()!;
    if (last !== connection) {
      this.#members[index] = last;
      last.memberIndex = index;
    }
    connection.memberIndex = -1;
    connection.beforePrivate = null;
    if (connection.framing === "json") this.#jsonMembers--;
  }
}
