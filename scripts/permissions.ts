/**
 * The permissions baked into the `chat` binary by `deno compile`: the one
 * place they are written down. A compiled binary never prompts, so anything
 * missing here fails at run time with NotCapable; anything extra is attack
 * surface. `scripts/compile.ts` passes these flags; the tests read them.
 *
 * @module
 */

/**
 * Environment variables the code reads:
 * - HOME, XDG_DATA_HOME: the server's default data directory
 *   (`$XDG_DATA_HOME/chat/` or `~/.local/share/chat/`).
 * - USERPROFILE, LOCALAPPDATA, APPDATA: the same on Windows, where HOME is
 *   usually unset.
 * - NO_COLOR: the client's switch to plain output.
 * - TERM: the client's check for a terminal that understands escapes.
 */
export const RUNTIME_ENV = [
  "HOME",
  "XDG_DATA_HOME",
  "USERPROFILE",
  "LOCALAPPDATA",
  "APPDATA",
  "NO_COLOR",
  "TERM",
] as const;

/** `deno compile` / `deno run` flags for the shipped binary. */
export const RUNTIME_PERMISSIONS: string[] = [
  // `serve` listens on any --host/--port and `join` dials any HOST:PORT the
  // user names, so the network cannot be narrowed at build time.
  "--allow-net",
  // node:sqlite opens --data PATH (anywhere the operator chooses) plus its
  // -wal/-shm/-journal siblings, and the server creates the data directory.
  "--allow-read",
  "--allow-write",
  // Only the variables above; reads of any other variable (a dependency
  // probing FORCE_COLOR, say) see "unset" instead of throwing NotCapable.
  `--allow-env=${RUNTIME_ENV.join(",")}`,
  "--ignore-env",
];
