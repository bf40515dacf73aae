/**
 * The permissions baked into the `chat` binary by `deno compile`: the one
 * place they are written down. A compiled binary never prompts, so anything
 * missing here fails at run time with NotCapable; anything extra is attack
 * surface. `scripts/compile.ts` passes these flags; the tests read them.
 *
 * @module
 */
import { GLIBC_PATHS } from "../server/native_heap.ts";

/**
 * Environment variables the code reads. `tests/workflows_test.ts` fails if
 * main.ts, server/, client/ or protocol/ reads one that is not listed here
 * (--ignore-env would otherwise make it silently look unset).
 * - HOME, XDG_DATA_HOME: the server's default data directory
 *   (`$XDG_DATA_HOME/chat/` or `~/.local/share/chat/`), server/data_dir.ts.
 * - LOCALAPPDATA, USERPROFILE: the same on Windows (`%LOCALAPPDATA%\chat\`,
 *   falling back to `%USERPROFILE%\AppData\Local\chat\`).
 * - NO_COLOR, TERM: the client's (and commander's) switch to plain output,
 *   client/render.ts.
 * - XDG_CONFIG_HOME (with HOME), APPDATA on Windows: where `chat join` keeps
 *   the rooms it has met over TLS and its identity key
 *   (`$XDG_CONFIG_HOME/chat/known_rooms` and `.../identity`, else under
 *   `~/.config/chat/`, `%APPDATA%\chat\`), client/config_dir.ts.
 * - CHAT_DEBUG: `chat join` notes on stderr each malformed event it skips,
 *   client/join.ts.
 */
export const RUNTIME_ENV = [
  "HOME",
  "XDG_DATA_HOME",
  "LOCALAPPDATA",
  "USERPROFILE",
  "NO_COLOR",
  "TERM",
  "XDG_CONFIG_HOME",
  "APPDATA",
  "CHAT_DEBUG",
] as const;

/**
 * V8 flags the server runs with: `--expose-gc` lets the idle collector
 * (server/idle_collector.ts) hand memory back after a burst. The deno.json
 * tasks, the compiled binary and the benchmark's server all pass these; a
 * test checks that they agree.
 */
export const RUNTIME_V8_FLAGS = ["--expose-gc"] as const;

/** The `--v8-flags=` argument for `deno run` and `deno compile`. */
export const V8_FLAGS_ARGUMENT = `--v8-flags=${RUNTIME_V8_FLAGS.join(",")}`;

/**
 * Unstable APIs the server uses: `Deno.listen({ reusePort: true })` for
 * `chat serve --reuse-port` (Deno 2.9 still marks it unstable, and without
 * the flag the call ends the process instead of throwing). The deno.json
 * serve task, the compiled binary and the benchmark's server all pass it.
 */
export const RUNTIME_UNSTABLE_FLAGS = ["--unstable-net"] as const;

/** `deno compile` / `deno run` flags for the shipped binary. */
export const RUNTIME_PERMISSIONS: string[] = [
  // `serve` listens on any --host/--port and `join` dials any HOST:PORT the
  // user names, so the network cannot be narrowed at build time.
  "--allow-net",
  // node:sqlite opens --data PATH (anywhere the operator chooses) plus its
  // -wal/-shm/-journal siblings, and the server creates the data directory.
  "--allow-read",
  "--allow-write",
  // Only the variables above. Reads of any other variable see "unset"
  // instead of throwing NotCapable: commander probes CLICOLOR_FORCE when it
  // prints help, which would otherwise crash `chat --help`.
  `--allow-env=${RUNTIME_ENV.join(",")}`,
  // Only glibc, where it is found, for malloc_trim (server/native_heap.ts):
  // the idle collector hands freed pages back after a burst.
  `--allow-ffi=${GLIBC_PATHS.join(",")}`,
  "--ignore-env",
  V8_FLAGS_ARGUMENT,
  ...RUNTIME_UNSTABLE_FLAGS,
];
