/**
 * Decides when queued output is written. Lines queue on each connection and
 * one flush writes every waiting queue as a single write per connection.
 * After a flush that wrote to many connections the next one waits a little
 * (a few microseconds per write, capped), so under load each
 * write carries several lines and the syscall count per delivered line
 * falls, while a quiet room still writes at once.
 */

/** Something with queued output. */
export interface Flushable {
  /** Writes what is queued; returns how many writes it started. */
  flushQueued(): number;
}

/** The least pause between flushes, in ms, once a flush has just happened. */
const MIN_PACE_MS = 1;
/** Pause per connection written by the previous flush, in ms. */
const PACE_PER_WRITE_MS = 0.02;
/** The longest pause; bounds the latency pacing can add. */
const MAX_PACE_MS = 20;

let waiting: Flushable[] = [];
let spare: Flushable[] = [];
let scheduled = false;
let lastFlushAt = -Infinity;
let paceMs = 0;
/** The time of the latest flush: a clock that costs nothing to read. */
let coarseNow = 0;

/** performance.now() as of the latest flush. */
export function flushClock(): number {
  return coarseNow;
}

let urgent: Flushable[] = [];
let urgentScheduled = false;

/**
 * Writes a target's queue at the end of the current task, ahead of the
 * pacing: for private lines (a welcome, an error, a whisper), which are few
 * and should not wait behind a big broadcast.
 */
export function requestUrgentFlush(target: Flushable): void {
  urgent.push(target);
  if (urgentScheduled) return;
  urgentScheduled = true;
  queueMicrotask(flushUrgent);
}

function flushUrgent(): void {
  urgentScheduled = false;
  const batch = urgent;
  urgent = [];
  for (let i = 0; i < batch.length; i++) batch[i].flushQueued();
}

/** Queues a connection for the next flush; the caller makes sure it is queued once. */
export function requestFlush(target: Flushable): void {
  waiting.push(target);
  if (scheduled) return;
  scheduled = true;
  const wait = lastFlushAt + paceMs - performance.now();
  if (wait <= 0) queueMicrotask(flush);
  else setTimeout(flush, wait);
}

function flush(): void {
  scheduled = false;
  coarseNow = lastFlushAt = performance.now();
  const batch = waiting;
  waiting = spare;
  let writes = 0;
  for (let i = 0; i < batch.length; i++) writes += batch[i].flushQueued();
  paceMs = Math.min(MAX_PACE_MS, Math.max(MIN_PACE_MS, writes * PACE_PER_WRITE_MS));
  batch.length = 0;
  spare = batch;
}
