/**
 * Nicknames over real sockets: look-alikes of a present name, invisible
 * characters and names of combining marks alone are refused with a reason
 * that quotes the name; names written in their own script still work.
 */
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { joinPlain, LineClient, startServer } from "./support/test_server.ts";

function unstamped(line: string): string {
  return line.replace(/^\[\d\d:\d\d\] /, "");
}

/** Sends `nick` as the first line and returns the server's answer. */
async function tryNick(
  port: number,
  nick: string,
): Promise<{ client: LineClient; answer: string }> {
  const client = await LineClient.connect(port);
  await client.waitFor("Enter your nickname");
  await client.send(nick);
  return { client, answer: unstamped(await client.readLine()) };
}

Deno.test("look-alikes of a present name, invisible and mark-only names are refused with the name quoted", async () => {
  await using server = startServer();
  const port = server.address.port;
  await using _alice = await joinPlain(port, "alice");
  await using _bob = await joinPlain(port, "bob");
  const attempts = [
    "alice\u034f", // combining grapheme joiner
    "alice\ufe0f", // variation selector
    "alice\u17b4", // Khmer inherent vowel
    "аlice", // Cyrillic а
    "аlісе", // Cyrillic а, і, с, е
    "αlice", // Greek alpha
    "bob\u3164", // Hangul filler
    "\u3164", // a filler alone
    "\u115f\u1160",
    "bob\uffa0",
    "\u0301\u0302",
    "ＡＬＩＣＥ", // full-width: the same name
  ];
  for (const nick of attempts) {
    const { client, answer } = await tryNick(port, nick);
    try {
      assertMatch(answer, /Please choose another nickname:$/, `${JSON.stringify(nick)}: ${answer}`);
      assert(!answer.startsWith("Welcome"), JSON.stringify(nick));
      assert(answer.startsWith("Nickname "), `${JSON.stringify(nick)}: ${answer}`);
    } finally {
      await client.close();
    }
  }
  assertEquals(server.room.members.map((member) => member.nick), ["alice", "bob"]);
  // One script each, so only the comparison with who is present can tell.
  await using _mary = await joinPlain(port, "mary");
  for (const [nick, twin] of [["a1ice", "alice"], ["rnary", "mary"], ["b0b", "bob"]]) {
    const { client, answer } = await tryNick(port, nick);
    await client.close();
    assertMatch(answer, new RegExp(`^Nickname "${nick}" looks too much like "${twin}", who is`));
  }
});

Deno.test("Korean, Japanese, Cyrillic and Greek names written in their own script still work", async () => {
  await using server = startServer();
  const port = server.address.port;
  const clients: LineClient[] = [];
  try {
    for (const nick of ["민수", "김철수", "さくら", "山田太郎", "Дмитрий", "Αλέξανδρος", "José"]) {
      clients.push(await joinPlain(port, nick));
    }
    assertEquals(server.room.size, 7);
  } finally {
    await Promise.all(clients.map((client) => client.close()));
  }
});
