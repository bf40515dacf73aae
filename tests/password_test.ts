/**
 * A private room (`--password-file`): every client gives the password
 * before its nickname, compared in constant time; wrong guesses close the
 * connection, are logged with their address, and are throttled per address.
 */
import type { EventOf } from "../protocol/events.ts";
import { JSON_HANDSHAKE_V2 } from "../protocol/identity.ts";
import { PasswordGate } from "../server/password_gate.ts";
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { runChat } from "./support/chat_command.ts";
import { JoinProcess } from "./support/join_process.ts";
import { tempDir } from "./support/temp_dir.ts";
import { JsonClient, LineClient, startServer } from "./support/test_server.ts";

function unstamped(line: string): string {
  return line.replace(/^\[\d\d:\d\d\] /, "");
}

Deno.test("five wrong guesses from one address, then one per 12 s; other addresses are not held back", () => {
  const gate = new PasswordGate("s3cret");
  assertEquals(gate.check("203.0.113.7", "s3cret", 0), { ok: true });
  for (let i = 0; i < 5; i++) {
    assertEquals(gate.check("203.0.113.7", `guess${i}`, 0), {
      ok: false,
      reason: "Wrong password.",
    });
  }
  assertEquals(gate.check("203.0.113.7", "s3cret", 0), {
    ok: false,
    reason: "Too many wrong passwords from your address; try again in 12 s.",
  });
  assertEquals(gate.check("198.51.100.1", "s3cret", 0), { ok: true });
  assertEquals(gate.check("203.0.113.7", "s3cret", 12_000), { ok: true });
  assertEquals(gate.check("203.0.113.7", undefined, 12_000).ok, false);
  assertEquals(gate.check("203.0.113.7", { not: "a string" }, 12_000).ok, false);
});

Deno.test("nc is asked for the password first; a wrong one is said, logged with the address, and closed", async () => {
  const logged: string[] = [];
  await using server = startServer({
    password: "open sesame",
    log: (_level, event, fields) => logged.push(`${event} ${JSON.stringify(fields)}`),
  });
  const port = server.address.port;
  await using wrong = await LineClient.connect(port);
  assertEquals(await wrong.readLine(), "Welcome to chat! This room has a password.");
  assertEquals(await wrong.readLine(), "Password:");
  await wrong.send("open says me");
  assertEquals(unstamped(await wrong.readLine()), "Disconnected: Wrong password.");
  await wrong.waitForClose();
  assert(
    logged.some((line) =>
      line.startsWith("password ") && line.includes('"address":"127.0.0.1"') &&
      line.includes("Wrong password.") && !line.includes("open says me")
    ),
    logged.join("\n"),
  );
  await using right = await LineClient.connect(port);
  await right.waitFor("Password:");
  await right.send("open sesame");
  assertEquals(await right.readLine(), "Enter your nickname:");
  await right.send("ana");
  await right.waitFor("Welcome, ana!");
  assertEquals(server.room.size, 1);
});

Deno.test("a structured client's challenge asks for the password; the nick message carries it", async () => {
  await using server = startServer({ password: "open sesame" });
  const port = server.address.port;
  for (
    const [password, outcome] of [[undefined, "none"], ["nope", "wrong"], ["open sesame", "in"]]
  ) {
    await using client = await JsonClient.connect(port, JSON_HANDSHAKE_V2);
    const challenge = await client.waitFor((e) => e.type === "challenge") as EventOf<"challenge">;
    assertEquals(challenge.password, true);
    await client.sendMessage({ type: "nick", nick: `m${outcome}`, password });
    const answer = await client.waitFor((e) => e.type === "welcome" || e.type === "bye");
    if (outcome === "in") {
      assertEquals(answer.type, "welcome");
    } else {
      assertEquals(
        (answer as EventOf<"bye">).reason,
        outcome === "none"
          ? "This room asks for a password, and none was given."
          : "Wrong password.",
      );
    }
  }
});

Deno.test("chat join sends the password from --password-file, or the line typed when asked", async () => {
  await using server = startServer({ password: "open sesame" });
  const port = server.address.port;
  await using dir = await tempDir("chat_password_");
  await Deno.writeTextFile(`${dir.path}/pw`, "open sesame\n");
  {
    await using ana = new JoinProcess([
      `127.0.0.1:${port}`,
      "--nick",
      "ana",
      "--retry",
      "0",
      "--password-file",
      `${dir.path}/pw`,
    ]);
    await ana.waitFor("Welcome, ana!");
  }
  {
    await using bob = new JoinProcess([`127.0.0.1:${port}`, "--nick", "bob", "--retry", "0"]);
    await bob.waitFor("This room has a password.");
    await bob.type("open sesame");
    await bob.waitFor("Welcome, bob!");
    assert(!bob.output.some((line) => line.includes("open sesame")), "the password is not echoed");
  }
  {
    await using cy = new JoinProcess([`127.0.0.1:${port}`, "--nick", "cy", "--retry", "0"]);
    await cy.waitFor("This room has a password.");
    await cy.type("wrong");
    await cy.waitFor("Disconnected: Wrong password.");
    assertEquals((await cy.child.status).code, 1);
  }
});

Deno.test("chat serve with a --password-file it cannot use is one line and exit 1", async () => {
  await using dir = await tempDir("chat_password_");
  await Deno.writeTextFile(`${dir.path}/empty`, "\n");
  const missing = await runChat(["serve", "--memory", "--password-file", `${dir.path}/none`]);
  assertEquals(missing.code, 1);
  assertEquals(missing.stderr.length, 1, missing.stderr.join("\n"));
  assertMatch(missing.stderr[0], /Cannot read --password-file \\"[^"]*none\\": No such file/);
  const empty = await runChat(["serve", "--memory", "--password-file", `${dir.path}/empty`]);
  assertEquals(empty.code, 1);
  assertMatch(
    empty.stderr[0],
    /--password-file \\"[^"]*empty\\" is empty; put the password on its first line\./,
  );
});
