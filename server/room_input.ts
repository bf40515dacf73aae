/**
 * Where a server's connections send what they ask of the room. On a single
 * server that is the room itself, at once (`LocalInput`); a cluster node
 * writes it to the shared log instead and learns the outcome when it applies
 * the log (cluster_node.ts). Sessions and the TCP edge talk only to this.
 */
import type { ServerEvent } from "../protocol/events.ts";
import { applyEntry } from "./room_entry.ts";
import type { JoinOptions, MemberId, Outbox, Room } from "./room.ts";

export interface RoomInput {
  /**
   * A connection asks to join as `nick`; true once it is a member. A cluster
   * answers later, when the log has decided.
   */
  join(id: MemberId, nick: string, options: JoinOptions): boolean | Promise<boolean>;
  /** A member typed a line (a message or a command). */
  line(id: MemberId, text: string): void;
  /** A member left on purpose, or a limit disconnected it. */
  leave(id: MemberId, reason: string): void;
  /** A connection went away without a goodbye. */
  drop(id: MemberId): void;
  /** The server's timer; true when more is due soon than this tick sent. */
  tick(): boolean;
}

/** A single server: every entry is applied to the room the moment it comes. */
export class LocalInput implements RoomInput {
  #room: Room;

  constructor(room: Room) {
    this.#room = room;
  }

  join(id: MemberId, nick: string, options: JoinOptions): boolean {
    const { admit, ...asked } = options;
    return applyEntry(this.#room, { kind: "join", member: id, nick, ...asked }, { admit });
  }

  line(id: MemberId, text: string): void {
    applyEntry(this.#room, { kind: "line", member: id, text });
  }

  leave(id: MemberId, reason: string): void {
    applyEntry(this.#room, { kind: "leave", member: id, reason });
  }

  drop(id: MemberId): void {
    applyEntry(this.#room, { kind: "drop", member: id });
  }

  tick(): boolean {
    return applyEntry(this.#room, { kind: "tick" });
  }
}

/** What a cluster node may do to the connections its server holds (chat_server.ts). */
export interface NodeEdge {
  /** Whether this server holds the connection. */
  has(id: MemberId): boolean;
  /** A private event to a connection this server holds; ignored for any other. */
  send(id: MemberId, event: ServerEvent): void;
  /**
   * Tells a connection why and closes it, without a leave: the room learns
   * of it as a drop, so a structured client may resume.
   */
  close(id: MemberId, reason: string): void;
  /** The connections this server holds now. */
  ids(): MemberId[];
}

/** How a cluster node plugs into a server (cluster_node.ts); a single server has none. */
export interface RoomReplica {
  /** Connection ids start here, so they are unique across the cluster. */
  readonly firstConnectionId: number;
  /** Wraps the outbox the room writes to. */
  outbox(inner: Outbox): Outbox;
  /** The server's input, once the room and the server exist. */
  input(room: Room, edge: NodeEdge): RoomInput;
}
