/**
 * Chooses the room's store from the serve options: in memory with
 * `--memory`, otherwise the SQLite file at `--data` or the default data path
 * (see data_dir.ts), creating its directory first.
 */
import { defaultDataPath, parentDir } from "./data_dir.ts";
import { MemoryStore } from "./memory_store.ts";
import type { ServeOptions } from "./serve.ts";
import { SqliteStore } from "./sqlite_store.ts";
import type { RoomStore } from "./store.ts";

export function openStore(options: Pick<ServeOptions, "memory" | "dataPath">): RoomStore {
  if (options.memory) return new MemoryStore();
  const explicit = options.dataPath !== undefined && options.dataPath !== "";
  const path = explicit ? options.dataPath! : defaultDataPath();
  // The default directory may not exist yet; keep it private to the user.
  // An explicit --data path's directory is created too, with default mode.
  Deno.mkdirSync(parentDir(path), { recursive: true, mode: explicit ? undefined : 0o700 });
  return new SqliteStore(path);
}
