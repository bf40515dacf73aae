/**
 * Keeps the server's memory near what it holds. V8 grows its heap to carry
 * a burst (a thousand members joining at once is half a million
 * announcement lines) and, left alone, keeps that high-water mark; under
 * steady traffic it also lets the heap grow a long way before it collects
 * in full. So: once the room has been quiet for a second or so after being
 * busy, this asks V8 for a full collection; and while it is busy, a heap
 * that has doubled since the last collection gets a concurrent
 * (incremental) one, which does not stop the room. Both measured in
 * docs/performance.md: less memory, and less CPU per delivered line.
 *
 * V8 offers `gc()` only when started with `--expose-gc`; that flag is
 * declared once, in scripts/permissions.ts (RUNTIME_V8_FLAGS), which the
 * tasks, the compiled binary and the benchmark all use. Started without it,
 * V8 collects alone.
 *
 * What V8 frees goes back to the C allocator, which keeps the pages; when
 * the room goes quiet (after the collection, if there is one) they are
 * handed to the system too (native_heap.ts).
 */
import { nativeHeapTrimmer } from "./native_heap.ts";

/** How often to look, and how many quiet looks in a row make the room idle. */
const CHECK_MS = 500;
const QUIET_CHECKS = 2;
/**
 * The quiet collection stops the room while it runs (170 ms with 5000 idle
 * members, 250 ms with 10,000), so a room that turns busy and quiet over
 * and over, as one client can make it, must not collect each time: after a
 * collection that took `ms`, the next waits at least this many times as
 * long, so collecting never takes more than 2 % of the time...
 */
const PAUSE_SHARE = 50;
/** ...and at least this long. */
const MIN_COLLECTION_GAP_MS = 5_000;

export interface IdleCollectorOptions {
  /** A value that changes whenever the room does work (the count of writes started). */
  activity: () => number;
  /** Runs a full collection; injectable so tests need no V8 flags. */
  collect?: (() => void) | null;
  /**
   * Returns the C heap's free pages to the system, after each quiet
   * collection; injectable so tests can see it run.
   */
  trimNativeHeap?: (() => void) | null;
  /** Told after each quiet collection what was done, for the log. */
  onQuiet?: (done: { collected: boolean; trimmed: boolean; ms: number }) => void;
  /** Starts a concurrent (incremental) full collection while the room is busy. */
  collectConcurrently?: (() => void) | null;
  /** The V8 heap's current size in bytes; injectable for tests. */
  heapBytes?: () => number;
  /** Monotonic milliseconds; injectable so tests can move time. */
  now?: () => number;
  /**
   * Calls `check` every CHECK_MS until the returned function is called;
   * injectable so tests run the checks themselves instead of waiting.
   */
  every?: (check: () => void) => () => void;
}

function everyCheckInterval(check: () => void): () => void {
  const timer = setInterval(check, CHECK_MS);
  // Never the reason the process stays alive.
  Deno.unrefTimer(timer);
  return () => clearInterval(timer);
}

/** While busy, a heap this many times its size after the last collection is collected. */
const GROWTH_FACTOR = 2;
/** Heaps below this are never collected early. */
const MIN_HEAP_BYTES = 32 * 1024 * 1024;

/** Starts watching; returns a function that stops it. */
export function startIdleCollector(options: IdleCollectorOptions): () => void {
  const gc = exposedGarbageCollector();
  // "last-resort" also compacts and hands emptied pages back to the system: after a join
  // storm a plain full collection left the heap at several times its live size (3000 idle
  // members: 33 KB of RSS each, against 16 KB with it).
  const collect = options.collect === undefined
    ? gc && (() => gc({ type: "major", execution: "sync", flavor: "last-resort" }))
    : options.collect;
  const trimNativeHeap = options.trimNativeHeap === undefined
    ? nativeHeapTrimmer()
    : options.trimNativeHeap;
  if (collect === null && trimNativeHeap === null) return () => {};
  const collectConcurrently = options.collectConcurrently === undefined
    ? gc && (() => gc({ type: "major", execution: "async" }))
    : options.collectConcurrently;
  const heapBytes = options.heapBytes ?? (() => Deno.memoryUsage().heapTotal);
  let seen = options.activity();
  let quietChecks = 0;
  let busy = false;
  const clock = options.now ?? (() => performance.now());
  let heapAfterCollection = heapBytes();
  let nextCollectionAt = -Infinity;
  return (options.every ?? everyCheckInterval)(() => {
    const now = options.activity();
    if (now !== seen) {
      seen = now;
      busy = true;
      quietChecks = 0;
      // V8 lets a busy heap grow a long way before it collects in full; keep it near its live size.
      const heap = heapBytes();
      if (
        collectConcurrently && heap > MIN_HEAP_BYTES &&
        heap > heapAfterCollection * GROWTH_FACTOR
      ) {
        collectConcurrently();
        heapAfterCollection = heap / GROWTH_FACTOR;
      }
    } else if (busy && ++quietChecks >= QUIET_CHECKS && clock() >= nextCollectionAt) {
      busy = false;
      const start = clock();
      collect?.();
      // Only after the collection: it is what frees the pages (write buffers of the burst).
      trimNativeHeap?.();
      const end = clock();
      const ms = end - start;
      nextCollectionAt = end + Math.max(MIN_COLLECTION_GAP_MS, ms * PAUSE_SHARE);
      heapAfterCollection = heapBytes();
      options.onQuiet?.({ collected: collect !== null, trimmed: trimNativeHeap !== null, ms });
    }
  });
}

type GarbageCollector = (
  options?: { type: "major"; execution: "async" | "sync"; flavor?: "regular" | "last-resort" },
) => void;

/** V8's `gc()`, present when the runtime was started with `--expose-gc`. */
function exposedGarbageCollector(): GarbageCollector | null {
  const gc = (globalThis as { gc?: unknown }).gc;
  return typeof gc === "function" ? gc as GarbageCollector : null;
}
