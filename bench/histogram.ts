/**
 * A latency histogram with log-linear buckets, mergeable across processes.
 *
 * Values are microseconds. Below 64 µs each bucket is 1 µs wide; above, every
 * power of two is split into 32 buckets, so a percentile is exact to about 3 %
 * at any scale. Load workers send their counts to the coordinator, which adds
 * them up.
 */

const SUB_BITS = 5;
const SUB = 1 << SUB_BITS;
const BUCKETS = (31 - SUB_BITS + 1) * SUB + SUB;

function bucketOf(micros: number): number {
  const value = micros < 0 ? 0 : micros >= 0x7fffffff ? 0x7fffffff : Math.floor(micros);
  if (value < 2 * SUB) return value;
  const exponent = 31 - Math.clz32(value);
  const mantissa = value >>> (exponent - SUB_BITS);
  return (exponent - SUB_BITS) * SUB + mantissa;
}

/** The middle of a bucket's range, in microseconds. */
function bucketMiddle(index: number): number {
  if (index < 2 * SUB) return index;
  const exponent = Math.floor(index / SUB) + SUB_BITS - 1;
  const mantissa = (index % SUB) + SUB;
  const width = 2 ** (exponent - SUB_BITS);
  return mantissa * width + width / 2;
}

/** Counts of latencies; `record` is cheap enough for a million calls a second. */
export class Histogram {
  readonly counts = new Float64Array(BUCKETS);
  total = 0;
  max = 0;

  record(micros: number): void {
    this.counts[bucketOf(micros)]++;
    this.total++;
    if (micros > this.max) this.max = micros;
  }

  /** Adds another histogram's counts to this one. */
  merge(other: SparseHistogram): void {
    for (const [index, count] of other.buckets) this.counts[index] += count;
    this.total += other.total;
    if (other.max > this.max) this.max = other.max;
  }

  /** The value under which the fraction `q` of recorded values fall, in microseconds. */
  quantile(q: number): number {
    if (this.total === 0) return 0;
    const rank = Math.max(1, Math.ceil(q * this.total));
    let seen = 0;
    for (let index = 0; index < BUCKETS; index++) {
      seen += this.counts[index];
      if (seen >= rank) return Math.min(bucketMiddle(index), this.max);
    }
    return this.max;
  }

  /** The non-empty buckets, small enough to send as one JSON line. */
  toSparse(): SparseHistogram {
    const buckets: [number, number][] = [];
    for (let index = 0; index < BUCKETS; index++) {
      if (this.counts[index] > 0) buckets.push([index, this.counts[index]]);
    }
    return { buckets, total: this.total, max: this.max };
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
    this.max = 0;
  }
}

/** A histogram as it travels between processes. */
/** The latency figures every report row carries, in ms, from a histogram of microseconds. */
export function latencyFigures(
  latency: Histogram,
): { p50Ms: number; p95Ms: number; p99Ms: number; maxMs: number } {
  return {
    p50Ms: latency.quantile(0.5) / 1000,
    p95Ms: latency.quantile(0.95) / 1000,
    p99Ms: latency.quantile(0.99) / 1000,
    maxMs: latency.max / 1000,
  };
}

export interface SparseHistogram {
  buckets: [number, number][];
  total: number;
  max: number;
}
