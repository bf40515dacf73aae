/**
 * Debian's real telnet client (GNU inetutils) in a real terminal against a
 * real server: Korean text reaches an `nc` member intact, from the second
 * line at the latest, and the telnet user's screen keeps working. Skipped
 * where tmux or telnet is not installed (.ci/run installs both).
 */
import { assert, assertEquals } from "./support/assert.ts";
import { joinPlain, startServer } from "./support/test_server.ts";
import { hasCommand, TmuxSession } from "./support/tmux.ts";

const missing = !hasCommand("tmux") || !hasCommand("telnet", ["--version"]);
const KOREAN = "안녕하세요, 반갑습니다 😀";

function unstamped(line: string): string {
  return line.replace(/^\[\d\d:\d\d\] /, "");
}

for (
  const [how, command, cleanFromFirstLine] of [
    ["telnet HOST PORT", (port: number) => `telnet 127.0.0.1 ${port}`, false],
    ["telnet -- HOST -PORT", (port: number) => `telnet -- 127.0.0.1 -${port}`, true],
  ] as const
) {
  Deno.test({
    name: `Korean from a real telnet (${how}) reaches an nc member intact${
      cleanFromFirstLine ? " from its first line" : ""
    }`,
    ignore: missing,
    async fn() {
      if (missing) console.log("tmux or telnet is not installed; .ci/run installs them");
      await using server = startServer();
      const port = server.address.port;
      await using nc = await joinPlain(port, "nc");
      await using telnet = await TmuxSession.start(`env LANG=C.UTF-8 ${command(port)}`, {
        columns: 100,
        rows: 20,
      });
      await telnet.waitForText("Enter your nickname:");
      await telnet.type("민수");
      await telnet.press("Enter");
      await nc.waitFor("‣ 민수 joined the chat.");
      await telnet.type(KOREAN);
      await telnet.press("Enter");
      // Either the line arrives, or the server refuses it as damaged and the user retypes it.
      const rows = await telnet.waitForScreen((rows) =>
        rows.some((row) => row.includes("damaged line") || row.includes(`민수: ${KOREAN}`))
      );
      if (rows.some((row) => row.includes("damaged line"))) {
        assert(!cleanFromFirstLine, `the first line was refused:\n${rows.join("\n")}`);
        await telnet.type(KOREAN);
        await telnet.press("Enter");
      }
      const line = await nc.waitFor("민수: ", 5000);
      assertEquals(unstamped(line), `민수: ${KOREAN}`);
      assert(!nc.received.some((seen) => seen.includes("\uFFFD")), nc.received.join("\n"));
      // The telnet user's screen keeps working: its own line, /user, and others' lines.
      await telnet.waitForText(`민수: ${KOREAN}`);
      await telnet.type("/user");
      await telnet.press("Enter");
      await telnet.waitForText("Users in chat: nc (owner), 민수");
      await nc.send("잘 지냈어요?");
      await telnet.waitForText("nc: 잘 지냈어요?");
    },
  });
}
