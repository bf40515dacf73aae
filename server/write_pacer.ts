/**
 * Decides when queued output is written. Lines queue on each connection and
 * one flush writes every waiting queue as a single write per connection.
 * After a flush that wrote to many connections the next one waits a little
 * (a few microseconds per write, capped), so under load each write carries
 * several lines and the syscall count per delivered line falls. Waiting is
 * a token bucket: a quiet room has credit for a few flushes in a row, so its
 * occasional bursts still go out at once; only sustained load is paced.
 */

/** Something with queued output. */
export interface Flushable {
  /** Writes what is queued; returns how many writes it started. */
  flushQueued(): number;
}

/** The least pause between flushes, in ms, once a flush has just happened. */
const MIN_PACE_MS = 1;
/** Pause per connection written by the previous flush, in ms. */
const PACE_PER_WRITE_MS = 0.025;
/** The longest pause; bounds the latency pacing can add. */
const MAX_PACE_MS = 20;
/** Flushes that may follow one another without waiting. */
const BURST_FLUSHES = 4;

let waiting: Flushable[] = [];
let spare: Flushable[] = [];
let scheduled = false;
let paceMs = MIN_PACE_MS;
/** Flushes that may go without waiting; one more accrues every `paceMs`. */
let credit = BURST_FLUSHES;
let creditAt = 0;
/** The time of the latest flush: a clock that costs nothing to read. */
let coarseNow = 0;

/** performance.now() as of the latest flush. */
export function flushClock(): number {
  return coarseNow;
}

let writesStarted = 0;

/** Counts a write a connection started; the idle collector watches the count. */
export function countWrite(): void {
  writesStarted++;
}

/** Writes started so far: changes whenever the server sends anything. */
export function writeCount(): number {
  return writesStarted;
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
  accrue(performance.now());
  if (credit >= 1) queueMicrotask(flush);
  else setTimeout(flush, (1 - credit) * paceMs);
}

function accrue(now: number): void {
  credit = Math.min(BURST_FLUSHES, credit + (now - creditAt) / paceMs);
  creditAt = now;
}

function flush(): void {
  scheduled = false;
  coarseNow = performance.now();
  accrue(coarseNow);
  // A timer may fire a little early; never let credit run into debt.
  credit = Math.max(0, credit - 1);
  const batch = waiting;
  waiting = spare;
  let writes = 0;
  for (let i = 0; i < batch.length; i++) writes += batch[i].flushQueued();
  paceMs = Math.min(MAX_PACE_MS, Math.max(MIN_PACE_MS, writes * PACE_PER_WRITE_MS));
  batch.length = 0;
  spare = batch;
}
