/**
 * The idle collector's decisions, driven check by check: the test runs each
 * periodic check itself instead of waiting for the timer.
 */
import { startIdleCollector } from "../server/idle_collector.ts";
import { nativeHeapTrimmer } from "../server/native_heap.ts";
import { assert, assertEquals } from "./support/assert.ts";

/** Captures the collector's periodic check so the test can run it. */
function manualChecks(): { every: (check: () => void) => () => void; run(times?: number): void } {
  let captured: (() => void) | null = null;
  return {
    every(check) {
      captured = check;
      return () => captured = null;
    },
    run(times = 1) {
      for (let i = 0; i < times; i++) captured?.();
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
  checks.run(5);
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

Deno.test("after the quiet collection the C heap's free pages are handed back, and the log is told", () => {
  let activity = 0;
  const done: string[] = [];
  const checks = manualChecks();
  const stop = startIdleCollector({
    activity: () => activity,
    collect: () => done.push("collect"),
    collectConcurrently: null,
    trimNativeHeap: () => done.push("trim"),
    onQuiet: (what) => done.push(JSON.stringify(what)),
    every: checks.every,
  });
  activity++;
  checks.run();
  assertEquals(done, [], "nothing while busy");
  checks.run(5);
  assertEquals(done, ["collect", "trim", '{"collected":true,"trimmed":true}']);
  stop();
});

Deno.test("without V8's gc() the collector still trims the C heap once the room is quiet", () => {
  let activity = 0;
  const done: string[] = [];
  const checks = manualChecks();
  const stop = startIdleCollector({
    activity: () => activity,
    collect: null,
    collectConcurrently: null,
    trimNativeHeap: () => done.push("trim"),
    onQuiet: (what) => done.push(JSON.stringify(what)),
    every: checks.every,
  });
  activity++;
  checks.run(3);
  assertEquals(done, ["trim", '{"collected":false,"trimmed":true}']);
  stop();
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
