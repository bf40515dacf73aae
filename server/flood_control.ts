/**
 * Flood control that does not eat pastes: a token bucket per connection.
 * Lines within the burst pass at once; lines over the rate wait in a bounded
 * backlog and are released at the rate, in order; past the backlog they are
 * dropped, and a connection that keeps flooding is cut off.
 */
import { FLOOD_BACKLOG } from "../protocol/limits.ts";

export interface FloodOptions {
  /** Lines per second; 0 turns flood control off. */
  rate: number;
  burst: number;
  backlog?: number;
  now?: () => number;
}

/** What became of an offered line. */
export type FloodVerdict = "pass" | "delay" | "drop" | "disconnect";

export class FloodControl {
  #rate: number;
  #burst: number;
  #backlogLimit: number;
  #now: () => number;
  #tokens: number;
  #refilledAt: number;
  #backlog: string[] = [];
  /** Lines dropped since the backlog last emptied. */
  #dropped = 0;

  constructor(options: FloodOptions) {
    this.#rate = options.rate;
    this.#burst = Math.max(1, options.burst);
    this.#backlogLimit = options.backlog ?? FLOOD_BACKLOG;
    this.#now = options.now ?? (() => performance.now());
    this.#tokens = this.#burst;
    this.#refilledAt = this.#now();
  }

  get enabled(): boolean {
    return this.#rate > 0;
  }

  get backlogSize(): number {
    return this.#backlog.length;
  }

  /** Lines dropped in the current flood. */
  get dropped(): number {
    return this.#dropped;
  }

  /** Offers a line. "pass" means handle it now; "delay" means it was queued. */
  offer(line: string): FloodVerdict {
    if (!this.enabled) return "pass";
    this.#refill();
    if (this.#backlog.length === 0 && this.#tokens >= 1) {
      this.#tokens -= 1;
      return "pass";
    }
    if (this.#backlog.length < this.#backlogLimit) {
      this.#backlog.push(line);
      return "delay";
    }
    this.#dropped++;
    return this.#dropped > this.#backlogLimit * 2 ? "disconnect" : "drop";
  }

  /** Releases the backlogged lines whose turn has come, in order. */
  release(): string[] {
    this.#refill();
    const ready = Math.min(Math.floor(this.#tokens), this.#backlog.length);
    this.#tokens -= ready;
    const lines = this.#backlog.splice(0, ready);
    if (this.#backlog.length === 0) this.#dropped = 0;
    return lines;
  }

  /** Milliseconds until the next backlogged line may go, or null if none waits. */
  nextReleaseIn(): number | null {
    if (this.#backlog.length === 0) return null;
    this.#refill();
    return this.#tokens >= 1 ? 0 : Math.ceil(((1 - this.#tokens) / this.#rate) * 1000);
  }

  #refill(): void {
    const now = this.#now();
    this.#tokens = Math.min(
      this.#burst,
      this.#tokens + ((now - this.#refilledAt) / 1000) * this.#rate,
    );
    this.#refilledAt = now;
  }
}
