/**
 * Flood control over real sockets: a paste arrives whole and in order, lines
 * over the rate are delayed rather than dropped up to the backlog, the excess
 * past it is dropped with a warning, and a connection that keeps flooding is
 * cut off with a reason.
 */
import { assert, assertEquals } from "./support/assert.ts";
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
  await alice.waitFor("‣ bob joined the chat.");
  const paste = Array.from({ length: 20 }, (_, i) => `paste line ${i + 1}`);
  // One write, as a terminal paste arrives.
  await alice.write(paste.map((line) => `${line}\n`).join(""));
  // Burst 10 at once, then 5 a second: the last line is due after about 2 s.
  const received = await readMatching(bob, /alice: paste line/, 20, 6000);
  assertEquals(received, paste.map((line) => `alice: ${line}`));
  const extra = await alice.collect(100);
  assert(!extra.some((line) => line.includes("too fast")), JSON.stringify(extra));
});

Deno.test("lines past the backlog are dropped with one warning; the backlog itself arrives in order", async () => {
  // Flood control runs on a clock the test moves, so token counts are exact.
  let now = 0;
  await using server = startServer({ limits: { rate: 50, burst: 1 }, monotonicNow: () => now });
  const port = server.address.port;
  await using alice = await joinPlain(port, "alice");
  await using bob = await joinPlain(port, "bob");
  await alice.waitFor("‣ bob joined the chat.");
  now += 1000; // Alice's bucket is full again: exactly one token (the burst).
  const total = 1 + FLOOD_BACKLOG + 9;
  await alice.write(Array.from({ length: total }, (_, i) => `n${i + 1}\n`).join(""));

  assertEquals(
    unstamped(await alice.waitFor("too fast")),
    "You are sending too fast; slow down. 50 lines are waiting to be sent (at most 50 a second); further lines are being dropped.",
  );
  assertEquals(unstamped(await bob.waitFor("alice: n")), "alice: n1");
  // Each 20 ms of the room's time lets one more backlogged line out, in order.
  for (let i = 2; i <= FLOOD_BACKLOG + 1; i++) {
    now += 20;
    assertEquals(unstamped(await bob.readLine()), `alice: n${i}`);
  }
  // The sender was warned once for the nine dropped lines, not once per line.
  const aliceSaw: string[] = [];
  while (!aliceSaw.at(-1)?.endsWith(`alice: n${FLOOD_BACKLOG + 1}`)) {
    aliceSaw.push(unstamped(await alice.readLine()));
  }
  assertEquals(aliceSaw.filter((line) => line.includes("too fast")).length, 0, aliceSaw.join("\n"));
  // Once the backlog has drained, the sender is welcome again, and nothing
  // dropped turns up late.
  now += 1000;
  await alice.send("calm now");
  assertEquals(unstamped(await bob.readLine()), "alice: calm now");
});

Deno.test("a connection that keeps flooding is disconnected with a reason, and its leave announced", async () => {
  await using server = startServer({ limits: { rate: 1, burst: 1 } });
  const port = server.address.port;
  await using flooder = await joinPlain(port, "flooder");
  await using bob = await joinPlain(port, "bob");
  // Well past backlog + twice the backlog in drops; bounded at 400 lines.
  await flooder.write(Array.from({ length: 400 }, (_, i) => `spam ${i}\n`).join(""));
  assertEquals(
    unstamped(await flooder.waitFor("Disconnected:")),
    "Disconnected: Flooding: too many lines sent too fast.",
  );
  await flooder.waitForClose();
  await bob.waitFor("‣ flooder left the chat (Flooding: too many lines sent too fast.).");
  // Only the first line went out; the backlog of a disconnected flooder is not sent.
  const spam = (await bob.collect(1500)).filter((line) => line.includes("flooder: spam"));
  assertEquals(spam, []);
});

Deno.test("FloodControl: burst, then delay in order, then drop, then disconnect", () => {
  let now = 0;
  const flood = new FloodControl({ rate: 5, burst: 10, now: () => now });
  for (let i = 0; i < 10; i++) assertEquals(flood.offer(`b${i}`), "pass");
  for (let i = 0; i < FLOOD_BACKLOG; i++) assertEquals(flood.offer(`d${i}`), "delay");
  assertEquals(flood.offer("x"), "drop");
  assertEquals(flood.dropped, 1);
  assertEquals(flood.nextReleaseIn(), 200);
  now += 1000;
  assertEquals(flood.release(), ["d0", "d1", "d2", "d3", "d4"]);
  // Five places opened; the next five lines wait, the rest are dropped.
  for (let i = 0; i < 5; i++) assertEquals(flood.offer(`e${i}`), "delay");
  assertEquals(flood.backlogSize, FLOOD_BACKLOG);
  let drops = 1;
  let verdict = flood.offer("x");
  while (verdict === "drop") {
    drops++;
    verdict = flood.offer("x");
  }
  assertEquals(verdict, "disconnect");
  assertEquals(drops, FLOOD_BACKLOG * 2);
  // Once the backlog drains, the flood is forgiven.
  now += 60_000;
  assertEquals(flood.release().length, 10);
  now += 60_000;
  assertEquals(flood.release().length, 10);
  while (flood.backlogSize > 0) {
    now += 60_000;
    flood.release();
  }
  assertEquals(flood.dropped, 0);
  // Rate 0 turns it off.
  const off = new FloodControl({ rate: 0, burst: 1, now: () => now });
  for (let i = 0; i < 1000; i++) assertEquals(off.offer("x"), "pass");
});
