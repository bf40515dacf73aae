/**
 * The room's store in one SQLite file (`node:sqlite`): the conversation log,
 * pending schedules and notes for absent authors, so history, schedules and
 * resume survive a restart or a `kill -9`.
 *
 * Why SQLite through `node:sqlite` and not `Deno.openKv`: the room core calls
 * its store synchronously and `DatabaseSync` is synchronous; history and
 * resume are range queries by `seq`, which SQL answers with an index; the
 * whole room is one file an operator can copy; and WAL keeps a commit to a
 * few microseconds.
 *
 * Durability: WAL with `synchronous=NORMAL`. Every `appendEvent` is its own
 * committed transaction before the room delivers the event to anyone, and a
 * WAL commit has reached the operating system (a `write()` to the -wal file)
 * when it returns. So a message any member has received survives the server
 * process being killed, SIGKILL included. Only a power loss or kernel crash
 * can lose the last commits, which `synchronous=FULL` (an fsync per message)
 * would prevent at many times the cost; see docs/storage.md for figures.
 */
import { DatabaseSync, type StatementSync } from "node:sqlite";
import type { ConversationEvent, PrivateEvent } from "../protocol/events.ts";
import { type RoomStore, type Schedule, type ScheduleInfo, StoreOpenError } from "./store.ts";

/**
 * The first schema (user_version 1), kept verbatim so the migration path
 * from a version-1 file stays tested. Never edit it; add a migration.
 */
export const SCHEMA_V1 = `
CREATE TABLE events (
  seq INTEGER PRIMARY KEY,
  type TEXT NOT NULL,
  at INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE TABLE schedules (
  id INTEGER PRIMARY KEY,
  due INTEGER NOT NULL,
  author TEXT NOT NULL,
  author_key TEXT NOT NULL,
  text TEXT NOT NULL
);
CREATE TABLE counters (
  name TEXT PRIMARY KEY,
  value INTEGER NOT NULL
);
`;

/**
 * `MIGRATIONS[n]` takes a file from user_version n to n + 1. Version 2
 * stores notes for absent authors (version 1 kept them in memory, so a
 * "your scheduled message was dropped" note was lost on restart). Version 3
 * keeps settings that outlive a restart, such as the topic. Version 4 records
 * the address a schedule came from, for the per-address cap. Version 5
 * indexes the chat messages (a partial index on seq), so history is read in
 * O(limit) rows however many joins and leaves lie between the messages.
 * Version 6 keeps small records by kind and key: held nicknames and bans.
 *
 * History reads the newest chat messages through the partial index
 * `events_chat` (version 5): a join's cost no longer grows with the number
 * of joins and leaves between messages, which a storm of them made 6x
 * slower. The price is a second B-tree page written per chat message; see
 * docs/storage.md for the append cost with and without it.
 */
const MIGRATIONS: readonly string[] = [
  SCHEMA_V1,
  `
CREATE TABLE notes (
  id INTEGER PRIMARY KEY,
  nick_key TEXT NOT NULL,
  text TEXT NOT NULL
);
CREATE INDEX notes_by_nick ON notes (nick_key, id);
`,
  `
CREATE TABLE settings (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL
);
`,
  `
ALTER TABLE schedules ADD COLUMN address TEXT;
`,
  `
CREATE INDEX events_chat ON events (seq) WHERE type IN ('message', 'action', 'scheduled');
`,
  `
CREATE TABLE records (
  kind TEXT NOT NULL,
  key TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (kind, key)
) WITHOUT ROWID;
`,
];

/** The schema version this code writes. */
export const SCHEMA_VERSION = MIGRATIONS.length;

/** Conversation events kept; older ones are pruned (history and resume need far fewer). */
const DEFAULT_KEEP_EVENTS = 100_000;
/**
 * Presence events (joins, leaves, renames...) kept; older ones are pruned
 * first, so churn never pushes chat messages out of history.
 */
const DEFAULT_KEEP_PRESENCE = 10_000;
/** Pruning runs once per this many appends, so its cost is spread thin. */
const PRUNE_EVERY = 1000;

export interface SqliteStoreOptions {
  /** Conversation events to keep; older ones are deleted. */
  keepEvents?: number;
  /** `NORMAL` (the default) or `FULL`, for measuring; see the module doc. */
  synchronous?: "NORMAL" | "FULL";
}

export class SqliteStore implements RoomStore {
  readonly path: string;
  #db: DatabaseSync;
  #keepEvents: number;
  #lastSeq = 0;
  #sincePrune = 0;
  #closed = false;
  #insertEvent!: StatementSync;
  #recent!: StatementSync;
  #before!: StatementSync;
  #loadSetting!: StatementSync;
  #loadRecords!: StatementSync;
  #saveRecord!: StatementSync;
  #deleteRecord!: StatementSync;
  #saveSetting!: StatementSync;
  #oldestSeq!: StatementSync;
  #after!: StatementSync;
  #prune!: StatementSync;
  #prunePresence!: StatementSync;
  #saveSchedule!: StatementSync;
  #bumpScheduleId!: StatementSync;
  #deleteSchedule!: StatementSync;
  #renameAuthor!: StatementSync;
  #scheduleText!: StatementSync;
  #loadSchedules!: StatementSync;
  #lastScheduleId!: StatementSync;
  #addNote!: StatementSync;
  #notesFor!: StatementSync;
  #deleteNotes!: StatementSync;

  /** Opens (creating if needed) the file at `path` and migrates it forward. */
  constructor(path: string, options: SqliteStoreOptions = {}) {
    this.path = path;
    this.#keepEvents = options.keepEvents ?? DEFAULT_KEEP_EVENTS;
    try {
      this.#db = new DatabaseSync(path);
    } catch (error) {
      throw new StoreOpenError(`Cannot open data file "${path}": ${messageOf(error)}`);
    }
    try {
      this.#configure(options.synchronous ?? "NORMAL");
      migrate(this.#db, path);
      this.#prepare();
      // Read what start-up needs now, so a damaged file is found here, with
      // a clear message, not in the middle of serving the room.
      const row = this.#db.prepare("SELECT coalesce(max(seq), 0) AS seq FROM events").get();
      this.#lastSeq = Number(row?.seq ?? 0);
      this.#oldestSeq.get();
      this.#loadSchedules.all();
    } catch (error) {
      this.#db.close();
      throw openError(path, error);
    }
  }

  /** Prepares every statement once. */
  #prepare(): void {
    const db = this.#db;
    this.#insertEvent = db.prepare("INSERT INTO events (seq, type, at, body) VALUES (?, ?, ?, ?)");
    this.#recent = db.prepare(
      "SELECT body FROM events WHERE type IN ('message', 'action', 'scheduled') ORDER BY seq DESC LIMIT ?",
    );
    this.#before = db.prepare(
      `SELECT body FROM events WHERE seq < ? AND type IN ('message', 'action', 'scheduled')
       ORDER BY seq DESC LIMIT ?`,
    );
    this.#loadSetting = db.prepare("SELECT value FROM settings WHERE name = ?");
    this.#loadRecords = db.prepare("SELECT key, value FROM records WHERE kind = ?");
    this.#saveRecord = db.prepare(
      "INSERT INTO records (kind, key, value) VALUES (?, ?, ?) ON CONFLICT (kind, key) DO UPDATE SET value = excluded.value",
    );
    this.#deleteRecord = db.prepare("DELETE FROM records WHERE kind = ? AND key = ?");
    this.#saveSetting = db.prepare(
      "INSERT INTO settings (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
    );
    this.#oldestSeq = db.prepare("SELECT min(seq) AS seq FROM events");
    this.#after = db.prepare("SELECT body FROM events WHERE seq > ? ORDER BY seq LIMIT ?");
    this.#prune = db.prepare("DELETE FROM events WHERE seq <= ?");
    this.#prunePresence = db.prepare(
      "DELETE FROM events WHERE seq <= ? AND type NOT IN ('message', 'action', 'scheduled')",
    );
    this.#saveSchedule = db.prepare(
      `INSERT OR REPLACE INTO schedules (id, due, author, author_key, text, address)
       VALUES (?, ?, ?, ?, ?, ?)`,
    );
    this.#renameAuthor = db.prepare(
      "UPDATE schedules SET author = ?, author_key = ? WHERE author_key = ?",
    );
    this.#scheduleText = db.prepare("SELECT text FROM schedules WHERE id = ?");
    this.#bumpScheduleId = db.prepare(
      `INSERT INTO counters (name, value) VALUES ('last_schedule_id', ?)
       ON CONFLICT (name) DO UPDATE SET value = max(value, excluded.value)`,
    );
    this.#deleteSchedule = db.prepare("DELETE FROM schedules WHERE id = ?");
    this.#loadSchedules = db.prepare(
      `SELECT id, due, author, author_key AS authorKey, address,
              length(CAST(text AS BLOB)) AS bytes
       FROM schedules ORDER BY due, id`,
    );
    this.#lastScheduleId = db.prepare(
      `SELECT max(
         coalesce((SELECT value FROM counters WHERE name = 'last_schedule_id'), 0),
         coalesce((SELECT max(id) FROM schedules), 0)
       ) AS id`,
    );
    this.#addNote = db.prepare("INSERT INTO notes (nick_key, text) VALUES (?, ?)");
    this.#notesFor = db.prepare("SELECT text FROM notes WHERE nick_key = ? ORDER BY id");
    this.#deleteNotes = db.prepare("DELETE FROM notes WHERE nick_key = ?");
  }

  #configure(synchronous: "NORMAL" | "FULL"): void {
    // Exclusive locking: the first write below takes the file's lock and keeps
    // it, so a second server on the same file fails at start instead of
    // interleaving sequence numbers. It also lets WAL skip the shared-memory file.
    this.#db.exec("PRAGMA locking_mode = EXCLUSIVE");
    this.#db.exec("PRAGMA journal_mode = WAL");
    this.#db.exec(`PRAGMA synchronous = ${synchronous}`);
  }

  appendEvent(event: ConversationEvent): void {
    this.#insertEvent.run(event.seq, event.type, event.at, JSON.stringify(event));
    this.#lastSeq = event.seq;
    if (++this.#sincePrune >= PRUNE_EVERY) {
      this.#sincePrune = 0;
      if (this.#lastSeq > this.#keepEvents) this.#prune.run(this.#lastSeq - this.#keepEvents);
      if (this.#lastSeq > DEFAULT_KEEP_PRESENCE) {
        this.#prunePresence.run(this.#lastSeq - DEFAULT_KEEP_PRESENCE);
      }
    }
  }

  recentMessages(limit: number): ConversationEvent[] {
    if (limit <= 0) return [];
    const rows = this.#recent.all(limit) as { body: string }[];
    return rows.reverse().map((row) => JSON.parse(row.body));
  }

  messagesBefore(beforeSeq: number, limit: number): ConversationEvent[] {
    if (limit <= 0) return [];
    const rows = this.#before.all(beforeSeq, limit) as { body: string }[];
    return rows.reverse().map((row) => JSON.parse(row.body));
  }

  loadSetting(name: string): string | null {
    const row = this.#loadSetting.get(name) as { value: string } | undefined;
    return row?.value ?? null;
  }

  saveSetting(name: string, value: string): void {
    this.#saveSetting.run(name, value);
  }

  loadRecords(kind: string): [string, string][] {
    return (this.#loadRecords.all(kind) as { key: string; value: string }[]).map((
      row,
    ) => [row.key, row.value]);
  }

  saveRecord(kind: string, key: string, value: string): void {
    this.#saveRecord.run(kind, key, value);
  }

  deleteRecord(kind: string, key: string): void {
    this.#deleteRecord.run(kind, key);
  }

  eventsAfter(afterSeq: number, limit: number): ConversationEvent[] | null {
    if (afterSeq >= this.#lastSeq) return [];
    const oldest = Number(this.#oldestSeq.get()?.seq ?? this.#lastSeq + 1);
    if (oldest > afterSeq + 1) return null;
    const rows = this.#after.all(afterSeq, limit) as { body: string }[];
    return rows.map((row) => JSON.parse(row.body));
  }

  lastSeq(): number {
    return this.#lastSeq;
  }

  saveSchedule(schedule: Schedule): void {
    // One transaction, so a kill between the two writes cannot leave a
    // schedule whose id the counter does not cover.
    this.#db.exec("BEGIN");
    try {
      const { id, due, author, authorKey, text, address } = schedule;
      this.#saveSchedule.run(id, due, author, authorKey, text, address ?? null);
      this.#bumpScheduleId.run(id);
      this.#db.exec("COMMIT");
    } catch (error) {
      this.#db.exec("ROLLBACK");
      throw error;
    }
  }

  deleteSchedule(id: number): void {
    this.#deleteSchedule.run(id);
  }

  renameScheduleAuthor(oldKey: string, author: string, authorKey: string): void {
    this.#renameAuthor.run(author, authorKey, oldKey);
  }

  loadSchedules(): ScheduleInfo[] {
    type Row = Omit<ScheduleInfo, "address"> & { address: string | null };
    return (this.#loadSchedules.all() as unknown as Row[]).map(({ address, ...row }) => ({
      ...row,
      bytes: Number(row.bytes),
      ...(address === null ? {} : { address }),
    }));
  }

  scheduleText(id: number): string | null {
    const row = this.#scheduleText.get(id) as { text: string } | undefined;
    return row?.text ?? null;
  }

  lastScheduleId(): number {
    return Number(this.#lastScheduleId.get()?.id ?? 0);
  }

  /** Kept as the event's JSON in the `text` column. */
  addNote(nickKey: string, note: PrivateEvent): void {
    this.#addNote.run(nickKey, JSON.stringify(note));
  }

  takeNotes(nickKey: string): PrivateEvent[] {
    const rows = this.#notesFor.all(nickKey) as { text: string }[];
    if (rows.length > 0) this.#deleteNotes.run(nickKey);
    return rows.map((row) => noteOf(row.text));
  }

  /** Closes the file; SQLite checkpoints the WAL into it. Safe to call twice. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#db.close();
  }
}

/** Brings the file to SCHEMA_VERSION, one migration per transaction. */
function migrate(db: DatabaseSync, path: string): void {
  let version = userVersion(db);
  if (version > SCHEMA_VERSION) {
    throw new StoreOpenError(
      `Data file "${path}" has schema version ${version}, newer than this chat ` +
        `understands (${SCHEMA_VERSION}); upgrade chat or use another --data file.`,
    );
  }
  while (version < SCHEMA_VERSION) {
    db.exec("BEGIN IMMEDIATE");
    try {
      db.exec(MIGRATIONS[version]);
      db.exec(`PRAGMA user_version = ${version + 1}`);
      db.exec("COMMIT");
    } catch (error) {
      db.exec("ROLLBACK");
      throw error;
    }
    version++;
  }
  if (version === SCHEMA_VERSION) {
    // Take the write lock now even when nothing needed migrating, so a second
    // server on the same file is refused at start.
    db.exec("BEGIN IMMEDIATE");
    db.exec("COMMIT");
  }
}

/** A stored note: an event's JSON, or (from a version-2 file's earlier life) plain text. */
function noteOf(text: string): PrivateEvent {
  if (text.startsWith("{")) {
    try {
      return JSON.parse(text);
    } catch {
      // Plain text that happens to start with a brace.
    }
  }
  return { type: "notice", at: 0, text };
}

/** What went wrong opening the file, as one line that says what to do. */
function openError(path: string, error: unknown): StoreOpenError {
  if (error instanceof StoreOpenError) return error;
  const message = messageOf(error);
  if (/locked|busy/i.test(message)) {
    return new StoreOpenError(`Data file "${path}" is in use by another chat server.`);
  }
  if (/malformed|corrupt/i.test(message)) {
    return new StoreOpenError(
      `Data file "${path}" is damaged (${message}). Restore it from a backup, or move it aside to start an empty room.`,
    );
  }
  if (/not a database|encrypted/i.test(message)) {
    return new StoreOpenError(
      `Data file "${path}" is not a chat data file (${message}). Point --data at another file, or move it aside.`,
    );
  }
  return new StoreOpenError(`Cannot use data file "${path}": ${message}`);
}

/** The file's `PRAGMA user_version`: 0 for a new file. */
export function userVersion(db: DatabaseSync): number {
  return Number(db.prepare("PRAGMA user_version").get()?.user_version ?? 0);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
