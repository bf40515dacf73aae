/**
 * Test support: runs `main.ts` once with arguments and no input, for what it
 * prints to stderr and its exit code (usage errors, start-up failures).
 */
import { assertEquals } from "./assert.ts";

const ROOT = new URL("../../", import.meta.url);

/** What a finished run left: its exit code and its stderr, line by line. */
export interface ChatRun {
  code: number;
  stderr: string[];
}

/** Longer than any start-up; a `chat serve` that should have refused to start is killed then. */
const RUN_TIMEOUT_MS = 15_000;

/** `deno run -A main.ts ...args` from the repository root, with colors off. */
export async function runChat(args: string[]): Promise<ChatRun> {
  const { code, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "main.ts", ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1" },
    stdin: "null",
    stdout: "null",
    stderr: "piped",
    signal: AbortSignal.timeout(RUN_TIMEOUT_MS),
  }).output();
  return { code, stderr: new TextDecoder().decode(stderr).trimEnd().split("\n") };
}

/**
 * Runs `main.ts` with each case's arguments (all at once) and checks that each
 * was a usage error: exit 2 and one line, `error: ` and the case's message
 * with commander's hint at its end.
 */
export async function assertUsageErrors(cases: [args: string[], message: string][]): Promise<void> {
  const runs = await Promise.all(cases.map(([args]) => runChat(args)));
  for (const [index, [args, message]] of cases.entries()) {
    assertEquals(
      runs[index],
      { code: 2, stderr: [`error: ${message} (add --help for usage)`] },
      args.join(" "),
    );
  }
}
