/**
 * Input waits for output. When members who read are falling behind with
 * what the room sends them, the server reads no more from anyone until they
 * have caught up (or a short wait has passed), so a flood cannot make the
 * room produce output faster than its readers can take it. Without this, a
 * sender with flood control off (`--rate 0`) made the server read faster
 * than it could write, and members who read perfectly well were dropped as
 * "too slow" for the server's own backlog.
 *
 * A member that has stopped reading does not hold the room up: once its
 * writes have made no progress for the stall interval it no longer counts,
 * and its own outbox limit deals with it.
 */

/** What the gate needs to know about a connection. */
export interface GatedOutput {
  /** True when the connection's writer has made no progress for the stall interval. */
  readonly stalled: boolean;
}

/** The longest a read waits for others' output to drain, in ms. */
const MAX_WAIT_MS = 250;

export class OutputGate {
  #congested = new Set<GatedOutput>();
  #waiters: (() => void)[] = [];

  /** A connection's queue crossed its watermark, up (`congested`) or down. */
  update(output: GatedOutput, congested: boolean): void {
    if (congested) {
      this.#congested.add(output);
      return;
    }
    if (!this.#congested.delete(output)) return;
    if (!this.#holding()) this.#release();
  }

  /** Forgets a connection that has ended. */
  forget(output: GatedOutput): void {
    this.update(output, false);
  }

  /** Whether reads should wait now: someone who reads is behind. */
  #holding(): boolean {
    for (const output of this.#congested) if (!output.stalled) return true;
    return false;
  }

  /** Resolves when no reading member is behind, or after MAX_WAIT_MS; null when there is no need to wait. */
  wait(): Promise<void> | null {
    if (this.#congested.size === 0 || !this.#holding()) return null;
    return new Promise((resolve) => {
      const timer = setTimeout(done, MAX_WAIT_MS);
      const waiters = this.#waiters;
      function done(): void {
        clearTimeout(timer);
        const index = waiters.indexOf(done);
        if (index !== -1) waiters.splice(index, 1);
        resolve();
      }
      waiters.push(done);
    });
  }

  #release(): void {
    for (const wake of this.#waiters.splice(0)) wake();
  }
}
