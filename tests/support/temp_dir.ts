/**
 * Test support: a temporary directory that removes itself, for
 * `await using dir = await tempDir("chat_x_")`.
 */

/** A temp directory; disposing it removes it and everything in it. */
export interface TempDir extends AsyncDisposable {
  readonly path: string;
}

/** Creates a temp directory whose name starts with `prefix`. */
export async function tempDir(prefix: string): Promise<TempDir> {
  const path = await Deno.makeTempDir({ prefix });
  return { path, [Symbol.asyncDispose]: () => Deno.remove(path, { recursive: true }) };
}
