/**
 * The room's outbox over real connections. A broadcast is encoded once per
 * framing and appended to that framing's shared segment; at the next flush
 * every member gets a view of the same bytes, so fanning a line out costs no
 * per-member work until the one write per member per flush. No write is ever
 * awaited here, so one slow member delays no one.
 *
 * Each member has a cursor, kept here and nowhere else: which segment it was
 * last handed and how far into it. A private line to a member (a whisper, an
 * error) first gives the member the part of the segment it has not yet been
 * given, so the line arrives in order with the broadcasts around it.
 */
import type { ServerEvent } from "../protocol/events.ts";
import { encodeEvent } from "../protocol/framing.ts";
import { BroadcastSegment } from "./broadcast_segment.ts";
import type { Connection } from "./connection.ts";
import type { MemberId, Outbox } from "./room.ts";
import type { WritePacer } from "./write_pacer.ts";

/** Where one member is in the broadcast stream. */
interface Cursor {
  readonly connection: Connection;
  readonly json: boolean;
  /** Position in `#cursors`, kept dense for a fast flush loop. */
  index: number;
  /** The flush whose segment `offset` points into, or -1. */
  epoch: number;
  /** How much of that segment this member has already been given. */
  offset: number;
}

/** A segment this big is flushed at once, whatever the pacing. */
const FLUSH_AT_BYTES = 64 * 1024;
/** A stream (history, a resume's replay) waits while this much is queued for its member. */
const STREAM_HIGH_WATER = 64 * 1024;

export class Fanout implements Outbox {
  #connections = new Map<MemberId, Connection>();
  #byId = new Map<MemberId, Cursor>();
  /** Admitted members' cursors, dense. */
  #cursors: Cursor[] = [];
  #jsonMembers = 0;
  #pacer: WritePacer;
  #onClose: (connection: Connection) => void;
  /** Counts flushes; a cursor's `epoch` says which segment its offset is in. */
  #epoch = 0;
  #plain = new BroadcastSegment();
  #json = new BroadcastSegment();
  #flushRequested = false;

  /** `onClose` is how the room's `close(id)` reaches the edge. */
  constructor(pacer: WritePacer, onClose: (connection: Connection) => void) {
    this.#pacer = pacer;
    this.#onClose = onClose;
  }

  add(connection: Connection): void {
    this.#connections.set(connection.id, connection);
  }

  /** The connection for a member or newcomer, if it is still here. */
  connection(id: MemberId): Connection | undefined {
    return this.#connections.get(id);
  }

  /** Forgets a connection that has ended. */
  remove(connection: Connection): void {
    this.#unadmit(connection.id);
    this.#connections.delete(connection.id);
  }

  /** Stops broadcasts to a connection that is being disconnected. */
  unadmit(id: MemberId): void {
    this.#unadmit(id);
  }

  send(to: MemberId, event: ServerEvent): void {
    const connection = this.#connections.get(to);
    if (!connection) return;
    const cursor = this.#byId.get(to);
    if (cursor) this.#catchUp(cursor);
    connection.send(event);
  }

  /**
   * Appends the event to the shared segments. A member in `except` (someone
   * who ignores the sender) is first given everything before the event, then
   * its cursor is moved past it: it never receives those bytes.
   */
  broadcast(event: ServerEvent, except?: ReadonlySet<MemberId>): void {
    const members = this.#cursors.length;
    if (members === 0) return;
    const skipping: Cursor[] = [];
    for (const id of except ?? []) {
      const cursor = this.#byId.get(id);
      if (!cursor) continue;
      this.#catchUp(cursor);
      skipping.push(cursor);
    }
    if (members > this.#jsonMembers) this.#plain.append(encodeEvent(event, "plain"));
    if (this.#jsonMembers > 0) this.#json.append(encodeEvent(event, "json"));
    for (const cursor of skipping) cursor.offset = this.#segment(cursor.json).length;
    // A big burst (a flood, a paste storm) goes out now instead of growing
    // until the paced flush: the members' queues, and the output gate that
    // watches them, see it at once.
    if (this.#plain.length >= FLUSH_AT_BYTES || this.#json.length >= FLUSH_AT_BYTES) {
      this.flushQueued();
      return;
    }
    if (!this.#flushRequested) {
      this.#flushRequested = true;
      this.#pacer.requestFlush(this);
    }
  }

  admit(id: MemberId): void {
    const connection = this.#connections.get(id);
    if (!connection || this.#byId.has(id) || connection.closing) return;
    const json = connection.framing === "json";
    // Only what is broadcast from now on is theirs.
    const cursor: Cursor = {
      connection,
      json,
      index: this.#cursors.length,
      epoch: this.#epoch,
      offset: this.#segment(json).length,
    };
    this.#cursors.push(cursor);
    this.#byId.set(id, cursor);
    if (json) this.#jsonMembers++;
  }

  close(id: MemberId): void {
    const connection = this.#connections.get(id);
    if (!connection) return;
    this.#unadmit(id);
    this.#onClose(connection);
  }

  stream(to: MemberId, next: () => ServerEvent[] | null, done: () => void): void {
    const connection = this.#connections.get(to);
    if (!connection) return;
    const pump = (): void => {
      while (!connection.closing) {
        if (connection.queuedBytes > STREAM_HIGH_WATER) {
          connection.onceBelow(STREAM_HIGH_WATER / 2, pump);
          return;
        }
        const page = next();
        if (page === null) {
          done();
          return;
        }
        for (const event of page) connection.send(event);
      }
    };
    pump();
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
    const cursors = this.#cursors;
    for (let i = 0; i < cursors.length; i++) {
      const cursor = cursors[i];
      let bytes = cursor.json ? wholeJson : wholePlain;
      if (cursor.epoch === epoch) bytes = (cursor.json ? json : plain).view(cursor.offset);
      cursor.epoch = -1;
      if (bytes.length > 0) cursor.connection.enqueueShared(bytes);
      cursor.connection.flushQueued();
    }
    return cursors.length;
  }

  #segment(json: boolean): BroadcastSegment {
    return json ? this.#json : this.#plain;
  }

  /** Gives a member the broadcasts it has not yet been given, before a private line. */
  #catchUp(cursor: Cursor): void {
    const segment = this.#segment(cursor.json);
    const from = cursor.epoch === this.#epoch ? cursor.offset : 0;
    if (segment.length > from) cursor.connection.enqueueShared(segment.view(from));
    cursor.epoch = this.#epoch;
    cursor.offset = segment.length;
  }

  #unadmit(id: MemberId): void {
    const cursor = this.#byId.get(id);
    if (!cursor) return;
    this.#byId.delete(id);
    const last = this.#cursors.pop()!;
    if (last !== cursor) {
      this.#cursors[cursor.index] = last;
      last.index = cursor.index;
    }
    if (cursor.json) this.#jsonMembers--;
  }
}
