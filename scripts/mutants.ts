/**
 * `deno task mutants`: mutation testing. Applies each deliberate bug from
 * `scripts/mutant_list.ts`, one at a time, to a temporary copy of the
 * working tree, runs the test suite there, and reports the mutants the suite
 * did not notice. Exits 1 if any survived, or if an entry no longer applies
 * (its text is not found exactly once) or does not type-check; a mutant must
 * break behaviour, not the build.
 *
 *   deno task mutants                 every mutant
 *   deno task mutants --only kick     the mutants whose id contains "kick"
 *   deno task mutants --only a,b      ... contains "a" or "b"
 *   deno task mutants --list          print the list and check that each applies
 *
 * Not part of CI: it runs the whole suite once per mutant. Run it before
 * resolving an issue that touches server/, client/ or protocol/.
 *
 * @module
 */
import { type Mutant, MUTANTS } from "./mutant_list.ts";

const ROOT = new URL("../", import.meta.url).pathname;
/** A mutant that makes the suite hang past this counts as caught (and is reported). */
const TIMEOUT_MS = 240_000;
const TEST_ARGS = ["test", "-A", "--parallel", "--fail-fast"];

type Verdict = "caught" | "survived" | "timeout" | "stale" | "invalid";

interface Outcome {
  mutant: Mutant;
  verdict: Verdict;
  seconds: number;
  detail: string;
}

/** The files of the working tree that git tracks or would track. */
async function treeFiles(): Promise<string[]> {
  const { stdout, success } = await new Deno.Command("git", {
    args: ["ls-files", "--cached", "--others", "--exclude-standard", "-z"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!success) throw new Error("git ls-files failed; run from a git checkout.");
  return new TextDecoder().decode(stdout).split("\0").filter((path) => path !== "");
}

async function copyTree(into: string): Promise<void> {
  for (const path of await treeFiles()) {
    const from = `${ROOT}${path}`;
    try {
      if (!(await Deno.lstat(from)).isFile) continue;
    } catch {
      continue; // Deleted in the working tree but still in the index.
    }
    const to = `${into}/${path}`;
    await Deno.mkdir(to.slice(0, to.lastIndexOf("/")), { recursive: true });
    await Deno.copyFile(from, to);
  }
}

/** How many times `find` occurs in `text`. */
function occurrences(text: string, find: string): number {
  let count = 0;
  for (let at = text.indexOf(find); at !== -1; at = text.indexOf(find, at + 1)) count++;
  return count;
}

/** Why the mutant cannot be applied to `source`, or null. */
function staleReason(mutant: Mutant, source: string | null): string | null {
  if (source === null) return `${mutant.file} does not exist`;
  const count = occurrences(source, mutant.find);
  if (count !== 1) return `its text occurs ${count} times in ${mutant.file}, not once`;
  if (mutant.find === mutant.replace) return "find and replace are the same";
  return null;
}

async function readOrNull(path: string): Promise<string | null> {
  try {
    return await Deno.readTextFile(path);
  } catch {
    return null;
  }
}

/** Rewrites the copy's web/protocol.js from its (mutated) protocol/. */
async function rebundle(dir: string): Promise<void> {
  await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "scripts/bundle_web.ts"],
    cwd: dir,
    stdout: "null",
    stderr: "null",
  }).output();
}

/**
 * The suite in two passes: first every test file but the slow ones that
 * deno.json starts first (most of them start processes), then those. Most
 * mutants are caught by a quick in-process test in the first pass, and
 * --fail-fast stops there; a mutant that survives both passes has run the
 * whole suite once.
 */
async function runSuite(dir: string): Promise<{ code: number | "timeout"; output: string }> {
  const config = JSON.parse(await Deno.readTextFile(`${dir}/deno.json`));
  const slow = (config.test?.include ?? []).filter((path: string) => path.endsWith(".ts"));
  const quick: string[] = [];
  for await (const entry of Deno.readDir(`${dir}/tests`)) {
    const path = `tests/${entry.name}`;
    if (entry.isFile && entry.name.endsWith("_test.ts") && !slow.includes(path)) quick.push(path);
  }
  let output = "";
  for (const files of [quick.sort(), slow]) {
    if (files.length === 0) continue;
    const pass = await runTests(dir, files);
    output += pass.output;
    if (pass.code !== 0) return { code: pass.code, output };
  }
  return { code: 0, output };
}

async function runTests(
  dir: string,
  files: string[],
): Promise<{ code: number | "timeout"; output: string }> {
  const child = new Deno.Command(Deno.execPath(), {
    args: [...TEST_ARGS, ...files],
    cwd: dir,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
    env: { NO_COLOR: "1", DENO_JOBS: "4" },
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    try {
      child.kill("SIGKILL");
    } catch { /* already gone */ }
  }, TIMEOUT_MS);
  const result = await child.output();
  clearTimeout(timer);
  const output = new TextDecoder().decode(result.stdout) + new TextDecoder().decode(result.stderr);
  return { code: timedOut ? "timeout" : result.code, output };
}

/** The first failing test's name, for the report. */
function firstFailure(output: string): string {
  const failed = /^(.+?) \.\.\. FAILED/m.exec(output);
  if (failed) return failed[1].replace(/^\.\/\S+ => /, "").trim();
  const typeError = /^(TS\d+ \[ERROR\]:.*)$/m.exec(output) ?? /^(error: .*)$/m.exec(output);
  return typeError ? typeError[1] : "the suite failed";
}

function parseArgs(args: string[]): { only: string | null; list: boolean } {
  let only: string | null = null;
  let list = false;
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--list") list = true;
    else if (args[i] === "--only" && args[i + 1] !== undefined) only = args[++i];
    else {
      console.error(`Usage: deno task mutants [--only TEXT] [--list]`);
      Deno.exit(2);
    }
  }
  return { only, list };
}

async function main(args: string[]): Promise<number> {
  const { only, list } = parseArgs(args);
  const ids = new Set<string>();
  for (const mutant of MUTANTS) {
    if (ids.has(mutant.id)) throw new Error(`Two mutants are called "${mutant.id}".`);
    ids.add(mutant.id);
  }
  const wanted = only?.split(",").filter((part) => part !== "") ?? null;
  const chosen = MUTANTS.filter((mutant) =>
    wanted === null || wanted.some((part) => mutant.id.includes(part))
  );
  if (list) {
    let stale = 0;
    for (const mutant of chosen) {
      const reason = staleReason(mutant, await readOrNull(`${ROOT}${mutant.file}`));
      if (reason) stale++;
      console.log(`${reason ? "STALE" : "ok   "} ${mutant.id}: ${mutant.breaks}`);
      if (reason) console.log(`      ${reason}`);
    }
    console.log(`${chosen.length} mutants, ${stale} stale`);
    return stale === 0 ? 0 : 1;
  }

  const dir = await Deno.makeTempDir({ prefix: "chat_mutants_" });
  const outcomes: Outcome[] = [];
  try {
    await copyTree(dir);
    console.error(`Copied the working tree to ${dir}; checking that the suite passes as it is...`);
    const baseline = await runSuite(dir);
    if (baseline.code !== 0) {
      // Its errors, so a failure that only shows here (a flaky test) can be read.
      const errors = baseline.output.indexOf(" ERRORS ");
      if (errors >= 0) {
        console.error(baseline.output.slice(errors).split("\n").slice(0, 40).join("\n"));
      }
      console.error(
        `The unmutated suite fails (${firstFailure(baseline.output)}); fix that first.`,
      );
      return 1;
    }
    for (const [index, mutant] of chosen.entries()) {
      const path = `${dir}/${mutant.file}`;
      const original = await readOrNull(path);
      const reason = staleReason(mutant, original);
      const started = performance.now();
      let outcome: Outcome;
      if (reason !== null || original === null) {
        outcome = { mutant, verdict: "stale", seconds: 0, detail: reason ?? "" };
      } else {
        await Deno.writeTextFile(path, original.replace(mutant.find, () => mutant.replace));
        // The page runs protocol/ from its bundle: rebuild it, so the page gets the bug too
        // and the bundle's own freshness test does not catch every protocol/ mutant for free.
        const bundle = mutant.file.startsWith("protocol/")
          ? await readOrNull(`${dir}/web/protocol.js`)
          : null;
        if (bundle !== null) await rebundle(dir);
        try {
          const { code, output } = await runSuite(dir);
          const seconds = (performance.now() - started) / 1000;
          if (code === "timeout") {
            outcome = { mutant, verdict: "timeout", seconds, detail: "the suite hung" };
          } else if (code === 0) {
            outcome = { mutant, verdict: "survived", seconds, detail: "" };
          } else if (/TS\d+ \[ERROR\]/.test(output)) {
            outcome = { mutant, verdict: "invalid", seconds, detail: firstFailure(output) };
          } else {
            outcome = { mutant, verdict: "caught", seconds, detail: firstFailure(output) };
          }
        } finally {
          await Deno.writeTextFile(path, original);
          if (bundle !== null) await Deno.writeTextFile(`${dir}/web/protocol.js`, bundle);
        }
      }
      outcomes.push(outcome);
      console.error(
        `[${index + 1}/${chosen.length}] ${outcome.verdict.toUpperCase().padEnd(8)} ${mutant.id} ` +
          `(${outcome.seconds.toFixed(0)} s)${outcome.detail ? `: ${outcome.detail}` : ""}`,
      );
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }

  const count = (verdict: Verdict) => outcomes.filter((o) => o.verdict === verdict).length;
  console.log(
    `\n${outcomes.length} mutants: ${count("caught")} caught, ${count("timeout")} caught by a ` +
      `timeout, ${count("survived")} survived, ${count("stale")} stale, ${
        count("invalid")
      } invalid`,
  );
  const bad = outcomes.filter((o) => !["caught", "timeout"].includes(o.verdict));
  for (const outcome of bad) {
    console.log(
      `  ${outcome.verdict.toUpperCase()} ${outcome.mutant.id}: ${outcome.mutant.breaks}`,
    );
    console.log(`    ${outcome.mutant.file}${outcome.detail ? `: ${outcome.detail}` : ""}`);
  }
  return bad.length === 0 ? 0 : 1;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
