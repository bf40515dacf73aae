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
import type { ConversationEvent, PrivateEvent, ServerEvent } from "../protocol/events.ts";
import { lookalikeKeys, lookalikeProblem } from "../protocol/nickname_safety.ts";
import { nicknameKey, nicknameProblem, normalizeNickname, sanitizeText } from "../protocol/text.ts";
import { CommandError } from "./command_error.ts";
import { MemoryStore } from "./memory_store.ts";
import type { RoomStore, Schedule } from "./store.ts";

/** Identifies one connection; the edge chooses it. */
export type MemberId = number;

/** Where the room's output goes; the TCP edge implements it. */
export interface Outbox {
  /** Delivers an event to one connection. */
  send(to: MemberId, event: ServerEvent): void;
  /** Delivers an event to every admitted connection. */
  broadcast(event: ServerEvent): void;
  /** The connection is now a member and receives broadcasts. */
  admit(id: MemberId): void;
  /** Closes a connection once what is queued for it has been sent. */
  close(id: MemberId): void;
}

export interface Clock {
  /** Epoch milliseconds. */
  now(): number;
}

export const systemClock: Clock = { now: () => Date.now() };

export interface Member {
  id: MemberId;
  nick: string;
  key: string;
  /** Order of arrival: the lowest present member inherits ownership. */
  arrival: number;
  /** The member's IANA time zone, when its client said; `/schedule HH:MM` reads it. */
  timeZone?: string;
  /** Set for structured clients, which may resume after a drop. */
  resumeToken?: string;
  /** When the connection dropped, while the nickname is held for a resume. */
  detachedAt?: number;
  /** Whispers that arrived while detached, replayed on resume. */
  missed?: ServerEvent[];
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
}

export interface JoinOptions {
  /** Ask for a resume token, as structured clients do. */
  resumable?: boolean;
  /** A token from an earlier welcome, to take that session back. */
  resume?: string;
  /** The last conversation seq the client has shown. */
  lastSeq?: number;
  /** The client's IANA time zone, already checked by the edge. */
  timeZone?: string;
}

/** A schedule that came due more than this late is marked late. */
const LATE_AFTER_MS = 60_000;
/** A schedule more late than this when the room starts is dropped. */
const STALE_AFTER_MS = 60 * 60_000;
/** Pending schedules one member may have. */
export const MAX_SCHEDULES_PER_MEMBER = 20;
/** Whispers held for a detached member. */
const MAX_MISSED = 200;

export class Room {
  readonly clock: Clock;
  readonly store: RoomStore;
  readonly historySize: number;
  readonly resumeGraceMs: number;
  #outbox: Outbox;
  #newToken: () => string;
  #members = new Map<MemberId, Member>();
  #byKey = new Map<string, Member>();
  /** Every look-alike key (nickname_safety.ts) of every member's name. */
  #byLookalike = new Map<string, Member>();
  #owner: Member | null = null;
  #arrivals = 0;
  #seq: number;
  #schedules: Schedule[];
  #nextScheduleId: number;

  constructor(outbox: Outbox, options: RoomOptions = {}) {
    this.#outbox = outbox;
    this.clock = options.clock ?? systemClock;
    this.store = options.store ?? new MemoryStore();
    this.historySize = options.historySize ?? 50;
    this.resumeGraceMs = options.resumeGraceMs ?? 60_000;
    this.#newToken = options.newToken ?? (() => crypto.randomUUID());
    this.#seq = this.store.lastSeq();
    this.#schedules = this.store.loadSchedules().sort((a, b) => a.due - b.due);
    this.#nextScheduleId = this.store.lastScheduleId() + 1;
    this.#settleOverdueSchedules();
  }

  // ---- queries ----

  get owner(): Member | null {
    return this.#owner;
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

  get pendingSchedules(): readonly Schedule[] {
    return this.#schedules;
  }

  get lastSeq(): number {
    return this.#seq;
  }

  // ---- what connections do ----

  /**
   * A connection asks to join as `nick`. Returns false (and tells the
   * connection why) when the name is invalid or taken; it may try again.
   */
  join(id: MemberId, requested: string, options: JoinOptions = {}): boolean {
    const now = this.clock.now();
    const nick = normalizeNickname(requested);
    if (options.resume) {
      const held = this.#byKey.get(nicknameKey(nick));
      if (held && held.resumeToken === options.resume) {
        // A client cannot have shown more than exists, nor less than nothing.
        const lastSeq = Math.min(Math.max(Math.trunc(options.lastSeq ?? this.#seq), 0), this.#seq);
        this.#resume(held, id, lastSeq, options.timeZone);
        return true;
      }
    }
    const problem = this.#nickProblem(nick, null);
    if (problem) {
      this.#outbox.send(id, { type: "nick_refused", at: now, nick, reason: problem });
      return false;
    }
    const member: Member = {
      id,
      nick,
      key: nicknameKey(nick),
      arrival: ++this.#arrivals,
      timeZone: options.timeZone,
      resumeToken: options.resumable ? this.#newToken() : undefined,
    };
    this.#members.set(id, member);
    this.#index(member);
    this.#owner ??= member;
    this.#outbox.send(id, {
      type: "welcome",
      at: now,
      nick,
      owner: this.#owner === member,
      seq: this.#seq,
      resume: member.resumeToken,
    });
    for (const event of this.store.recentMessages(this.historySize)) {
      this.#outbox.send(id, { ...event, history: true });
    }
    for (const note of this.store.takeNotes(member.key)) {
      this.#outbox.send(id, { ...note, at: now });
    }
    this.#outbox.admit(id);
    this.#publish({ type: "join", seq: 0, at: now, nick });
    return true;
  }

  /** A member's chat message to everyone; control characters are removed first. */
  say(id: MemberId, line: string): void {
    const member = this.#active(id);
    if (!member) return;
    const text = sanitizeText(line).trim();
    if (text === "") return;
    this.#publish({ type: "message", seq: 0, at: this.clock.now(), from: member.nick, text });
  }

  /** A member left on purpose (or was disconnected by a limit); announced at once. */
  leave(id: MemberId, reason: string): void {
    const member = this.#members.get(id);
    if (!member) return;
    this.#remove(member);
    this.#publish({ type: "leave", seq: 0, at: this.clock.now(), nick: member.nick, reason });
    this.#handOverIfOwner(member);
  }

  /**
   * A connection went away without saying goodbye. A structured client's
   * nickname is held for the grace period so it can resume unnoticed.
   */
  drop(id: MemberId): void {
    const member = this.#members.get(id);
    if (!member) return;
    if (member.resumeToken && this.resumeGraceMs > 0) {
      member.detachedAt = this.clock.now();
    } else {
      this.leave(id, "disconnected");
    }
  }

  /** Fires due schedules and releases nicknames whose grace ran out. */
  tick(): void {
    const now = this.clock.now();
    while (this.#schedules.length > 0 && this.#schedules[0].due <= now) {
      const schedule = this.#schedules.shift()!;
      this.store.deleteSchedule(schedule.id);
      this.#fire(schedule, now - schedule.due > LATE_AFTER_MS);
    }
    for (const member of this.#members.values()) {
      if (member.detachedAt !== undefined && now - member.detachedAt >= this.resumeGraceMs) {
        this.leave(member.id, "connection lost");
      }
    }
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

  /** Looks up a member by nickname or fails with the fixed text. */
  requireMember(nick: string): Member {
    const found = this.findByNick(nick);
    if (!found) throw new CommandError(`User '${nick}' not found.`);
    return found;
  }

  whisper(from: Member, nick: string, text: string): void {
    const target = this.requireMember(nick);
    const at = this.clock.now();
    const event = { type: "whisper", at, from: from.nick, to: target.nick, text } as const;
    this.tell(target, { ...event, direction: "in" });
    this.tell(from, { ...event, direction: "out" });
  }

  /** The owner removes a member; refused for anyone else, and for oneself. */
  kick(by: Member, nick: string): void {
    const target = this.requireMember(nick);
    if (target === by) throw new CommandError("You cannot kick yourself.");
    const now = this.clock.now();
    this.tell(target, { type: "kicked", at: now, text: "You have been kicked from the chat." });
    this.#remove(target);
    this.#outbox.close(target.id);
    this.#publish({ type: "kick", seq: 0, at: now, nick: target.nick, by: by.nick });
    this.#handOverIfOwner(target);
  }

  rename(member: Member, requested: string): void {
    const nick = normalizeNickname(requested);
    const problem = this.#nickProblem(nick, member);
    if (problem) throw new CommandError(problem);
    const old = member.nick;
    if (old === nick) throw new CommandError(`Your nickname is already "${nick}".`);
    this.#unindex(member);
    member.nick = nick;
    member.key = nicknameKey(nick);
    this.#index(member);
    for (const schedule of this.#schedules) {
      if (schedule.authorKey === nicknameKey(old)) {
        schedule.author = nick;
        schedule.authorKey = member.key;
        this.store.saveSchedule(schedule);
      }
    }
    this.#publish({ type: "rename", seq: 0, at: this.clock.now(), from: old, to: nick });
  }

  /** Leaves by the member's own choice (`/quit`). */
  quit(member: Member): void {
    this.notice(member, "Goodbye!");
    this.#outbox.close(member.id);
    this.leave(member.id, "quit");
  }

  /** Tells the member who is here, in order of arrival, with the owner marked. */
  listMembers(member: Member): void {
    this.tell(member, {
      type: "users",
      at: this.clock.now(),
      nicks: this.members.map((m) => m.nick),
      owner: this.#owner?.nick ?? null,
    });
  }

  /** Queues a message for everyone at `due`, and confirms it to its author. */
  schedule(member: Member, due: number, text: string): Schedule {
    const mine = this.#schedules.filter((s) => s.authorKey === member.key).length;
    if (mine >= MAX_SCHEDULES_PER_MEMBER) {
      throw new CommandError(
        `You already have ${MAX_SCHEDULES_PER_MEMBER} pending scheduled messages; /unschedule one first.`,
      );
    }
    const schedule: Schedule = {
      id: this.#nextScheduleId++,
      due,
      author: member.nick,
      authorKey: member.key,
      text,
    };
    this.store.saveSchedule(schedule);
    const index = this.#schedules.findIndex((s) => s.due > due);
    this.#schedules.splice(index === -1 ? this.#schedules.length : index, 0, schedule);
    this.tell(member, { type: "schedule_ok", at: this.clock.now(), id: schedule.id, due, text });
    return schedule;
  }

  /** Tells the member its pending schedules. */
  listSchedules(member: Member): void {
    const items = this.#schedules
      .filter((s) => s.authorKey === member.key)
      .map(({ id, due, author, text }) => ({ id, due, from: author, text }));
    this.tell(member, { type: "schedules", at: this.clock.now(), items });
  }

  /** Cancels a pending schedule: the author's own, or any for the owner. */
  unschedule(member: Member, id: number): void {
    const index = this.#schedules.findIndex((s) => s.id === id);
    const schedule = this.#schedules[index];
    if (!schedule) throw new CommandError(`No pending scheduled message #${id}.`);
    if (schedule.authorKey !== member.key && this.#owner !== member) {
      throw new CommandError(`Scheduled message #${id} is not yours to cancel.`);
    }
    this.#schedules.splice(index, 1);
    this.store.deleteSchedule(id);
    const { due, text } = schedule;
    this.tell(member, { type: "unscheduled", at: this.clock.now(), id, due, text });
  }

  // ---- internals ----

  /** The member on connection `id`, if it is attached (not held for a resume). */
  #active(id: MemberId): Member | undefined {
    const member = this.#members.get(id);
    return member && member.detachedAt === undefined ? member : undefined;
  }

  #nickProblem(nick: string, renaming: Member | null): string | null {
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
    return null;
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
  }

  #handOverIfOwner(member: Member): void {
    if (this.#owner !== member) return;
    let heir: Member | null = null;
    for (const candidate of this.#members.values()) {
      if (!heir || candidate.arrival < heir.arrival) heir = candidate;
    }
    this.#owner = heir;
    if (heir) this.#publish({ type: "owner", seq: 0, at: this.clock.now(), nick: heir.nick });
  }

  /** Numbers a conversation event, stores it, then delivers it to everyone. */
  #publish(event: ConversationEvent): void {
    event.seq = ++this.#seq;
    this.store.appendEvent(event);
    this.#outbox.broadcast(event);
  }

  #resume(member: Member, id: MemberId, lastSeq: number, timeZone: string | undefined): void {
    const now = this.clock.now();
    if (member.detachedAt === undefined) this.#outbox.close(member.id);
    this.#members.delete(member.id);
    member.id = id;
    member.detachedAt = undefined;
    member.timeZone = timeZone ?? member.timeZone;
    this.#members.set(id, member);
    this.#outbox.send(id, {
      type: "welcome",
      at: now,
      nick: member.nick,
      owner: this.#owner === member,
      seq: this.#seq,
      resume: member.resumeToken,
      resumed: true,
    });
    const missed = this.store.eventsAfter(lastSeq);
    if (missed === null) {
      this.notice(member, "Some messages from while you were away are no longer available.");
    }
    // Marked like history: the client shows them as catch-up, keyed by seq.
    for (const event of missed ?? []) this.#outbox.send(id, { ...event, history: true });
    for (const event of member.missed ?? []) this.#outbox.send(id, event);
    member.missed = undefined;
    this.#outbox.admit(id);
  }

  #fire(schedule: Schedule, late: boolean): void {
    this.#publish({
      type: "scheduled",
      seq: 0,
      at: this.clock.now(),
      from: schedule.author,
      text: schedule.text,
      ...(late ? { late: true } : {}),
    });
  }

  /**
   * Schedules that fell due while the room was down: sent now, marked late,
   * if at most an hour late (however few seconds late they are: the server
   * was not there to send them on time), else dropped with a note.
   */
  #settleOverdueSchedules(): void {
    const now = this.clock.now();
    for (const schedule of [...this.#schedules]) {
      if (schedule.due > now) continue;
      this.#schedules.splice(this.#schedules.indexOf(schedule), 1);
      this.store.deleteSchedule(schedule.id);
      if (now - schedule.due <= STALE_AFTER_MS) {
        this.#fire(schedule, true);
        continue;
      }
      const { id, due, text } = schedule;
      const note: PrivateEvent = { type: "schedule_dropped", at: now, id, due, text };
      this.store.addNote(schedule.authorKey, note);
    }
  }
}
