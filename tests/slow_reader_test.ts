/**
 * A member who never reads: everyone else keeps chatting without delay, and
 * once its bounded outbox fills the server disconnects it with a reason.
 */
import { assert, assertEquals } from "./support/assert.ts";
import type { ChatServerOptions } from "../server/chat_server.ts";
import { joinPlain, type LineClient, startServer } from "./support/test_server.ts";

const OUTBOX_BYTES = 64 * 1024;
const TALKERS = 40;
/** Rounds are bounded: 40 talkers x 1 KB x 150 rounds is 6 MB towards the non-reader. */
const MAX_ROUNDS = 150;

/** A small outbox and no rate limit; every disconnect with a reason is pushed to `disconnects`. */
function outboxLimitedOptions(disconnects: Record<string, unknown>[]): ChatServerOptions {
  return {
    limits: { outboxBytes: OUTBOX_BYTES, rate: 0 },
    log: (_level, event, fields) => {
      if (event === "disconnect" && fields.reason) disconnects.push(fields);
    },
  };
}

Deno.test("a member that never reads is disconnected as too slow while 40 others keep talking", async () => {
  const disconnects: Record<string, unknown>[] = [];
  await using server = startServer(outboxLimitedOptions(disconnects));
  const port = server.address.port;
  const talkers: LineClient[] = [];
  const slow = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    for (let i = 0; i < TALKERS; i++) talkers.push(await joinPlain(port, `t${i}`));
    await slow.write(new TextEncoder().encode("slow\n"));
    const observer = talkers[0];
    await observer.waitFor("‣ slow joined the chat.");

    const padding = "x".repeat(1000);
    let slowLeftAt = -1;
    let slowestRoundMs = 0;
    for (
      let round = 0;
      round < MAX_ROUNDS && (slowLeftAt === -1 || round < slowLeftAt + 3);
      round++
    ) {
      const started = Date.now();
      await Promise.all(talkers.map((talker, i) => talker.send(`r${round} t${i} ${padding}`)));
      // Every talker's line of this round reaches the observer, promptly.
      let seen = 0;
      while (seen < TALKERS) {
        const line = await observer.readLine(5000);
        if (line.includes(`: r${round} t`)) seen++;
        if (line.includes("‣ slow left the chat")) {
          assertEquals(
            line.replace(/^\[\d\d:\d\d\] /, ""),
            `‣ slow left the chat (Too slow: more than ${OUTBOX_BYTES} bytes of messages were waiting for you.).`,
          );
          slowLeftAt = round;
        }
      }
      slowestRoundMs = Math.max(slowestRoundMs, Date.now() - started);
      // The others read everything too; drop what they got so the test's memory stays flat.
      for (const talker of talkers.slice(1)) await talker.collect(0);
    }
    assert(slowLeftAt !== -1, `the non-reader was never disconnected in ${MAX_ROUNDS} rounds`);
    assert(slowestRoundMs < 5000, `a round took ${slowestRoundMs} ms`);
    assertEquals(disconnects.length, 1);
    assertEquals(disconnects[0].nick, "slow");
    assertEquals(server.room.size, TALKERS);
    // Its socket is closed: reading drains what the kernel held, then ends.
    const buffer = new Uint8Array(64 * 1024);
    const deadline = Date.now() + 5000;
    while ((await slow.read(buffer)) !== null) {
      assert(Date.now() < deadline, "the non-reader's socket was never closed");
    }
  } finally {
    try {
      slow.close();
    } catch { /* closed */ }
    await Promise.all(talkers.map((talker) => talker.close()));
  }
});

Deno.test("a burst bigger than --outbox-bytes does not drop members who read", async () => {
  const disconnects: Record<string, unknown>[] = [];
  await using server = startServer(outboxLimitedOptions(disconnects));
  const port = server.address.port;
  const talkers: LineClient[] = [];
  try {
    for (let i = 0; i < TALKERS; i++) talkers.push(await joinPlain(port, `t${i}`));
    await talkers[0].waitFor(`‣ t${TALKERS - 1} joined the chat.`);
    // 40 lines of 3 KB at once is 120 KB towards every member: twice the outbox.
    const padding = "y".repeat(3000);
    for (let round = 0; round < 5; round++) {
      await Promise.all(talkers.map((talker, i) => talker.send(`b${round} t${i} ${padding}`)));
      let seen = 0;
      while (seen < TALKERS) {
        if ((await talkers[0].readLine(5000)).includes(`: b${round} t`)) seen++;
      }
      for (const talker of talkers.slice(1)) await talker.collect(0);
    }
    assertEquals(disconnects.length, 0, JSON.stringify(disconnects));
    assertEquals(server.room.size, TALKERS);
  } finally {
    await Promise.all(talkers.map((talker) => talker.close()));
  }
});

Deno.test("a non-reader is dropped once its socket makes no progress, long before 4x the limit", async () => {
  const disconnects: Record<string, unknown>[] = [];
  await using server = startServer({ ...outboxLimitedOptions(disconnects), stallMs: 300 });
  const port = server.address.port;
  await using talker = await joinPlain(port, "talker");
  const slow = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await slow.write(new TextEncoder().encode("slow\n"));
    await talker.waitFor("‣ slow joined the chat.");
    const slowId = server.room.findByNick("slow")!.id;
    const padding = "z".repeat(3000);
    // Fill the kernel's buffers, then the server's queue, until the stall rule drops it.
    let largest = 0;
    let dropped = false;
    for (let sent = 0; sent < 5000 && !dropped; sent++) {
      await talker.send(`fill ${sent} ${padding}`);
      const line = await talker.waitFor(new RegExp(`: fill ${sent} |‣ slow left the chat`), 5000);
      dropped = line.includes("‣ slow left the chat");
      largest = Math.max(largest, server.queuedBytes(slowId));
    }
    assert(dropped, "the non-reader was never dropped");
    assert(largest < 2 * OUTBOX_BYTES, `its queue grew to ${largest} bytes before it was dropped`);
    assertEquals(disconnects.length, 1);
    assertEquals(disconnects[0].nick, "slow");
  } finally {
    slow.close();
  }
});

Deno.test("with flood control off, a flood does not get members who read dropped for the server's own backlog", async () => {
  const disconnects: Record<string, unknown>[] = [];
  await using server = startServer({
    limits: { rate: 0 },
    log: (_level, event, fields) => {
      if (event === "disconnect") disconnects.push(fields);
    },
  });
  const port = server.address.port;
  await using r1 = await joinPlain(port, "r1");
  await using r2 = await joinPlain(port, "r2");
  await using flooder = await joinPlain(port, "flooder");
  // The readers read all the time; the flooder reads its own echo too, as nc does.
  const line = `${"x".repeat(4000)}\n`.repeat(16);
  const bytes = new TextEncoder().encode(line);
  const reading = [r1, r2, flooder].map(async (client) => {
    while (!client.ended) await client.collect(20);
  });
  // 16 MB as fast as the flooder can write it: far more than an outbox holds.
  let sent = 0;
  while (sent < 16_000_000) sent += await flooder.writeBytes(bytes);
  await flooder.send("the end");
  for (const end = Date.now() + 15_000; Date.now() < end;) {
    if (r1.received.at(-1)?.endsWith("flooder: the end") || r1.ended) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assertEquals(disconnects, []);
  assert(r1.received.at(-1)?.endsWith("flooder: the end"), "r1 got everything");
  assertEquals(server.room.size, 3);
  await Promise.all([r1, r2, flooder].map((client) => client.close()));
  await Promise.all(reading);
});
