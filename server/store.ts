/**
 * What the room keeps beyond its members: the conversation log (for history
 * on join and resume after a drop), pending schedules, and notes for absent
 * authors. The room core calls it synchronously; implementations are edges.
 */
import type { ConversationEvent, PrivateEvent } from "../protocol/events.ts";

/** A message waiting for its time, without its text (what the room keeps in memory). */
export interface ScheduleInfo {
  id: number;
  /** When it is due, epoch ms. */
  due: number;
  author: string;
  /** The author's nickname key, for listing and cancelling. */
  authorKey: string;
  /** The address the author scheduled it from, for the per-address cap. */
  address?: string;
  /** The text's size in UTF-8 bytes, for the per-minute cap. */
  bytes: number;
}

/** A message waiting for its time. */
export interface Schedule extends ScheduleInfo {
  text: string;
}

export interface RoomStore {
  /** Records a conversation event; called before the event is delivered to anyone. */
  appendEvent(event: ConversationEvent): void;
  /** The latest `limit` chat, action and scheduled messages, oldest first. */
  recentMessages(limit: number): ConversationEvent[];
  /**
   * Up to `limit` conversation events with `seq` greater than `afterSeq`,
   * oldest first, or null when the store no longer holds the first of them.
   */
  eventsAfter(afterSeq: number, limit: number): ConversationEvent[] | null;
  /** The highest `seq` recorded, or 0. */
  lastSeq(): number;
  saveSchedule(schedule: Schedule): void;
  /** Moves an author's pending schedules to its new name. */
  renameScheduleAuthor(oldKey: string, author: string, authorKey: string): void;
  deleteSchedule(id: number): void;
  /** Every pending schedule, without its text: start-up never holds all of them in memory. */
  loadSchedules(): ScheduleInfo[];
  /** A pending schedule's text, or null. */
  scheduleText(id: number): string | null;
  /** Largest schedule id ever used, so ids are never reused. */
  lastScheduleId(): number;
  /** A value the room keeps across restarts (the topic), or null. */
  loadSetting(name: string): string | null;
  saveSetting(name: string, value: string): void;
  /** Chat messages (and actions and scheduled ones) with `seq` below `beforeSeq`, newest `limit`, oldest first. */
  messagesBefore(beforeSeq: number, limit: number): ConversationEvent[];
  /**
   * Small records the room keeps across restarts, by kind and key (held
   * nicknames, bans): every one of a kind, as `[key, value]` pairs.
   */
  loadRecords(kind: string): [string, string][];
  /** Saves (or replaces) one record. */
  saveRecord(kind: string, key: string, value: string): void;
  deleteRecord(kind: string, key: string): void;
  /** Leaves a note (an event to deliver on their next join) for a member who is not present. */
  addNote(nickKey: string, note: PrivateEvent): void;
  /** Returns and forgets the notes left for a member. */
  takeNotes(nickKey: string): PrivateEvent[];
  close(): void;
}

/** The data file could not be opened or is not ours; the message says which file and why. */
export class StoreOpenError extends Error {
  override name = "StoreOpenError";
}
