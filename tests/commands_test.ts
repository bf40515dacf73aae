/**
 * The commands people expect from ssh-chat and IRC, over real sockets and
 * through both framings: a plain (nc) client and a structured (chat join)
 * one in the same room.
 */
import type { EventOf, ServerEvent } from "../protocol/events.ts";
import { MemoryStore } from "../server/memory_store.ts";
import { assert, assertEquals } from "./support/assert.ts";
import {
  joinJson,
  joinPlain,
  type JsonClient,
  type LineClient,
  startServer,
} from "./support/test_server.ts";

function unstamped(line: string): string {
  return line.replace(/^\[\d\d:\d\d\] /, "");
}

/** A room with a plain member ana (the owner) and a structured member bob. */
async function room(options: Parameters<typeof startServer>[0] = {}) {
  const server = startServer({ limits: { rate: 0 }, ...options });
  const port = server.address.port;
  const ana = await joinPlain(port, "ana");
  const { client: bob } = await joinJson(port, "bob");
  await ana.waitFor("‣ bob joined the chat.");
  return {
    server,
    port,
    ana,
    bob,
    async [Symbol.asyncDispose]() {
      await ana.close();
      await bob.close();
      await server.shutdown();
    },
  };
}

function isText(event: ServerEvent, type: string, text: string): boolean {
  return event.type === type && "text" in event && event.text === text;
}

Deno.test("/me shows an action line to plain and structured members alike", async () => {
  await using r = await room();
  await r.ana.send("/me waves");
  assertEquals(unstamped(await r.ana.waitFor("waves")), "* ana waves");
  const action = await r.bob.waitFor((e) => e.type === "action") as EventOf<"action">;
  assertEquals([action.from, action.text], ["ana", "waves"]);
  await r.bob.say("/me nods");
  assertEquals(unstamped(await r.ana.waitFor("nods")), "* bob nods");
});

Deno.test("/msg and /w whisper, /reply and /r answer the last whisperer, whispering to yourself is refused", async () => {
  await using r = await room();
  await r.ana.send("/msg bob one");
  await r.bob.waitFor((e) => isText(e, "whisper", "one"));
  await r.ana.send("/w bob two");
  await r.bob.waitFor((e) => isText(e, "whisper", "two"));
  await r.bob.say("/reply got them");
  assertEquals(unstamped(await r.ana.waitFor("got them")), "[Whisper from bob] got them");
  await r.bob.say("/r again");
  await r.ana.waitFor("[Whisper from bob] again");
  await r.ana.send("/whisper ana hello me");
  assertEquals(unstamped(await r.ana.waitFor("yourself")), "You cannot whisper to yourself.");
  await r.ana.send("/reply nobody?");
  // ana's last whisperer is bob.
  await r.bob.waitFor((e) => isText(e, "whisper", "nobody?"));
});

Deno.test("/nick renames; /names and /who list the members", async () => {
  await using r = await room();
  await r.bob.say("/nick rob");
  await r.ana.waitFor('‣ User "bob" has changed their nickname to "rob".');
  for (const command of ["/names", "/who", "/user"]) {
    await r.ana.send(command);
    assertEquals(
      unstamped(await r.ana.waitFor("Users in chat")),
      "Users in chat: ana (owner), rob",
    );
  }
});

Deno.test("/away marks a member in /user; whisperers are told once; /back counts the mentions missed", async () => {
  await using r = await room();
  await r.bob.say("/away lunch");
  await r.bob.waitFor((e) =>
    e.type === "notice" && e.text.startsWith("You are marked as away: lunch")
  );
  await r.ana.send("/user");
  assertEquals(
    unstamped(await r.ana.waitFor("Users in chat")),
    "Users in chat: ana (owner), bob (away: lunch)",
  );
  await r.ana.send("/whisper bob are you there?");
  assertEquals(unstamped(await r.ana.waitFor("is away")), "bob is away: lunch");
  await r.ana.send("/whisper bob still?");
  await r.ana.send("hey bob, look");
  await r.ana.send("@Bob: this too");
  await r.ana.send("not about bobby");
  await r.ana.waitFor("ana: not about bobby");
  // Told once only.
  assertEquals(r.ana.received.filter((line) => line.includes("is away")).length, 1);
  await r.bob.say("/user");
  await r.bob.waitFor((e) =>
    e.type === "notice" && e.text === "You have been mentioned 4 times while away."
  );
  await r.bob.say("/back");
  await r.bob.waitFor((e) =>
    e.type === "notice" && e.text === "Welcome back. You were mentioned 4 times while away."
  );
  await r.ana.send("/user");
  assertEquals(unstamped(await r.ana.waitFor("Users in chat")), "Users in chat: ana (owner), bob");
});

Deno.test("/ignore hides a member's messages and whispers, even after a rename; /unignore and /ignored", async () => {
  await using r = await room();
  await r.ana.send("/ignore bob");
  await r.ana.waitFor("You no longer see messages from bob.");
  await r.bob.say("you cannot see this");
  await r.bob.say("/whisper ana nor this");
  await r.bob.say("/nick rob");
  await r.ana.waitFor('‣ User "bob" has changed their nickname to "rob".');
  await r.bob.say("nor this, renamed");
  await r.ana.send("/ignored");
  assertEquals(unstamped(await r.ana.waitFor("ignoring")), "You are ignoring: rob");
  await r.ana.send("/unignore ROB");
  await r.ana.waitFor("You see messages from rob again.");
  await r.bob.say("now you can");
  await r.ana.waitFor("rob: now you can");
  const seen = r.ana.received.join("\n");
  assert(!seen.includes("cannot see this") && !seen.includes("nor this"), seen);
  // Presence still shows: the rename was seen.
  assert(seen.includes('‣ User "bob" has changed their nickname to "rob".'), seen);
});

Deno.test("/topic: anyone reads it, only the owner sets it, newcomers see it, and it survives a restart", async () => {
  const store = new MemoryStore();
  {
    await using r = await room({ store });
    await r.bob.say("/topic Exam on Friday");
    await r.bob.waitFor((e) =>
      e.type === "error" && e.text === "Only the room owner can set the topic."
    );
    await r.ana.send("/topic Exam on Friday");
    await r.ana.waitFor("‣ ana set the topic: Exam on Friday");
    const set = await r.bob.waitFor((e) => e.type === "topic") as EventOf<"topic">;
    assertEquals([set.text, set.by], ["Exam on Friday", "ana"]);
    await r.bob.say("/topic");
    await r.bob.waitFor((e) => e.type === "current_topic" && e.text === "Exam on Friday");
    const cy = await joinPlain(r.port, "cy");
    assert(
      cy.received.some((line) => line.endsWith("Topic: Exam on Friday (set by ana)")),
      cy.received.join("\n"),
    );
    await cy.close();
  }
  // A new server on the same store: the topic is still there.
  await using again = startServer({ store });
  const { client: dee } = await joinJson(again.address.port, "dee");
  await using _ = dee;
  const topic = await dee.waitFor((e) => e.type === "current_topic") as EventOf<"current_topic">;
  assertEquals([topic.text, topic.by], ["Exam on Friday", "ana"]);
});

Deno.test("/history pages back through earlier messages", async () => {
  await using server = startServer({ historySize: 2, limits: { rate: 0 } });
  const port = server.address.port;
  await using ana = await joinPlain(port, "ana");
  for (let i = 1; i <= 7; i++) await ana.send(`m${i}`);
  await ana.waitFor("ana: m7");
  await using bob = await joinPlain(port, "bob");
  const history = (lines: readonly string[]) =>
    lines.filter((line) => line.includes("(history) ana: m")).map((line) => line.slice(-2));
  assertEquals(history(bob.received), ["m6", "m7"]);
  await bob.send("/history 3");
  await bob.waitFor("(history) ana: m5");
  await bob.send("/history 3");
  await bob.waitFor("(history) ana: m2");
  await bob.send("/history");
  await bob.waitFor("No earlier messages.");
  assertEquals(history(bob.received), ["m6", "m7", "m3", "m4", "m5", "m1", "m2"]);
});

Deno.test("//text sends a message that starts with a slash", async () => {
  await using r = await room();
  await r.ana.send("//shrug is not a command");
  await r.bob.waitFor((e) => isText(e, "message", "/shrug is not a command"));
  await r.bob.say("//etc/hosts");
  assertEquals(unstamped(await r.ana.waitFor("bob: /")), "bob: /etc/hosts");
});

Deno.test("a dropped member is shown reconnecting, whispers wait for it, and the owner's powers pass to a stand-in at once", async () => {
  await using server = startServer({ limits: { rate: 0 } });
  const port = server.address.port;
  const owner = await joinJson(port, "ana");
  await using bob = await joinPlain(port, "bob");
  await using cy = await joinPlain(port, "cy");
  await owner.client.close();
  assertEquals(
    unstamped(await bob.waitFor("stands in")),
    "‣ bob stands in as the room owner while ana reconnects.",
  );
  await cy.send("/user");
  assertEquals(
    unstamped(await cy.waitFor("Users in chat")),
    "Users in chat: ana (reconnecting), bob (standing in as owner), cy",
  );
  await cy.send("/whisper ana see you later");
  assertEquals(
    unstamped(await cy.waitFor("reconnecting and will")),
    "ana is reconnecting and will get your whisper on return.",
  );
  // The stand-in can act as owner right away.
  await bob.send("/topic set by the stand-in");
  await cy.waitFor("‣ bob set the topic: set by the stand-in");
  // ana comes back: her powers come back, and the whisper is there.
  const again = await joinJson(port, "ana", {
    resume: owner.welcome.resume,
    lastSeq: owner.welcome.seq,
  });
  await using _ = again.client;
  assert(again.welcome.owner);
  await again.client.waitFor((e) => isText(e, "whisper", "see you later"));
  assertEquals(
    unstamped(await cy.waitFor("is now the room owner")),
    "‣ ana is now the room owner.",
  );
  await bob.send("/kick cy");
  await bob.waitFor("Only the room owner can kick members.");
});

Deno.test("a structured client's pasted block is one message, indented for plain clients, and bounded", async () => {
  await using r = await room({ limits: { rate: 1, burst: 1, maxPasteBytes: 200 } });
  await r.bob.say("first\nsecond\n\u001b[31mthird");
  assertEquals(unstamped(await r.ana.waitFor("bob: first")), "bob: first");
  assertEquals(await r.ana.readLine(), "        second");
  assertEquals(await r.ana.readLine(), "        third");
  const too = "x".repeat(150);
  await r.bob.say(`${too}\n${too}`);
  await r.bob.waitFor((e) =>
    e.type === "error" &&
    e.text === "Paste too long (301 bytes; the limit is 200). It was not sent."
  );
});

Deno.test("the line limit applies to the text itself in both framings", async () => {
  await using r = await room({ limits: { rate: 0, maxLineBytes: 100 } });
  // Exactly at the limit: accepted from both, though the JSON line around it is longer.
  await r.bob.say("b".repeat(100));
  await r.ana.waitFor(`bob: ${"b".repeat(100)}`);
  await r.ana.send("a".repeat(100));
  await r.bob.waitFor((e) => isText(e, "message", "a".repeat(100)));
  // One byte more: refused from both, with the same words.
  await r.bob.say("b".repeat(101));
  await r.bob.waitFor((e) =>
    e.type === "error" && e.text === "Line too long (101 bytes; the limit is 100). It was not sent."
  );
  await r.ana.send("a".repeat(101));
  assertEquals(
    unstamped(await r.ana.waitFor("Line too long")),
    "Line too long (101 bytes; the limit is 100). It was not sent.",
  );
});

Deno.test("a client that rejoins with the last seq it saw is shown only newer history", async () => {
  await using server = startServer({ limits: { rate: 0 } });
  const port = server.address.port;
  await using ana = await joinPlain(port, "ana");
  await ana.send("old");
  await ana.waitFor("ana: old");
  const seen = server.room.lastSeq;
  await ana.send("new");
  await ana.waitFor("ana: new");
  const { client } = await joinJson(port, "bob", { lastSeq: seen });
  await using _ = client;
  await client.waitFor((e) => e.type === "join" && e.nick === "bob");
  const history = client.received.filter((e) => e.type === "message").map((e) =>
    (e as EventOf<"message">).text
  );
  assertEquals(history, ["new"]);
});

// Keep the helper types in use for readers of this file.
export type { JsonClient, LineClient };
