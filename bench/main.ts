/**
 * `deno task bench`: the chat server's benchmark.
 *
 * Starts the real server (`main.ts serve --rate 0`) as its own process for
 * each case, drives it over loopback TCP from load-worker processes
 * (load_worker.ts), measures it from /proc, and reports a table, JSON lines
 * (bench/results/latest.jsonl) and, after the full suite, the chart and page
 * in docs/performance.*. See `deno task bench --help`.
 */
import { writeChart } from "./chart.ts";
import { runAbuse } from "./abuse.ts";
import { runFanout } from "./fanout.ts";
import { runIdle } from "./idle.ts";
import { runJoinStorm } from "./join_storm.ts";
import { type BenchOptions, parseOptions, USAGE, ValidationError } from "./options.ts";
import { writePerformanceDoc } from "./performance_doc.ts";
import { summarizeProfiles } from "./profile_summary.ts";
import { table, verdicts, writeJsonLines } from "./report.ts";
import { medianOf, type RunResult } from "./result.ts";
import type { BenchContext } from "./room.ts";
import { runSoak } from "./soak.ts";
import { type BenchCase, FULL_SUITE, QUICK_SUITE } from "./suite.ts";

const ROOT = new URL("..", import.meta.url).pathname.replace(/\/$/, "");

/** The cases to run: a suite, or one case built from the flags on top of the suite's defaults. */
function casesOf(options: BenchOptions): BenchCase[] {
  const suite = options.quick ? QUICK_SUITE : FULL_SUITE;
  if (options.scenario === null) return suite;
  const base = structuredClone(suite.find((item) => item.scenario === options.scenario)!);
  const params = base.params as unknown as Record<string, number>;
  const set = (key: string, value: number | null) => {
    if (value !== null && key in params) params[key] = value;
  };
  set("members", options.members);
  set("senders", options.senders);
  set("rate", options.rate);
  set("durationS", options.duration);
  set("concurrency", options.concurrency);
  // The suite's targets belong to the suite's sizes; a custom size keeps only correctness.
  const custom = options.members ?? options.senders ?? options.rate ?? options.duration ??
    options.concurrency;
  if (custom !== null) {
    base.targets = base.targets.filter((target) =>
      ["lost", "disordered", "joinsMissing", "honestDropped"].includes(target.metric)
    );
  }
  return [base];
}

function runCase(context: BenchContext, item: BenchCase): Promise<RunResult> {
  switch (item.scenario) {
    case "fanout":
      return runFanout(context, item.params, item.targets);
    case "idle":
      return runIdle(context, item.params, item.targets);
    case "join":
      return runJoinStorm(context, item.params, item.targets);
    case "soak":
      return runSoak(context, item.params, item.targets);
    case "abuse":
      return runAbuse(context, item.params, item.targets);
  }
}

/** Server on CPU 0, the coordinator and the load workers on the others, when `taskset` exists. */
async function pinning(
  options: BenchOptions,
): Promise<{ server: string | null; workers: string | null; cores: number; description: string }> {
  const cpus = navigator.hardwareConcurrency;
  if (!options.pin || cpus < 2) {
    return { server: null, workers: null, cores: cpus, description: "not pinned" };
  }
  const workers = cpus === 2 ? "1" : `1-${cpus - 1}`;
  try {
    const status = await new Deno.Command("taskset", {
      args: ["-a", "-p", "-c", workers, String(Deno.pid)],
      stdout: "null",
      stderr: "null",
    }).output();
    if (!status.success) throw new Error("taskset failed");
  } catch {
    return { server: null, workers: null, cores: cpus, description: "not pinned (no taskset)" };
  }
  return {
    server: "0",
    workers,
    cores: cpus - 1,
    description: `server on CPU 0; load workers and coordinator on CPU ${workers}`,
  };
}

async function gitCommit(): Promise<string> {
  try {
    const output = await new Deno.Command("git", {
      args: ["rev-parse", "--short", "HEAD"],
      cwd: ROOT,
      stderr: "null",
    })
      .output();
    return output.success ? new TextDecoder().decode(output.stdout).trim() : "uncommitted";
  } catch {
    return "unknown";
  }
}

async function main(args: string[]): Promise<number> {
  let options: BenchOptions;
  try {
    options = parseOptions(args);
  } catch (error) {
    if (error instanceof ValidationError) {
      console.error(`error: ${error.message}\nTry "deno task bench --help".`);
      return 2;
    }
    throw error;
  }
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  const pins = await pinning(options);
  // Profiles go to a fresh temporary folder: they are large and belong in no commit.
  const profileDir = options.profile
    ? await Deno.makeTempDir({ prefix: "chat_bench_profile_" })
    : null;
  const context: BenchContext = {
    server: {
      root: ROOT,
      entry: options.server,
      cpus: pins.server,
      profileDir,
      v8Flags: options.v8Flags,
      web: options.webShare > 0,
    },
    workers: options.workers,
    workerCpus: pins.workers,
    generatorCores: pins.cores,
    webShare: options.webShare,
    nodes: options.nodes,
    reusePort: options.reusePort,
    progress: (message) =>
      console.error(`[bench ${(performance.now() / 1000).toFixed(1)} s] ${message}`),
  };
  const cases = casesOf(options);
  const started = performance.now();
  context.progress(
    `${cases.length} case(s) × ${options.runs} run(s); ${pins.description}; ${options.workers} load workers`,
  );
  const meta = {
    at: new Date().toISOString(),
    commit: await gitCommit(),
    deno: Deno.version.deno,
    cpus: navigator.hardwareConcurrency,
    pinning: pins.description,
    workers: options.workers,
    quick: options.quick,
    v8Flags: options.v8Flags,
    webShare: options.webShare,
    nodes: options.nodes,
    reusePort: options.reusePort,
  };
  const outputPath = options.output.startsWith("/") ? options.output : `${ROOT}/${options.output}`;
  await writeJsonLines(outputPath, [], meta, false);
  const results: RunResult[] = [];
  for (const item of cases) {
    const runs: RunResult[] = [];
    for (let run = 0; run < options.runs; run++) {
      let result: RunResult;
      try {
        result = await runCase(context, item);
      } catch (error) {
        result = {
          scenario: item.scenario,
          label: item.scenario,
          params: { ...item.params } as unknown as Record<string, number>,
          metrics: {},
          problems: [`the run failed: ${error instanceof Error ? error.message : error}`],
          notes: [],
          targets: item.targets,
        };
      }
      result.notes.push(pins.description);
      runs.push(result);
      await writeJsonLines(outputPath, [result], { ...meta, run: run + 1, of: options.runs }, true);
    }
    const summary = medianOf(runs);
    if (options.runs > 1) {
      await writeJsonLines(
        outputPath,
        [summary],
        { ...meta, run: "median", of: options.runs },
        true,
      );
    }
    results.push(summary);
  }
  const elapsed = (performance.now() - started) / 1000;
  console.log(table(results));
  console.log();
  console.log(verdicts(results));
  console.log(
    `\n${results.length} case(s) in ${elapsed.toFixed(0)} s; JSON lines in ${options.output}`,
  );
  if (profileDir !== null) console.log("\n" + await summarizeProfiles(profileDir));
  const fullSuite = !options.quick && options.scenario === null;
  if (fullSuite && options.docs) {
    await writeChart(`${ROOT}/docs/performance.svg`, results);
    await writePerformanceDoc(`${ROOT}/docs/performance.md`, results, {
      ...meta,
      elapsedS: elapsed,
      runs: options.runs,
    });
    console.log("Wrote docs/performance.svg and docs/performance.md");
  }
  const failed = results.filter((result) => result.problems.length > 0);
  if (failed.length > 0) {
    console.error(`FAILED: ${failed.map((result) => result.label).join(", ")}`);
    return 1;
  }
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
