/**
 * A private room's password (`chat serve --password-file FILE`). Every
 * client gives it before its nickname. The comparison takes the same time
 * whatever the guess (both sides are hashed, then compared with
 * `timingSafeEqual`), and wrong guesses are throttled per address: a burst
 * of MAX_FAILURES, then one more every FAILURE_REFILL_MS. Each wrong guess
 * closes the connection; the edge logs it with its address.
 *
 * Room-wide bound: at most MAX_TRACKED_ADDRESSES addresses are remembered
 * (the least recently seen is forgotten first). Pure: the caller passes in
 * the time.
 */
import { createHash, timingSafeEqual } from "node:crypto";

/** Wrong guesses one address may make at once. */
export const MAX_FAILURES = 5;
/** Then one more guess per this long. */
export const FAILURE_REFILL_MS = 12_000;
const MAX_TRACKED_ADDRESSES = 10_000;

export type PasswordVerdict = { ok: true } | { ok: false; reason: string };

export class PasswordGate {
  #digest: Buffer;
  /** Failures allowed now per address, and when that was worked out; oldest first. */
  #budgets = new Map<string, { left: number; at: number }>();

  constructor(password: string) {
    this.#digest = digest(password);
  }

  /** Checks `guess` from `address` at `now`. */
  check(address: string, guess: unknown, now: number): PasswordVerdict {
    const budget = this.#budget(address, now);
    if (budget.left < 1) {
      const wait = Math.ceil((1 - budget.left) * FAILURE_REFILL_MS / 1000);
      return {
        ok: false,
        reason: `Too many wrong passwords from your address; try again in ${wait} s.`,
      };
    }
    const given = typeof guess === "string" ? guess : "";
    if (timingSafeEqual(digest(given), this.#digest)) return { ok: true };
    budget.left -= 1;
    return { ok: false, reason: "Wrong password." };
  }

  #budget(address: string, now: number): { left: number; at: number } {
    const known = this.#budgets.get(address);
    const budget = known ?? { left: MAX_FAILURES, at: now };
    budget.left = Math.min(MAX_FAILURES, budget.left + (now - budget.at) / FAILURE_REFILL_MS);
    budget.at = now;
    this.#budgets.delete(address);
    this.#budgets.set(address, budget);
    if (this.#budgets.size > MAX_TRACKED_ADDRESSES) {
      this.#budgets.delete(this.#budgets.keys().next().value!);
    }
    return budget;
  }
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/** Reads `--password-file`: its first line, without the newline. Throws with a message to show. */
export function readPasswordFile(path: string): string {
  let text: string;
  try {
    text = Deno.readTextFileSync(path);
  } catch (error) {
    throw new Error(
      `Cannot read --password-file "${path}": ${error instanceof Error ? error.message : error}`,
    );
  }
  const password = text.split(/\r?\n/)[0];
  if (password === "") {
    throw new Error(`--password-file "${path}" is empty; put the password on its first line.`);
  }
  return password;
}
