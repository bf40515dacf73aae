import { equal as assertEquals, match as assertMatch } from "node:assert/strict";
import { joinPlain, LineClient, startServer } from "./support/test_server.ts";

Deno.test("a plain client registers, chats and sees its own message", async () => {
  await using server = startServer();
  await using alice = await joinPlain(server.address.port, "alice");
  await using bob = await joinPlain(server.address.port, "bob");
  await alice.waitFor("* bob joined the chat.");
  await alice.send("hello room");
  assertMatch(await bob.waitFor("alice: hello room"), /^\[\d\d:\d\d\] alice: hello room$/);
  assertMatch(await alice.waitFor("alice: hello room"), /^\[\d\d:\d\d\] alice: hello room$/);
});

Deno.test("a taken nickname is refused with its name quoted and the connection stays open", async () => {
  await using server = startServer();
  await using _alice = await joinPlain(server.address.port, "alice");
  await using other = await LineClient.connect(server.address.port);
  await other.waitFor("Enter your nickname");
  await other.send("ＡＬＩＣＥ");
  assertEquals(
    (await other.readLine()).replace(/^\[\d\d:\d\d\] /, ""),
    'Nickname "ＡＬＩＣＥ" is already taken. Please choose another nickname:',
  );
  await other.send("carol");
  await other.waitFor("Welcome, carol!");
});
