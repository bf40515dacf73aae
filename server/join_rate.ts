/**
 * How often one address may join the room: a token bucket per address
 * (`--join-rate COUNT/SECONDS`, `--join-burst N`). A class behind one NAT
 * joins together within the burst; a script cycling nicknames from one
 * address is held to the rate. Only joins that succeed take a token, and a
 * resumed session is not a join.
 *
 * Room-wide bound: at most MAX_TRACKED_ADDRESSES buckets are kept. Past it
 * the address heard from least recently is forgotten, which can only ever
 * give that address a full bucket back, never take one from anyone.
 *
 * Pure: the caller passes in the time.
 */

export interface JoinRateOptions {
  /** Joins per `seconds` once the burst is spent; 0 turns the limit off. */
  count: number;
  seconds: number;
  /** Joins allowed at once. */
  burst: number;
}

/** Addresses whose buckets are remembered at most. */
export const MAX_TRACKED_ADDRESSES = 10_000;

interface Bucket {
  tokens: number;
  at: number;
}

export class JoinRate {
  readonly options: JoinRateOptions;
  /** In order of last use, oldest first (a Map keeps insertion order). */
  #buckets = new Map<string, Bucket>();
  #maxTracked: number;

  constructor(options: JoinRateOptions, maxTracked = MAX_TRACKED_ADDRESSES) {
    this.options = options;
    this.#maxTracked = maxTracked;
  }

  get enabled(): boolean {
    return this.options.count > 0;
  }

  /** Addresses remembered now. */
  get tracked(): number {
    return this.#buckets.size;
  }

  /**
   * Takes a token for a join from `address` at `nowMs`. Returns 0 when the
   * join may go ahead, else the whole seconds until it may.
   */
  take(address: string, nowMs: number): number {
    if (!this.enabled) return 0;
    const perMs = this.options.count / (this.options.seconds * 1000);
    const bucket = this.#refilled(address, nowMs, perMs);
    if (bucket.tokens >= 1) {
      bucket.tokens -= 1;
      return 0;
    }
    return Math.max(1, Math.ceil((1 - bucket.tokens) / perMs / 1000));
  }

  #refilled(address: string, nowMs: number, perMs: number): Bucket {
    const known = this.#buckets.get(address);
    const bucket = known ?? { tokens: this.options.burst, at: nowMs };
    bucket.tokens = Math.min(this.options.burst, bucket.tokens + (nowMs - bucket.at) * perMs);
    bucket.at = nowMs;
    // Move it to the newest end; forget the oldest past the bound.
    this.#buckets.delete(address);
    this.#buckets.set(address, bucket);
    if (this.#buckets.size > this.#maxTracked) {
      this.#buckets.delete(this.#buckets.keys().next().value!);
    }
    return bucket;
  }
}
