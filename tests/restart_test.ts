/**
 * Restarts of a real `chat serve` process on one data file: what members saw
 * (messages, history, schedules) survives a clean stop and a SIGKILL, and
 * schedules that fell due while it was down are settled on start.
 */
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { DatabaseSync } from "node:sqlite";
import type { ServerEvent } from "../protocol/events.ts";
import { eventText } from "../protocol/plain.ts";
import { SqliteStore } from "../server/sqlite_store.ts";
import { ServeProcess } from "./support/serve_process.ts";
import { tempDir } from "./support/temp_dir.ts";
import { joinJson, joinPlain, type JsonClient } from "./support/test_server.ts";
import { generateIdentity, type Identity } from "../client/identity.ts";

/** `chat serve` with its data at `dataPath` and rate limiting off (`--rate 0`). */
function startServer(dataPath: string): ServeProcess {
  return new ServeProcess(["--data", dataPath, "--rate", "0"], { env: { NO_COLOR: "1" } });
}

/** Events a fresh structured client is sent on joining, up to its own join. */
async function joinAndReadHistory(
  port: number,
  nick: string,
  identity?: Identity,
): Promise<{ client: JsonClient; seq: number; events: ServerEvent[] }> {
  const { client, welcome } = await joinJson(port, nick, {}, identity);
  const events: ServerEvent[] = [];
  for (let i = 0; i < 1000; i++) {
    const event = await client.next();
    if (event.type === "join" && event.nick === nick) return { client, seq: welcome.seq, events };
    events.push(event);
  }
  throw new Error("No join event.");
}

function texts(events: ServerEvent[]): string[] {
  return events.map((e) => e.type === "message" || e.type === "scheduled" ? e.text : e.type);
}

Deno.test("messages, history and schedules survive a clean stop (SIGTERM) of a real server", async () => {
  await using dir = await tempDir("chat_restart_");
  const data = `${dir.path}/chat.db`;
  // Schedules are ana's key's, not the name's: the same key finds them after the restart.
  const { identity } = await generateIdentity();
  let lastSeq: number;
  {
    await using server = startServer(data);
    const port = await server.port;
    const ana = await joinJson(port, "ana", {}, identity);
    await using bob = await joinPlain(port, "bob");
    await ana.client.say("one");
    await bob.send("/whisper ana secret");
    await bob.send("two");
    const two = await ana.client.waitFor((e) => e.type === "message" && e.text === "two");
    lastSeq = (two as { seq: number }).seq;
    await ana.client.say("/schedule +10m standup");
    await ana.client.waitFor((e) => e.type === "schedule_ok");
    await ana.client.close();
    const { code, log } = await server.stop("SIGTERM");
    assertEquals(code, 0, log);
    assertMatch(log, /stopped/);
  }
  {
    await using server = startServer(data);
    const port = await server.port;
    const cy = await joinAndReadHistory(port, "cy");
    assert(cy.seq >= lastSeq, `seq continues: ${cy.seq} after ${lastSeq}`);
    assertEquals(texts(cy.events), ["one", "two"]);
    assert(cy.events.every((e) => "history" in e && e.history === true));
    const ana = await joinAndReadHistory(port, "ana", identity);
    await ana.client.say("/schedules");
    const listing = await ana.client.waitFor((e) => e.type === "schedules");
    assertEquals(
      (listing as Extract<ServerEvent, { type: "schedules" }>).items.map((i) => [i.id, i.text]),
      [[1, "standup"]],
    );
    await ana.client.close();
    await cy.client.close();
    assertEquals((await server.stop("SIGTERM")).code, 0);
  }
});

Deno.test("a message any member has received survives SIGKILL of the server", async () => {
  await using dir = await tempDir("chat_restart_");
  const data = `${dir.path}/chat.db`;
  const { identity } = await generateIdentity();
  {
    await using server = startServer(data);
    const port = await server.port;
    const ana = await joinJson(port, "ana", {}, identity);
    await ana.client.say("/schedule +1h after the crash");
    await ana.client.waitFor((e) => e.type === "schedule_ok");
    for (let i = 1; i <= 50; i++) await ana.client.say(`kept ${i}`);
    // Once ana has received it, it was stored: the room writes before it delivers.
    await ana.client.waitFor((e) => e.type === "message" && e.text === "kept 50");
    const { code } = await server.stop("SIGKILL");
    assert(code !== 0);
    await ana.client.close();
  }
  {
    await using server = startServer(data);
    const port = await server.port;
    const bob = await joinAndReadHistory(port, "bob");
    const history = texts(bob.events);
    assertEquals(history.length, 50);
    assertEquals(history.at(-1), "kept 50");
    const ana = await joinAndReadHistory(port, "ana", identity);
    await ana.client.say("/schedules");
    const listing = await ana.client.waitFor((e) => e.type === "schedules");
    assertEquals(
      (listing as Extract<ServerEvent, { type: "schedules" }>).items.map((i) => i.text),
      ["after the crash"],
    );
    await ana.client.close();
    await bob.client.close();
    assertEquals((await server.stop("SIGTERM")).code, 0);
  }
});

Deno.test("on start a schedule due during the downtime is sent late; one over an hour late is dropped and its author told", async () => {
  await using dir = await tempDir("chat_restart_");
  const data = `${dir.path}/chat.db`;
  new SqliteStore(data).close(); // creates the current schema
  const db = new DatabaseSync(data);
  const insert = db.prepare(
    "INSERT INTO schedules (id, due, author, author_key, text) VALUES (?, ?, ?, ?, ?)",
  );
  const now = Date.now();
  const { identity } = await generateIdentity();
  const author = `key:${identity.fingerprint}`;
  insert.run(1, now - 5 * 60_000, "Ana", author, "five minutes late");
  insert.run(2, now - 2 * 3_600_000, "Ana", author, "two hours late");
  insert.run(3, now + 3_600_000, "Ana", author, "not yet");
  db.close();

  await using server = startServer(data);
  const port = await server.port;
  const bob = await joinAndReadHistory(port, "bob");
  const scheduled = bob.events.filter((e) => e.type === "scheduled");
  assertEquals(
    scheduled.map((e) => e.type === "scheduled" && [e.from, e.text, e.late]),
    [["Ana", "five minutes late", true]],
  );
  const ana = await joinAndReadHistory(port, "ana", identity);
  const dropped = ana.events.filter((e) => e.type === "schedule_dropped");
  assertEquals(dropped.length, 1, JSON.stringify(ana.events));
  assertEquals(dropped[0].type === "schedule_dropped" && dropped[0].due, now - 2 * 3_600_000);
  const notices = dropped.map(eventText);
  assertMatch(
    notices[0],
    /^Your scheduled message #2 for \d\d:\d\d was not sent: the server was down/,
  );
  assert(notices[0].endsWith("Text: two hours late"));
  await ana.client.say("/schedules");
  const listing = await ana.client.waitFor((e) => e.type === "schedules");
  assertEquals(
    (listing as Extract<ServerEvent, { type: "schedules" }>).items.map((i) => i.text),
    ["not yet"],
  );
  await ana.client.close();
  await bob.client.close();
  assertEquals((await server.stop("SIGTERM")).code, 0);
});
