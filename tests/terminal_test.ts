/**
 * The input line in a real terminal: `chat join` runs inside tmux, a line is
 * half typed, a message arrives, and the screen must show the message above
 * an intact input line. Skipped where tmux is not installed.
 */
import { assert, assertEquals } from "./support/assert.ts";
import { joinPlain, startServer } from "./support/test_server.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;

function hasTmux(): boolean {
  try {
    return new Deno.Command("tmux", { args: ["-V"], stdout: "null", stderr: "null" })
      .outputSync().success;
  } catch {
    return false;
  }
}

async function tmux(...args: string[]): Promise<string> {
  const output = await new Deno.Command("tmux", { args, stdout: "piped", stderr: "piped" })
    .output();
  return new TextDecoder().decode(output.stdout);
}

async function screenUntil(
  socket: string,
  done: (rows: string[]) => boolean,
  timeoutMs = 8000,
): Promise<string[]> {
  const deadline = Date.now() + timeoutMs;
  let rows: string[] = [];
  while (Date.now() < deadline) {
    rows = (await tmux("-L", socket, "capture-pane", "-p", "-t", "chat")).split("\n")
      .map((row) => row.trimEnd()).filter((row) => row !== "");
    if (done(rows)) return rows;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`Screen never settled:\n${rows.join("\n")}`);
}

Deno.test({
  name: "a message arriving while you type leaves the typed line intact in a real terminal",
  ignore: !hasTmux(),
  sanitizeResources: false,
  async fn() {
    await using server = startServer();
    const port = server.address.port;
    const socket = `chat-test-${Deno.pid}`;
    const command = `NO_COLOR=1 ${Deno.execPath()} run -A ${MAIN} join 127.0.0.1:${port} --retry 0`;
    await tmux("-L", socket, "new-session", "-d", "-s", "chat", "-x", "80", "-y", "12", command);
    try {
      await screenUntil(socket, (rows) => rows.some((row) => row.startsWith("Nickname:")));
      await tmux("-L", socket, "send-keys", "-t", "chat", "-l", "민수");
      await tmux("-L", socket, "send-keys", "-t", "chat", "Enter");
      await screenUntil(socket, (rows) => rows.some((row) => row.includes("Welcome, 민수!")));
      await tmux("-L", socket, "send-keys", "-t", "chat", "-l", "half typed 한국어 line");
      await screenUntil(socket, (rows) => rows.at(-1) === "민수> half typed 한국어 line");

      await using bob = await joinPlain(port, "bob");
      await bob.send("hello while you type");
      const rows = await screenUntil(
        socket,
        (rows) => rows.some((row) => row.includes("bob: hello while you type")),
      );
      assertEquals(rows.at(-1), "민수> half typed 한국어 line");
      assert(rows.at(-2)!.endsWith("bob: hello while you type"), rows.join("\n"));

      // The typed line is still what gets sent.
      await tmux("-L", socket, "send-keys", "-t", "chat", "Enter");
      await bob.waitFor("민수: half typed 한국어 line");

      // The prompt follows a rename.
      await tmux("-L", socket, "send-keys", "-t", "chat", "-l", "/rename 영희");
      await tmux("-L", socket, "send-keys", "-t", "chat", "Enter");
      await screenUntil(socket, (rows) => rows.at(-1) === "영희>");
    } finally {
      await tmux("-L", socket, "kill-server");
    }
  },
});
