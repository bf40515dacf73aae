/**
 * The room: members, owner, nicknames, commands and schedules, as a pure
 * core. It knows nothing of sockets, timers or files: connections feed it
 * lines, it tells an `Outbox` what to deliver, time comes from a `Clock`, and
 * what must outlive a process goes to a `RoomStore`. That keeps every rule of
 * the room testable in microseconds.
 */
import type { ConversationEvent, ServerEvent } from "../protocol/events.ts";
import { formatClock } from "../protocol/time.ts";
import { nicknameKey, nicknameProblem, normalizeNickname, sanitizeText } from "../protocol/text.ts";
import { CommandError, COMMANDS, findCommand } from "./commands.ts";
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
        this.#resume(held, id, lastSeq);
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
      resumeToken: options.resumable ? this.#newToken() : undefined,
    };
    this.#members.set(id, member);
    this.#byKey.set(member.key, member);
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
    for (const text of this.store.takeNotes(member.key)) {
      this.#outbox.send(id, { type: "notice", at: now, text });
    }
    this.#outbox.admit(id);
    this.#publish({ type: "join", seq: 0, at: now, nick });
    return true;
  }

  /** A member sent a line: a chat message or a command. */
  say(id: MemberId, line: string): void {
    const member = this.#members.get(id);
    if (!member || member.detachedAt !== undefined) return;
    const text = sanitizeText(line).trim();
    if (text === "") return;
    if (text.startsWith("/")) {
      this.#runCommand(member, text);
      return;
    }
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

  // ---- used by commands ----

  /** Sends a private event to a member. */
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

  kick(by: Member, target: Member): void {
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
    this.#byKey.delete(member.key);
    member.nick = nick;
    member.key = nicknameKey(nick);
    this.#byKey.set(member.key, member);
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

  addSchedule(member: Member, due: number, text: string): Schedule {
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
    return schedule;
  }

  cancelSchedule(member: Member, id: number): Schedule {
    const index = this.#schedules.findIndex((s) => s.id === id);
    const schedule = this.#schedules[index];
    if (!schedule) throw new CommandError(`No pending scheduled message #${id}.`);
    if (schedule.authorKey !== member.key && this.#owner !== member) {
      throw new CommandError(`Scheduled message #${id} is not yours to cancel.`);
    }
    this.#schedules.splice(index, 1);
    this.store.deleteSchedule(id);
    return schedule;
  }

  // ---- internals ----

  #nickProblem(nick: string, renaming: Member | null): string | null {
    const problem = nicknameProblem(nick);
    if (problem) return problem;
    const holder = this.#byKey.get(nicknameKey(nick));
    if (holder && holder !== renaming) return `Nickname "${nick}" is already taken.`;
    return null;
  }

  #remove(member: Member): void {
    this.#members.delete(member.id);
    if (this.#byKey.get(member.key) === member) this.#byKey.delete(member.key);
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

  #resume(member: Member, id: MemberId, lastSeq: number): void {
    const now = this.clock.now();
    if (member.detachedAt === undefined) this.#outbox.close(member.id);
    this.#members.delete(member.id);
    member.id = id;
    member.detachedAt = undefined;
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

  #runCommand(member: Member, text: string): void {
    const space = text.indexOf(" ");
    const name = (space === -1 ? text.slice(1) : text.slice(1, space)).toLowerCase();
    const args = space === -1 ? "" : text.slice(space + 1).trim();
    const command = findCommand(name);
    const now = this.clock.now();
    if (!command) {
      this.tell(member, {
        type: "error",
        at: now,
        text: `Unknown command "/${name}". Type /help for the list of commands.`,
      });
      return;
    }
    if (command.ownerOnly && this.#owner !== member) {
      this.tell(member, { type: "error", at: now, text: command.ownerOnly });
      return;
    }
    try {
      command.run(this, member, args);
    } catch (error) {
      if (!(error instanceof CommandError)) throw error;
      this.tell(member, { type: "error", at: now, text: error.message });
    }
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
      this.store.addNote(
        schedule.authorKey,
        `Your scheduled message #${schedule.id} for ${
          formatClock(schedule.due)
        } was not sent: the server was down at that time. Text: ${schedule.text}`,
      );
    }
  }
}

export { COMMANDS };
