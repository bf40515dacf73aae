import { deepEqual as assertEquals, match as assertMatch, ok } from "node:assert/strict";
import { joinPlain, startServer } from "./support/test_server.ts";
import { JoinProcess } from "./support/join_process.ts";
import { TcpProxy } from "./support/tcp_proxy.ts";
import { localizeSchedule } from "../client/join.ts";

Deno.test("chat join talks with a plain client through the real server", async () => {
  await using server = startServer();
  const port = server.address.port;
  await using ana = new JoinProcess([`127.0.0.1:${port}`, "--nick", "ana", "--retry", "0"]);
  await ana.waitFor("Welcome, ana! You are the room owner.");
  await using bob = await joinPlain(port, "bob");
  await ana.waitFor("* bob joined the chat.");

  await ana.type("hi bob");
  await bob.waitFor("ana: hi bob");
  await bob.send("hello ana \x1b[31mred\x1b[0m");
  const shown = await ana.waitFor("bob: hello ana");
  assertMatch(shown, /^\[\d\d:\d\d\] bob: hello ana red$/);

  await ana.type("/whisper bob psst");
  assertMatch(await bob.waitFor("Whisper from ana"), /\[Whisper from ana\] psst$/);
  await ana.waitFor("[Whisper to bob] psst");

  await ana.type("/user");
  await ana.waitFor("Users in chat: ana (owner), bob");

  await ana.type("/quit");
  assertEquals(await ana.exitCode(), 0);
  await bob.waitFor("* ana left the chat (quit).");
  await bob.waitFor("* bob is now the room owner.");
});

Deno.test("chat join asks again when the nickname is taken", async () => {
  await using server = startServer();
  const port = server.address.port;
  await using _bob = await joinPlain(port, "bob");
  await using client = new JoinProcess([`127.0.0.1:${port}`, "--retry", "0"]);
  await client.waitFor("Enter your nickname:");
  await client.type("BOB");
  await client.waitFor('Nickname "BOB" is already taken.');
  await client.type("carol");
  await client.waitFor("Welcome, carol!");
  await client.closeStdin();
  assertEquals(await client.exitCode(), 0);
});

Deno.test("chat join says the server went away and exits non-zero", async () => {
  const server = startServer();
  const port = server.address.port;
  await using client = new JoinProcess([`127.0.0.1:${port}`, "--nick", "ana", "--retry", "0"]);
  await client.waitFor("Welcome, ana!");
  await server.shutdown();
  await client.waitFor("Disconnected from server");
  assertEquals(await client.exitCode(), 1);
});

Deno.test("chat join reconnects with the same nickname when the connection drops", async () => {
  await using server = startServer();
  const port = server.address.port;
  await using proxy = new TcpProxy(port);
  await using client = new JoinProcess([
    `127.0.0.1:${proxy.port}`,
    "--nick",
    "ana",
    "--retry",
    "10",
  ]);
  await client.waitFor("Welcome, ana!");
  await using bob = await joinPlain(port, "bob");
  proxy.cutAll();
  await client.waitFor("Disconnected from server");
  await bob.send("said while ana was away");
  await client.waitFor("Reconnected as ana");
  await client.waitFor("bob: said while ana was away");
  await client.type("back");
  await bob.waitFor("ana: back");

  // A second drop replays only what came after the last line shown.
  proxy.cutAll();
  await client.waitFor("Disconnected from server");
  await bob.send("said during the second drop");
  await client.waitFor("Reconnected as ana");
  await client.waitFor("bob: said during the second drop");
  await client.type("back again");
  await bob.waitFor("ana: back again");
  const replays = client.output.filter((line) => line.includes("said while ana was away"));
  assertEquals(replays.length, 1, client.output.join("\n"));
  const leaves = (await bob.collect(200)).filter((line) => line.includes("ana left"));
  assertEquals(leaves, []);
});

Deno.test("chat join exits 1 with a clear message when nothing listens", async () => {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  await using client = new JoinProcess([`127.0.0.1:${port}`, "--nick", "ana"]);
  assertEquals(await client.exitCode(), 1);
  ok((await client.stderr()).includes(`Could not connect to 127.0.0.1:${port}`));
});

Deno.test("localizeSchedule turns HH:MM into the next local instant", () => {
  const now = new Date(2026, 10, 27, 8, 30).getTime();
  const line = localizeSchedule("/schedule 09:00 stand-up", now);
  assertEquals(line, `/schedule ${new Date(2026, 10, 27, 9, 0).toISOString()} stand-up`);
  const tomorrow = localizeSchedule("/schedule 08:00 early", now);
  assertEquals(tomorrow, `/schedule ${new Date(2026, 10, 28, 8, 0).toISOString()} early`);
  assertEquals(localizeSchedule("/schedule +10m soon", now), "/schedule +10m soon");
  assertEquals(localizeSchedule("hello 09:00", now), "hello 09:00");
});
