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
  owner?: boolean;
  /** Standing in for an owner who is reconnecting. */
  standIn?: boolean;
  /** Set by `/away`: the reason, possibly "". */
  away?: string;
  /** The connection dropped; the member may resume. */
  reconnecting?: boolean;
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
  owner: { nick: string; standIn?: boolean; for?: string };
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
  challenge: { nonce: string; password?: boolean };
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

/** Whether an event belongs to the conversation (and so has a `seq`). */
export function isConversationEvent(event: ServerEvent): event is ConversationEvent {
  return CONVERSATION.has(event.type);
}

/** Whether an event is a replay from history. */
export function isReplayed(event: ServerEvent): boolean {
  return "history" in event && event.history === true;
}

/** What a client makes of one JSON value a server sent. */
export type ServerEventReading =
  | { kind: "event"; event: ServerEvent }
  /** A type this client does not know, from a newer server: skip it without a word. */
  | { kind: "unknown"; type: string }
  /** Not an event this client can show; `problem` says why, in words of ours only. */
  | { kind: "malformed"; problem: string };

/**
 * Reads one event a server sent, trusting nothing: every field the event's
 * type has must be there with the right type (a whole number where a seq, a
 * count or an id goes, an instant a `Date` can hold where a time goes), or
 * the event is malformed. An unknown type, from a newer server, and fields
 * this client does not know are what forward compatibility looks like, so
 * neither is a problem. Strings are not made safe here: whoever prints them
 * does that (client/render.ts).
 */
export function readServerEvent(value: unknown): ServerEventReading {
  if (!isRecord(value)) {
    return { kind: "malformed", problem: `${describeJson(value)}, not an object` };
  }
  const type = Object.hasOwn(value, "type") ? value.type : undefined;
  if (typeof type !== "string") {
    return { kind: "malformed", problem: 'an object without a "type" string' };
  }
  const checks = EVENT_CHECKS.get(type);
  if (checks === undefined) return { kind: "unknown", type };
  const problem = fieldProblem(value, checks);
  if (problem !== null) {
    return {
      kind: "malformed",
      problem: `${/^[aeiou]/.test(type) ? "an" : "a"} ${type} event ${problem}`,
    };
  }
  return { kind: "event", event: value as ServerEvent };
}

/** `readServerEvent()` for a client that only needs the events it can show. */
export function parseServerEvent(value: unknown): ServerEvent | null {
  const reading = readServerEvent(value);
  return reading.kind === "event" ? reading.event : null;
}

/** Checks that a value from the wire is a `T`. */
type Check<T> = (value: unknown) => value is T;
/** A field that may be absent; when it is there, its check applies. */
interface Optional<T> {
  optional: Check<T>;
}
type FieldCheck = Check<unknown> | Optional<unknown>;

/** The names of the fields of `Fields` that may be left out. */
type OptionalKeys<Fields> = {
  [Name in keyof Fields]-?: Record<never, never> extends Pick<Fields, Name> ? Name : never;
}[keyof Fields];

/** A check for each field of `Fields` (the compiler sees that none is forgotten). */
type FieldChecks<Fields> = {
  [Name in keyof Fields]-?: Name extends OptionalKeys<Fields>
    ? Optional<Exclude<Fields[Name], undefined>>
    : Check<Fields[Name]>;
};

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isString(value: unknown): value is string {
  return typeof value === "string";
}

function isBoolean(value: unknown): value is boolean {
  return typeof value === "boolean";
}

/** A seq, a count or an id: a whole number from 0, and one a double holds exactly. */
function isWhole(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/** Farthest a `Date` reaches either side of 1970, in ms (ECMA-262 "Time Values"). */
const MAX_INSTANT_MS = 8.64e15;

/** An instant in epoch ms that a clock can show. */
function isInstant(value: unknown): value is number {
  return typeof value === "number" && Math.abs(value) <= MAX_INSTANT_MS;
}

/** A finite number from 0 (seconds to wait). */
function isNonNegative(value: unknown): value is number {
  return typeof value === "number" && Number.isFinite(value) && value >= 0;
}

function oneOf<const T extends string>(...values: T[]): Check<T> {
  return (value): value is T => values.includes(value as T);
}

function nullable<T>(check: Check<T>): Check<T | null> {
  return (value): value is T | null => value === null || check(value);
}

function arrayOf<T>(check: Check<T>): Check<T[]> {
  return (value): value is T[] => Array.isArray(value) && value.every((item) => check(item));
}

function objectOf<T>(checks: FieldChecks<T>): Check<T> {
  const table: Record<string, FieldCheck> = checks;
  return (value): value is T => isRecord(value) && fieldProblem(value, table) === null;
}

function optional<T>(check: Check<T>): Optional<T> {
  return { optional: check };
}

/** What is wrong with `value`'s fields ('without "text"', 'with a malformed "seq"'), or null. */
function fieldProblem(value: Record<string, unknown>, checks: Record<string, FieldCheck>) {
  for (const [name, field] of Object.entries(checks)) {
    const check = typeof field === "function" ? field : field.optional;
    if (!Object.hasOwn(value, name)) {
      if (typeof field === "function") return `without "${name}"`;
      continue;
    }
    if (!check(value[name])) return `with a malformed "${name}"`;
  }
  return null;
}

/** What a JSON value that is not an object is, for a debug note: never its contents. */
function describeJson(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

/** Fields every event has, and those of conversation events. */
const AT = { at: isInstant };
const SEQ = { at: isInstant, seq: isWhole, history: optional(isBoolean) };

const CONVERSATION_CHECKS: {
  [Type in ConversationEventType]: FieldChecks<ConversationFields[Type]>;
} = {
  message: { from: isString, text: isString },
  action: { from: isString, text: isString },
  scheduled: { from: isString, text: isString, late: optional(isBoolean) },
  join: { nick: isString },
  leave: { nick: isString, reason: isString },
  kick: { nick: isString, by: isString },
  rename: { from: isString, to: isString },
  owner: { nick: isString, standIn: optional(isBoolean), for: optional(isString) },
  topic: { text: isString, by: isString },
  presence: { joined: isWhole, left: isWhole, seconds: isWhole },
};

const PRIVATE_CHECKS: { [Type in PrivateEventType]: FieldChecks<PrivateFields[Type]> } = {
  challenge: { nonce: isString, password: optional(isBoolean) },
  welcome: {
    nick: isString,
    owner: isBoolean,
    seq: isWhole,
    resume: optional(isString),
    resumed: optional(isBoolean),
    limits: optional(objectOf({ maxLineBytes: isWhole, maxPasteBytes: isWhole })),
    mentions: optional(isWhole),
  },
  nick_refused: { nick: isString, reason: isString, wait: optional(isNonNegative) },
  whisper: { from: isString, to: isString, text: isString, direction: oneOf("in", "out") },
  users: {
    nicks: arrayOf(isString),
    owner: nullable(isString),
    members: optional(arrayOf(objectOf<MemberInfo>({
      nick: isString,
      owner: optional(isBoolean),
      standIn: optional(isBoolean),
      away: optional(isString),
      reconnecting: optional(isBoolean),
    }))),
  },
  current_topic: { text: isString, by: isString, since: isInstant },
  notice: { text: isString },
  error: { text: isString },
  schedule_ok: { id: isWhole, due: isInstant, text: isString },
  schedules: {
    items: arrayOf(objectOf<ScheduleItem>({
      id: isWhole,
      due: isInstant,
      from: isString,
      text: isString,
    })),
  },
  unscheduled: { id: isWhole, due: isInstant, text: isString, by: optional(isString) },
  schedule_dropped: { id: isWhole, due: isInstant, text: isString },
  gap: { count: isWhole },
  kicked: { text: isString },
  bye: { reason: isString },
};

/**
 * The checks for each known type, with the fields all events share. A Map,
 * so a type named "constructor" or "__proto__" finds nothing.
 */
const EVENT_CHECKS: ReadonlyMap<string, Record<string, FieldCheck>> = new Map<
  string,
  Record<string, FieldCheck>
>([
  ...Object.entries(CONVERSATION_CHECKS).map(([type, checks]) =>
    [type, { ...SEQ, ...checks }] as const
  ),
  ...Object.entries(PRIVATE_CHECKS).map(([type, checks]) => [type, { ...AT, ...checks }] as const),
]);

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
