/**
 * The room's pending schedules, without their text: a min-heap by due time
 * (adding and taking the next one cost O(log n)), an index by id, and the
 * counts its caps need: how many are pending room-wide and per address, and
 * how many bytes fall due in each minute. Pure; the room owns one.
 */
import type { ScheduleInfo } from "./store.ts";

export interface ScheduleLimits {
  /** Pending schedules in the whole room. */
  maxSchedules: number;
  /** Pending schedules from one address. */
  perAddress: number;
  /** Bytes of scheduled text that may fall due in any one minute. */
  bytesPerMinute: number;
}

export const DEFAULT_SCHEDULE_LIMITS: Readonly<ScheduleLimits> = {
  maxSchedules: 1000,
  perAddress: 20,
  bytesPerMinute: 64 * 1024,
};

/** What a cap says about a new schedule: which one, and its numbers. */
export type ScheduleRefusal =
  | { limit: "room"; max: number }
  | { limit: "address"; max: number }
  | { limit: "minute"; max: number };

const MINUTE = 60_000;

export class ScheduleQueue {
  readonly limits: ScheduleLimits;
  #byId = new Map<number, ScheduleInfo>();
  /** [due, id] pairs; an id no longer in #byId was cancelled and is skipped. */
  #heap: [number, number][] = [];
  #perAddress = new Map<string, number>();
  #bytesByMinute = new Map<number, number>();

  constructor(limits: ScheduleLimits = DEFAULT_SCHEDULE_LIMITS) {
    this.limits = limits;
  }

  get size(): number {
    return this.#byId.size;
  }

  get(id: number): ScheduleInfo | undefined {
    return this.#byId.get(id);
  }

  /** Every pending schedule, earliest first. */
  all(): ScheduleInfo[] {
    return [...this.#byId.values()].sort((a, b) => a.due - b.due || a.id - b.id);
  }

  /** Why one more schedule (from `address`, of `bytes`, due at `due`) is refused, or null. */
  refusal(address: string, due: number, bytes: number): ScheduleRefusal | null {
    const { maxSchedules, perAddress, bytesPerMinute } = this.limits;
    if ((this.#perAddress.get(address) ?? 0) >= perAddress) {
      return { limit: "address", max: perAddress };
    }
    if (this.#byId.size >= maxSchedules) return { limit: "room", max: maxSchedules };
    const minute = Math.floor(due / MINUTE);
    if ((this.#bytesByMinute.get(minute) ?? 0) + bytes > bytesPerMinute) {
      return { limit: "minute", max: bytesPerMinute };
    }
    return null;
  }

  /** Adds a schedule; the caller has checked `refusal()` (start-up adds without caps). */
  add(info: ScheduleInfo): void {
    this.#byId.set(info.id, info);
    this.#push([info.due, info.id]);
    const address = addressOf(info);
    this.#perAddress.set(address, (this.#perAddress.get(address) ?? 0) + 1);
    const minute = Math.floor(info.due / MINUTE);
    this.#bytesByMinute.set(minute, (this.#bytesByMinute.get(minute) ?? 0) + info.bytes);
  }

  /** Takes a schedule out (cancelled or fired); its heap entry is skipped later. */
  remove(id: number): ScheduleInfo | undefined {
    const info = this.#byId.get(id);
    if (!info) return undefined;
    this.#byId.delete(id);
    const address = addressOf(info);
    const left = (this.#perAddress.get(address) ?? 1) - 1;
    if (left <= 0) this.#perAddress.delete(address);
    else this.#perAddress.set(address, left);
    const minute = Math.floor(info.due / MINUTE);
    const bytes = (this.#bytesByMinute.get(minute) ?? info.bytes) - info.bytes;
    if (bytes <= 0) this.#bytesByMinute.delete(minute);
    else this.#bytesByMinute.set(minute, bytes);
    return info;
  }

  /** Whether a pending schedule is due at or before `now`. */
  hasDue(now: number): boolean {
    while (this.#heap.length > 0) {
      const [due, id] = this.#heap[0];
      if (this.#byId.has(id)) return due <= now;
      this.#pop();
    }
    return false;
  }

  /** When the earliest pending schedule is due, or null when none is pending. */
  nextDue(): number | null {
    while (this.#heap.length > 0) {
      const [due, id] = this.#heap[0];
      if (this.#byId.has(id)) return due;
      this.#pop();
    }
    return null;
  }

  /** The earliest pending schedule due at or before `now`, taken out; or null. */
  takeDue(now: number): ScheduleInfo | null {
    while (this.#heap.length > 0) {
      const [due, id] = this.#heap[0];
      if (!this.#byId.has(id)) {
        this.#pop();
        continue;
      }
      if (due > now) return null;
      this.#pop();
      return this.remove(id) ?? null;
    }
    return null;
  }

  /** Schedules by one author (by nickname key). */
  byAuthor(authorKey: string): ScheduleInfo[] {
    return this.all().filter((info) => info.authorKey === authorKey);
  }

  #push(entry: [number, number]): void {
    const heap = this.#heap;
    heap.push(entry);
    let index = heap.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (!before(heap[index], heap[parent])) break;
      [heap[index], heap[parent]] = [heap[parent], heap[index]];
      index = parent;
    }
  }

  #pop(): void {
    const heap = this.#heap;
    const last = heap.pop()!;
    if (heap.length === 0) return;
    heap[0] = last;
    let index = 0;
    while (true) {
      const left = index * 2 + 1;
      const right = left + 1;
      let smallest = index;
      if (left < heap.length && before(heap[left], heap[smallest])) smallest = left;
      if (right < heap.length && before(heap[right], heap[smallest])) smallest = right;
      if (smallest === index) return;
      [heap[index], heap[smallest]] = [heap[smallest], heap[index]];
      index = smallest;
    }
  }
}

/** The key a schedule counts against: its address, or for a client without one, its author. */
export function addressOf(info: { address?: string; authorKey: string }): string {
  return info.address ?? `member:${info.authorKey}`;
}

function before(a: [number, number], b: [number, number]): boolean {
  return a[0] < b[0] || (a[0] === b[0] && a[1] < b[1]);
}
