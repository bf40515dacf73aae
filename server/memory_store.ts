/**
 * The in-memory store: a bounded ring of recent conversation events, for
 * throwaway rooms (`--memory`) and for tests. Nothing survives a restart.
 */
import type { ConversationEvent, PrivateEvent } from "../protocol/events.ts";
import type { RoomStore, Schedule, ScheduleInfo } from "./store.ts";

/** What history shows: what members said, not who came and went. */
function isChatMessage(event: ConversationEvent): boolean {
  return event.type === "message" || event.type === "action" || event.type === "scheduled";
}

/** Conversation events kept for resume; history needs far fewer. */
const DEFAULT_CAPACITY = 4096;

export class MemoryStore implements RoomStore {
  #capacity: number;
  #events: ConversationEvent[] = [];
  /** Index in #events of the oldest event once the ring is full. */
  #head = 0;
  #lastSeq = 0;
  #schedules = new Map<number, Schedule>();
  #lastScheduleId = 0;
  #notes = new Map<string, PrivateEvent[]>();
  #settings = new Map<string, string>();

  constructor(capacity = DEFAULT_CAPACITY) {
    this.#capacity = capacity;
  }

  appendEvent(event: ConversationEvent): void {
    if (this.#events.length < this.#capacity) {
      this.#events.push(event);
    } else {
      this.#events[this.#head] = event;
      this.#head = (this.#head + 1) % this.#capacity;
    }
    this.#lastSeq = event.seq;
  }

  #inOrder(): ConversationEvent[] {
    return this.#head === 0
      ? this.#events
      : [...this.#events.slice(this.#head), ...this.#events.slice(0, this.#head)];
  }

  recentMessages(limit: number): ConversationEvent[] {
    if (limit <= 0) return [];
    const found: ConversationEvent[] = [];
    const events = this.#inOrder();
    for (let i = events.length - 1; i >= 0 && found.length < limit; i--) {
      const event = events[i];
      if (isChatMessage(event)) found.push(event);
    }
    return found.reverse();
  }

  messagesBefore(beforeSeq: number, limit: number): ConversationEvent[] {
    if (limit <= 0) return [];
    const found: ConversationEvent[] = [];
    const events = this.#inOrder();
    for (let i = events.length - 1; i >= 0 && found.length < limit; i--) {
      const event = events[i];
      if (event.seq < beforeSeq && isChatMessage(event)) found.push(event);
    }
    return found.reverse();
  }

  loadSetting(name: string): string | null {
    return this.#settings.get(name) ?? null;
  }

  saveSetting(name: string, value: string): void {
    this.#settings.set(name, value);
  }

  eventsAfter(afterSeq: number): ConversationEvent[] | null {
    const events = this.#inOrder();
    if (afterSeq >= this.#lastSeq) return [];
    const oldest = events[0]?.seq ?? this.#lastSeq + 1;
    if (oldest > afterSeq + 1) return null;
    return events.filter((event) => event.seq > afterSeq);
  }

  lastSeq(): number {
    return this.#lastSeq;
  }

  saveSchedule(schedule: Schedule): void {
    this.#schedules.set(schedule.id, { ...schedule });
    this.#lastScheduleId = Math.max(this.#lastScheduleId, schedule.id);
  }

  deleteSchedule(id: number): void {
    this.#schedules.delete(id);
  }

  renameScheduleAuthor(oldKey: string, author: string, authorKey: string): void {
    for (const schedule of this.#schedules.values()) {
      if (schedule.authorKey === oldKey) Object.assign(schedule, { author, authorKey });
    }
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
