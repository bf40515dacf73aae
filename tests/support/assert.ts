/**
 * Test support: the assertion names of Deno's standard library
 * (`@std/assert`, unreachable here) over `node:assert/strict`, so every test
 * reads the same way. `assertEquals` is deep strict equality.
 */
import nodeAssert from "node:assert/strict";

/** Fails unless `value` is truthy. */
export function assert(value: unknown, message?: string): asserts value {
  nodeAssert.ok(value, message);
}

/** Deep strict equality: same structure, same primitive values, same prototypes. */
export function assertEquals<T>(
  actual: unknown,
  expected: T,
  message?: string,
): asserts actual is T {
  nodeAssert.deepStrictEqual(actual, expected, message);
}

export function assertNotEquals(actual: unknown, expected: unknown, message?: string): void {
  nodeAssert.notDeepStrictEqual(actual, expected, message);
}

/** `Object.is` equality. */
export function assertStrictEquals<T>(
  actual: unknown,
  expected: T,
  message?: string,
): asserts actual is T {
  nodeAssert.strictEqual(actual, expected, message);
}

export function assertMatch(actual: string, expected: RegExp, message?: string): void {
  nodeAssert.match(actual, expected, message);
}

export function assertNotMatch(actual: string, expected: RegExp, message?: string): void {
  nodeAssert.doesNotMatch(actual, expected, message);
}

export function assertStringIncludes(actual: string, expected: string, message?: string): void {
  nodeAssert.ok(
    actual.includes(expected),
    message ?? `Expected ${JSON.stringify(actual)} to include ${JSON.stringify(expected)}.`,
  );
}

export function assertArrayIncludes<T>(actual: readonly T[], expected: readonly T[]): void {
  for (const item of expected) {
    nodeAssert.ok(
      actual.some((candidate) => isDeepStrictEqual(candidate, item)),
      `Expected ${JSON.stringify(actual)} to include ${JSON.stringify(item)}.`,
    );
  }
}

/** What a thrown error must match: its message, its class, or a predicate. */
type ErrorExpectation =
  | RegExp
  | (new (...args: never[]) => Error)
  | ((error: Error) => boolean);

export function assertThrows(fn: () => unknown, expected?: ErrorExpectation): void {
  if (expected === undefined) nodeAssert.throws(fn);
  else nodeAssert.throws(fn, expected as RegExp);
}

export async function assertRejects(
  fn: () => Promise<unknown>,
  expected?: ErrorExpectation,
): Promise<void> {
  if (expected === undefined) await nodeAssert.rejects(fn);
  else await nodeAssert.rejects(fn, expected as RegExp);
}

export function fail(message: string): never {
  nodeAssert.fail(message);
}

function isDeepStrictEqual(a: unknown, b: unknown): boolean {
  try {
    nodeAssert.deepStrictEqual(a, b);
    return true;
  } catch {
    return false;
  }
}
