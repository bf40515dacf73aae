/**
 * A cluster's snapshot of the room, as one JSON text and back: its members
 * and ownership (`Room.state()`) and everything its memory store holds. A
 * node that starts late loads the newest snapshot and applies only the log
 * after it, so start-up never replays unbounded history (cluster_node.ts).
 *
 * Members refer to each other: whom they ignore, who whispered to them last,
 * whom they have already told they are away. Those references travel as
 * member ids and become objects again on the way back; one that names a
 * member who has left becomes a stand-in object with that id and nickname,
 * which is all the room ever reads of a departed member. Every other field of
 * a member is plain data and travels as it is, so a field added to `Member`
 * later needs nothing here unless it holds members.
 *
 * Pure: no Redis, no sockets. `snapshotRoom(restoreRoom(text))` gives `text`
 * back, which the tests use to compare two nodes' rooms.
 */
import { MemoryStore, type MemoryStoreContents } from "./memory_store.ts";
import type { Member, MemberId, Room, RoomState } from "./room.ts";

/** The format's version; a node refuses a snapshot of another one. */
export const SNAPSHOT_VERSION = 1;

/** A member as JSON: its references to other members are ids. */
type MemberJson = Omit<Member, "told" | "replyTo" | "ignoring"> & {
  told?: MemberId[];
  replyTo?: { id: MemberId; nick: string };
  ignoring?: MemberId[];
};

interface SnapshotJson {
  version: number;
  room: Omit<RoomState, "members"> & { members: MemberJson[] };
  store: MemoryStoreContents;
}

/** A snapshot is not one this node can read. */
export class SnapshotError extends Error {
  override name = "SnapshotError";
}

/** The room and its store as one JSON text. */
export function snapshotRoom(room: Room, store: MemoryStore): string {
  const state = room.state();
  const snapshot: SnapshotJson = {
    version: SNAPSHOT_VERSION,
    room: { ...state, members: state.members.map(memberJson) },
    store: store.contents(),
  };
  return JSON.stringify(snapshot);
}

/** What `Room` needs to start from a snapshot: its state, and a store holding what it held. */
export function restoreRoom(text: string): { state: RoomState; store: MemoryStore } {
  let snapshot: SnapshotJson;
  try {
    snapshot = JSON.parse(text);
  } catch (error) {
    throw new SnapshotError(`The room's snapshot is not JSON: ${(error as Error).message}`);
  }
  if (snapshot?.version !== SNAPSHOT_VERSION) {
    throw new SnapshotError(
      `The room's snapshot has version ${
        JSON.stringify(snapshot?.version)
      }; this chat reads version ${SNAPSHOT_VERSION}.`,
    );
  }
  const { members: json, ...rest } = snapshot.room;
  const present = new Map<MemberId, Member>();
  const members = json.map((member): Member => {
    const { told: _told, replyTo: _replyTo, ignoring: _ignoring, ...plain } = member;
    const restored = plain as Member;
    present.set(restored.id, restored);
    return restored;
  });
  const departed = new Map<MemberId, Member>();
  const resolve = (id: MemberId, nick = ""): Member => {
    const found = present.get(id) ?? departed.get(id);
    if (found) {
      if (found.nick === "") found.nick = nick;
      return found;
    }
    const stub: Member = {
      id,
      nick,
      key: "",
      author: "",
      arrival: 0,
      joinedAt: 0,
      mentions: 0,
      historyBefore: 0,
    };
    departed.set(id, stub);
    return stub;
  };
  json.forEach((member, index) => {
    const restored = members[index];
    if (member.told) restored.told = new Set(member.told.map((id) => resolve(id)));
    if (member.replyTo) restored.replyTo = resolve(member.replyTo.id, member.replyTo.nick);
    if (member.ignoring) restored.ignoring = new Set(member.ignoring.map((id) => resolve(id)));
  });
  return { state: { ...rest, members }, store: MemoryStore.from(snapshot.store) };
}

function memberJson(member: Member): MemberJson {
  const { told, replyTo, ignoring, ...plain } = member;
  return {
    ...plain,
    ...(told ? { told: [...told].map((m) => m.id) } : {}),
    ...(replyTo ? { replyTo: { id: replyTo.id, nick: replyTo.nick } } : {}),
    ...(ignoring ? { ignoring: [...ignoring].map((m) => m.id) } : {}),
  };
}
