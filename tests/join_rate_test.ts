/**
 * Joins from one address are held to --join-rate with a burst: the bucket's
 * rules in isolation, the room's use of them (a taken name or a resume costs
 * nothing), and over real sockets for nc and for `chat join`, which waits
 * and tries again by itself.
 */
import { parseAddressRanges } from "../server/address_range.ts";
import { JoinRate } from "../server/join_rate.ts";
import { Room } from "../server/room.ts";
import { assert, assertEquals } from "./support/assert.ts";
import { JoinProcess } from "./support/join_process.ts";
import { RecordingOutbox } from "./support/recording_outbox.ts";
import { joinPlain, LineClient, startServer } from "./support/test_server.ts";

Deno.test("a burst goes through at once, then one join per rate interval; the wait is said in seconds", () => {
  const rate = new JoinRate({ count: 5, seconds: 10, burst: 3 });
  assertEquals([0, 1, 2].map(() => rate.take("203.0.113.7", 0)), [0, 0, 0]);
  assertEquals(rate.take("203.0.113.7", 0), 2, "one token every 2 s");
  assertEquals(rate.take("198.51.100.1", 0), 0, "another address has its own bucket");
  assertEquals(rate.take("203.0.113.7", 1500), 1);
  assertEquals(rate.take("203.0.113.7", 2000), 0);
  assertEquals(rate.take("203.0.113.7", 2000), 2);
});

Deno.test("0 joins turns the limit off", () => {
  const rate = new JoinRate({ count: 0, seconds: 1, burst: 1 });
  for (let i = 0; i < 100; i++) assertEquals(rate.take("203.0.113.7", 0), 0);
  assertEquals(rate.tracked, 0);
});

Deno.test("buckets are bounded room-wide: a flood of addresses forgets the oldest, never refuses", () => {
  const rate = new JoinRate({ count: 1, seconds: 60, burst: 1 }, 100);
  for (let i = 0; i < 1000; i++) assertEquals(rate.take(`10.0.${i >> 8}.${i & 255}`, 0), 0);
  assertEquals(rate.tracked, 100);
  // The newest are still held to the rate.
  assert(rate.take("10.0.3.231", 0) > 0);
});

Deno.test("in the room, a refused name or a resume does not use up a join", () => {
  const outbox = new RecordingOutbox();
  const room = new Room(outbox, { newToken: () => "t" });
  let asked = 0;
  const admit = () => (++asked > 1 ? { reason: "Too many joins.", wait: 4 } : null);
  room.join(1, "ana", { resumable: true, admit });
  assertEquals(asked, 1);
  room.join(2, "ana", { admit });
  assertEquals(asked, 1, "a taken name is refused before the join rate is asked");
  room.drop(1);
  room.join(3, "ana", { resume: "t", admit });
  assertEquals(asked, 1, "a resume is not a join");
  assertEquals(room.join(4, "bob", { admit }), false);
  const [refused] = outbox.take(4);
  assertEquals(
    refused.type === "nick_refused" && [refused.nick, refused.reason, refused.wait],
    ["bob", "Too many joins.", 4],
  );
  assertEquals(room.member(4), undefined);
});

/** A room where loopback is not exempt, so every test client is held to the join rate. */
function limitedRoom(now: () => number, joinRateSeconds = 10) {
  return startServer({
    exempt: parseAddressRanges("none", "--exempt"),
    limits: { joinRate: 1, joinRateSeconds, joinBurst: 2 },
    monotonicNow: now,
  });
}

Deno.test("over a socket: past the burst a plain client is told how long to wait, and gets in after it", async () => {
  let now = 0;
  await using server = limitedRoom(() => now);
  const port = server.address.port;
  await using ana = await joinPlain(port, "ana");
  await using bob = await joinPlain(port, "bob");
  await using cy = await LineClient.connect(port);
  await cy.waitFor("Enter your nickname");
  await cy.send("cy");
  assertEquals(
    (await cy.waitFor("Too many joins")).replace(/^\[\d\d:\d\d\] /, ""),
    "Too many joins from your address just now (at most 1 per 10 s). Send your nickname again in 10 s:",
  );
  now += 10_000;
  await cy.send("cy");
  await cy.waitFor("Welcome, cy!");
  await ana.waitFor("‣ cy joined the chat.");
  assert(!bob.received.some((line) => line.includes("Too many")));
});

Deno.test("the default --exempt frees loopback of the join rate", async () => {
  await using server = startServer({ limits: { joinRate: 1, joinRateSeconds: 60, joinBurst: 1 } });
  const port = server.address.port;
  for (let i = 0; i < 5; i++) await (await joinPlain(port, `m${i}`)).close();
});

Deno.test("chat join waits as the room asks and tries the same nickname again by itself", async () => {
  // The room's clock stands still until cy is refused, however long chat join takes to start.
  let refusedAt: number | null = null;
  await using server = limitedRoom(
    () => refusedAt === null ? 0 : performance.now() - refusedAt,
    2,
  );
  const port = server.address.port;
  await using ana = await joinPlain(port, "ana");
  await using _bob = await joinPlain(port, "bob");
  await using join = new JoinProcess([`127.0.0.1:${port}`, "--nick", "cy", "--retry", "0"]);
  const told = await join.waitFor("Too many joins", 15_000);
  refusedAt = performance.now();
  assert(/Trying again in 2 s\.\.\.$/.test(told), told);
  await join.waitFor("Welcome, cy!", 5000);
  await ana.waitFor("‣ cy joined the chat.", 1000);
});
