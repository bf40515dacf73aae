/**
 * When the data file stops taking writes (a full disk, an I/O error, a file
 * removed underneath), the room goes on from memory, the owner is told, and
 * what was missed is written once the file works again. A damaged or foreign
 * data file at start is one line and exit 1.
 */
import { ResilientStore } from "../server/resilient_store.ts";
import { SqliteStore } from "../server/sqlite_store.ts";
import { assert, assertEquals } from "./support/assert.ts";
import { FailingStore } from "./support/failing_store.ts";
import { ServeProcess } from "./support/serve_process.ts";
import { tempDir } from "./support/temp_dir.ts";
import { joinPlain, type LineClient, startServer } from "./support/test_server.ts";

/** A chat message by ana with sequence number `seq`. */
function message(seq: number) {
  return { type: "message" as const, seq, at: seq, from: "ana", text: `m${seq}` };
}

function unstamped(line: string): string {
  return line.replace(/^\[\d\d:\d\d\] /, "");
}

Deno.test("writes that fail do not stop the room; the owner is told, and told again when they work", async () => {
  const store = new FailingStore();
  const logged: string[] = [];
  await using server = startServer({
    store,
    storeRetryMs: 0,
    limits: { rate: 0, outboxBytes: 4096 },
    log: (_level, event, fields) => logged.push(`${event} ${JSON.stringify(fields)}`),
  });
  const port = server.address.port;
  await using ana = await joinPlain(port, "ana");
  await using bob = await joinPlain(port, "bob");
  store.failWrites = true;
  await bob.send("said while the disk is full");
  assertEquals(
    unstamped(await ana.waitFor("History is not being saved")),
    "History is not being saved: database or disk is full. The room goes on; it will be saved again when the disk allows.",
  );
  await ana.waitFor("bob: said while the disk is full");
  assert(logged.some((line) => line.startsWith('store {"state":"failing"')), logged.join("\n"));
  // A newcomer is not left half-registered, and sees what was said.
  await using cy = await joinPlain(port, "cy");
  await cy.send("/user");
  assertEquals(unstamped(await cy.waitFor("Users in chat")), "Users in chat: ana (owner), bob, cy");
  assert(cy.received.some((line) => line.endsWith("(history) bob: said while the disk is full")));
  // The owner leaves: the room still has an owner.
  await ana.send("/quit");
  await bob.waitFor("‣ bob is now the room owner.");
  // The disk has room again: the next write goes through, with what was missed.
  store.failWrites = false;
  await cy.send("back to normal");
  assertEquals(
    unstamped(await bob.waitFor("History is being saved again.")),
    "History is being saved again.",
  );
  const saved = store.inner.recentMessages(10).map((event) => "text" in event ? event.text : "");
  assertEquals(saved, ["said while the disk is full", "back to normal"]);
});

/** Whether this process may mount a tmpfs (root on Linux, usually). */
async function canMountTmpfs(dir: string): Promise<boolean> {
  try {
    const { success } = await new Deno.Command("mount", {
      args: ["-t", "tmpfs", "-o", "size=1m", "tmpfs", dir],
      stdout: "null",
      stderr: "null",
    }).output();
    if (success) await new Deno.Command("umount", { args: [dir] }).output();
    return success;
  } catch {
    return false;
  }
}

/** Resolves once `client` has received a line with `text`, even one already read. */
async function receivedOrWait(client: LineClient, text: string): Promise<void> {
  if (!client.received.some((line) => line.includes(text))) await client.waitFor(text);
}

Deno.test("a real full disk (a 2 MB tmpfs): the server keeps going, and saves again once there is room", async () => {
  await using dir = await tempDir("chat_full_");
  if (Deno.build.os !== "linux" || !(await canMountTmpfs(dir.path))) {
    console.log(
      "Skipped: cannot mount a tmpfs here (needs root on Linux); the FailingStore test covers the room.",
    );
    return;
  }
  const mounted = await new Deno.Command("mount", {
    args: ["-t", "tmpfs", "-o", "size=2m", "tmpfs", dir.path],
  }).output();
  assert(mounted.success);
  try {
    // Most of the space goes to a filler file, so the database fills up soon.
    await Deno.writeFile(`${dir.path}/filler`, new Uint8Array(1_900_000));
    await using server = new ServeProcess(["--data", `${dir.path}/chat.db`, "--rate", "0"]);
    const port = await server.port;
    await using ana = await joinPlain(port, "ana");
    await using bob = await joinPlain(port, "bob");
    const text = "f".repeat(4000);
    for (let i = 0; i < 400 && !/store.*failing/.test(server.log); i++) {
      await bob.send(`${i} ${text}`);
      await ana.waitFor(`bob: ${i} `);
    }
    await server.waitForLog(/store.*failing/);
    await receivedOrWait(ana, "History is not being saved");
    // Still a room: chat, a newcomer, a whisper.
    await bob.send("still chatting");
    await ana.waitFor("bob: still chatting");
    await using cy = await joinPlain(port, "cy");
    await cy.send("/whisper ana hello");
    await ana.waitFor("[Whisper from cy] hello");
    // Room on the disk again.
    await Deno.remove(`${dir.path}/filler`);
    const end = Date.now() + 15_000;
    while (!/store.*recovered/.test(server.log) && Date.now() < end) {
      await cy.send("knock");
      await ana.waitFor("cy: knock");
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    await server.waitForLog(/store.*recovered/, 1000);
    await receivedOrWait(ana, "History is being saved again.");
    const { code, log } = await server.stop("SIGTERM");
    assertEquals(code, 0, log.slice(-2000));
    assert(!log.includes("Uncaught"), log.slice(-2000));
  } finally {
    await new Deno.Command("umount", { args: [dir.path] }).output();
  }
});

Deno.test("a damaged data file, or one that is not ours, is one line and exit 1 at start", async () => {
  await using dir = await tempDir("chat_damaged_");
  const damaged = `${dir.path}/damaged.db`;
  const store = new SqliteStore(damaged);
  for (let seq = 1; seq <= 500; seq++) {
    store.appendEvent({ type: "message", seq, at: seq, from: "ana", text: "x".repeat(500) });
  }
  store.close();
  // Keep the 100-byte header valid; scribble over the pages after it.
  const bytes = await Deno.readFile(damaged);
  for (let i = 4096; i < bytes.length; i += 7) bytes[i] = (i * 31) & 0xff;
  await Deno.writeFile(damaged, bytes);
  const foreign = `${dir.path}/notes.txt`;
  await Deno.writeTextFile(foreign, "this is not a database, just a text file\n".repeat(100));
  for (const [path, expected] of [[damaged, "is damaged"], [foreign, "is not a chat data file"]]) {
    await using server = new ServeProcess(["--data", path]);
    await server.port.catch(() => {});
    const { code, log } = await server.stop("SIGTERM");
    assertEquals(code, 1, log);
    const lines = log.trim().split("\n");
    assertEquals(lines.length, 1, log);
    assert(lines[0].includes(path) && lines[0].includes(expected), log);
    assert(!/Uncaught| {4}at /.test(log), log);
  }
});

Deno.test("a retry that fails halfway writes nothing twice, and the rest goes out on the next", () => {
  const file = new FailingStore();
  let now = 0;
  const health: string[] = [];
  const store = new ResilientStore(file, {
    retryEveryMs: 1000,
    now: () => now,
    onHealth: (change) => health.push(change.state),
  });
  file.failWrites = true;
  for (let seq = 1; seq <= 4; seq++) store.appendEvent(message(seq));
  assertEquals(store.recentMessages(10).length, 4, "the room reads what it said from memory");
  // The disk takes two writes, then fills again.
  file.failWrites = false;
  file.writesLeft = 2;
  now = 1000;
  store.appendEvent(message(5));
  assertEquals(file.inner.recentMessages(10).map((event) => event.seq), [1, 2]);
  file.failWrites = false;
  file.writesLeft = Infinity;
  now = 1500;
  store.appendEvent(message(6));
  assertEquals(
    file.inner.recentMessages(10).map((event) => event.seq),
    [1, 2],
    "no retry before a second has passed",
  );
  now = 2500;
  store.appendEvent(message(7));
  assertEquals(file.inner.recentMessages(10).map((event) => event.seq), [1, 2, 3, 4, 5, 6, 7]);
  assertEquals(health, ["failing", "recovered"]);
});

Deno.test("history said before the server started is still shown while the file fails", () => {
  const file = new FailingStore();
  file.inner.appendEvent(message(1));
  file.inner.appendEvent(message(2));
  const store = new ResilientStore(file, { now: () => 0 });
  file.failWrites = true;
  store.appendEvent(message(3));
  assertEquals(store.failing, true);
  assertEquals(store.recentMessages(10).map((event) => event.seq), [1, 2, 3]);
});
