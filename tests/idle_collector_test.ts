/**
 * The idle collector's decisions, driven check by check: the test runs each
 * periodic check itself instead of waiting for the timer.
 */
import { startIdleCollector } from "../server/idle_collector.ts";
import { nativeHeapTrimmer } from "../server/native_heap.ts";
import { assert, assertEquals } from "./support/assert.ts";

/**
 * Captures the collector's periodic check so the test can run it, with a
 * clock that moves 500 ms (the real interval) per check.
 */
function manualChecks(): {
  every: (check: () => void) => () => void;
  now: () => number;
  advance(ms: number): void;
  run(times?: number): void;
} {
  let captured: (() => void) | null = null;
  let time = 0;
  return {
    every(check) {
      captured = check;
      return () => captured = null;
    },
    now: () => time,
    advance(ms) {
      time += ms;
    },
    run(times = 1) {
      for (let i = 0; i < times; i++) {
        time += 500;
        captured?.();
      }
    },
  };
}

Deno.test("the idle collector collects once after a busy spell goes quiet, never while busy", () => {
  let activity = 0;
  let collections = 0;
  const checks = manualChecks();
  const stop = startIdleCollector({
    activity: () => activity,
    collect: () => collections++,
    collectConcurrently: null,
    trimNativeHeap: null,
    every: checks.every,
    now: checks.now,
  });
  // Busy: the activity value changes between checks, so nothing is collected.
  for (let i = 0; i < 8; i++) {
    activity++;
    checks.run();
  }
  assertEquals(collections, 0);
  // One quiet check is not yet quiet enough; two are.
  checks.run();
  assertEquals(collections, 0);
  checks.run();
  assertEquals(collections, 1);
  // Still quiet: no more.
  checks.run(10);
  assertEquals(collections, 1);
  // Busy again, then quiet: one more.
  activity++;
  checks.run(3);
  assertEquals(collections, 2);
  stop();
  activity++;
  checks.run(3);
  assertEquals(collections, 2, "no checks after stop()");
});

Deno.test("the idle collector does nothing for a room that was never busy", () => {
  let collections = 0;
  const checks = manualChecks();
  const stop = startIdleCollector({
    activity: () => 0,
    collect: () => collections++,
    collectConcurrently: null,
    trimNativeHeap: null,
    every: checks.every,
    now: checks.now,
  });
  checks.run(10);
  stop();
  assertEquals(collections, 0);
});

Deno.test("while busy, the collector starts a concurrent collection only when the heap has doubled", () => {
  let activity = 0;
  let heap = 40 * 2 ** 20;
  let concurrent = 0;
  const checks = manualChecks();
  const stop = startIdleCollector({
    activity: () => activity,
    collect: () => {},
    collectConcurrently: () => concurrent++,
    trimNativeHeap: null,
    heapBytes: () => heap,
    every: checks.every,
    now: checks.now,
  });
  for (let i = 0; i < 4; i++) {
    activity++;
    heap += 2 ** 20;
    checks.run();
  }
  assertEquals(concurrent, 0, "a heap growing slowly is left to V8");
  heap = 100 * 2 ** 20;
  for (let i = 0; i < 4; i++) {
    activity++;
    checks.run();
  }
  assertEquals(concurrent, 1, "a doubled heap is collected once, not on every check");
  stop();
});

/** What the collector does over one busy check and five quiet ones, in order. */
function oneQuietSpell(withGc: boolean): string[] {
  let activity = 0;
  const done: string[] = [];
  const checks = manualChecks();
  const stop = startIdleCollector({
    activity: () => activity,
    collect: withGc ? () => done.push("collect") : null,
    collectConcurrently: null,
    trimNativeHeap: () => done.push("trim"),
    onQuiet: ({ ms, ...what }) => done.push(JSON.stringify(what), typeof ms),
    every: checks.every,
    now: checks.now,
  });
  activity++;
  checks.run();
  assertEquals(done, [], "nothing while busy");
  checks.run(5);
  stop();
  return done;
}

Deno.test("after the quiet collection the C heap's free pages are handed back, and the log is told", () => {
  assertEquals(oneQuietSpell(true), [
    "collect",
    "trim",
    '{"collected":true,"trimmed":true}',
    "number",
  ]);
  // Without V8's gc() (no --expose-gc) the C heap is still trimmed.
  assertEquals(oneQuietSpell(false), ["trim", '{"collected":false,"trimmed":true}', "number"]);
});

Deno.test("nativeHeapTrimmer() finds glibc on Linux, and none where no listed file is there", () => {
  const trim = nativeHeapTrimmer();
  if (Deno.build.os === "linux") {
    assert(trim !== null, "no glibc found among GLIBC_PATHS on this Linux machine");
    trim();
  } else {
    assertEquals(trim, null);
  }
  assertEquals(nativeHeapTrimmer(["/nonexistent/libc.so.6"]), null);
});

Deno.test("a room made busy and quiet over and over is collected at most once per 5 s, or 50 times the pause", () => {
  let activity = 0;
  const collectedAt: number[] = [];
  let pauseMs = 20;
  const checks = manualChecks();
  const stop = startIdleCollector({
    activity: () => activity,
    collect: () => {
      collectedAt.push(checks.now());
      checks.advance(pauseMs);
    },
    collectConcurrently: null,
    trimNativeHeap: null,
    every: checks.every,
    now: checks.now,
  });
  /** One busy check, then two quiet ones: the quickest a room can turn busy and quiet. */
  const flicker = (seconds: number) => {
    for (let spent = 0; spent < seconds * 1000; spent += 1500) {
      activity++;
      checks.run(3);
    }
  };
  flicker(30);
  const gaps = collectedAt.slice(1).map((at, i) => at - collectedAt[i]);
  assert(collectedAt.length >= 5 && collectedAt.length <= 7, `${collectedAt.length} collections`);
  assert(gaps.every((gap) => gap >= 5000), `gaps ${gaps}`);
  // A collection that stops the room for 400 ms is followed by 20 s without one.
  pauseMs = 400;
  collectedAt.length = 0;
  flicker(60);
  const slowGaps = collectedAt.slice(1).map((at, i) => at - collectedAt[i]);
  assert(collectedAt.length >= 3, `${collectedAt.length} collections`);
  assert(slowGaps.every((gap) => gap >= 20_000), `gaps ${slowGaps}`);
  stop();
});
