/**
 * `chat join` in a real terminal (tmux) where what the screen shows is the
 * point: the prompt while reconnecting, a narrower window, Ctrl-C while
 * reconnecting, a pasted block. Skipped where tmux is not installed.
 */
import { assert, assertEquals } from "./support/assert.ts";
import { TcpProxy } from "./support/tcp_proxy.ts";
import { joinPlain, startServer } from "./support/test_server.ts";
import { hasCommand, TmuxSession } from "./support/tmux.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const noTmux = !hasCommand("tmux");

/** `chat join` in tmux; the shell prints its exit code when it ends and stays. */
function joinCommand(port: number, ...flags: string[]): string {
  // The key goes in a config directory of its own, never the user's.
  return `sh -c 'XDG_CONFIG_HOME=$(mktemp -d) NO_COLOR=1 ${Deno.execPath()} run -A ${MAIN} join 127.0.0.1:${port} --nick ana ${
    flags.join(" ")
  }; echo "EXIT=$?"; sleep 60'`;
}

Deno.test({
  name: "while reconnecting the prompt says so, and a line typed then is sent as chat once back",
  ignore: noTmux,
  async fn() {
    await using server = startServer();
    const port = server.address.port;
    await using proxy = new TcpProxy(port);
    await using chat = await TmuxSession.start(joinCommand(proxy.port, "--retry", "30"));
    await chat.waitForText("Welcome, ana!");
    await using bob = await joinPlain(port, "bob");
    proxy.refuse = true;
    proxy.cutAll();
    await chat.waitForScreen((rows) => rows.at(-1) === "ana (reconnecting)>");
    await chat.type("typed while away");
    await chat.press("Enter");
    proxy.refuse = false;
    await bob.waitFor("ana: typed while away", 15_000);
    await chat.waitForScreen((rows) => rows.at(-1) === "ana>");
    assert(!bob.received.some((line) => line.includes("Nickname")), bob.received.join("\n"));
  },
});

Deno.test({
  name: "making the window narrower leaves no stale piece of the input line",
  ignore: noTmux,
  async fn() {
    await using server = startServer();
    await using chat = await TmuxSession.start(joinCommand(server.address.port), {
      columns: 100,
      rows: 12,
    });
    await chat.waitForText("Welcome, ana!");
    const typed = "0123456789".repeat(7) + "abcde"; // 75 columns
    await chat.type(typed);
    await chat.waitForText(typed);
    await chat.resize(60, 12);
    const rows = await chat.waitForScreen((rows) =>
      rows.at(-1)?.startsWith("ana> …") === true || rows.at(-1)?.startsWith("ana> 0") === true
    );
    // Only the input row holds any of the typed text; nothing was left behind.
    const stale = rows.slice(0, -1).filter((row) => /0123456789|abcde/.test(row));
    assertEquals(stale, [], rows.join("\n"));
    // And the line typed is still whole: Enter sends all of it.
    await using bob = await joinPlain(server.address.port, "bob");
    await chat.press("Enter");
    await bob.waitFor(`ana: ${typed}`);
  },
});

Deno.test({
  name: "Ctrl-C while reconnecting says goodbye and exits 0",
  ignore: noTmux,
  async fn() {
    await using server = startServer();
    await using proxy = new TcpProxy(server.address.port);
    await using chat = await TmuxSession.start(joinCommand(proxy.port, "--retry", "30"));
    await chat.waitForText("Welcome, ana!");
    proxy.refuse = true;
    proxy.cutAll();
    await chat.waitForText("Reconnecting");
    await chat.press("C-c");
    const rows = await chat.waitForText("EXIT=");
    assert(rows.some((row) => row.includes("Goodbye!")), rows.join("\n"));
    assert(!rows.some((row) => row.includes("giving up")), rows.join("\n"));
    assert(rows.some((row) => row.includes("EXIT=0")), rows.join("\n"));
  },
});

Deno.test({
  name: "a pasted block of lines is sent as one message, shown indented under one sender",
  ignore: noTmux,
  async fn() {
    await using server = startServer();
    const port = server.address.port;
    await using chat = await TmuxSession.start(joinCommand(port), { columns: 80, rows: 14 });
    await chat.waitForText("Welcome, ana!");
    await using bob = await joinPlain(port, "bob");
    // What a terminal sends for a bracketed paste of three lines.
    await chat.type("\x1b[200~first line\rsecond line\rthird line\x1b[201~");
    await chat.waitForScreen((rows) => rows.at(-1)?.includes("first line↵second line") === true);
    await chat.press("Enter");
    const first = await bob.waitFor("ana: first line");
    assert(first.endsWith("ana: first line"), first);
    assertEquals(await bob.readLine(), "        second line");
    assertEquals(await bob.readLine(), "        third line");
    const rows = await chat.waitForText("        third line");
    assert(rows.some((row) => row.endsWith("ana: first line")), rows.join("\n"));
  },
});

Deno.test({
  name: "in a private room the password typed is shown as dots, never as text",
  ignore: noTmux,
  async fn() {
    await using server = startServer({ password: "open sesame" });
    await using chat = await TmuxSession.start(joinCommand(server.address.port));
    await chat.waitForText("This room has a password.");
    await chat.type("open sesame");
    await chat.waitForScreen((rows) => rows.at(-1) === "Password: •••••••••••");
    await chat.press("Enter");
    await chat.waitForText("Welcome, ana!");
    const screen = await chat.screen();
    assert(!screen.join("\n").includes("open sesame"), screen.join("\n"));
  },
});
