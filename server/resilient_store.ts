/**
 * A store that never takes the room down: it wraps the real one (the SQLite
 * file) and mirrors everything in memory. When a write to the file fails
 * (the disk is full, an I/O error, the file was removed), the room goes on
 * from the mirror, and the failure is reported once through `onHealth`;
 * writes are retried now and then, and when one succeeds, what was missed
 * is written out (events, schedules, settings) and recovery is reported.
 *
 * Reads come from the file while it is healthy (history reaches back as far
 * as it holds), from the mirror while it is not.
 */
import type { ConversationEvent, PrivateEvent } from "../protocol/events.ts";
import { MemoryStore } from "./memory_store.ts";
import { MAX_REPLAY_EVENTS } from "./room.ts";
import type { RoomStore, Schedule, ScheduleInfo } from "./store.ts";

export type StoreHealth =
  | { state: "failing"; reason: string }
  | { state: "recovered" };

export interface ResilientStoreOptions {
  /** Told when writes start failing, and when they work again. */
  onHealth?: (health: StoreHealth) => void;
  /** How long to wait before trying the file again after a failure, in ms. */
  retryEveryMs?: number;
  /** Milliseconds, for the retry timing; injectable for tests. */
  now?: () => number;
}

/** Events kept for writing out once the file works again. */
const MAX_UNSAVED_EVENTS = 10_000;

export class ResilientStore implements RoomStore {
  #primary: RoomStore;
  #mirror = new MemoryStore();
  #onHealth: (health: StoreHealth) => void;
  #retryEveryMs: number;
  #now: () => number;
  #failing = false;
  #failedAt = 0;
  #unsavedEvents: ConversationEvent[] = [];
  /** Pending schedules without their text (the file has the texts it holds). */
  #schedules = new Map<number, ScheduleInfo>();
  /** Texts of schedules saved while the file failed, and ids deleted meanwhile. */
  #unsavedTexts = new Map<number, string>();
  #unsavedDeletes = new Set<number>();
  #unsavedRenames: [string, string, string][] = [];
  #settings = new Map<string, string>();
  #unsavedNotes: [string, PrivateEvent][] = [];
  /** Record changes the file missed, by kind and key; a null value is a delete. */
  #unsavedRecords = new Map<string, [string, string, string | null]>();
  #lastSeq: number;
  #lastScheduleId: number;

  constructor(primary: RoomStore, options: ResilientStoreOptions = {}) {
    this.#primary = primary;
    this.#onHealth = options.onHealth ?? (() => {});
    this.#retryEveryMs = options.retryEveryMs ?? 1000;
    this.#now = options.now ?? (() => performance.now());
    this.#lastSeq = primary.lastSeq();
    this.#lastScheduleId = primary.lastScheduleId();
    for (const info of primary.loadSchedules()) this.#schedules.set(info.id, info);
    // So history stays whole if the file fails before anyone speaks.
    for (const event of primary.recentMessages(MAX_REPLAY_EVENTS)) this.#mirror.appendEvent(event);
  }

  /** True while writes to the file fail and the room runs from memory. */
  get failing(): boolean {
    return this.#failing;
  }

  /** Runs a write against the file; on failure, reports it and returns false. */
  #write(action: () => void): boolean {
    if (this.#failing && !this.#retry()) return false;
    try {
      action();
      return true;
    } catch (error) {
      this.#fail(error);
      return false;
    }
  }

  /** Runs a read against the file, or null when it fails (the mirror answers then). */
  #read<T>(action: () => T): T | null {
    if (this.#failing) return null;
    try {
      return action();
    } catch (error) {
      this.#fail(error);
      return null;
    }
  }

  #fail(error: unknown): void {
    this.#failedAt = this.#now();
    if (this.#failing) return;
    this.#failing = true;
    this.#onHealth({
      state: "failing",
      reason: error instanceof Error ? error.message : String(error),
    });
  }

  /** Time to try the file again: writes out what it missed. True if that worked. */
  #retry(): boolean {
    if (this.#now() - this.#failedAt < this.#retryEveryMs) return false;
    try {
      // Each item leaves its list as soon as it is written, so a retry that
      // fails halfway never writes an event twice.
      while (this.#unsavedEvents.length > 0) {
        this.#primary.appendEvent(this.#unsavedEvents[0]);
        this.#unsavedEvents.shift();
      }
      while (this.#unsavedRenames.length > 0) {
        this.#primary.renameScheduleAuthor(...this.#unsavedRenames[0]);
        this.#unsavedRenames.shift();
      }
      for (const id of this.#unsavedDeletes) {
        this.#primary.deleteSchedule(id);
        this.#unsavedDeletes.delete(id);
      }
      for (const [id, text] of this.#unsavedTexts) {
        const info = this.#schedules.get(id);
        if (info) this.#primary.saveSchedule({ ...info, text });
        this.#unsavedTexts.delete(id);
      }
      for (const [name, value] of this.#settings) this.#primary.saveSetting(name, value);
      for (const [id, [kind, key, value]] of this.#unsavedRecords) {
        if (value === null) this.#primary.deleteRecord(kind, key);
        else this.#primary.saveRecord(kind, key, value);
        this.#unsavedRecords.delete(id);
      }
      while (this.#unsavedNotes.length > 0) {
        this.#primary.addNote(...this.#unsavedNotes[0]);
        this.#unsavedNotes.shift();
      }
    } catch {
      this.#failedAt = this.#now();
      return false;
    }
    this.#failing = false;
    this.#onHealth({ state: "recovered" });
    return true;
  }

  appendEvent(event: ConversationEvent): void {
    this.#mirror.appendEvent(event);
    this.#lastSeq = event.seq;
    if (!this.#write(() => this.#primary.appendEvent(event))) {
      this.#unsavedEvents.push(event);
      if (this.#unsavedEvents.length > MAX_UNSAVED_EVENTS) this.#unsavedEvents.shift();
    }
  }

  recentMessages(limit: number): ConversationEvent[] {
    return this.#read(() => this.#primary.recentMessages(limit)) ??
      this.#mirror.recentMessages(limit);
  }

  messagesBefore(beforeSeq: number, limit: number): ConversationEvent[] {
    return this.#read(() => this.#primary.messagesBefore(beforeSeq, limit)) ??
      this.#mirror.messagesBefore(beforeSeq, limit);
  }

  eventsAfter(afterSeq: number, limit: number): ConversationEvent[] | null {
    const fromFile = this.#read(() => this.#primary.eventsAfter(afterSeq, limit));
    return fromFile !== null ? fromFile : this.#mirror.eventsAfter(afterSeq, limit);
  }

  lastSeq(): number {
    return this.#lastSeq;
  }

  saveSchedule(schedule: Schedule): void {
    const { text, ...info } = schedule;
    this.#schedules.set(schedule.id, info);
    this.#lastScheduleId = Math.max(this.#lastScheduleId, schedule.id);
    if (!this.#write(() => this.#primary.saveSchedule(schedule))) {
      this.#unsavedTexts.set(schedule.id, text);
    }
  }

  renameScheduleAuthor(oldKey: string, author: string, authorKey: string): void {
    for (const schedule of this.#schedules.values()) {
      if (schedule.authorKey === oldKey) Object.assign(schedule, { author, authorKey });
    }
    if (!this.#write(() => this.#primary.renameScheduleAuthor(oldKey, author, authorKey))) {
      this.#unsavedRenames.push([oldKey, author, authorKey]);
      if (this.#unsavedRenames.length > MAX_UNSAVED_EVENTS) this.#unsavedRenames.shift();
    }
  }

  deleteSchedule(id: number): void {
    this.#schedules.delete(id);
    const unsaved = this.#unsavedTexts.delete(id);
    if (!this.#write(() => this.#primary.deleteSchedule(id)) && !unsaved) {
      this.#unsavedDeletes.add(id);
    }
  }

  loadSchedules(): ScheduleInfo[] {
    return [...this.#schedules.values()];
  }

  scheduleText(id: number): string | null {
    if (!this.#schedules.has(id)) return null;
    const unsaved = this.#unsavedTexts.get(id);
    if (unsaved !== undefined) return unsaved;
    // A full disk still reads: try the file even while writes fail.
    try {
      return this.#primary.scheduleText(id);
    } catch (error) {
      this.#fail(error);
      return null;
    }
  }

  lastScheduleId(): number {
    return this.#lastScheduleId;
  }

  loadSetting(name: string): string | null {
    return this.#settings.get(name) ?? this.#read(() => this.#primary.loadSetting(name));
  }

  saveSetting(name: string, value: string): void {
    this.#settings.set(name, value);
    this.#write(() => this.#primary.saveSetting(name, value));
  }

  loadRecords(kind: string): [string, string][] {
    const saved = new Map(this.#read(() => this.#primary.loadRecords(kind)) ?? []);
    for (const [recordKind, key, value] of this.#unsavedRecords.values()) {
      if (recordKind !== kind) continue;
      if (value === null) saved.delete(key);
      else saved.set(key, value);
    }
    return [...saved.entries()];
  }

  saveRecord(kind: string, key: string, value: string): void {
    if (!this.#write(() => this.#primary.saveRecord(kind, key, value))) {
      this.#unsaveRecord(kind, key, value);
    }
  }

  deleteRecord(kind: string, key: string): void {
    if (!this.#write(() => this.#primary.deleteRecord(kind, key))) {
      this.#unsaveRecord(kind, key, null);
    }
  }

  /** Keeps a record change for the file's recovery; the latest change per record wins. */
  #unsaveRecord(kind: string, key: string, value: string | null): void {
    const id = JSON.stringify([kind, key]);
    this.#unsavedRecords.delete(id);
    this.#unsavedRecords.set(id, [kind, key, value]);
    if (this.#unsavedRecords.size > MAX_UNSAVED_EVENTS) {
      this.#unsavedRecords.delete(this.#unsavedRecords.keys().next().value!);
    }
  }

  addNote(nickKey: string, note: PrivateEvent): void {
    if (!this.#write(() => this.#primary.addNote(nickKey, note))) {
      this.#unsavedNotes.push([nickKey, note]);
      if (this.#unsavedNotes.length > MAX_UNSAVED_EVENTS) this.#unsavedNotes.shift();
    }
  }

  takeNotes(nickKey: string): PrivateEvent[] {
    const unsaved = this.#unsavedNotes.filter(([key]) => key === nickKey).map(([, note]) => note);
    this.#unsavedNotes = this.#unsavedNotes.filter(([key]) => key !== nickKey);
    const saved = this.#read(() => this.#primary.takeNotes(nickKey)) ?? [];
    return [...saved, ...unsaved];
  }

  close(): void {
    try {
      this.#primary.close();
    } catch {
      // Closing a file that is gone or full loses nothing the mirror does not know.
    }
  }
}
