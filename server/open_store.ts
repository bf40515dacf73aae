/**
 * Opens the room's store: in memory with `--memory`, otherwise the SQLite
 * file at `--data` or the default data path (see data_dir.ts), creating its
 * directory first. SQLite is loaded only when a file is wanted, so a
 * `--memory` room never loads `node:sqlite`.
 *
 * The conversation is private: directories this creates are 0700 and a new
 * data file is 0600. Deno has no umask call, so the file is created empty
 * with that mode before SQLite opens it; SQLite gives its `-wal` (and any
 * `-journal` or `-shm`) the mode of the database file, so they are 0600 too.
 * An existing file keeps whatever mode its operator gave it.
 */
import { defaultDataPath, parentDir } from "./data_dir.ts";
import { MemoryStore } from "./memory_store.ts";
import type { RoomStore } from "./store.ts";

export interface StoreChoice {
  /** Keep everything in memory; nothing survives a restart. */
  memory: boolean;
  /** The data file; the default data path when absent or empty. */
  dataPath?: string;
}

/** The store, and where it keeps its data (null in memory). */
export async function openStore(
  choice: StoreChoice,
): Promise<{ store: RoomStore; path: string | null }> {
  if (choice.memory) return { store: new MemoryStore(), path: null };
  const explicit = choice.dataPath !== undefined && choice.dataPath !== "";
  const path = explicit ? choice.dataPath! : defaultDataPath();
  Deno.mkdirSync(parentDir(path), { recursive: true, mode: 0o700 });
  createPrivateFile(path);
  const { SqliteStore } = await import("./sqlite_store.ts");
  return { store: new SqliteStore(path), path };
}

/**
 * Creates `path` empty with mode 0600 if it does not exist. `createNew`
 * never opens an existing file: closing a descriptor of a database another
 * store in this process holds would drop that store's POSIX locks.
 */
function createPrivateFile(path: string): void {
  try {
    Deno.openSync(path, { createNew: true, write: true, mode: 0o600 }).close();
  } catch (error) {
    if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
  }
}
