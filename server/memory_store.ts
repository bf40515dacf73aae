/**
 * The in-memory store, for throwaway rooms (`--memory`) and for tests:
 * bounded rings of recent events, and nothing survives a restart.
 *
 * Two rings: every conversation event (for resume, which replays by `seq`),
 * and chat messages alone (for history), so a storm of joins and leaves
 * cannot push the conversation out of a newcomer's history.
 */
import type { ConversationEvent, PrivateEvent } from "../protocol/events.ts";
import type { RoomStore, Schedule, ScheduleInfo } from "./store.ts";

/** What history shows: what members said, not who came and went. */
export function isChatMessage(event: ConversationEvent): boolean {
  return event.type === "message" || event.type === "action" || event.type === "scheduled";
}

/** Conversation events kept for resume; history needs far fewer. */
const DEFAULT_CAPACITY = 4096;

/** Everything a memory store holds, as JSON: what a cluster's snapshot keeps of it. */
export interface MemoryStoreContents {
  capacity: number;
  /** Oldest first, as the rings hold them. */
  events: ConversationEvent[];
  messages: ConversationEvent[];
  lastSeq: number;
  schedules: Schedule[];
  lastScheduleId: number;
  notes: [string, PrivateEvent[]][];
  settings: [string, string][];
  /** Held nicknames and bans, by kind. */
  records: [string, [string, string][]][];
}

/** A fixed-size ring, oldest first. */
class Ring<T> {
  #items: T[] = [];
  #head = 0;
  #capacity: number;

  constructor(capacity: number) {
    this.#capacity = Math.max(1, capacity);
  }

  get length(): number {
    return this.#items.length;
  }

  push(item: T): void {
    if (this.#items.length < this.#capacity) {
      this.#items.push(item);
    } else {
      this.#items[this.#head] = item;
      this.#head = (this.#head + 1) % this.#capacity;
    }
  }

  /** The item `index` places from the oldest. */
  at(index: number): T {
    return this.#items[(this.#head + index) % this.#items.length];
  }

  /** Every item, oldest first. */
  toArray(): T[] {
    return [...this.#items.slice(this.#head), ...this.#items.slice(0, this.#head)];
  }
}

export class MemoryStore implements RoomStore {
  readonly capacity: number;
  #events: Ring<ConversationEvent>;
  #messages: Ring<ConversationEvent>;
  #lastSeq = 0;
  #schedules = new Map<number, Schedule>();
  #lastScheduleId = 0;
  #records = new Map<string, Map<string, string>>();
  #notes = new Map<string, PrivateEvent[]>();
  #settings = new Map<string, string>();

  constructor(capacity = DEFAULT_CAPACITY) {
    this.capacity = capacity;
    this.#events = new Ring(capacity);
    this.#messages = new Ring(capacity);
  }

  /** A store holding exactly what `contents()` returned. */
  static from(contents: MemoryStoreContents): MemoryStore {
    const store = new MemoryStore(contents.capacity);
    for (const event of contents.events) store.#events.push(event);
    for (const event of contents.messages) store.#messages.push(event);
    store.#lastSeq = contents.lastSeq;
    for (const schedule of contents.schedules) store.#schedules.set(schedule.id, schedule);
    store.#lastScheduleId = contents.lastScheduleId;
    store.#notes = new Map(contents.notes);
    store.#settings = new Map(contents.settings);
    store.#records = new Map(contents.records.map(([kind, pairs]) => [kind, new Map(pairs)]));
    return store;
  }

  /** What the store holds, as JSON values: live objects, to be serialized at once. */
  contents(): MemoryStoreContents {
    return {
      capacity: this.capacity,
      events: this.#events.toArray(),
      messages: this.#messages.toArray(),
      lastSeq: this.#lastSeq,
      schedules: [...this.#schedules.values()],
      lastScheduleId: this.#lastScheduleId,
      notes: [...this.#notes],
      settings: [...this.#settings],
      records: [...this.#records].map(([kind, pairs]) => [kind, [...pairs]]),
    };
  }

  appendEvent(event: ConversationEvent): void {
    this.#events.push(event);
    if (isChatMessage(event)) this.#messages.push(event);
    this.#lastSeq = event.seq;
  }

  recentMessages(limit: number): ConversationEvent[] {
    return this.messagesBefore(this.#lastSeq + 1, limit);
  }

  messagesBefore(beforeSeq: number, limit: number): ConversationEvent[] {
    if (limit <= 0) return [];
    const found: ConversationEvent[] = [];
    for (let i = this.#messages.length - 1; i >= 0 && found.length < limit; i--) {
      const event = this.#messages.at(i);
      if (event.seq < beforeSeq) found.push(event);
    }
    return found.reverse();
  }

  eventsAfter(afterSeq: number, limit: number): ConversationEvent[] | null {
    if (afterSeq >= this.#lastSeq) return [];
    const count = this.#events.length;
    const oldest = count > 0 ? this.#events.at(0).seq : this.#lastSeq + 1;
    if (oldest > afterSeq + 1) return null;
    // Every published event is kept in order, so seq s sits at s - oldest.
    const page: ConversationEvent[] = [];
    for (let i = afterSeq + 1 - oldest; i < count && page.length < limit; i++) {
      page.push(this.#events.at(i));
    }
    return page;
  }

  lastSeq(): number {
    return this.#lastSeq;
  }

  saveSchedule(schedule: Schedule): void {
    this.#schedules.set(schedule.id, { ...schedule });
    this.#lastScheduleId = Math.max(this.#lastScheduleId, schedule.id);
  }

  renameScheduleAuthor(oldKey: string, author: string, authorKey: string): void {
    for (const schedule of this.#schedules.values()) {
      if (schedule.authorKey === oldKey) Object.assign(schedule, { author, authorKey });
    }
  }

  deleteSchedule(id: number): void {
    this.#schedules.delete(id);
  }

  loadSchedules(): ScheduleInfo[] {
    return [...this.#schedules.values()].map(({ text: _text, ...info }) => info);
  }

  scheduleText(id: number): string | null {
    return this.#schedules.get(id)?.text ?? null;
  }

  lastScheduleId(): number {
    return this.#lastScheduleId;
  }

  loadSetting(name: string): string | null {
    return this.#settings.get(name) ?? null;
  }

  saveSetting(name: string, value: string): void {
    this.#settings.set(name, value);
  }

  loadRecords(kind: string): [string, string][] {
    return [...(this.#records.get(kind) ?? new Map()).entries()];
  }

  saveRecord(kind: string, key: string, value: string): void {
    let records = this.#records.get(kind);
    if (!records) this.#records.set(kind, records = new Map());
    records.set(key, value);
  }

  deleteRecord(kind: string, key: string): void {
    this.#records.get(kind)?.delete(key);
  }

  addNote(nickKey: string, note: PrivateEvent): void {
    const notes = this.#notes.get(nickKey) ?? [];
    notes.push(note);
    this.#notes.set(nickKey, notes);
  }

  takeNotes(nickKey: string): PrivateEvent[] {
    const notes = this.#notes.get(nickKey) ?? [];
    this.#notes.delete(nickKey);
    return notes;
  }

  close(): void {}
}
