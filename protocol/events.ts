/**
 * The events a room sends to its members, shared by the server (which
 * encodes them) and the `chat join` client (which decodes and renders them).
 *
 * Instants travel as epoch milliseconds (UTC) so each viewer can show them in
 * its own time zone; every event that mentions a time carries the instant,
 * never a formatted clock. Conversation events carry a room-wide `seq`, which
 * is what history replay and resume after a drop are keyed on.
 *
 * The event types are listed once, in the two `const` arrays below; the
 * unions are derived from them and from the field maps, so adding an event is
 * one name and one field entry.
 */

/** Event types that are part of the room's conversation and carry a `seq`. */
export const CONVERSATION_EVENT_TYPES = [
  "message",
  "action",
  "scheduled",
  "join",
  "leave",
  "kick",
  "rename",
  "owner",
  "topic",
  "presence",
] as const;

/** Event types addressed to one member. */
export const PRIVATE_EVENT_TYPES = [
  "challenge",
  "welcome",
  "nick_refused",
  "whisper",
  "users",
  "current_topic",
  "notice",
  "error",
  "schedule_ok",
  "schedules",
  "unscheduled",
  "schedule_dropped",
  "gap",
  "kicked",
  "bye",
] as const;

export type ConversationEventType = typeof CONVERSATION_EVENT_TYPES[number];
export type PrivateEventType = typeof PRIVATE_EVENT_TYPES[number];
export type ServerEventType = ConversationEventType | PrivateEventType;

/** A pending scheduled message as `/schedules` lists it. */
export interface ScheduleItem {
  id: number;
  /** When it is due, epoch ms. */
  due: number;
  from: string;
  text: string;
}

/** One member as `/user` describes it. */
export interface MemberInfo {
  nick: string;
  /** The room's owner (or the member standing in while the owner reconnects). */
  owner?: true;
  /** Standing in for an owner who is reconnecting. */
  standIn?: true;
  /** Set by `/away`: the reason, possibly "". */
  away?: string;
  /** The connection dropped; the member may resume. */
  reconnecting?: true;
}

/** The fields of each conversation event besides `type`, `seq` and `at`. */
interface ConversationFields {
  /** A chat message; a pasted block has several lines, separated by "\n". */
  message: { from: string; text: string };
  /** `/me waves`. */
  action: { from: string; text: string };
  scheduled: {
    from: string;
    text: string;
    /** Set when the message went out more than a minute after its time. */
    late?: boolean;
  };
  join: { nick: string };
  leave: { nick: string; reason: string };
  kick: { nick: string; by: string };
  rename: { from: string; to: string };
  /**
   * `nick` now holds the owner's powers. With `standIn`, only while the owner
   * `for` is reconnecting; they come back to `for` on its return.
   */
  owner: { nick: string; standIn?: true; for?: string };
  /** The topic was set (or cleared, with an empty `text`) by `by`. */
  topic: { text: string; by: string };
  /**
   * Under churn, joins and leaves are counted instead of announced one by
   * one: this many joined and left over the last `seconds`.
   */
  presence: { joined: number; left: number; seconds: number };
}

/** The fields of each private event besides `type` and `at`. */
interface PrivateFields {
  welcome: {
    nick: string;
    owner: boolean;
    /** Latest conversation sequence number at the time of joining. */
    seq: number;
    /** Token that lets a structured client resume this session after a drop. */
    resume?: string;
    /** True when the session was resumed rather than newly joined. */
    resumed?: boolean;
    /** The room's limits on what a member sends, so a client can check before sending. */
    limits?: { maxLineBytes: number; maxPasteBytes: number };
    /** On a resume: how many messages mentioned the member while it was away. */
    mentions?: number;
  };
  /** With `wait`, the name was fine but the join must wait that many seconds. */
  nick_refused: { nick: string; reason: string; wait?: number };
  /**
   * After `CHAT/2 json`: sign `nonce` (protocol/identity.ts) to join with a
   * key; `password` says the room asks for its password in the `nick` message.
   */
  challenge: { nonce: string; password?: true };
  whisper: {
    from: string;
    to: string;
    text: string;
    /** "in" for the recipient's copy, "out" for the sender's. */
    direction: "in" | "out";
  };
  /** `nicks` and `owner` for older clients; `members` says more about each. */
  users: { nicks: string[]; owner: string | null; members?: MemberInfo[] };
  /** The topic, on joining and for `/topic`. */
  current_topic: { text: string; by: string; since: number };
  notice: { text: string };
  error: { text: string };
  /** A schedule was accepted. */
  schedule_ok: { id: number; due: number; text: string };
  schedules: { items: ScheduleItem[] };
  /** A schedule was cancelled; `by` is set when someone other than its author did it. */
  unscheduled: { id: number; due: number; text: string; by?: string };
  /** A schedule fell due while the room was down for too long, and was not sent. */
  schedule_dropped: { id: number; due: number; text: string };
  /** A resume skipped this many older events (there were too many); the latest follow. */
  gap: { count: number };
  kicked: { text: string };
  bye: { reason: string };
}

// Each listed type has fields (the unions below index the field maps), and no
// field entry lacks a listed type (these fail to compile if one does).
type NothingUnlisted<Fields, Listed> = Exclude<keyof Fields, Listed> extends never ? true : false;
const _conversationFieldsListed: NothingUnlisted<ConversationFields, ConversationEventType> = true;
const _privateFieldsListed: NothingUnlisted<PrivateFields, PrivateEventType> = true;

/** Events that are part of the room's conversation and carry a sequence number. */
export type ConversationEvent = {
  [Type in ConversationEventType]:
    & { type: Type; seq: number; at: number }
    & ConversationFields[Type];
}[ConversationEventType];

/** Events addressed to one member. */
export type PrivateEvent = {
  [Type in PrivateEventType]: { type: Type; at: number } & PrivateFields[Type];
}[PrivateEventType];

/** A conversation event replayed from history or after a resume. */
export type ReplayedEvent = ConversationEvent & { history: true };

export type ServerEvent = ConversationEvent | PrivateEvent | ReplayedEvent;

/** The event of one type. */
export type EventOf<Type extends ServerEventType> = Extract<ServerEvent, { type: Type }>;

const CONVERSATION: ReadonlySet<string> = new Set(CONVERSATION_EVENT_TYPES);
const KNOWN: ReadonlySet<string> = new Set([...CONVERSATION_EVENT_TYPES, ...PRIVATE_EVENT_TYPES]);

/** Whether an event belongs to the conversation (and so has a `seq`). */
export function isConversationEvent(event: ServerEvent): event is ConversationEvent {
  return CONVERSATION.has(event.type);
}

/** Whether an event is a replay from history. */
export function isReplayed(event: ServerEvent): boolean {
  return "history" in event && event.history === true;
}

/**
 * Reads one event a server sent, or null for anything this client does not
 * know: an unknown type (from a newer server) is skipped, never a crash.
 * Field types are checked by the renderer, which treats every string as
 * untrusted.
 */
export function parseServerEvent(value: unknown): ServerEvent | null {
  if (typeof value !== "object" || value === null) return null;
  const { type, at } = value as { type?: unknown; at?: unknown };
  if (typeof type !== "string" || !KNOWN.has(type) || typeof at !== "number") return null;
  if (CONVERSATION.has(type) && typeof (value as { seq?: unknown }).seq !== "number") return null;
  return value as ServerEvent;
}

/** Messages a structured client sends after the handshake line. */
export type ClientMessage =
  | {
    type: "nick";
    nick: string;
    /** Resume token from an earlier `welcome`. */
    resume?: string;
    /** Last conversation `seq` the client has shown: a resume replays what came after it. */
    lastSeq?: number;
    /** The client's IANA time zone: `/schedule HH:MM` from it means that zone's clock. */
    timeZone?: string;
    /** Proof of the client's key (`CHAT/2` only): base64 raw public key and signature of the challenge. */
    key?: { public: string; signature: string };
    /** The room's password, when its `challenge` asked for it. */
    password?: string;
  }
  | { type: "say"; text: string };

/** The first line a structured client sends; no nickname can look like it. */
export const JSON_HANDSHAKE = "CHAT/1 json";
