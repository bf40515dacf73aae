/**
 * The input line in a real terminal: `chat join` runs inside tmux, a line is
 * half typed, a message arrives, and the screen must show the message above
 * an intact input line. Skipped where tmux is not installed.
 */
import { assert, assertEquals } from "./support/assert.ts";
import { joinPlain, startServer } from "./support/test_server.ts";
import { hasCommand, TmuxSession } from "./support/tmux.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

Deno.test({
  name: "a message arriving while you type leaves the typed line intact in a real terminal",
  ignore: !hasCommand("tmux"),
  async fn() {
    await using server = startServer();
    const port = server.address.port;
    await using chat = await TmuxSession.start(
      `NO_COLOR=1 ${Deno.execPath()} run -A ${MAIN} join 127.0.0.1:${port} --retry 0`,
    );
    await chat.waitForScreen((rows) => rows.some((row) => row.startsWith("Nickname:")));
    await chat.type("민수");
    await chat.press("Enter");
    await chat.waitForText("Welcome, 민수!");
    await chat.type("half typed 한국어 line");
    await chat.waitForScreen((rows) => rows.at(-1) === "민수> half typed 한국어 line");

    await using bob = await joinPlain(port, "bob");
    await bob.send("hello while you type");
    // The message and the redrawn input line may reach tmux in two writes: wait for both.
    await chat.waitForText("bob: hello while you type");
    const rows = await chat.waitForScreen((rows) =>
      rows.at(-2)?.endsWith("bob: hello while you type") === true &&
      rows.at(-1) === "민수> half typed 한국어 line"
    );
    assertEquals(rows.at(-1), "민수> half typed 한국어 line");
    assert(rows.at(-2)!.endsWith("bob: hello while you type"), rows.join("\n"));

    // The typed line is still what gets sent.
    await chat.press("Enter");
    await bob.waitFor("민수: half typed 한국어 line");

    // The prompt follows a rename.
    await chat.type("/rename 영희");
    await chat.press("Enter");
    await chat.waitForScreen((rows) => rows.at(-1) === "영희>");
  },
});
