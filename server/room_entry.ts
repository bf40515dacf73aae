/**
 * What reaches the room from its connections, as entries, and the one
 * function that applies an entry to a room. A single server applies each
 * entry the moment its connection asks (room_input.ts); a cluster's nodes
 * write entries to the shared log and every node applies the log, in order,
 * to its own copy of the room (cluster_node.ts). Since the room is a
 * deterministic function of what it is given (the time comes from the
 * entry's place in the log, tokens from its seq), every copy ends up the
 * same.
 *
 * Pure: entries are JSON values, and applying one only calls the room.
 */
import type { JoinOptions } from "./room.ts";
import { handleLine } from "./commands.ts";
import type { MemberId, Room } from "./room.ts";

export type RoomEntry =
  /**
   * A connection asks to join (or resume) as `nick`, with what its edge checked
   * (a proven key's fingerprint among them); only the join rate stays at the edge.
   */
  | { kind: "join"; member: MemberId; nick: string } & Omit<JoinOptions, "admit">
  /** A member typed a line: a message or a command. */
  | { kind: "line"; member: MemberId; text: string }
  /** A member left on purpose or was disconnected by a limit. */
  | { kind: "leave"; member: MemberId; reason: string }
  /** A member's connection went away without a goodbye. */
  | { kind: "drop"; member: MemberId }
  /** Time passed: schedules fire, graces end, churn is counted. */
  | { kind: "tick" }
  /** A node stopped answering: its members' connections are taken as dropped. */
  | { kind: "node_down"; node: number };

/**
 * Member ids of a cluster say which node holds the connection: node n hands
 * out n * NODE_SPAN + 1, + 2, ... (a single server is node 0). Ids stay below
 * 2^53 for nodes below 2^21, so they are exact JSON numbers.
 */
export const NODE_SPAN = 2 ** 32;

/** The node whose connection a member id is. */
export function nodeOf(id: MemberId): number {
  return Math.floor(id / NODE_SPAN);
}

/**
 * Applies one entry to the room. Returns what the room answered: for a
 * join, whether the connection is now a member; for a tick, whether more
 * schedules are due than it sent; true otherwise. An entry this version does
 * not know is ignored. `admit` is a single server's join rate, asked when a
 * fresh join is about to succeed (a cluster checks it before it writes).
 */
export function applyEntry(
  room: Room,
  entry: RoomEntry,
  options: { admit?: JoinOptions["admit"] } = {},
): boolean {
  switch (entry.kind) {
    case "join": {
      const { kind: _kind, member, nick, ...asked } = entry;
      return room.join(member, nick, { ...asked, admit: options.admit });
    }
    case "line":
      handleLine(room, entry.member, entry.text);
      return true;
    case "leave":
      room.leave(entry.member, entry.reason);
      return true;
    case "drop":
      room.drop(entry.member);
      return true;
    case "tick":
      return room.tick();
    case "node_down":
      for (const member of room.members) {
        if (nodeOf(member.id) === entry.node && member.detachedAt === undefined) {
          room.drop(member.id);
        }
      }
      return true;
    default:
      return false;
  }
}
