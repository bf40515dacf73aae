import { assert, assertEquals, assertMatch, assertThrows } from "./support/assert.ts";
import { DatabaseSync } from "node:sqlite";
import type { ConversationEvent, PrivateEvent } from "../protocol/events.ts";
import { defaultDataPath, parentDir } from "../server/data_dir.ts";
import { MemoryStore } from "../server/memory_store.ts";
import { openStore } from "../server/open_store.ts";
import { Room } from "../server/room.ts";
import { handleLine } from "../server/commands.ts";
import { SCHEMA_V1, SCHEMA_VERSION, SqliteStore, userVersion } from "../server/sqlite_store.ts";
import { StoreOpenError } from "../server/store.ts";
import { RecordingOutbox } from "./support/recording_outbox.ts";
import { tempDir } from "./support/temp_dir.ts";

function note(text: string): PrivateEvent {
  return { type: "notice", at: 5, text };
}

function message(seq: number, text: string, from = "ana"): ConversationEvent {
  return { type: "message", seq, at: 1_000 + seq, from, text };
}

Deno.test("SqliteStore keeps events, history and lastSeq across a reopen", async () => {
  await using dir = await tempDir("chat_store_");
  const path = `${dir.path}/chat.db`;
  const store = new SqliteStore(path);
  assertEquals(store.lastSeq(), 0);
  assertEquals(store.recentMessages(10), []);
  store.appendEvent({ type: "join", seq: 1, at: 1, nick: "ana" });
  store.appendEvent(message(2, "one"));
  store.appendEvent({ type: "scheduled", seq: 3, at: 3, from: "ana", text: "s", late: true });
  store.appendEvent({ type: "leave", seq: 4, at: 4, nick: "ana", reason: "quit" });
  store.appendEvent(message(5, "two"));
  store.close();

  const reopened = new SqliteStore(path);
  try {
    assertEquals(reopened.lastSeq(), 5);
    assertEquals(reopened.recentMessages(10).map((e) => e.seq), [2, 3, 5]);
    assertEquals(reopened.recentMessages(2).map((e) => e.seq), [3, 5]);
    assertEquals(reopened.recentMessages(0), []);
    assertEquals(reopened.recentMessages(1), [message(5, "two")]);
    assertEquals(reopened.recentMessages(2)[0], {
      type: "scheduled",
      seq: 3,
      at: 3,
      from: "ana",
      text: "s",
      late: true,
    });
    assertEquals(reopened.eventsAfter(2, 100)?.map((e) => e.seq), [3, 4, 5]);
    assertEquals(reopened.eventsAfter(0, 100)?.map((e) => e.seq), [1, 2, 3, 4, 5]);
    assertEquals(reopened.eventsAfter(5, 100), []);
    assertEquals(reopened.eventsAfter(99, 100), []);
  } finally {
    reopened.close();
  }
});

Deno.test("SqliteStore prunes old events and says when a resume reaches past them", async () => {
  await using dir = await tempDir("chat_store_");
  const store = new SqliteStore(`${dir.path}/chat.db`, { keepEvents: 500 });
  try {
    for (let seq = 1; seq <= 2000; seq++) store.appendEvent(message(seq, `m${seq}`));
    assertEquals(store.eventsAfter(100, 100), null);
    assertEquals(store.eventsAfter(1990, 100)?.map((e) => e.seq), [
      1991,
      1992,
      1993,
      1994,
      1995,
      1996,
      1997,
      1998,
      1999,
      2000,
    ]);
    assertEquals(store.lastSeq(), 2000);
  } finally {
    store.close();
  }
});

Deno.test("SqliteStore keeps schedules and never reuses a schedule id", async () => {
  await using dir = await tempDir("chat_store_");
  const path = `${dir.path}/chat.db`;
  const store = new SqliteStore(path);
  assertEquals(store.lastScheduleId(), 0);
  store.saveSchedule({ id: 1, due: 500, author: "Ana", authorKey: "ana", text: "later", bytes: 5 });
  store.saveSchedule({ id: 2, due: 100, author: "Bo", authorKey: "bo", text: "sooner", bytes: 6 });
  store.saveSchedule({
    id: 2,
    due: 100,
    author: "Bob",
    authorKey: "bob",
    text: "sööner",
    bytes: 8,
    address: "203.0.113.9",
  });
  store.deleteSchedule(1);
  store.close();

  const reopened = new SqliteStore(path);
  try {
    // Start-up reads no text: only what the caps need, the size included.
    assertEquals(reopened.loadSchedules(), [
      { id: 2, due: 100, author: "Bob", authorKey: "bob", bytes: 8, address: "203.0.113.9" },
    ]);
    assertEquals(reopened.scheduleText(2), "sööner");
    reopened.renameScheduleAuthor("bob", "Rob", "rob");
    assertEquals(reopened.loadSchedules()[0].author, "Rob");
    reopened.deleteSchedule(2);
    assertEquals(reopened.loadSchedules(), []);
    assertEquals(reopened.lastScheduleId(), 2);
  } finally {
    reopened.close();
  }
});

Deno.test("SqliteStore keeps notes until they are taken, across a reopen", async () => {
  await using dir = await tempDir("chat_store_");
  const path = `${dir.path}/chat.db`;
  const store = new SqliteStore(path);
  store.addNote("ana", note("first"));
  store.addNote("bob", note("other"));
  store.addNote("ana", { type: "schedule_dropped", at: 5, id: 2, due: 4, text: "second" });
  store.close();
  const reopened = new SqliteStore(path);
  try {
    assertEquals(reopened.takeNotes("ana"), [
      note("first"),
      { type: "schedule_dropped", at: 5, id: 2, due: 4, text: "second" },
    ]);
    assertEquals(reopened.takeNotes("ana"), []);
    assertEquals(reopened.takeNotes("bob"), [note("other")]);
  } finally {
    reopened.close();
  }
});

Deno.test("SqliteStore migrates a version-1 file forward and keeps its data", async () => {
  await using dir = await tempDir("chat_store_");
  const path = `${dir.path}/chat.db`;
  const v1 = new DatabaseSync(path);
  v1.exec(SCHEMA_V1);
  v1.exec("PRAGMA user_version = 1");
  v1.prepare("INSERT INTO events (seq, type, at, body) VALUES (?, ?, ?, ?)")
    .run(7, "message", 107, JSON.stringify(message(7, "from v1")));
  v1.prepare("INSERT INTO schedules VALUES (?, ?, ?, ?, ?)").run(3, 9_000, "Ana", "ana", "hi");
  v1.prepare("INSERT INTO counters VALUES ('last_schedule_id', 4)").run();
  v1.close();

  const store = new SqliteStore(path);
  try {
    assertEquals(store.lastSeq(), 7);
    assertEquals(store.recentMessages(5), [message(7, "from v1")]);
    assertEquals(store.loadSchedules(), [
      { id: 3, due: 9_000, author: "Ana", authorKey: "ana", bytes: 2 },
    ]);
    assertEquals(store.scheduleText(3), "hi");
    assertEquals(store.lastScheduleId(), 4);
    store.addNote("ana", note("notes work after the migration"));
    assertEquals(store.takeNotes("ana"), [note("notes work after the migration")]);
  } finally {
    store.close();
  }
  const check = new DatabaseSync(path);
  try {
    assertEquals(userVersion(check), SCHEMA_VERSION);
    assertEquals(SCHEMA_VERSION, 6);
    const indexes = check.prepare("SELECT name FROM sqlite_master WHERE type = 'index'").all()
      .map((row) => row.name);
    assert(indexes.includes("notes_by_nick"), String(indexes));
    assert(indexes.includes("events_chat"), String(indexes));
    const tables = check.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all()
      .map((row) => row.name);
    assert(tables.includes("settings"), String(tables));
    assert(tables.includes("records"), String(tables));
  } finally {
    check.close();
  }
});

Deno.test("SqliteStore refuses a file from a newer chat, and a file another server holds", async () => {
  await using dir = await tempDir("chat_store_");
  const newer = new DatabaseSync(`${dir.path}/newer.db`);
  newer.exec("PRAGMA user_version = 99");
  newer.close();
  assertThrows(() => new SqliteStore(`${dir.path}/newer.db`), /schema version 99, newer than/);

  const first = new SqliteStore(`${dir.path}/chat.db`);
  try {
    assertThrows(
      () => new SqliteStore(`${dir.path}/chat.db`),
      (error: Error) => error instanceof StoreOpenError && /in use by another/.test(error.message),
    );
  } finally {
    first.close();
  }
  new SqliteStore(`${dir.path}/chat.db`).close();
  assertThrows(() => new SqliteStore(`${dir.path}/missing/dir/chat.db`), /Cannot open data file/);
});

Deno.test("openStore() uses memory with --memory, else a file whose directory it creates", async () => {
  await using dir = await tempDir("chat_store_");
  const memory = await openStore({ memory: true, dataPath: `${dir.path}/unused.db` });
  assert(memory.store instanceof MemoryStore);
  assertEquals(memory.path, null);
  memory.store.close();
  const path = `${dir.path}/nested/deeper/chat.db`;
  const { store: file, path: opened } = await openStore({ memory: false, dataPath: path });
  try {
    assert(file instanceof SqliteStore);
    assertEquals(opened, path);
    assert(Deno.statSync(path).isFile);
  } finally {
    file.close();
  }
});

Deno.test("defaultDataPath() follows XDG_DATA_HOME, then HOME, and LOCALAPPDATA on Windows", () => {
  const env = (vars: Record<string, string>) => (name: string) => vars[name];
  assertEquals(
    defaultDataPath(env({ XDG_DATA_HOME: "/x", HOME: "/h" }), "linux"),
    "/x/chat/chat.db",
  );
  assertEquals(
    defaultDataPath(env({ XDG_DATA_HOME: "", HOME: "/h" }), "linux"),
    "/h/.local/share/chat/chat.db",
  );
  assertEquals(
    defaultDataPath(env({ XDG_DATA_HOME: "rel", HOME: "/h" }), "darwin"),
    "/h/.local/share/chat/chat.db",
  );
  assertThrows(() => defaultDataPath(env({}), "linux"), /set HOME or use --data/);
  assertEquals(
    defaultDataPath(env({ LOCALAPPDATA: "C:\\Users\\a\\AppData\\Local" }), "windows"),
    "C:\\Users\\a\\AppData\\Local\\chat\\chat.db",
  );
  assertEquals(
    defaultDataPath(env({ USERPROFILE: "C:\\Users\\a" }), "windows"),
    "C:\\Users\\a\\AppData\\Local\\chat\\chat.db",
  );
  assertEquals(parentDir("/a/b/chat.db"), "/a/b");
  assertEquals(parentDir("chat.db"), ".");
  assertEquals(parentDir("/chat.db"), "/");
  assertEquals(parentDir("C:\\chat.db"), "C:\\");
  assertEquals(parentDir("C:\\x\\chat.db"), "C:\\x");
});

Deno.test("a room on SqliteStore replays chat history to a newcomer after a restart, without whispers or joins", async () => {
  await using dir = await tempDir("chat_store_");
  const path = `${dir.path}/chat.db`;
  const store = new SqliteStore(path);
  const before = new Room(new RecordingOutbox(), { store, historySize: 2 });
  before.join(1, "ana");
  before.join(2, "bob");
  before.say(1, "one");
  handleLine(before, 1, "/whisper bob secret");
  before.say(2, "two");
  before.say(1, "three");
  before.leave(2, "quit");
  store.close();

  const outbox = new RecordingOutbox();
  const reopened = new SqliteStore(path);
  try {
    const room = new Room(outbox, { store: reopened, historySize: 2 });
    assertEquals(room.lastSeq, 6);
    room.join(3, "cy");
    const sent = outbox.sent.get(3)!;
    assertEquals(sent[0].type, "welcome");
    assertEquals((sent[0] as { seq: number }).seq, 6);
    assertEquals(sent.slice(1, 3), [
      {
        type: "message",
        seq: 4,
        at: (sent[1] as { at: number }).at,
        from: "bob",
        text: "two",
        history: true,
      },
      {
        type: "message",
        seq: 5,
        at: (sent[2] as { at: number }).at,
        from: "ana",
        text: "three",
        history: true,
      },
    ]);
    assertMatch(JSON.stringify(sent[3]), /"type":"join","seq":7/);
    assert(!JSON.stringify(sent).includes("secret"));
  } finally {
    reopened.close();
  }
});
