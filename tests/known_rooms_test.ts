/**
 * The known rooms file of `chat join` (client/known_rooms.ts): where it
 * lives, how a room is named in it, and that recording a room keeps every
 * other line as it was. The trust rules that use it are tested end to end in
 * tls_test.ts.
 */
import { defaultKnownRoomsPath, KnownRooms, roomKey } from "../client/known_rooms.ts";
import { assertEquals, assertThrows } from "./support/assert.ts";
import { tempDir } from "./support/temp_dir.ts";

const A = `SHA256:${"A".repeat(43)}`;
const B = `SHA256:${"B".repeat(42)}c`;

function env(values: Record<string, string>) {
  return (name: string) => values[name];
}

Deno.test("defaultKnownRoomsPath() follows XDG_CONFIG_HOME, then HOME, and APPDATA on Windows", () => {
  assertEquals(
    defaultKnownRoomsPath(env({ XDG_CONFIG_HOME: "/x", HOME: "/h" }), "linux"),
    "/x/chat/known_rooms",
  );
  // Empty or relative XDG_CONFIG_HOME is ignored, as the XDG spec asks.
  for (const xdg of ["", "relative"]) {
    assertEquals(
      defaultKnownRoomsPath(env({ XDG_CONFIG_HOME: xdg, HOME: "/h" }), "darwin"),
      "/h/.config/chat/known_rooms",
    );
  }
  assertEquals(
    defaultKnownRoomsPath(env({ APPDATA: "C:\\Users\\ana\\AppData\\Roaming" }), "windows"),
    "C:\\Users\\ana\\AppData\\Roaming\\chat\\known_rooms",
  );
  assertThrows(() => defaultKnownRoomsPath(env({}), "linux"), /set HOME/);
  assertThrows(() => defaultKnownRoomsPath(env({ HOME: "/h" }), "windows"), /set APPDATA/);
});

Deno.test("roomKey() names a room by lower-case host and port, an IPv6 host in brackets", () => {
  assertEquals(roomKey("Chat.Example.ORG", 9999), "chat.example.org:9999");
  assertEquals(roomKey("::1", 7000), "[::1]:7000");
});

Deno.test("KnownRooms records a room, finds it by line, and replaces only its own line", async () => {
  await using dir = await tempDir("chat_known_");
  const rooms = new KnownRooms(`${dir.path}/config/chat/known_rooms`);
  assertEquals(await rooms.lookup("a:1"), null);
  assertEquals(await rooms.record("a:1", A), { fingerprint: A, line: 1 });
  await Deno.writeTextFile(
    rooms.path,
    `# rooms I know\n${await Deno.readTextFile(rooms.path)}not a record\nb:2 ${A}\n`,
  );
  assertEquals(await rooms.lookup("a:1"), { fingerprint: A, line: 2 });
  assertEquals(await rooms.lookup("b:2"), { fingerprint: A, line: 4 });
  assertEquals(await rooms.record("a:1", B), { fingerprint: B, line: 2 });
  assertEquals(await rooms.record("c:3", B), { fingerprint: B, line: 5 });
  assertEquals(
    await Deno.readTextFile(rooms.path),
    `# rooms I know\na:1 ${B}\nnot a record\nb:2 ${A}\nc:3 ${B}\n`,
  );
  // Nothing but the file is left in its directory.
  const names = [];
  for await (const entry of Deno.readDir(`${dir.path}/config/chat`)) names.push(entry.name);
  assertEquals(names, ["known_rooms"]);
});
