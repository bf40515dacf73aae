/**
 * Decides when queued output is written. Lines queue on each connection and
 * one flush writes every waiting queue as a single write per connection.
 * After a flush that wrote to many connections the next one waits a little
 * (a few microseconds per write, capped), so under load each write carries
 * several lines and the syscall count per delivered line falls. Waiting is
 * a token bucket: a quiet room has credit for a few flushes in a row, so its
 * occasional bursts still go out at once; only sustained load is paced.
 *
 * One pacer belongs to one server: two servers in a process share nothing.
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

export class WritePacer {
  #waiting: Flushable[] = [];
  #spare: Flushable[] = [];
  #scheduled = false;
  #paceMs = MIN_PACE_MS;
  /** Flushes that may go without waiting; one more accrues every `#paceMs`. */
  #credit = BURST_FLUSHES;
  #creditAt = 0;
  /** The time of the latest flush: a clock that costs nothing to read. */
  #coarseNow = 0;
  #writesStarted = 0;
  #urgent: Flushable[] = [];
  #urgentScheduled = false;
  // Bound once, so scheduling a flush allocates nothing.
  #flush = () => this.#flushWaiting();
  #flushUrgent = () => this.#flushUrgentNow();

  /** performance.now() as of the latest flush, paced or urgent. */
  now(): number {
    return this.#coarseNow;
  }

  /** Counts a write a connection started. */
  countWrite(): void {
    this.#writesStarted++;
  }

  /** Writes started so far: changes whenever the server sends anything. */
  get writeCount(): number {
    return this.#writesStarted;
  }

  /**
   * Writes a target's queue at the end of the current task, ahead of the
   * pacing: for private lines (a welcome, an error, a whisper), which are few
   * and should not wait behind a big broadcast.
   */
  requestUrgentFlush(target: Flushable): void {
    this.#urgent.push(target);
    if (this.#urgentScheduled) return;
    this.#urgentScheduled = true;
    queueMicrotask(this.#flushUrgent);
  }

  /** Queues a target for the next paced flush; the caller makes sure it is queued once. */
  requestFlush(target: Flushable): void {
    this.#waiting.push(target);
    if (this.#scheduled) return;
    this.#scheduled = true;
    this.#accrue(performance.now());
    if (this.#credit >= 1) queueMicrotask(this.#flush);
    else setTimeout(this.#flush, (1 - this.#credit) * this.#paceMs);
  }

  #flushUrgentNow(): void {
    this.#urgentScheduled = false;
    this.#coarseNow = performance.now();
    const batch = this.#urgent;
    this.#urgent = [];
    for (let i = 0; i < batch.length; i++) batch[i].flushQueued();
  }

  #accrue(now: number): void {
    this.#credit = Math.min(BURST_FLUSHES, this.#credit + (now - this.#creditAt) / this.#paceMs);
    this.#creditAt = now;
  }

  #flushWaiting(): void {
    this.#scheduled = false;
    this.#coarseNow = performance.now();
    this.#accrue(this.#coarseNow);
    // A timer may fire a little early; never let credit run into debt.
    this.#credit = Math.max(0, this.#credit - 1);
    const batch = this.#waiting;
    this.#waiting = this.#spare;
    let writes = 0;
    for (let i = 0; i < batch.length; i++) writes += batch[i].flushQueued();
    this.#paceMs = Math.min(MAX_PACE_MS, Math.max(MIN_PACE_MS, writes * PACE_PER_WRITE_MS));
    batch.length = 0;
    this.#spare = batch;
  }
}
