/**
 * Nicknames held for a key. A member who joins with a key (`chat join`
 * proves one) holds the nickname for that key for `--nick-hold` after it
 * last used it: anyone else asking for the name, or for one that looks like
 * it, is refused. Plain clients never hold a name, and take any free one.
 *
 * Bounded room-wide: a key holds at most MAX_HOLDS_PER_KEY names (its least
 * recently used one is let go), and the room at most MAX_HOLDS (the least
 * recently used hold in the room is let go), so a flood of fresh keys costs
 * a bounded table, never an unbounded one.
 *
 * Pure: the room passes in the time; holds are kept through the store's
 * records (kind "hold", keyed by the nickname's comparison key).
 */
import { lookalikeKeys } from "../protocol/nickname_safety.ts";
import { nicknameKey } from "../protocol/text.ts";
import type { RoomStore } from "./store.ts";

export interface Hold {
  /** The name as its holder last wrote it. */
  nick: string;
  /** The holder's key fingerprint. */
  identity: string;
  /** When the name was first held by this key, and last used (ms). */
  since: number;
  usedAt: number;
}

export const MAX_HOLDS = 10_000;
export const MAX_HOLDS_PER_KEY = 5;
const KIND = "hold";

export class NickHolds {
  readonly holdMs: number;
  #store: RoomStore;
  #maxHolds: number;
  /** By nickname key, least recently used first. */
  #holds = new Map<string, Hold>();
  /** Every look-alike key of every held name, to the name's nickname key. */
  #byLookalike = new Map<string, string>();

  constructor(store: RoomStore, holdMs: number, maxHolds = MAX_HOLDS) {
    this.#store = store;
    this.holdMs = holdMs;
    this.#maxHolds = maxHolds;
    const loaded: Hold[] = [];
    for (const [, value] of store.loadRecords(KIND)) {
      const hold = parseHold(value);
      if (hold) loaded.push(hold);
    }
    for (const hold of loaded.sort((a, b) => a.usedAt - b.usedAt)) this.#index(hold);
  }

  get size(): number {
    return this.#holds.size;
  }

  /** Who holds `nick` at `now`, or null (a lapsed hold is let go). */
  holderOf(nick: string, now: number): Hold | null {
    return this.#live(nicknameKey(nick), now);
  }

  /** A held name that `nick` looks like (or is), held by someone else than `identity`. */
  heldLookalike(nick: string, identity: string | undefined, now: number): Hold | null {
    for (const key of [nicknameKey(nick), ...lookalikeKeys(nick)]) {
      const nickKey = key === nicknameKey(nick) ? key : this.#byLookalike.get(key);
      if (nickKey === undefined) continue;
      const hold = this.#live(nickKey, now);
      if (hold && hold.identity !== identity) return hold;
    }
    return null;
  }

  /** `identity` used `nick` at `now`: it holds it (again) from now on. */
  use(nick: string, identity: string, now: number): void {
    if (this.holdMs <= 0) return;
    const key = nicknameKey(nick);
    const known = this.#holds.get(key);
    const hold: Hold = {
      nick,
      identity,
      since: known?.identity === identity ? known.since : now,
      usedAt: now,
    };
    if (known) this.#unindex(key, known);
    this.#index(hold);
    this.#store.saveRecord(KIND, key, JSON.stringify(hold));
    this.#trim(identity);
  }

  /** Lets a name go (its holder's key was banned, say). */
  release(nick: string): void {
    const key = nicknameKey(nick);
    const hold = this.#holds.get(key);
    if (!hold) return;
    this.#unindex(key, hold);
    this.#store.deleteRecord(KIND, key);
  }

  #live(key: string, now: number): Hold | null {
    const hold = this.#holds.get(key);
    if (!hold) return null;
    if (now - hold.usedAt < this.holdMs) return hold;
    this.release(hold.nick);
    return null;
  }

  /** Keeps a key to MAX_HOLDS_PER_KEY names and the room to its cap, least recently used going first. */
  #trim(identity: string): void {
    const ofKey = [...this.#holds.values()].filter((hold) => hold.identity === identity);
    for (const hold of ofKey.slice(0, Math.max(0, ofKey.length - MAX_HOLDS_PER_KEY))) {
      this.release(hold.nick);
    }
    while (this.#holds.size > this.#maxHolds) {
      this.release(this.#holds.values().next().value!.nick);
    }
  }

  #index(hold: Hold): void {
    const key = nicknameKey(hold.nick);
    this.#holds.set(key, hold);
    for (const lookalike of lookalikeKeys(hold.nick)) this.#byLookalike.set(lookalike, key);
  }

  #unindex(key: string, hold: Hold): void {
    this.#holds.delete(key);
    for (const lookalike of lookalikeKeys(hold.nick)) {
      if (this.#byLookalike.get(lookalike) === key) this.#byLookalike.delete(lookalike);
    }
  }
}

function parseHold(value: string): Hold | null {
  try {
    const hold = JSON.parse(value);
    if (
      typeof hold?.nick === "string" && typeof hold.identity === "string" &&
      typeof hold.since === "number" && typeof hold.usedAt === "number"
    ) {
      return { nick: hold.nick, identity: hold.identity, since: hold.since, usedAt: hold.usedAt };
    }
  } catch {
    // A damaged record holds nothing.
  }
  return null;
}
