/**
 * Test support: seeds for randomized tests. A test takes its seed from
 * `CHAT_SEED` when set (to replay a failure) and otherwise picks one; when it
 * fails, the error says how to replay it.
 */
import { prng } from "./prng.ts";

/** The seed to use: `CHAT_SEED` if set, else a fresh one. */
export function testSeed(): number {
  const fixed = Deno.env.get("CHAT_SEED");
  if (fixed !== undefined && fixed !== "") {
    const seed = Number(fixed);
    if (!Number.isSafeInteger(seed)) throw new Error(`CHAT_SEED="${fixed}" is not an integer.`);
    return seed;
  }
  return Math.floor(Math.random() * 2 ** 31);
}

/**
 * Runs `body` with a seeded random source; any failure is rethrown with the
 * seed and the command that replays it.
 */
export async function withSeed<T>(
  name: string,
  body: (random: () => number, seed: number) => T | Promise<T>,
  seed = testSeed(),
): Promise<T> {
  try {
    return await body(prng(seed), seed);
  } catch (error) {
    const replay = `CHAT_SEED=${seed} deno test -A --filter ${JSON.stringify(name)}`;
    const wrapped = new Error(`${name} failed with seed ${seed}; replay with: ${replay}`);
    wrapped.cause = error;
    if (error instanceof Error && error.stack) wrapped.stack += `\nCaused by: ${error.stack}`;
    throw wrapped;
  }
}
