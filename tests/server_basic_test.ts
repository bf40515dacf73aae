import { assertEquals, assertMatch } from "./support/assert.ts";
import { joinPlain, LineClient, startServer } from "./support/test_server.ts";

Deno.test("a plain client registers, chats and sees its own message", async () => {
  await using server = startServer();
  await using alice = await joinPlain(server.address.port, "alice");
  await using bob = await joinPlain(server.address.port, "bob");
  await alice.waitFor("‣ bob joined the chat.");
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

Deno.test("private lines arrive in order with the broadcasts around them", async () => {
  await using server = startServer({ limits: { rate: 0 } });
  await using alice = await joinPlain(server.address.port, "alice");
  await using bob = await joinPlain(server.address.port, "bob");
  await alice.waitFor("‣ bob joined the chat.");
  // One write, so all of it is handled in one turn and shares one flush.
  await alice.write("first\n/nope\nsecond\n/whisper bob psst\nthird\n");
  const seen = [];
  for (let i = 0; i < 5; i++) seen.push((await alice.readLine()).replace(/^\[\d\d:\d\d\] /, ""));
  assertEquals(
    seen.join("|"),
    [
      "alice: first",
      'Unknown command "/nope". Type /help for the list of commands.',
      "alice: second",
      "[Whisper to bob] psst",
      "alice: third",
    ].join("|"),
  );
  const bobSaw = [];
  for (let i = 0; i < 4; i++) bobSaw.push((await bob.readLine()).replace(/^\[\d\d:\d\d\] /, ""));
  assertEquals(
    bobSaw.join("|"),
    [
      "alice: first",
      "alice: second",
      "[Whisper from alice] psst",
      "alice: third",
    ].join("|"),
  );
});

Deno.test("/kick closes the kicked member's connection after telling them", async () => {
  await using server = startServer();
  const port = server.address.port;
  await using alice = await joinPlain(port, "alice");
  await using bob = await joinPlain(port, "bob");
  await alice.send("/kick bob");
  assertEquals(
    (await bob.waitFor("kicked")).replace(/^\[\d\d:\d\d\] /, ""),
    "You have been kicked from the chat.",
  );
  await bob.waitForClose();
  await alice.waitFor("‣ bob was kicked from the chat by alice.");
});

Deno.test("a plain newcomer sees earlier messages marked (history), then its own welcome line", async () => {
  await using server = startServer({ historySize: 2 });
  const port = server.address.port;
  await using alice = await joinPlain(port, "alice");
  for (const text of ["one", "two", "three"]) await alice.send(text);
  await alice.waitFor("alice: three");
  await using bob = await LineClient.connect(port);
  await bob.waitFor("Enter your nickname");
  await bob.send("bob");
  const lines: string[] = [];
  while (!lines.at(-1)?.includes("‣ bob joined the chat.")) {
    lines.push((await bob.readLine()).replace(/^\[\d\d:\d\d\] /, ""));
  }
  assertEquals(
    lines.join("|"),
    [
      "Welcome, bob! Type /help for commands.",
      "(history) alice: two",
      "(history) alice: three",
      "‣ bob joined the chat.",
    ].join("|"),
  );
});

Deno.test("a last line without a newline still counts when the client closes its side", async () => {
  await using server = startServer();
  const port = server.address.port;
  await using alice = await joinPlain(port, "alice");
  await using bob = await LineClient.connect(port);
  // As `printf 'bob\nhello\nlast' | nc -N host port` sends it.
  await bob.write("bob\nhello\nlast");
  await bob.conn.closeWrite();
  await alice.waitFor("bob: hello");
  await alice.waitFor("bob: last");
  await alice.waitFor("‣ bob left the chat (disconnected).");
});
