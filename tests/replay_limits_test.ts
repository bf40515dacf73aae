/**
 * Replays are bounded and streamed: a resume replays at most
 * MAX_REPLAY_EVENTS events after a gap marker, whatever `lastSeq` a client
 * sends, and while eight resumers are replayed the room answers others.
 */
import type { EventOf, ServerEvent } from "../protocol/events.ts";
import { MAX_REPLAY_EVENTS, Room } from "../server/room.ts";
import { SqliteStore } from "../server/sqlite_store.ts";
import { assert, assertEquals } from "./support/assert.ts";
import { RecordingOutbox } from "./support/recording_outbox.ts";
import { ServeProcess } from "./support/serve_process.ts";
import { tempDir } from "./support/temp_dir.ts";
import { joinJson, joinPlain, JsonClient, startServer } from "./support/test_server.ts";

function replayed(events: ServerEvent[]): number[] {
  return events.filter((e) => "history" in e && e.history === true).map((e) =>
    (e as { seq: number }).seq
  );
}

Deno.test("a resume after more than MAX_REPLAY_EVENTS replays a gap marker and the latest ones", () => {
  const outbox = new RecordingOutbox();
  const room = new Room(outbox, { newToken: () => "t" });
  room.join(1, "ana", { resumable: true });
  room.join(2, "bob");
  const seen = room.lastSeq;
  room.drop(1);
  for (let i = 0; i < MAX_REPLAY_EVENTS + 500; i++) room.say(2, `m${i}`);
  outbox.take(1);
  const latest = room.lastSeq;
  room.join(3, "ana", { resume: "t", lastSeq: seen });
  const events = outbox.take(3);
  const gap = events.find((e) => e.type === "gap") as EventOf<"gap">;
  assertEquals(gap.count, latest - seen - MAX_REPLAY_EVENTS);
  assert(gap.count >= 500);
  const seqs = replayed(events);
  assertEquals(seqs.length, MAX_REPLAY_EVENTS);
  assertEquals(seqs.at(-1), latest);
});

Deno.test("a lastSeq that is negative, fractional or not a number is refused with an error and replays nothing", () => {
  for (const lastSeq of [-1, -1e12, 2.5, Number.NaN, "5", { seq: 1 }]) {
    const outbox = new RecordingOutbox();
    const room = new Room(outbox, { newToken: () => "t" });
    room.join(1, "ana", { resumable: true });
    room.join(2, "bob");
    room.drop(1);
    for (let i = 0; i < 20; i++) room.say(2, `m${i}`);
    room.join(3, "ana", { resume: "t", lastSeq });
    const events = outbox.take(3);
    assertEquals(events[0].type, "welcome");
    assertEquals(replayed(events), [], `lastSeq ${String(lastSeq)}`);
    const error = events.find((e) => e.type === "error") as EventOf<"error">;
    assert(error?.text.startsWith(`lastSeq must be a whole number from 0 to ${room.lastSeq};`));
  }
});

Deno.test("a lastSeq past the room's end (an earlier room's) is not an error: a fresh join gets the usual history", () => {
  const outbox = new RecordingOutbox();
  const room = new Room(outbox, { newToken: () => "t", historySize: 3 });
  room.join(1, "bob");
  for (let i = 0; i < 5; i++) room.say(1, `m${i}`);
  room.join(2, "ana", { resumable: true, lastSeq: 1e15 });
  const events = outbox.take(2);
  assertEquals(events.filter((e) => e.type === "error"), []);
  assertEquals(replayed(events).length, 3);
});

Deno.test("over a real socket, a string lastSeq gets the error after the welcome", async () => {
  await using server = startServer();
  const port = server.address.port;
  const { client, welcome } = await joinJson(port, "ana");
  await client.close();
  await using again = await JsonClient.connect(port);
  await again.sendMessage({ type: "nick", nick: "ana", resume: welcome.resume, lastSeq: "-1" });
  await again.waitFor((e) => e.type === "welcome" && e.resumed === true);
  const error = await again.waitFor((e) => e.type === "error") as EventOf<"error">;
  // The room's last seq is ana's own join, one past what her first welcome said.
  assertEquals(
    error.text,
    `lastSeq must be a whole number from 0 to ${welcome.seq + 1}; "-1" was ignored.`,
  );
});

/** The server's resident memory in MB, from /proc (Linux). */
async function rssMegabytes(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)![1]) / 1024;
}

Deno.test({
  name:
    "eight resumers asking for everything of 20,000 stored events: memory stays flat and others are answered",
  ignore: Deno.build.os !== "linux",
  async fn() {
    await using dir = await tempDir("chat_replay_");
    const data = `${dir.path}/chat.db`;
    const store = new SqliteStore(data);
    const text = "r".repeat(400);
    for (let seq = 1; seq <= 20_000; seq++) {
      store.appendEvent({
        type: "message",
        seq,
        at: Date.now(),
        from: "old",
        text: `${seq} ${text}`,
      });
    }
    store.close();
    await using server = new ServeProcess(["--data", data, "--rate", "0"]);
    const port = await server.port;
    const welcomes: EventOf<"welcome">[] = [];
    for (let i = 0; i < 8; i++) {
      const { client, welcome } = await joinJson(port, `resumer${i}`);
      welcomes.push(welcome);
      await client.close();
    }
    await using bystander = await joinPlain(port, "bystander");
    const before = await rssMegabytes(server.child.pid);
    const resumers = await Promise.all(welcomes.map(async (welcome) => {
      const client = await JsonClient.connect(port);
      await client.sendMessage({
        type: "nick",
        nick: welcome.nick,
        resume: welcome.resume,
        lastSeq: 0,
      });
      return client;
    }));
    try {
      // While they are replayed, the room still answers someone else at once.
      const asked = performance.now();
      await bystander.send("/user");
      await bystander.waitFor("Users in chat", 5000);
      const answeredMs = performance.now() - asked;
      const counts = await Promise.all(resumers.map(async (client) => {
        await client.waitFor((e) => e.type === "welcome" && e.resumed === true, 10_000);
        let replays = 0;
        let gap = 0;
        while (replays < MAX_REPLAY_EVENTS) {
          const event = await client.next(10_000);
          if (event.type === "gap") gap = event.count;
          else if ("history" in event) replays++;
        }
        return { replays, gap };
      }));
      const after = await rssMegabytes(server.child.pid);
      for (const { replays, gap } of counts) {
        assertEquals(replays, MAX_REPLAY_EVENTS);
        assert(gap > 19_000, `gap ${gap}`);
      }
      assert(after - before < 50, `RSS grew ${(after - before).toFixed(1)} MB`);
      assert(answeredMs < 1000, `/user took ${answeredMs.toFixed(0)} ms`);
    } finally {
      await Promise.all(resumers.map((client) => client.close()));
    }
  },
});
