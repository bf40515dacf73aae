/**
 * Bans: a kick (or `/ban`) keeps the member out for a while, by what it
 * can be told apart by: its key (when it joined with one), its address
 * (unless that address is exempt from per-address limits: a shared one such
 * as the loopback behind a proxy), and its nickname. A banned client is told
 * how long is left and closed.
 *
 * Bounded room-wide at MAX_BANS (the one ending soonest goes first), kept
 * across restarts through the store's records (kind "ban"). Pure: the room
 * passes in the time.
 */
import { nicknameKey } from "../protocol/text.ts";
import type { RoomStore } from "./store.ts";

export type BanKind = "key" | "address" | "nick";

export interface Ban {
  kind: BanKind;
  /** A key fingerprint, an address, or a nickname's comparison key. */
  value: string;
  /** The member's nickname when banned, to show in `/bans`. */
  nick: string;
  by: string;
  /** When it ends (ms). */
  until: number;
}

/** Who is asking to come in. */
export interface Visitor {
  identity?: string;
  address?: string;
  nick?: string;
}

export const MAX_BANS = 1000;
const KIND = "ban";

export class Bans {
  #store: RoomStore;
  #bans = new Map<string, Ban>();

  constructor(store: RoomStore) {
    this.#store = store;
    for (const [key, value] of store.loadRecords(KIND)) {
      const ban = parseBan(value);
      if (ban) this.#bans.set(key, ban);
    }
  }

  /** Bans in force at `now`, ending soonest first (lapsed ones are let go). */
  list(now: number): Ban[] {
    for (const [key, ban] of this.#bans) if (ban.until <= now) this.#forget(key);
    return [...this.#bans.values()].sort((a, b) => a.until - b.until);
  }

  add(ban: Ban, now: number): void {
    const key = banKey(ban.kind, ban.value);
    this.#bans.set(key, ban);
    this.#store.saveRecord(KIND, key, JSON.stringify(ban));
    const inForce = this.list(now);
    for (const old of inForce.slice(0, Math.max(0, inForce.length - MAX_BANS))) {
      this.#forget(banKey(old.kind, old.value));
    }
  }

  /** The ban that keeps `visitor` out longest at `now`, or null. */
  match(visitor: Visitor, now: number): Ban | null {
    const keys = [
      visitor.identity === undefined ? null : banKey("key", visitor.identity),
      visitor.address === undefined ? null : banKey("address", visitor.address),
      visitor.nick === undefined ? null : banKey("nick", nicknameKey(visitor.nick)),
    ];
    let found: Ban | null = null;
    for (const key of keys) {
      const ban = key === null ? undefined : this.#bans.get(key);
      if (!ban) continue;
      if (ban.until <= now) {
        this.#forget(key!);
      } else if (!found || ban.until > found.until) {
        found = ban;
      }
    }
    return found;
  }

  /**
   * Lifts the bans on `target`: a nickname (every ban made against it: its
   * key, address and name), or one address, or one key fingerprint. Returns
   * what was lifted.
   */
  remove(target: string): Ban[] {
    const nick = nicknameKey(target);
    const lifted = [...this.#bans.entries()].filter(([, ban]) =>
      nicknameKey(ban.nick) === nick || ban.value === target
    );
    for (const [key] of lifted) this.#forget(key);
    return lifted.map(([, ban]) => ban);
  }

  #forget(key: string): void {
    this.#bans.delete(key);
    this.#store.deleteRecord(KIND, key);
  }
}

/** `You are banned from this room for N more minutes.` */
export function banText(ban: Ban, now: number): string {
  const minutes = Math.max(1, Math.ceil((ban.until - now) / 60_000));
  return `You are banned from this room for ${minutes} more ${
    minutes === 1 ? "minute" : "minutes"
  }.`;
}

function banKey(kind: BanKind, value: string): string {
  return `${kind}:${value}`;
}

function parseBan(value: string): Ban | null {
  try {
    const ban = JSON.parse(value);
    if (
      ["key", "address", "nick"].includes(ban?.kind) && typeof ban.value === "string" &&
      typeof ban.nick === "string" && typeof ban.by === "string" && typeof ban.until === "number"
    ) {
      return { kind: ban.kind, value: ban.value, nick: ban.nick, by: ban.by, until: ban.until };
    }
  } catch {
    // A damaged record bans nobody.
  }
  return null;
}
