import { assertEquals } from "./support/assert.ts";
/**
 * Runs `deno task bench --quick` (the real server under a small load from the
 * real load workers, and the abuse scenario's attacks at a small size) and
 * checks that it passes: exit 0, and every case's JSON line reports no lost
 * or reordered message, no dropped honest member and no problem. Timing is
 * not checked here; the machine running tests is too busy for that.
 */

const ROOT = new URL("..", import.meta.url).pathname;

/** What the bench writes for each case (the fields these tests read). */
interface BenchRun {
  scenario: string;
  label: string;
  problems: string[];
  params: Record<string, number>;
  metrics: Record<string, number>;
}

/** Runs the bench with `args`; fails unless it exits 0; returns its JSON lines. */
async function runBench(args: string[]): Promise<BenchRun[]> {
  const dir = await Deno.makeTempDir({ prefix: "bench_smoke_" });
  const output = `${dir}/runs.jsonl`;
  try {
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", "bench/main.ts", ...args, "--output", output],
      cwd: ROOT,
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    const result = await child.output();
    clearTimeout(timer);
    const text = new TextDecoder().decode(result.stdout) + new TextDecoder().decode(result.stderr);
    assertEquals(result.code, 0, `bench ${args.join(" ")} failed:\n${text}`);
    return (await Deno.readTextFile(output)).trim().split("\n").map((line) => JSON.parse(line));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

Deno.test("bench --quick delivers every message in order and exits 0", async () => {
  const runs = await runBench(["--quick"]);
  assertEquals(
    runs.map((run) => run.scenario).sort(),
    ["abuse", "fanout", "fanout", "idle", "join", "soak"],
  );
  for (const run of runs) {
    assertEquals(run.problems, [], `${run.label}: ${run.problems.join("; ")}`);
    assertEquals(run.metrics.lost ?? 0, 0, `${run.label} lost messages`);
    assertEquals(run.metrics.disordered ?? 0, 0, `${run.label} reordered messages`);
  }
  const abuse = runs.find((run) => run.scenario === "abuse")!;
  assertEquals(abuse.metrics.honestDropped, 0);
  // The hoard fills the room-wide cap exactly; each resumer gets the latest 1000 after a gap.
  assertEquals(abuse.metrics.hoardAccepted, abuse.params.maxSchedules);
  assertEquals(abuse.metrics.resumeGaps, abuse.params.resumers);
  assertEquals(abuse.metrics.resumeReplayedMax, 1000);
});

Deno.test("bench --web-share 0.5 puts half the room on WebSockets and delivers every message", async () => {
  const [run] = await runBench([
    ...["--scenario", "fanout", "--members", "20", "--rate", "40", "--duration", "1"],
    ...["--web-share", "0.5"],
  ]);
  assertEquals(run.label, "fanout 20×40/s, 50 % WebSocket");
  assertEquals(run.problems, []);
  assertEquals([run.metrics.lost, run.metrics.disordered], [0, 0]);
  assertEquals(run.metrics.delivered, run.metrics.expected);
});
