/**
 * Test support: a store whose writes fail on cue, as a full disk makes
 * SQLite's fail ("database or disk is full"), for the paths a real full
 * disk is hard to reach on every machine.
 */
import type { ConversationEvent, PrivateEvent } from "../../protocol/events.ts";
import { MemoryStore } from "../../server/memory_store.ts";
import type { RoomStore, Schedule, ScheduleInfo } from "../../server/store.ts";

export class FailingStore implements RoomStore {
  /** While true, every write throws. */
  failWrites = false;
  /** When set, this many more writes succeed, then `failWrites` turns on. */
  writesLeft = Infinity;
  /** What was written, to check what came through once writes work again. */
  readonly inner = new MemoryStore();

  #write<T>(action: () => T): T {
    if (this.writesLeft <= 0) this.failWrites = true;
    if (this.failWrites) throw new Error("database or disk is full");
    this.writesLeft--;
    return action();
  }

  appendEvent(event: ConversationEvent): void {
    this.#write(() => this.inner.appendEvent(event));
  }
  recentMessages(limit: number): ConversationEvent[] {
    return this.inner.recentMessages(limit);
  }
  messagesBefore(beforeSeq: number, limit: number): ConversationEvent[] {
    return this.inner.messagesBefore(beforeSeq, limit);
  }
  eventsAfter(afterSeq: number, limit: number): ConversationEvent[] | null {
    return this.inner.eventsAfter(afterSeq, limit);
  }
  lastSeq(): number {
    return this.inner.lastSeq();
  }
  saveSchedule(schedule: Schedule): void {
    this.#write(() => this.inner.saveSchedule(schedule));
  }
  renameScheduleAuthor(oldKey: string, author: string, authorKey: string): void {
    this.#write(() => this.inner.renameScheduleAuthor(oldKey, author, authorKey));
  }
  deleteSchedule(id: number): void {
    this.#write(() => this.inner.deleteSchedule(id));
  }
  loadSchedules(): ScheduleInfo[] {
    return this.inner.loadSchedules();
  }
  scheduleText(id: number): string | null {
    return this.inner.scheduleText(id);
  }
  lastScheduleId(): number {
    return this.inner.lastScheduleId();
  }
  loadSetting(name: string): string | null {
    return this.inner.loadSetting(name);
  }
  saveSetting(name: string, value: string): void {
    this.#write(() => this.inner.saveSetting(name, value));
  }
  loadRecords(kind: string): [string, string][] {
    return this.inner.loadRecords(kind);
  }
  saveRecord(kind: string, key: string, value: string): void {
    this.#write(() => this.inner.saveRecord(kind, key, value));
  }
  deleteRecord(kind: string, key: string): void {
    this.#write(() => this.inner.deleteRecord(kind, key));
  }
  addNote(nickKey: string, note: PrivateEvent): void {
    this.#write(() => this.inner.addNote(nickKey, note));
  }
  takeNotes(nickKey: string): PrivateEvent[] {
    return this.#write(() => this.inner.takeNotes(nickKey));
  }
  close(): void {}
}
