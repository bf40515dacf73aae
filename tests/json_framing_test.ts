/**
 * The structured framing over real sockets: what a JSON client gets for a
 * line that is not a message it may send, and that the connection survives.
 */
import type { ServerEvent } from "../protocol/events.ts";
import { assertEquals } from "./support/assert.ts";
import { joinJson, JsonClient, startServer } from "./support/test_server.ts";

function errorText(event: ServerEvent): string {
  return event.type === "error" ? event.text : `(${event.type})`;
}

Deno.test("a JSON client's line that is not JSON gets an error and the connection stays usable", async () => {
  await using server = startServer();
  const port = server.address.port;
  const { client } = await joinJson(port, "ana");
  await using _ = client;
  await client.lines.send("{not json");
  const error = await client.waitFor((event) => event.type === "error");
  assertEquals(errorText(error), "Malformed message: expected one JSON object per line.");
  await client.say("still here");
  await client.waitFor((event) => event.type === "message" && event.text === "still here");
});

Deno.test("a JSON client that says something before choosing a nickname is told so, and can then join", async () => {
  await using server = startServer();
  const port = server.address.port;
  await using client = await JsonClient.connect(port);
  await client.say("hello?");
  const error = await client.waitFor((event) => event.type === "error");
  assertEquals(errorText(error), "Malformed message: unknown type or missing field.");
  await client.sendMessage({ type: "nick", nick: "ana" });
  await client.waitFor((event) => event.type === "welcome");
});

Deno.test("a JSON client's message of an unknown type or with a missing field gets an error", async () => {
  await using server = startServer();
  const port = server.address.port;
  const { client } = await joinJson(port, "ana");
  await using _ = client;
  for (const message of [{ type: "shout", text: "x" }, { type: "say" }, [1, 2], "text", null]) {
    await client.sendMessage(message);
    const error = await client.waitFor((event) => event.type === "error");
    assertEquals(errorText(error), "Malformed message: unknown type or missing field.");
  }
});
