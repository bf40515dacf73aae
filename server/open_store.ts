/**
 * Chooses the room's store from the serve options. Until the file store
 * lands every room keeps its history in memory.
 */
import type { ServeOptions } from "./serve.ts";
import { MemoryStore } from "./memory_store.ts";
import type { RoomStore } from "./store.ts";

export function openStore(_options: ServeOptions): RoomStore {
  return new MemoryStore();
}
