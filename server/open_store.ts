/**
 * Opens the room's store: in memory with `--memory`, otherwise the SQLite
 * file at `--data` or the default data path (see data_dir.ts), creating its
 * directory first. SQLite is loaded only when a file is wanted, so a
 * `--memory` room never loads `node:sqlite`.
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
  // The default directory may not exist yet; keep it private to the user.
  // An explicit --data path's directory is created too, with default mode.
  Deno.mkdirSync(parentDir(path), { recursive: true, mode: explicit ? undefined : 0o700 });
  const { SqliteStore } = await import("./sqlite_store.ts");
  return { store: new SqliteStore(path), path };
}
