import { deepEqual as assertEquals } from "node:assert/strict";
import { startIdleCollector } from "../server/idle_collector.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("the idle collector collects once after a busy spell goes quiet, never while busy", async () => {
  let activity = 0;
  let collections = 0;
  const stop = startIdleCollector({
    activity: () => activity,
    collect: () => collections++,
    collectConcurrently: null,
  });
  try {
    // Busy: the activity value keeps changing, so nothing is collected.
    for (let i = 0; i < 8; i++) {
      activity++;
      await sleep(200);
    }
    assertEquals(collections, 0);
    // Quiet after being busy: exactly one collection.
    await sleep(2000);
    assertEquals(collections, 1);
    // Still quiet: no more.
    await sleep(1200);
    assertEquals(collections, 1);
    // Busy again, then quiet: one more.
    activity++;
    await sleep(2000);
    assertEquals(collections, 2);
  } finally {
    stop();
  }
});

Deno.test("the idle collector does nothing for a room that was never busy", async () => {
  let collections = 0;
  const stop = startIdleCollector({
    activity: () => 0,
    collect: () => collections++,
    collectConcurrently: null,
  });
  await sleep(1600);
  stop();
  assertEquals(collections, 0);
});

Deno.test("while busy, the collector starts a concurrent collection only when the heap has doubled", async () => {
  let activity = 0;
  let heap = 40 * 2 ** 20;
  let concurrent = 0;
  const stop = startIdleCollector({
    activity: () => activity,
    collect: () => {},
    collectConcurrently: () => concurrent++,
    heapBytes: () => heap,
  });
  try {
    for (let i = 0; i < 4; i++) {
      activity++;
      heap += 2 ** 20;
      await sleep(300);
    }
    assertEquals(concurrent, 0, "a heap growing slowly is left to V8");
    heap = 100 * 2 ** 20;
    for (let i = 0; i < 4; i++) {
      activity++;
      await sleep(300);
    }
    assertEquals(concurrent, 1, "a doubled heap is collected once, not on every check");
  } finally {
    stop();
  }
});
