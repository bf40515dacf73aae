/**
 * The room: members, owner, nicknames and schedules, as a pure core. It
 * knows nothing of sockets, timers or files: connections join and leave
 * through it, it tells an `Outbox` what to deliver, time comes from a
 * `Clock`, and what must outlive a process goes to a `RoomStore`. That keeps
 * every rule of the room testable in microseconds.
 *
 * The room offers verbs (whisper, kick, rename, schedule, ...) and does not
 * know the command grammar: commands.ts parses a typed line and calls them.
 * A verb throws `CommandError` for a user's mistake, and `perform()` turns
 * that into an error line for the member who asked.
 */
import type {
  ConversationEvent,
  MemberInfo,
  PrivateEvent,
  ServerEvent,
} from "../protocol/events.ts";
import { DEFAULT_LIMITS } from "../protocol/limits.ts";
import { lookalikeKeys, lookalikeProblem } from "../protocol/nickname_safety.ts";
import {
  mentionsNick,
  nicknameKey,
  nicknameProblem,
  normalizeNickname,
  sanitizeLines,
  sanitizeText,
} from "../protocol/text.ts";
import { CommandError } from "./command_error.ts";
import { MemoryStore } from "./memory_store.ts";
import {
  PresenceDigest,
  type PresenceDigestOptions,
  type PresenceState,
} from "./presence_digest.ts";
import { type Ban, Bans, banText } from "./bans.ts";
import { NickHolds } from "./nick_holds.ts";
import { addressOf, type ScheduleLimits, ScheduleQueue } from "./schedule_queue.ts";
import type { RoomStore, ScheduleInfo } from "./store.ts";
import { formatClock } from "../protocol/time.ts";
import { shortFingerprint } from "../protocol/identity.ts";

/** Identifies one connection; the edge chooses it. */
export type MemberId = number;

/** Where the room's output goes; the TCP edge implements it. */
export interface Outbox {
  /** Delivers an event to one connection. */
  send(to: MemberId, event: ServerEvent): void;
  /** Delivers an event to every admitted connection but those in `except`. */
  broadcast(event: ServerEvent, except?: ReadonlySet<MemberId>): void;
  /** The connection is now a member and receives broadcasts. */
  admit(id: MemberId): void;
  /** Closes a connection once what is queued for it has been sent. */
  close(id: MemberId): void;
  /**
   * Sends a connection the pages `next()` returns, one at a time as the
   * connection takes them (its own flow control), until `next()` returns
   * null; then runs `done()` in that same turn, so nothing is published
   * between the last page and what `done` does (admitting the member).
   * If the connection goes away first, `done` never runs.
   */
  stream(to: MemberId, next: () => ServerEvent[] | null, done: () => void): void;
}

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface Member {
  id: MemberId;
  nick: string;
  /** The nickname's comparison key (nicknameKey). */
  key: string;
  /** The fingerprint of the key it proved at joining, if it joined with one. */
  identity?: string;
  /**
   * Whose schedules and notes are its own: `key:<fingerprint>` for a keyed
   * member, else `session:<id>`, never the nickname, which someone else may
   * take later.
   */
  author: string;
  /** Order of arrival: the lowest present member inherits ownership. */
  arrival: number;
  /** When it joined (ms), to tell a brief visit from a stay. */
  joinedAt: number;
  /** The member's IANA time zone, when its client said; `/schedule HH:MM` reads it. */
  timeZone?: string;
  /** The address it connected from, for limits per address. */
  address?: string;
  /** Set for structured clients, which may resume after a drop. */
  resumeToken?: string;
  /** When the connection dropped, while the nickname is held for a resume. */
  detachedAt?: number;
  /** Whispers that arrived while detached, replayed on resume. */
  missed?: ServerEvent[];
  /** Set by `/away`: the reason, possibly "". */
  away?: string;
  /** Messages that mentioned the member while it was away or detached. */
  mentions: number;
  /** Senders already told, this time, that the member is away or reconnecting. */
  told?: Set<Member>;
  /** Who whispered to the member last, for `/reply`. */
  replyTo?: Member;
  /** Members whose messages this member does not want to see. */
  ignoring?: Set<Member>;
  /** `/history` pages back from the message before this `seq`. */
  historyBefore: number;
}

export interface RoomOptions {
  clock?: Clock;
  store?: RoomStore;
  /** Chat messages a newcomer is shown; 0 turns history off. */
  historySize?: number;
  /** How long a dropped structured client's nickname is held, in ms. */
  resumeGraceMs?: number;
  /** Makes resume tokens; injectable so tests are deterministic. */
  newToken?: () => string;
  /** What a member may send, told to clients in the welcome. */
  sendLimits?: { maxLineBytes: number; maxPasteBytes: number };
  /** Caps on pending schedules (schedule_queue.ts has the defaults). */
  scheduleLimits?: ScheduleLimits;
  /** How many due schedules, and how many bytes of them, one `tick()` sends at most. */
  firePerTick?: { count: number; bytes: number };
  /** When joins and leaves are summarized instead of announced (presence_digest.ts). */
  presence?: PresenceDigestOptions;
  /** How long a keyed member's nickname stays held for its key after its last use, in ms. */
  nickHoldMs?: number;
  /** The owner's key fingerprint (`--owner-key`); otherwise the one kept, or the first keyed owner's. */
  ownerKey?: string;
  /** Addresses a ban does not name (shared ones: the exempt list). */
  isSharedAddress?: (address: string) => boolean;
  /**
   * A cluster node starts from a snapshot (room_snapshot.ts): the room as it
   * was, with `store` holding what it had stored. It is taken as it is:
   * nothing is settled or ticked at start, which the log decides.
   */
  state?: RoomState;
}

/** The room beyond its store, as a cluster's snapshot keeps it (room_snapshot.ts). */
export interface RoomState {
  /** In the room's own order, which the leaves of one tick follow. */
  members: Member[];
  owner: MemberId | null;
  standIn: MemberId | null;
  arrivals: number;
  overdueAtStart: number[];
  presence: PresenceState;
}

export interface JoinOptions {
  /** Ask for a resume token, as structured clients do. */
  resumable?: boolean;
  /** A token from an earlier welcome, to take that session back. */
  resume?: string;
  /**
   * The last conversation seq the client has shown. A resume replays what
   * came after it; a fresh join shows only history after it. As the client
   * sent it: anything but a whole number from 0 up is refused with an error.
   */
  lastSeq?: unknown;
  /** The client's IANA time zone, already checked by the edge. */
  timeZone?: string;
  /** The address the client connected from. */
  address?: string;
  /** The fingerprint of the key the client proved, if it did (the edge checks the proof). */
  identity?: string;
  /**
   * Asked once a fresh join is about to succeed: null lets it in; otherwise
   * why not, and in how many seconds to try again (the edge's join rate).
   */
  admit?: () => { reason: string; wait: number } | null;
}

/** A schedule that came due more than this late is marked late. */
const LATE_AFTER_MS = 60_000;
/** A schedule more late than this when the room starts is dropped. */
const STALE_AFTER_MS = 60 * 60_000;
/**
 * Due schedules one tick sends at most: a hundred due at once go out over a
 * few ticks, in order, between live lines, and never make the burst that
 * would push a member who reads over its outbox limit.
 */
const DEFAULT_FIRE_PER_TICK = { count: 20, bytes: 32 * 1024 };
/** How long a keyed member's nickname stays held after its last use, by default: 30 days. */
export const DEFAULT_NICK_HOLD_MS = 30 * 86_400_000;
/** How long a kick keeps a member out unless the owner says otherwise: 10 minutes. */
export const DEFAULT_BAN_MS = 10 * 60_000;
/** What an old connection is told when its session is taken over by one that proved its key. */
export const RESUMED_ELSEWHERE = "Session resumed elsewhere.";
/** Told to a member who joins while joins and leaves are being summarized. */
export const CHURN_NOTICE = "Members are coming and going fast, so joins and leaves are " +
  "summarized every 10 s for now. /who shows who is here.";
/** Whispers held for a detached member. */
const MAX_MISSED = 200;
/**
 * Conversation events a resume replays at most (and history messages a
 * join shows at most, whatever --history says). Each is one line, so this
 * also bounds the bytes; they are streamed as the member's connection takes
 * them. Past it the client gets a `gap` event and then the latest ones.
 */
export const MAX_REPLAY_EVENTS = 1000;
/** Events read from the store per page of a replay. */
const REPLAY_PAGE = 100;
/** Messages one `/history` may show. */
export const MAX_HISTORY_PAGE = 100;
/** Members one member may ignore. */
const MAX_IGNORED = 100;
/** Longest topic, in characters. */
export const MAX_TOPIC_CHARS = 300;

interface Topic {
  text: string;
  by: string;
  at: number;
}

export class Room {
  readonly clock: Clock;
  readonly store: RoomStore;
  readonly historySize: number;
  readonly resumeGraceMs: number;
  #outbox: Outbox;
  #newToken: () => string;
  #limits: { maxLineBytes: number; maxPasteBytes: number };
  #members = new Map<MemberId, Member>();
  #byKey = new Map<string, Member>();
  /** Every look-alike key (nickname_safety.ts) of every member's name. */
  #byLookalike = new Map<string, Member>();
  /** Who holds ownership: the longest-present member, even while reconnecting. */
  #owner: Member | null = null;
  /** Who has the owner's powers while the owner reconnects. */
  #standIn: Member | null = null;
  /** For each member, who ignores it: the members its messages skip. */
  #ignoredBy = new Map<Member, Set<Member>>();
  /** Members who are away or reconnecting, whose missed mentions are counted. */
  #absent = new Set<Member>();
  #arrivals = 0;
  #seq: number;
  #schedules: ScheduleQueue;
  #nextScheduleId: number;
  #firePerTick: { count: number; bytes: number };
  /** Schedules that fell due while the room was down: sent late, however little late. */
  #overdueAtStart = new Set<number>();
  #topic: Topic | null;
  /** Counts joins and leaves instead of announcing each, under churn. */
  #presence: PresenceDigest;
  #holds: NickHolds;
  #bans: Bans;
  /** The key whose holder owns the room, once a keyed member has owned it (or --owner-key). */
  #ownerKey: string | null;
  #isSharedAddress: (address: string) => boolean;

  constructor(outbox: Outbox, options: RoomOptions = {}) {
    this.#outbox = outbox;
    this.clock = options.clock ?? systemClock;
    this.store = options.store ?? new MemoryStore();
    this.historySize = options.historySize ?? 50;
    this.#presence = new PresenceDigest(options.presence, options.state?.presence);
    this.#holds = new NickHolds(this.store, options.nickHoldMs ?? DEFAULT_NICK_HOLD_MS);
    this.#bans = new Bans(this.store);
    this.#isSharedAddress = options.isSharedAddress ?? (() => false);
    // A copy of a cluster's room restored from a snapshot already holds what
    // the flag did when the room began, and perhaps an /owner since.
    if (options.ownerKey && !options.state) this.store.saveSetting("owner_key", options.ownerKey);
    this.#ownerKey = options.state
      ? this.store.loadSetting("owner_key")
      : options.ownerKey ?? this.store.loadSetting("owner_key");
    this.resumeGraceMs = options.resumeGraceMs ?? 60_000;
    this.#newToken = options.newToken ?? (() => crypto.randomUUID());
    this.#limits = options.sendLimits ?? {
      maxLineBytes: DEFAULT_LIMITS.maxLineBytes,
      maxPasteBytes: DEFAULT_LIMITS.maxPasteBytes,
    };
    this.#seq = this.store.lastSeq();
    this.#schedules = new ScheduleQueue(options.scheduleLimits);
    for (const info of this.store.loadSchedules()) this.#schedules.add(info);
    this.#nextScheduleId = this.store.lastScheduleId() + 1;
    this.#firePerTick = options.firePerTick ?? DEFAULT_FIRE_PER_TICK;
    this.#topic = parseTopic(this.store.loadSetting("topic"));
    if (options.state) {
      this.#restore(options.state);
    } else {
      this.#settleOverdueSchedules();
      this.tick();
    }
  }

  // ---- queries ----

  /** Who has the owner's powers now: the owner, or its stand-in while it reconnects. */
  get owner(): Member | null {
    return this.#owner?.detachedAt === undefined ? this.#owner : this.#standIn;
  }

  /** The key whose holder owns the room, or null while no keyed member has owned it. */
  get ownerKey(): string | null {
    return this.#ownerKey;
  }

  /** How long a keyed member's name stays held after its last use, in ms. */
  get nickHoldMs(): number {
    return this.#holds.holdMs;
  }

  /** Members in order of arrival. */
  get members(): Member[] {
    return [...this.#members.values()].sort((a, b) => a.arrival - b.arrival);
  }

  get size(): number {
    return this.#members.size;
  }

  member(id: MemberId): Member | undefined {
    return this.#members.get(id);
  }

  findByNick(nick: string): Member | undefined {
    return this.#byKey.get(nicknameKey(nick));
  }

  /** Pending schedules, earliest first (without their text). */
  get pendingSchedules(): readonly ScheduleInfo[] {
    return this.#schedules.all();
  }

  get lastSeq(): number {
    return this.#seq;
  }

  /** The room beyond its store, for a snapshot: live objects, to be copied at once. */
  state(): RoomState {
    return {
      members: [...this.#members.values()],
      owner: this.#owner?.id ?? null,
      standIn: this.#standIn?.id ?? null,
      arrivals: this.#arrivals,
      overdueAtStart: [...this.#overdueAtStart],
      presence: this.#presence.state,
    };
  }

  /**
   * The earliest time at which `tick()` has something to do (a schedule, the
   * end of a grace, a churn count), or null: a cluster ticks only then.
   */
  nextTickAt(): number | null {
    let next = this.#schedules.nextDue();
    const consider = (at: number | null) => {
      if (at !== null && (next === null || at < next)) next = at;
    };
    consider(this.#presence.dueAt);
    for (const member of this.#members.values()) {
      if (member.detachedAt !== undefined) consider(member.detachedAt + this.resumeGraceMs);
    }
    return next;
  }

  // ---- what connections do ----

  /**
   * A connection asks to join as `nick`. Returns false (and tells the
   * connection why) when the name is invalid or taken; it may try again.
   */
  join(id: MemberId, requested: string, options: JoinOptions = {}): boolean {
    const now = this.clock.now();
    const nick = normalizeNickname(requested);
    // Past the room's seq is a client of an earlier room (a --memory restart):
    // it has seen nothing here. Anything but a whole number is a client's bug,
    // said so, and never read as "replay everything".
    const given = options.lastSeq;
    const wellFormed = typeof given === "number" && Number.isSafeInteger(given) && given >= 0;
    const malformedLastSeq = given !== undefined && !wellFormed;
    const lastSeq = wellFormed && given <= this.#seq ? given : undefined;
    const sayMalformed = () => {
      if (!malformedLastSeq) return;
      this.#outbox.send(id, {
        type: "error",
        at: now,
        text: `lastSeq must be a whole number from 0 to ${this.#seq}; ` +
          `${(JSON.stringify(given) ?? String(given)).slice(0, 40)} was ignored.`,
      });
    };
    const ban = this.#bans.match(
      { identity: options.identity, address: options.address, nick },
      now,
    );
    if (ban) {
      this.#outbox.send(id, { type: "bye", at: now, reason: banText(ban, now) });
      this.#outbox.close(id);
      return false;
    }
    if (options.resume) {
      const held = this.#byKey.get(nicknameKey(nick));
      if (held && held.resumeToken === options.resume) {
        const refusal = this.#resumeRefusal(held, options.identity);
        if (refusal) {
          this.#outbox.send(id, { type: "nick_refused", at: now, nick, reason: refusal });
          return false;
        }
        this.#resume(held, id, lastSeq ?? this.#seq, options.timeZone);
        sayMalformed();
        return true;
      }
    }
    const problem = this.#nickProblem(nick, null, options.identity);
    if (problem) {
      this.#outbox.send(id, { type: "nick_refused", at: now, nick, reason: problem });
      return false;
    }
    // Asked only now: a taken name or a resume is not a join, and costs nothing.
    const held = options.admit?.();
    if (held) {
      this.#outbox.send(id, { type: "nick_refused", at: now, nick, ...held });
      return false;
    }
    const member: Member = {
      id,
      nick,
      key: nicknameKey(nick),
      ...(options.identity === undefined ? {} : { identity: options.identity }),
      author: options.identity === undefined
        ? `session:${this.#newToken()}`
        : `key:${options.identity}`,
      arrival: ++this.#arrivals,
      joinedAt: now,
      timeZone: options.timeZone,
      address: options.address,
      resumeToken: options.resumable ? this.#newToken() : undefined,
      mentions: 0,
      historyBefore: this.#seq + 1,
    };
    this.#members.set(id, member);
    this.#index(member);
    if (member.identity) this.#holds.use(nick, member.identity, now);
    this.#owner ??= member;
    // The owner's key is back: it takes the room over from whoever held it meanwhile.
    const ownerReturns = member.identity !== undefined && member.identity === this.#ownerKey &&
      this.#owner !== member;
    if (ownerReturns) {
      this.#owner = member;
      this.#standIn = null;
    }
    this.#outbox.send(id, {
      type: "welcome",
      at: now,
      nick,
      owner: this.owner === member,
      seq: this.#seq,
      resume: member.resumeToken,
      limits: this.#limits,
    });
    sayMalformed();
    // A client that rejoins (after a restart, say) is shown only what it has not seen.
    const history = this.store.recentMessages(Math.min(this.historySize, MAX_REPLAY_EVENTS))
      .filter((event) => lastSeq === undefined || event.seq > lastSeq);
    if (history.length > 0) member.historyBefore = history[0].seq;
    const joinedAt = this.#seq;
    const announced = this.#presence.join();
    if (announced) this.#publish({ type: "join", seq: 0, at: now, nick });
    if (ownerReturns) this.#publish({ type: "owner", seq: 0, at: now, nick });
    this.#claimOwnerKey();
    // An owner who is reconnecting with nobody standing in gets a stand-in now.
    if (this.owner === null) this.#appointStandIn();
    if (this.#topic && this.#topic.text !== "") {
      const { text, by, at } = this.#topic;
      this.#outbox.send(id, { type: "current_topic", at: now, text, by, since: at });
    }
    // Notes wait for a key; a session without one starts afresh and has none.
    for (const note of member.identity ? this.store.takeNotes(member.author) : []) {
      this.#outbox.send(id, { ...note, at: now });
    }
    // History, then what happened since (its own join among it), then it is a member.
    this.#streamTo(member, history, joinedAt, false, () => {
      // Where its own join line would have been: why there is none.
      if (!announced) this.notice(member, CHURN_NOTICE);
      this.#outbox.admit(id);
    });
    return true;
  }

  /**
   * A member's chat message to everyone; control characters are removed
   * first. A structured client's pasted block keeps its line breaks.
   */
  say(id: MemberId, line: string): void {
    const member = this.#active(id);
    if (!member) return;
    const text = line.includes("\n") ? sanitizeLines(line) : sanitizeText(line).trim();
    if (text === "") return;
    this.#countMentions(text, member);
    this.#publish(
      { type: "message", seq: 0, at: this.clock.now(), from: member.nick, text },
      this.#ignorers(member),
    );
  }

  /** A member left on purpose (or was disconnected by a limit); announced at once. */
  leave(id: MemberId, reason: string): void {
    const member = this.#members.get(id);
    if (!member) return;
    this.#remove(member);
    const now = this.clock.now();
    // The hold runs from the name's last use, and it was in use until now.
    if (member.identity) this.#holds.use(member.nick, member.identity, now);
    if (this.#presence.leave(member.joinedAt, now)) {
      this.#publish({ type: "leave", seq: 0, at: now, nick: member.nick, reason });
    }
    this.#settleOwnership(member);
  }

  /**
   * A connection went away without saying goodbye. A structured client's
   * nickname is held for the grace period so it can resume unnoticed; an
   * owner's powers pass to a stand-in at once, so someone can always kick.
   */
  drop(id: MemberId): void {
    const member = this.#members.get(id);
    if (!member) return;
    if (member.resumeToken && this.resumeGraceMs > 0) {
      member.detachedAt = this.clock.now();
      member.told = undefined;
      this.#absent.add(member);
      if (member === this.#owner || member === this.#standIn) this.#appointStandIn();
    } else {
      this.leave(id, "disconnected");
    }
  }

  /**
   * Sends due schedules, a bounded number at a time, and releases nicknames
   * whose grace ran out. Returns true when more schedules are due than this
   * tick sent: the caller should tick again soon.
   */
  tick(): boolean {
    const now = this.clock.now();
    let count = 0;
    let bytes = 0;
    let more = false;
    while (true) {
      if (count >= this.#firePerTick.count || bytes >= this.#firePerTick.bytes) {
        more = this.#schedules.hasDue(now);
        break;
      }
      const info = this.#schedules.takeDue(now);
      if (!info) break;
      count++;
      bytes += info.bytes;
      const late = this.#overdueAtStart.delete(info.id) || now - info.due > LATE_AFTER_MS;
      this.#fire(info, late);
    }
    for (const member of this.#members.values()) {
      if (member.detachedAt !== undefined && now - member.detachedAt >= this.resumeGraceMs) {
        this.leave(member.id, "connection lost");
      }
    }
    const churn = this.#presence.due(now);
    if (churn) this.#publish({ type: "presence", seq: 0, at: now, ...churn });
    return more;
  }

  // ---- verbs, for commands ----

  /**
   * Runs `action` for the member on connection `id` (if it is an attached
   * member); a `CommandError` it throws becomes an error line for that member.
   */
  perform(id: MemberId, action: (member: Member) => void): void {
    const member = this.#active(id);
    if (!member) return;
    try {
      action(member);
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      this.tell(member, { type: "error", at: this.clock.now(), text: error.message });
    }
  }

  /** Sends a private event to a member; whispers wait for a detached one. */
  tell(member: Member, event: ServerEvent): void {
    if (member.detachedAt !== undefined) {
      if (event.type === "whisper" && (member.missed?.length ?? 0) < MAX_MISSED) {
        (member.missed ??= []).push(event);
      }
      return;
    }
    this.#outbox.send(member.id, event);
  }

  notice(member: Member, text: string): void {
    this.tell(member, { type: "notice", at: this.clock.now(), text });
  }

  /** A notice for whoever holds the owner's powers now (about the room itself). */
  tellOwner(text: string): void {
    const owner = this.owner;
    if (owner) this.notice(owner, text);
  }

  /** Looks up a member by nickname or fails with the fixed text. */
  requireMember(nick: string): Member {
    const found = this.findByNick(nick);
    if (!found) throw new CommandError(`User '${nick}' not found.`);
    return found;
  }

  /** `/me waves`: an action line for everyone. */
  act(member: Member, text: string): void {
    this.#countMentions(text, member);
    this.#publish(
      { type: "action", seq: 0, at: this.clock.now(), from: member.nick, text },
      this.#ignorers(member),
    );
  }

  whisper(from: Member, nick: string, text: string): void {
    const target = this.requireMember(nick);
    if (target === from) throw new CommandError("You cannot whisper to yourself.");
    const at = this.clock.now();
    const event = { type: "whisper", at, from: from.nick, to: target.nick, text } as const;
    // Someone who ignores the sender does not get it; the sender is not told.
    if (!target.ignoring?.has(from)) {
      this.tell(target, { ...event, direction: "in" });
      target.replyTo = from;
      // A whisper to someone away is as good as a mention.
      if (this.#absent.has(target)) target.mentions++;
    }
    this.tell(from, { ...event, direction: "out" });
    if (target.told?.has(from)) return;
    if (target.detachedAt !== undefined) {
      (target.told ??= new Set()).add(from);
      this.notice(from, `${target.nick} is reconnecting and will get your whisper on return.`);
    } else if (target.away !== undefined) {
      (target.told ??= new Set()).add(from);
      this.notice(from, `${target.nick} is away${target.away ? `: ${target.away}` : "."}`);
    }
  }

  /** Whispers to whoever whispered to this member last. */
  reply(member: Member, text: string): void {
    const to = member.replyTo;
    if (!to) throw new CommandError("Nobody has whispered to you yet.");
    if (this.#members.get(to.id) !== to) {
      throw new CommandError(`${to.nick} has left; there is nobody to reply to.`);
    }
    this.whisper(member, to.nick, text);
  }

  /**
   * The owner removes a member and keeps it out for `banMs` (its key, its
   * address unless shared, its nickname); refused for anyone else, and for
   * oneself. A `banMs` of 0 only removes.
   */
  kick(by: Member, nick: string, banMs = DEFAULT_BAN_MS): void {
    const target = this.requireMember(nick);
    if (target === by) throw new CommandError("You cannot kick yourself.");
    const now = this.clock.now();
    if (banMs > 0) this.#banMember(target, by, now + banMs, now);
    this.tell(target, { type: "kicked", at: now, text: "You have been kicked from the chat." });
    this.#remove(target);
    this.#outbox.close(target.id);
    this.#publish({ type: "kick", seq: 0, at: now, nick: target.nick, by: by.nick });
    this.#settleOwnership(target);
  }

  rename(member: Member, requested: string): void {
    const nick = normalizeNickname(requested);
    const problem = this.#nickProblem(nick, member, member.identity);
    if (problem) throw new CommandError(problem);
    const old = member.nick;
    if (old === nick) throw new CommandError(`Your nickname is already "${nick}".`);
    this.#unindex(member);
    member.nick = nick;
    member.key = nicknameKey(nick);
    this.#index(member);
    if (member.identity) this.#holds.use(nick, member.identity, this.clock.now());
    // Schedules stay the author's; only the name they go out under changes.
    if (this.#schedules.byAuthor(member.author).length > 0) {
      for (const info of this.#schedules.byAuthor(member.author)) info.author = nick;
      this.store.renameScheduleAuthor(member.author, nick, member.author);
    }
    this.#publish({ type: "rename", seq: 0, at: this.clock.now(), from: old, to: nick });
  }

  /** Leaves by the member's own choice (`/quit`). */
  quit(member: Member): void {
    this.notice(member, "Goodbye!");
    this.#outbox.close(member.id);
    this.leave(member.id, "quit");
  }

  /** Tells the member who is here, in order of arrival, and what each is up to. */
  listMembers(member: Member): void {
    const owner = this.owner;
    const members = this.members.map((m): MemberInfo => ({
      nick: m.nick,
      ...(m === owner ? { owner: true } : {}),
      ...(m === owner && m === this.#standIn ? { standIn: true } : {}),
      ...(m.away !== undefined ? { away: m.away } : {}),
      ...(m.detachedAt !== undefined ? { reconnecting: true } : {}),
    }));
    this.tell(member, {
      type: "users",
      at: this.clock.now(),
      nicks: members.map((m) => m.nick),
      owner: owner?.nick ?? null,
      members,
    });
    if (member.away !== undefined && member.mentions > 0) {
      this.notice(member, `You have been mentioned ${times(member.mentions)} while away.`);
    }
  }

  /** `/away [reason]`: marked away in `/user`; whisperers are told once. */
  setAway(member: Member, reason: string): void {
    const firstTime = member.away === undefined;
    member.away = reason;
    member.told = undefined;
    this.#absent.add(member);
    if (firstTime) member.mentions = 0;
    this.notice(
      member,
      `You are marked as away${reason ? `: ${reason}` : "."} /back when you return.`,
    );
  }

  /** `/back`: no longer away; says how many mentions were missed. */
  setBack(member: Member): void {
    if (member.away === undefined) throw new CommandError("You are not marked as away.");
    member.away = undefined;
    member.told = undefined;
    this.#absent.delete(member);
    const missed = member.mentions;
    member.mentions = 0;
    this.notice(
      member,
      `Welcome back.${missed > 0 ? ` You were mentioned ${times(missed)} while away.` : ""}`,
    );
  }

  /** Stops showing `nick`'s messages and whispers to this member, whatever it renames itself to. */
  ignore(member: Member, nick: string): void {
    const target = this.requireMember(nick);
    if (target === member) throw new CommandError("You cannot ignore yourself.");
    const ignoring = member.ignoring ??= new Set();
    if (ignoring.has(target)) throw new CommandError(`You already ignore ${target.nick}.`);
    if (ignoring.size >= MAX_IGNORED) {
      throw new CommandError(`You already ignore ${MAX_IGNORED} members; /unignore one first.`);
    }
    ignoring.add(target);
    let ignorers = this.#ignoredBy.get(target);
    if (!ignorers) this.#ignoredBy.set(target, ignorers = new Set());
    ignorers.add(member);
    this.notice(
      member,
      `You no longer see messages from ${target.nick}. /unignore ${target.nick} to undo.`,
    );
  }

  unignore(member: Member, nick: string): void {
    const target = [...member.ignoring ?? []].find((m) => m.key === nicknameKey(nick));
    if (!target) throw new CommandError(`You are not ignoring '${nick}'.`);
    this.#stopIgnoring(member, target);
    this.notice(member, `You see messages from ${target.nick} again.`);
  }

  listIgnored(member: Member): void {
    const nicks = [...member.ignoring ?? []].map((m) => m.nick);
    this.notice(
      member,
      nicks.length === 0 ? "You are not ignoring anyone." : `You are ignoring: ${nicks.join(", ")}`,
    );
  }

  /** Shows the topic; with `text`, the owner sets it (an empty text is not possible: `clear`). */
  topic(member: Member, text: string | null): void {
    const now = this.clock.now();
    if (text === null) {
      if (!this.#topic || this.#topic.text === "") {
        this.notice(member, "No topic is set.");
      } else {
        const { text, by, at } = this.#topic;
        this.tell(member, { type: "current_topic", at: now, text, by, since: at });
      }
      return;
    }
    if (this.owner !== member) throw new CommandError("Only the room owner can set the topic.");
    const clean = sanitizeText(text).trim();
    if ([...clean].length > MAX_TOPIC_CHARS) {
      throw new CommandError(`A topic may be at most ${MAX_TOPIC_CHARS} characters.`);
    }
    this.#topic = { text: clean, by: member.nick, at: now };
    this.store.saveSetting("topic", JSON.stringify(this.#topic));
    this.#publish({ type: "topic", seq: 0, at: now, text: clean, by: member.nick });
  }

  /** Up to `count` messages from before the earliest this member was shown; each call pages back. */
  history(member: Member, count: number): void {
    const page = this.store.messagesBefore(member.historyBefore, Math.min(count, MAX_HISTORY_PAGE));
    if (page.length === 0) {
      this.notice(member, "No earlier messages.");
      return;
    }
    member.historyBefore = page[0].seq;
    for (const event of page) this.tell(member, { ...event, history: true });
  }

  /** Queues a message for everyone at `due`, and confirms it to its author. */
  schedule(member: Member, due: number, text: string): ScheduleInfo {
    const bytes = encoder.encode(text).length;
    const address = addressOf({ address: member.address, authorKey: member.author });
    const refusal = this.#schedules.refusal(address, due, bytes);
    if (refusal) throw new CommandError(scheduleRefusalText(refusal, due));
    const info: ScheduleInfo = {
      id: this.#nextScheduleId++,
      due,
      author: member.nick,
      authorKey: member.author,
      bytes,
      ...(member.address === undefined ? {} : { address: member.address }),
    };
    this.store.saveSchedule({ ...info, text });
    this.#schedules.add(info);
    this.tell(member, { type: "schedule_ok", at: this.clock.now(), id: info.id, due, text });
    return info;
  }

  /** Tells the member its pending schedules; the owner sees everyone's. */
  listSchedules(member: Member): void {
    const everyone = this.owner === member;
    const items = this.#schedules.all()
      .filter((s) => everyone || s.authorKey === member.author)
      .map(({ id, due, author }) => ({
        id,
        due,
        from: author,
        text: this.store.scheduleText(id) ?? "",
      }));
    this.tell(member, { type: "schedules", at: this.clock.now(), items });
  }

  /** Cancels a pending schedule: the author's own, or any for the owner, who tells the author. */
  unschedule(member: Member, id: number): void {
    const schedule = this.#schedules.get(id);
    if (!schedule) throw new CommandError(`No pending scheduled message #${id}.`);
    if (schedule.authorKey !== member.author && this.owner !== member) {
      throw new CommandError(`Scheduled message #${id} is not yours to cancel.`);
    }
    const text = this.store.scheduleText(id) ?? "";
    this.#schedules.remove(id);
    this.store.deleteSchedule(id);
    const now = this.clock.now();
    const { due } = schedule;
    this.tell(member, { type: "unscheduled", at: now, id, due, text });
    if (schedule.authorKey === member.author) return;
    const told: PrivateEvent = { type: "unscheduled", at: now, id, due, text, by: member.nick };
    this.#tellAuthor(schedule.authorKey, told);
  }

  /** `/whois`: a member's key (short fingerprint) and how long its name has been held. */
  whois(asker: Member, nick: string): void {
    const now = this.clock.now();
    const target = this.#byKey.get(nicknameKey(normalizeNickname(nick)));
    const hold = this.#holds.holderOf(nick, now);
    if (!target && !hold) throw new CommandError(`User '${nick}' not found.`);
    const name = target?.nick ?? hold!.nick;
    const identity = target ? target.identity : hold!.identity;
    if (identity === undefined) {
      this.notice(asker, `${name} has no key; the name is not held.`);
      return;
    }
    const since = hold?.identity === identity ? hold.since : now;
    const owner = identity === this.#ownerKey ? " It is the room owner's key." : "";
    this.notice(
      asker,
      `${name} has key ${shortFingerprint(identity)}; the name has been held for ` +
        `${describeSpan(now - since)}${target ? "" : " (not in the room now)"}.${owner}`,
    );
  }

  /** `/owner`: the owner hands the room, and its owner's key, to another keyed member. */
  giveOwnership(by: Member, nick: string): void {
    if (this.#ownerKey !== null && by.identity !== this.#ownerKey) {
      throw new CommandError("Only the member with the room owner's key can hand the room on.");
    }
    const target = this.requireMember(nick);
    if (target === by) throw new CommandError("You are already the room owner.");
    if (target.identity === undefined) {
      throw new CommandError(
        `${target.nick} has no key; the room can only go to a member who joined with chat join.`,
      );
    }
    this.#ownerKey = target.identity;
    this.store.saveSetting("owner_key", target.identity);
    this.#owner = target;
    this.#standIn = null;
    this.#publish({ type: "owner", seq: 0, at: this.clock.now(), nick: target.nick });
    this.#appointStandIn();
  }

  /**
   * `/ban`: keeps `nick` out for `banMs`. A member in the room is also
   * removed, as by `/kick`; a name not in the room is banned as a name, with
   * the key that holds it if one does.
   */
  ban(by: Member, nick: string, banMs: number): void {
    const now = this.clock.now();
    const target = this.#byKey.get(nicknameKey(normalizeNickname(nick)));
    if (target) {
      this.kick(by, target.nick, banMs);
      return;
    }
    const name = normalizeNickname(nick);
    const base = { nick: name, by: by.nick, until: now + banMs };
    const hold = this.#holds.holderOf(name, now);
    if (hold) this.#bans.add({ ...base, kind: "key", value: hold.identity }, now);
    this.#bans.add({ ...base, kind: "nick", value: nicknameKey(name) }, now);
    this.notice(by, `${name} is banned for ${describeSpan(banMs)}.`);
  }

  /** `/unban`: lifts the bans on a nickname, an address or a key fingerprint. */
  unban(by: Member, target: string): void {
    const lifted = this.#bans.remove(target.trim());
    if (lifted.length === 0) throw new CommandError(`No ban on "${target}".`);
    this.notice(
      by,
      `Lifted ${lifted.length === 1 ? "1 ban" : `${lifted.length} bans`} on ${target}.`,
    );
  }

  /** `/bans`: what is banned, for how long more, and by whom. */
  listBans(member: Member): void {
    const now = this.clock.now();
    const bans = this.#bans.list(now);
    if (bans.length === 0) {
      this.notice(member, "No bans.");
      return;
    }
    this.notice(member, `Bans (${bans.length}):`);
    for (const ban of bans) this.notice(member, describeBan(ban, now));
  }

  /** Whether `address` is banned now: the edge refuses it before it says anything. */
  bannedAddress(address: string): string | null {
    const now = this.clock.now();
    const ban = this.#bans.match({ address }, now);
    return ban ? banText(ban, now) : null;
  }

  // ---- internals ----

  /** Takes a snapshot's members and ownership; what follows from them is rebuilt. */
  #restore(state: RoomState): void {
    for (const member of state.members) {
      this.#members.set(member.id, member);
      this.#index(member);
      if (member.away !== undefined || member.detachedAt !== undefined) this.#absent.add(member);
    }
    for (const member of state.members) {
      for (const ignored of member.ignoring ?? []) {
        let ignorers = this.#ignoredBy.get(ignored);
        if (!ignorers) this.#ignoredBy.set(ignored, ignorers = new Set());
        ignorers.add(member);
      }
    }
    this.#owner = state.owner === null ? null : this.#members.get(state.owner) ?? null;
    this.#standIn = state.standIn === null ? null : this.#members.get(state.standIn) ?? null;
    this.#arrivals = state.arrivals;
    for (const id of state.overdueAtStart) this.#overdueAtStart.add(id);
  }

  /** The member on connection `id`, if it is attached (not held for a resume). */
  #active(id: MemberId): Member | undefined {
    const member = this.#members.get(id);
    return member && member.detachedAt === undefined ? member : undefined;
  }

  #nickProblem(nick: string, renaming: Member | null, identity?: string): string | null {
    const problem = nicknameProblem(nick) ?? lookalikeProblem(nick);
    if (problem) return problem;
    const holder = this.#byKey.get(nicknameKey(nick));
    if (holder && holder !== renaming) return `Nickname "${nick}" is already taken.`;
    for (const key of lookalikeKeys(nick)) {
      const twin = this.#byLookalike.get(key);
      if (twin && twin !== renaming) {
        return `Nickname "${nick}" looks too much like "${twin.nick}", who is in the room.`;
      }
    }
    const held = this.#holds.heldLookalike(nick, identity, this.clock.now());
    if (held) {
      const how = nicknameKey(held.nick) === nicknameKey(nick)
        ? `Nickname "${nick}" is held`
        : `Nickname "${nick}" looks too much like "${held.nick}", which is held`;
      return `${how} for another member's key (chat join proves one; nc and older clients ` +
        "cannot).";
    }
    return null;
  }

  /**
   * Why `held`'s session may not be taken over by someone with its token
   * (and `identity`), or null when it may: a keyed session needs its key,
   * and a session still live needs a key to be taken from.
   */
  #resumeRefusal(held: Member, identity: string | undefined): string | null {
    if (held.identity !== undefined && identity !== held.identity) {
      return `Nickname "${held.nick}" is already taken.`;
    }
    if (held.detachedAt === undefined && held.identity === undefined) {
      return `Nickname "${held.nick}" is in use by a live session; only a session with a key ` +
        "can take it over.";
    }
    return null;
  }

  /** Tells a schedule's author, now if present, else on its next join (keyed authors only). */
  #tellAuthor(author: string, event: PrivateEvent): void {
    const present = [...this.#members.values()].find((member) => member.author === author);
    if (present) this.tell(present, event);
    else if (author.startsWith("key:")) this.store.addNote(author, event);
  }

  /**
   * The first keyed member to own the room makes its key the owner's: from
   * then on, whoever proves that key owns the room, across restarts.
   */
  #claimOwnerKey(): void {
    const owner = this.#owner;
    if (this.#ownerKey !== null || owner?.identity === undefined) return;
    this.#ownerKey = owner.identity;
    this.store.saveSetting("owner_key", owner.identity);
  }

  /** Bans a member's key, address (unless shared) and nickname until `until`. */
  #banMember(target: Member, by: Member, until: number, now: number): void {
    const base = { nick: target.nick, by: by.nick, until };
    if (target.identity) this.#bans.add({ ...base, kind: "key", value: target.identity }, now);
    if (target.address !== undefined && !this.#isSharedAddress(target.address)) {
      this.#bans.add({ ...base, kind: "address", value: target.address }, now);
    }
    this.#bans.add({ ...base, kind: "nick", value: target.key }, now);
  }

  /** Makes a member findable by its name and blocks names that look like it. */
  #index(member: Member): void {
    this.#byKey.set(member.key, member);
    for (const key of lookalikeKeys(member.nick)) this.#byLookalike.set(key, member);
  }

  #unindex(member: Member): void {
    if (this.#byKey.get(member.key) === member) this.#byKey.delete(member.key);
    for (const key of lookalikeKeys(member.nick)) {
      if (this.#byLookalike.get(key) === member) this.#byLookalike.delete(key);
    }
  }

  #remove(member: Member): void {
    this.#members.delete(member.id);
    this.#unindex(member);
    this.#absent.delete(member);
    for (const ignored of member.ignoring ?? []) this.#stopIgnoring(member, ignored);
    for (const ignorer of this.#ignoredBy.get(member) ?? []) ignorer.ignoring?.delete(member);
    this.#ignoredBy.delete(member);
  }

  #stopIgnoring(member: Member, ignored: Member): void {
    member.ignoring?.delete(ignored);
    const ignorers = this.#ignoredBy.get(ignored);
    ignorers?.delete(member);
    if (ignorers?.size === 0) this.#ignoredBy.delete(ignored);
  }

  /** The connections a member's messages skip: those of the members ignoring it. */
  #ignorers(member: Member): ReadonlySet<MemberId> | undefined {
    const ignorers = this.#ignoredBy.get(member);
    if (!ignorers || ignorers.size === 0) return undefined;
    return new Set([...ignorers].map((m) => m.id));
  }

  /** Counts a message against the members it mentions who are away or reconnecting. */
  #countMentions(text: string, from: Member): void {
    for (const member of this.#absent) {
      if (member !== from && mentionsNick(text, member.nick)) member.mentions++;
    }
  }

  /** The longest-present member other than `except` who is attached, or null. */
  #longestPresent(except: Member | null, attachedOnly: boolean): Member | null {
    let found: Member | null = null;
    for (const candidate of this.#members.values()) {
      if (candidate === except) continue;
      if (attachedOnly && candidate.detachedAt !== undefined) continue;
      if (!found || candidate.arrival < found.arrival) found = candidate;
    }
    return found;
  }

  /** The owner reconnects (or its stand-in went): someone attached holds its powers meanwhile. */
  #appointStandIn(): void {
    const owner = this.#owner;
    if (!owner || owner.detachedAt === undefined) return;
    const standIn = this.#longestPresent(owner, true);
    if (standIn === this.#standIn) return;
    this.#standIn = standIn;
    if (standIn) {
      this.#publish({
        type: "owner",
        seq: 0,
        at: this.clock.now(),
        nick: standIn.nick,
        standIn: true,
        for: owner.nick,
      });
    }
  }

  /** After `gone` left: ownership passes on if it was the owner; a stand-in is replaced. */
  #settleOwnership(gone: Member): void {
    if (gone === this.#owner) {
      const heir = this.#longestPresent(null, true) ?? this.#longestPresent(null, false);
      this.#owner = heir;
      this.#standIn = null;
      if (heir) this.#publish({ type: "owner", seq: 0, at: this.clock.now(), nick: heir.nick });
      this.#claimOwnerKey();
      this.#appointStandIn();
    } else if (gone === this.#standIn) {
      this.#standIn = null;
      this.#appointStandIn();
    }
  }

  /** Numbers a conversation event, stores it, then delivers it to everyone. */
  #publish(event: ConversationEvent, except?: ReadonlySet<MemberId>): void {
    event.seq = ++this.#seq;
    this.store.appendEvent(event);
    this.#outbox.broadcast(event, except);
  }

  #resume(member: Member, id: MemberId, lastSeq: number, timeZone: string | undefined): void {
    const now = this.clock.now();
    const wasDetached = member.detachedAt !== undefined;
    if (!wasDetached) {
      this.#outbox.send(member.id, { type: "bye", at: now, reason: RESUMED_ELSEWHERE });
      this.#outbox.close(member.id);
    }
    // Single use: the token that got it here is spent.
    if (member.resumeToken !== undefined) member.resumeToken = this.#newToken();
    this.#members.delete(member.id);
    member.id = id;
    member.detachedAt = undefined;
    member.timeZone = timeZone ?? member.timeZone;
    member.told = undefined;
    this.#members.set(id, member);
    const mentions = member.mentions;
    if (member.away === undefined) {
      this.#absent.delete(member);
      member.mentions = 0;
    }
    this.#outbox.send(id, {
      type: "welcome",
      at: now,
      nick: member.nick,
      owner: member === this.#owner || member === this.owner,
      seq: this.#seq,
      resume: member.resumeToken,
      resumed: true,
      limits: this.#limits,
      ...(mentions > 0 ? { mentions } : {}),
    });
    // Too much missed: a gap marker, then the latest MAX_REPLAY_EVENTS.
    let from = lastSeq;
    if (this.#seq - lastSeq > MAX_REPLAY_EVENTS) {
      from = this.#seq - MAX_REPLAY_EVENTS;
      this.#outbox.send(id, { type: "gap", at: now, count: from - lastSeq });
    }
    // Marked like history: the client shows them as catch-up, keyed by seq.
    this.#streamTo(member, [], from, true, () => {
      for (const event of member.missed ?? []) this.#outbox.send(id, event);
      member.missed = undefined;
      this.#outbox.admit(id);
      // The owner takes its powers back from its stand-in; with nobody holding
      // them (every member was reconnecting), someone attached stands in.
      if (wasDetached && member === this.#owner && this.#standIn) {
        this.#standIn = null;
        this.#publish({ type: "owner", seq: 0, at: this.clock.now(), nick: member.nick });
      } else if (this.owner === null) {
        this.#appointStandIn();
      }
    });
  }

  /**
   * Streams to a member: `history` (marked so), then every conversation
   * event after `afterSeq` until it has caught up with the room, then
   * `done()`. Pages are read from the store as the connection takes them.
   */
  #streamTo(
    member: Member,
    history: ConversationEvent[],
    afterSeq: number,
    markReplay: boolean,
    done: () => void,
  ): void {
    const id = member.id;
    let shown = 0;
    let cursor = afterSeq;
    let gapTold = false;
    this.#outbox.stream(id, () => {
      if (shown < history.length) {
        const page = history.slice(shown, shown + REPLAY_PAGE);
        shown += page.length;
        return page.map((event) => ({ ...event, history: true as const }));
      }
      if (cursor >= this.#seq) return null;
      const events = this.store.eventsAfter(cursor, REPLAY_PAGE);
      if (events === null || events.length === 0) {
        // The store no longer has them (pruned, or it failed): say so once, then go live.
        if (!gapTold) {
          gapTold = true;
          const text = "Some messages from while you were away are no longer available.";
          this.#outbox.send(id, { type: "notice", at: this.clock.now(), text });
        }
        cursor = this.#seq;
        return [];
      }
      cursor = events.at(-1)!.seq;
      return markReplay ? events.map((event) => ({ ...event, history: true as const })) : events;
    }, done);
  }

  #fire(info: ScheduleInfo, late: boolean): void {
    const text = this.store.scheduleText(info.id);
    this.store.deleteSchedule(info.id);
    if (text === null) return;
    this.#publish({
      type: "scheduled",
      seq: 0,
      at: this.clock.now(),
      from: info.author,
      text,
      ...(late ? { late: true } : {}),
    });
  }

  /**
   * Schedules that fell due while the room was down: over an hour late,
   * dropped with a note to the author; the others stay queued and go out,
   * marked late (however few seconds late: the server was not there to send
   * them on time), paced by `tick()` like any due schedule.
   */
  #settleOverdueSchedules(): void {
    const now = this.clock.now();
    for (const info of this.#schedules.all()) {
      if (info.due > now) break;
      if (now - info.due <= STALE_AFTER_MS) {
        this.#overdueAtStart.add(info.id);
        continue;
      }
      const text = this.store.scheduleText(info.id) ?? "";
      this.#schedules.remove(info.id);
      this.store.deleteSchedule(info.id);
      const { id, due } = info;
      const note: PrivateEvent = { type: "schedule_dropped", at: now, id, due, text };
      this.#tellAuthor(info.authorKey, note);
    }
  }
}

const encoder = new TextEncoder();

/** The refusal a cap gives, naming it. */
function scheduleRefusalText(
  refusal: { limit: "room" | "address" | "minute"; max: number },
  due: number,
): string {
  switch (refusal.limit) {
    case "address":
      return `You already have ${refusal.max} pending scheduled messages (at most ${refusal.max} from one address); /unschedule one first.`;
    case "room":
      return `The room already has ${refusal.max} pending scheduled messages, its limit; try again later.`;
    case "minute":
      return `Too much is already scheduled for ${
        formatClock(due)
      } (at most ${refusal.max} bytes may fall due in one minute); pick another time.`;
  }
}

function times(count: number): string {
  return count === 1 ? "once" : `${count} times`;
}

function parseTopic(stored: string | null): Topic | null {
  if (stored === null) return null;
  try {
    const topic = JSON.parse(stored);
    if (typeof topic?.text === "string" && typeof topic?.by === "string") {
      return { text: topic.text, by: topic.by, at: Number(topic.at) || 0 };
    }
  } catch {
    // A damaged setting is no topic.
  }
  return null;
}

/** "3 days", "5 minutes", "1 hour": a span as people say it. */
export function describeSpan(ms: number): string {
  const units: [number, string][] = [[86_400_000, "day"], [3_600_000, "hour"], [60_000, "minute"]];
  for (const [size, name] of units) {
    if (ms >= size) {
      const count = Math.floor(ms / size);
      return `${count} ${name}${count === 1 ? "" : "s"}`;
    }
  }
  const seconds = Math.max(0, Math.round(ms / 1000));
  return `${seconds} second${seconds === 1 ? "" : "s"}`;
}

/** One line of `/bans`. */
function describeBan(ban: Ban, now: number): string {
  const what = ban.kind === "key"
    ? `key ${shortFingerprint(ban.value)} (${ban.nick})`
    : ban.kind === "address"
    ? `address ${ban.value} (${ban.nick})`
    : `nickname ${ban.nick}`;
  return `${what}: ${describeSpan(ban.until - now)} more, by ${ban.by}`;
}
