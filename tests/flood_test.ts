/**
 * Flood control over real sockets: a paste arrives whole and in order, lines
 * over the rate are delayed rather than dropped up to the backlog, the excess
 * past it is dropped with a warning, and a connection that keeps flooding is
 * cut off with a reason.
 */
import { deepEqual as assertEquals, equal, ok as assert } from "node:assert/strict";
import { FLOOD_BACKLOG } from "../protocol/limits.ts";
import { FloodControl } from "../server/flood_control.ts";
import { joinPlain, startServer } from "./support/test_server.ts";

function unstamped(line: string): string {
  return line.replace(/^\[\d\d:\d\d\] /, "");
}

/** Reads lines until `count` of them match `pattern`; returns those, in arrival order. */
async function readMatching(
  client: Awaited<ReturnType<typeof joinPlain>>,
  pattern: RegExp,
  count: number,
  timeoutMs: number,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  const found: string[] = [];
  while (found.length < count) {
    const line = await client.readLine(Math.max(1, deadline - Date.now()));
    if (pattern.test(line)) found.push(unstamped(line));
  }
  return found;
}

Deno.test("a 20-line paste arrives whole and in order under the default limits", async () => {
  await using server = startServer();
  const port = server.address.port;
  await using alice = await joinPlain(port, "alice");
  await using bob = await joinPlain(port, "bob");
  await alice.waitFor("* bob joined the chat.");
  const paste = Array.from({ length: 20 }, (_, i) => `paste line ${i + 1}`);
  // One write, as a terminal paste arrives.
  await alice.write(paste.map((line) => `${line}\n`).join(""));
  // Burst 10 at once, then 5 a second: the last line is due after about 2 s.
  const received = await readMatching(bob, /alice: paste line/, 20, 6000);
  assertEquals(received, paste.map((line) => `alice: ${line}`));
  const extra = await alice.collect(100);
  assert(!extra.some((line) => line.includes("too fast")), JSON.stringify(extra));
});

Deno.test("lines past the backlog are dropped with a warning; the backlog itself arrives in order", async () => {
  // Burst 1 and a fast rate: one line passes, 50 wait and drain within a second or so.
  await using server = startServer({ limits: { rate: 50, burst: 1 } });
  const port = server.address.port;
  await using alice = await joinPlain(port, "alice");
  await using bob = await joinPlain(port, "bob");
  await alice.waitFor("* bob joined the chat.");
  // Let the bucket refill after the join lines, so exactly one token is waiting.
  await new Promise((resolve) => setTimeout(resolve, 100));
  const total = 1 + FLOOD_BACKLOG + 9;
  await alice.write(Array.from({ length: total }, (_, i) => `n${i + 1}\n`).join(""));

  equal(
    unstamped(await alice.waitFor("too fast")),
    "You are sending too fast; slow down. 50 lines are waiting to be sent (at most 50 a second); further lines are being dropped.",
  );
  // The burst line and the whole backlog arrive, in order; a token or two may
  // have refilled while the lines were read, never enough to take all of them.
  const expected = Array.from({ length: 1 + FLOOD_BACKLOG }, (_, i) => `alice: n${i + 1}`);
  assertEquals(await readMatching(bob, /alice: n\d+$/, expected.length, 5000), expected);
  const late = (await bob.collect(300)).map(unstamped).filter((line) => /^alice: n\d+$/.test(line));
  assert(late.length <= 2, `more lines than burst + backlog arrived: ${late}`);
  assertEquals(late, late.map((_, i) => `alice: n${expected.length + i + 1}`));
  // Once the backlog has drained, the sender is welcome again.
  await alice.send("calm now");
  await bob.waitFor("alice: calm now");
});

Deno.test("a connection that keeps flooding is disconnected with a reason, and its leave announced", async () => {
  await using server = startServer({ limits: { rate: 1, burst: 1 } });
  const port = server.address.port;
  await using flooder = await joinPlain(port, "flooder");
  await using bob = await joinPlain(port, "bob");
  // Well past backlog + twice the backlog in drops; bounded at 400 lines.
  await flooder.write(Array.from({ length: 400 }, (_, i) => `spam ${i}\n`).join(""));
  equal(
    unstamped(await flooder.waitFor("Disconnected:")),
    "Disconnected: Flooding: too many lines sent too fast.",
  );
  await flooder.waitForClose();
  await bob.waitFor("* flooder left the chat (Flooding: too many lines sent too fast.).");
  // Only the first line went out; the backlog of a disconnected flooder is not sent.
  const spam = (await bob.collect(1500)).filter((line) => line.includes("flooder: spam"));
  assertEquals(spam, []);
});

Deno.test("FloodControl: burst, then delay in order, then drop, then disconnect", () => {
  let now = 0;
  const flood = new FloodControl({ rate: 5, burst: 10, now: () => now });
  for (let i = 0; i < 10; i++) equal(flood.offer(`b${i}`), "pass");
  for (let i = 0; i < FLOOD_BACKLOG; i++) equal(flood.offer(`d${i}`), "delay");
  equal(flood.offer("x"), "drop");
  equal(flood.dropped, 1);
  equal(flood.nextReleaseIn(), 200);
  now += 1000;
  assertEquals(flood.release(), ["d0", "d1", "d2", "d3", "d4"]);
  // Five places opened; the next five lines wait, the rest are dropped.
  for (let i = 0; i < 5; i++) equal(flood.offer(`e${i}`), "delay");
  equal(flood.backlogSize, FLOOD_BACKLOG);
  let drops = 1;
  let verdict = flood.offer("x");
  while (verdict === "drop") {
    drops++;
    verdict = flood.offer("x");
  }
  equal(verdict, "disconnect");
  equal(drops, FLOOD_BACKLOG * 2);
  // Once the backlog drains, the flood is forgiven.
  now += 60_000;
  equal(flood.release().length, 10);
  now += 60_000;
  equal(flood.release().length, 10);
  while (flood.backlogSize > 0) {
    now += 60_000;
    flood.release();
  }
  equal(flood.dropped, 0);
  // Rate 0 turns it off.
  const off = new FloodControl({ rate: 0, burst: 1, now: () => now });
  for (let i = 0; i < 1000; i++) equal(off.offer("x"), "pass");
});
