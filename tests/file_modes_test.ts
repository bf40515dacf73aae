/**
 * What `chat` writes to disk is private to its user: the data file and its
 * WAL (`chat serve`) and known_rooms (`chat join`) are created 0600, and
 * every directory created for them is 0700, whatever the umask lets other
 * files have. Modes are read back with
 * `Deno.stat`. (Windows has no such modes; these tests do not run there.)
 */
import { assertEquals } from "./support/assert.ts";
import { tempDir } from "./support/temp_dir.ts";
import { openStore } from "../server/open_store.ts";
import { KnownRooms } from "../client/known_rooms.ts";

const POSIX = Deno.build.os !== "windows";

/** The permission bits of `path`, as an octal string such as "600". */
async function modeOf(path: string): Promise<string> {
  return ((await Deno.stat(path)).mode! & 0o777).toString(8);
}

Deno.test({
  name: "openStore() creates the data file and its WAL 0600 in directories it creates 0700",
  ignore: !POSIX,
  fn: async () => {
    await using dir = await tempDir("chat_modes_");
    const path = `${dir.path}/rooms/main/chat.db`;
    const { store } = await openStore({ memory: false, dataPath: path });
    try {
      // A committed event is in the -wal file while the store is open.
      store.appendEvent({ type: "join", seq: 1, at: 1, nick: "ana" });
      assertEquals(
        {
          rooms: await modeOf(`${dir.path}/rooms`),
          main: await modeOf(`${dir.path}/rooms/main`),
          file: await modeOf(path),
          wal: await modeOf(`${path}-wal`),
        },
        { rooms: "700", main: "700", file: "600", wal: "600" },
      );
    } finally {
      store.close();
    }
  },
});

Deno.test({
  name: "openStore() leaves the mode of an existing data file as its operator set it",
  ignore: !POSIX,
  fn: async () => {
    await using dir = await tempDir("chat_modes_");
    const path = `${dir.path}/chat.db`;
    await Deno.writeFile(path, new Uint8Array(), { mode: 0o640 });
    await Deno.chmod(path, 0o640);
    const { store } = await openStore({ memory: false, dataPath: path });
    store.close();
    assertEquals(await modeOf(path), "640");
  },
});

Deno.test({
  name: "KnownRooms creates known_rooms 0600 in directories it creates 0700, and keeps 0600",
  ignore: !POSIX,
  fn: async () => {
    await using dir = await tempDir("chat_modes_");
    const rooms = new KnownRooms(`${dir.path}/config/chat/known_rooms`);
    await rooms.record("a:1", `SHA256:${"A".repeat(43)}`);
    const modes = async () => ({
      config: await modeOf(`${dir.path}/config`),
      chat: await modeOf(`${dir.path}/config/chat`),
      file: await modeOf(rooms.path),
    });
    assertEquals(await modes(), { config: "700", chat: "700", file: "600" });
    // A change replaces the file whole; the new one is 0600 too.
    await rooms.record("b:2", `SHA256:${"B".repeat(43)}`);
    assertEquals(await modes(), { config: "700", chat: "700", file: "600" });
  },
});
