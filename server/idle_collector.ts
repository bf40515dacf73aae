/**
 * Gives memory back after a burst. V8 grows its heap to carry a burst (a
 * thousand members joining at once is half a million announcement lines)
 * and, left alone, keeps that high-water mark while the room sits idle.
 * Once the room has been quiet for a couple of seconds after being busy,
 * this asks V8 for one full collection, so an idle room's memory tracks
 * what it holds rather than its busiest moment. It never runs while lines
 * are flowing, so it adds no pause to anyone's messages.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** How often to look, and how many quiet looks in a row make the room idle. */
const CHECK_MS = 500;
const QUIET_CHECKS = 2;

export interface IdleCollectorOptions {
  /** A value that changes whenever the room does work (the write pacer's flush clock). */
  activity: () => number;
  /** Runs a full collection; injectable so tests need no V8 flags. */
  collect?: (() => void) | null;
}

/** Starts watching; returns a function that stops it. */
export function startIdleCollector(options: IdleCollectorOptions): () => void {
  const collect = options.collect === undefined ? exposeGarbageCollector() : options.collect;
  if (collect === null) return () => {};
  let seen = options.activity();
  let quietChecks = 0;
  let busy = false;
  const timer = setInterval(() => {
    const now = options.activity();
    if (now !== seen) {
      seen = now;
      busy = true;
      quietChecks = 0;
    } else if (busy && ++quietChecks >= QUIET_CHECKS) {
      busy = false;
      collect();
    }
  }, CHECK_MS);
  // Never the reason the process stays alive.
  Deno.unrefTimer(timer);
  return () => clearInterval(timer);
}

/** V8's `gc()`, made available at run time; null if the runtime refuses. */
function exposeGarbageCollector(): (() => void) | null {
  try {
    setFlagsFromString("--expose-gc");
    const gc = runInNewContext("gc");
    // A second pass frees what the first only made collectable (weak callbacks, finalizers).
    return typeof gc === "function" ? () => (gc(), gc()) : null;
  } catch {
    return null;
  }
}
