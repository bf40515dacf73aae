/**
 * Join and leave announcements under churn. People who come and stay, even
 * thirty at once, are announced one line each. Churn is brief visits: a
 * member who leaves less than `windowMs` after joining. Once more than
 * `limit` brief visits end within a window, joins and leaves are counted
 * instead of announced, and once per window the room says how many there
 * were: "‣ 37 members joined and left in the last 10 s." When a whole window
 * passes with no more than `limit` brief visits, announcements come back.
 *
 * So a bot cycling through nicknames floods no screen and cannot push the
 * conversation out of the log (a summary is one event per window), while the
 * room's state (who is here) is unchanged and `/who` shows it.
 *
 * Pure: the room passes in the time.
 */
import type { EventOf } from "../protocol/events.ts";

/** What a summary says: how many joined and left, over how many seconds. */
export type PresenceCounts = Pick<EventOf<"presence">, "joined" | "left" | "seconds">;

export interface PresenceDigestOptions {
  /** Brief visits allowed within a window before counting starts (default 5). */
  limit?: number;
  /** The window, and what counts as brief, in ms (default 10 s). */
  windowMs?: number;
}

/** What a digest holds, for a cluster's snapshot of the room (room_snapshot.ts). */
export interface PresenceState {
  briefVisitsEndedAt: number[];
  joined: number;
  left: number;
  countingSince: number | null;
}

export class PresenceDigest {
  readonly limit: number;
  readonly windowMs: number;
  /** When recent brief visits ended, oldest first; at most `limit + 1` kept. */
  #briefVisitsEndedAt: number[] = [];
  #joined = 0;
  #left = 0;
  /** When the current counting window began; null while announcing. */
  #countingSince: number | null = null;

  constructor(options: PresenceDigestOptions = {}, state?: PresenceState) {
    this.limit = options.limit ?? 5;
    this.windowMs = options.windowMs ?? 10_000;
    if (state) {
      this.#briefVisitsEndedAt = [...state.briefVisitsEndedAt];
      this.#joined = state.joined;
      this.#left = state.left;
      this.#countingSince = state.countingSince;
    }
  }

  get state(): PresenceState {
    return {
      briefVisitsEndedAt: [...this.#briefVisitsEndedAt],
      joined: this.#joined,
      left: this.#left,
      countingSince: this.#countingSince,
    };
  }

  /** When `due()` will next act (say the counts or end counting); null while announcing. */
  get dueAt(): number | null {
    return this.#countingSince === null ? null : this.#countingSince + this.windowMs;
  }

  /** True while joins and leaves are counted rather than announced. */
  get counting(): boolean {
    return this.#countingSince !== null;
  }

  /** A member joined. True when it should be announced on its own. */
  join(): boolean {
    if (this.#countingSince === null) return true;
    this.#joined++;
    return false;
  }

  /**
   * A member who joined at `joinedAt` left at `now`. True when it should be
   * announced on its own.
   */
  leave(joinedAt: number, now: number): boolean {
    if (now - joinedAt < this.windowMs) {
      this.#briefVisitsEndedAt.push(now);
      if (this.#briefVisitsEndedAt.length > this.limit + 1) this.#briefVisitsEndedAt.shift();
      this.#forget(now);
      if (this.#countingSince === null && this.#briefVisitsEndedAt.length > this.limit) {
        this.#countingSince = now;
      }
    }
    if (this.#countingSince === null) return true;
    this.#left++;
    return false;
  }

  /**
   * The counts to announce, once a counting window has passed; null when
   * there is nothing to say yet. Churn still going on starts the next
   * counting window; a quiet one ends counting.
   */
  due(now: number): PresenceCounts | null {
    if (this.#countingSince === null || now - this.#countingSince < this.windowMs) return null;
    const counts = {
      joined: this.#joined,
      left: this.#left,
      seconds: Math.round((now - this.#countingSince) / 1000),
    };
    this.#joined = 0;
    this.#left = 0;
    this.#forget(now);
    this.#countingSince = this.#briefVisitsEndedAt.length > this.limit ? now : null;
    return counts.joined + counts.left > 0 ? counts : null;
  }

  #forget(now: number): void {
    while (
      this.#briefVisitsEndedAt.length > 0 && now - this.#briefVisitsEndedAt[0] >= this.windowMs
    ) {
      this.#briefVisitsEndedAt.shift();
    }
  }
}
