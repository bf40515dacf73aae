/**
 * Checks the GitHub workflows without GitHub: both files parse, have the
 * shape Actions requires, pin the same Deno as .ci/run, and the release
 * builds every target in scripts/compile.ts only for a tag that matches
 * deno.json.
 */

import { deepStrictEqual as assertEquals, ok as assert } from "node:assert/strict";
import { parse } from "yaml";
import { compileArgs, outputPath, RELEASE_TARGETS, tagMismatch } from "../scripts/compile.ts";
import { RUNTIME_ENV, RUNTIME_PERMISSIONS } from "../scripts/permissions.ts";
import { ServeProcess } from "./support/serve_process.ts";

const ROOT = new URL("../", import.meta.url);

type Doc = Record<string, unknown>;

function isObject(value: unknown): value is Doc {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

async function readText(path: string): Promise<string> {
  return await Deno.readTextFile(new URL(path, ROOT));
}

async function readWorkflow(name: string): Promise<Doc> {
  const doc = parse(await readText(`.github/workflows/${name}`));
  assert(isObject(doc), `${name} is not a YAML mapping`);
  return doc;
}

/**
 * The parts of the Actions workflow schema we rely on. Returns one message
 * per problem, so a broken file says everything that is wrong at once.
 */
export function workflowProblems(doc: unknown): string[] {
  const problems: string[] = [];
  if (!isObject(doc)) return ["workflow is not a mapping"];
  const on = doc.on;
  if (
    !(typeof on === "string" || Array.isArray(on) || isObject(on)) ||
    (isObject(on) && Object.keys(on).length === 0)
  ) {
    problems.push(`"on" is missing or empty`);
  }
  if (!isObject(doc.jobs) || Object.keys(doc.jobs).length === 0) {
    problems.push(`"jobs" is missing or empty`);
    return problems;
  }
  for (const [id, job] of Object.entries(doc.jobs)) {
    if (!isObject(job)) {
      problems.push(`job "${id}" is not a mapping`);
      continue;
    }
    const runsOn = job["runs-on"];
    if (
      !(typeof runsOn === "string" && runsOn !== "") &&
      !(Array.isArray(runsOn) && runsOn.length > 0)
    ) {
      problems.push(`job "${id}" has no "runs-on"`);
    }
    if (!Array.isArray(job.steps) || job.steps.length === 0) {
      problems.push(`job "${id}" has no "steps"`);
      continue;
    }
    job.steps.forEach((step: unknown, index: number) => {
      const where = `job "${id}" step ${index + 1}`;
      if (!isObject(step)) {
        problems.push(`${where} is not a mapping`);
        return;
      }
      const hasUses = typeof step.uses === "string" && step.uses !== "";
      const hasRun = typeof step.run === "string" && step.run !== "";
      if (hasUses === hasRun) {
        problems.push(`${where} must have exactly one of "uses" and "run"`);
      }
      if (hasUses && !/^[\w.-]+\/[\w./-]+@[\w.-]+$/.test(step.uses as string)) {
        problems.push(`${where} uses an unpinned action "${step.uses}"`);
      }
    });
  }
  return problems;
}

function jobs(doc: Doc): Record<string, Doc> {
  return doc.jobs as Record<string, Doc>;
}

function steps(job: Doc): Doc[] {
  return job.steps as Doc[];
}

function allSteps(doc: Doc): Doc[] {
  return Object.values(jobs(doc)).flatMap(steps);
}

function runs(job: Doc): string[] {
  return steps(job).flatMap((step) => typeof step.run === "string" ? [step.run.trim()] : []);
}

/** The `deno-version` of every setup-deno step in a workflow. */
function denoVersions(doc: Doc): string[] {
  return allSteps(doc)
    .filter((step) => String(step.uses).startsWith("denoland/setup-deno@"))
    .map((step) => String((step.with as Doc | undefined)?.["deno-version"]));
}

/**
 * The Deno version `.ci/run` installs with `npm install -g deno@X.Y.Z`, where
 * the version may also be a shell variable (`deno@${DENO_VERSION}`) set on
 * its own line (`DENO_VERSION=2.9.6`).
 */
export function ciRunDenoVersion(script: string): string | null {
  const install = script.match(/npm install -g ["']?deno@([^"'\s]+)/)?.[1];
  if (install === undefined) return null;
  const variable = install.match(/^\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?$/)?.[1];
  const version = variable === undefined ? install : script.match(
    new RegExp(`^\\s*(?:export\\s+)?${variable}=["']?([^"'\\s]+)`, "m"),
  )?.[1];
  return version !== undefined && /^\d+\.\d+\.\d+$/.test(version) ? version : null;
}

Deno.test("workflowProblems() accepts a minimal valid workflow", () => {
  assertEquals(
    workflowProblems({
      on: "push",
      jobs: { a: { "runs-on": "ubuntu-latest", steps: [{ run: "true" }] } },
    }),
    [],
  );
});

Deno.test("workflowProblems() reports every broken part", () => {
  assertEquals(workflowProblems("text"), ["workflow is not a mapping"]);
  assertEquals(workflowProblems({ jobs: {} }), [
    `"on" is missing or empty`,
    `"jobs" is missing or empty`,
  ]);
  assertEquals(
    workflowProblems({
      on: { push: null },
      jobs: {
        a: { steps: [{ run: "x", uses: "actions/checkout@v4" }, {}] },
        b: { "runs-on": "ubuntu-latest" },
        c: { "runs-on": "ubuntu-latest", steps: [{ uses: "some/action" }] },
      },
    }),
    [
      `job "a" has no "runs-on"`,
      `job "a" step 1 must have exactly one of "uses" and "run"`,
      `job "a" step 2 must have exactly one of "uses" and "run"`,
      `job "b" has no "steps"`,
      `job "c" step 1 uses an unpinned action "some/action"`,
    ],
  );
});

Deno.test("ciRunDenoVersion() finds the pinned version or nothing", () => {
  assertEquals(
    ciRunDenoVersion("set -e\nnpm install -g deno@2.9.6\ndeno task test\n"),
    "2.9.6",
  );
  assertEquals(
    ciRunDenoVersion(
      'DENO_VERSION=2.9.6\nif x; then\n  npm install -g "deno@${DENO_VERSION}"\nfi\n',
    ),
    "2.9.6",
  );
  assertEquals(ciRunDenoVersion("V=2.9.7\nnpm install -g deno@$V\n"), "2.9.7");
  assertEquals(ciRunDenoVersion("npm install -g deno@$UNSET\n"), null);
  assertEquals(ciRunDenoVersion("npm install -g deno\n"), null);
});

for (const name of ["ci.yml", "release.yml"]) {
  Deno.test(`${name} has the shape GitHub Actions requires`, async () => {
    assertEquals(workflowProblems(await readWorkflow(name)), []);
  });
}

Deno.test("ci.yml runs fmt, lint, check and test on three systems", async () => {
  const ci = await readWorkflow("ci.yml");
  const on = ci.on as Doc;
  assert("push" in on && "pull_request" in on, "CI must run on push and PR");
  const [job, ...others] = Object.values(jobs(ci));
  assertEquals(others.length, 0);
  assertEquals(job["runs-on"], "${{ matrix.os }}");
  const matrix = (job.strategy as Doc).matrix as Doc;
  assertEquals(
    [...(matrix.os as string[])].sort(),
    ["macos-latest", "ubuntu-latest", "windows-latest"],
  );
  const commands = runs(job);
  for (
    const command of [
      "deno fmt --check",
      "deno lint",
      "deno task check",
      "deno task test",
    ]
  ) {
    assert(commands.includes(command), `ci.yml does not run "${command}"`);
  }
});

Deno.test("every workflow pins the Deno version that .ci/run installs", async () => {
  let script: string;
  try {
    script = await readText(".ci/run");
  } catch (error) {
    throw new Error(`Cannot read .ci/run to compare Deno versions: ${error}`);
  }
  const pinned = ciRunDenoVersion(script);
  assert(pinned, `.ci/run installs no "deno@X.Y.Z" with npm install -g`);
  for (const name of ["ci.yml", "release.yml"]) {
    const versions = denoVersions(await readWorkflow(name));
    assert(versions.length > 0, `${name} never sets up Deno`);
    for (const version of versions) {
      assertEquals(version, `v${pinned}`, `${name} pins Deno ${version}`);
    }
  }
  const setups = allSteps(await readWorkflow("ci.yml"))
    .map((step) => step.uses)
    .filter((uses) => String(uses).startsWith("denoland/setup-deno"));
  assertEquals(setups, ["denoland/setup-deno@v2"]);
});

Deno.test("release.yml runs only for v* tags and checks the tag first", async () => {
  const release = await readWorkflow("release.yml");
  const on = release.on as Doc;
  assertEquals(Object.keys(on), ["push"]);
  assertEquals((on.push as Doc).tags, ["v*"]);

  // Some job runs the tag check with the pushed tag...
  const checkers = Object.entries(jobs(release)).filter(([, job]) =>
    steps(job).some((step) =>
      /scripts\/compile\.ts --check-tag "\$TAG"/.test(String(step.run)) &&
      (step.env as Doc | undefined)?.TAG === "${{ github.ref_name }}"
    )
  );
  assertEquals(checkers.length, 1, "exactly one job must check the tag");
  const [checker] = checkers[0];

  // ...and every job that builds or publishes depends on it.
  function dependsOn(id: string, target: string): boolean {
    const needs = jobs(release)[id].needs;
    const list = needs === undefined ? [] : [needs].flat() as string[];
    return list.some((need) => need === target || dependsOn(need, target));
  }
  for (const id of Object.keys(jobs(release))) {
    if (id !== checker) {
      assert(dependsOn(id, checker), `job "${id}" does not wait for the check`);
    }
  }
});

Deno.test("release.yml builds and archives every release target", async () => {
  const release = await readWorkflow("release.yml");
  const builders = Object.values(jobs(release)).filter((job) =>
    runs(job).some((run) => run.includes("scripts/compile.ts --target"))
  );
  assertEquals(builders.length, 1);
  const [build] = builders;
  const include = ((build.strategy as Doc).matrix as Doc).include as Doc[];
  assertEquals(
    include.map(({ target, name }) => ({ target, name })),
    RELEASE_TARGETS.map(({ triple, name }) => ({ target: triple, name })),
  );
  const script = runs(build).join("\n");
  assert(script.includes('archive="chat-${TAG}-${NAME}"'));
  assert(script.includes('zip -9 "../out/${archive}.zip" chat.exe'));
  assert(script.includes('tar -C stage -czf "out/${archive}.tar.gz" chat'));
  for (const target of RELEASE_TARGETS) {
    const path = outputPath(target.triple);
    assertEquals(path.endsWith(".exe"), target.windows);
    assertEquals(path.startsWith(`dist/chat-${target.triple}`), true);
  }
});

Deno.test("release.yml writes SHA256SUMS and attaches it with write permission", async () => {
  const release = await readWorkflow("release.yml");
  assertEquals(release.permissions, { contents: "read" });
  const publishers = Object.values(jobs(release)).filter((job) =>
    steps(job).some((step) => String(step.uses).startsWith("softprops/action-gh-release@"))
  );
  assertEquals(publishers.length, 1);
  const [publish] = publishers;
  assertEquals(publish.permissions, { contents: "write" });
  assert(
    runs(publish).some((run) => run.includes("sha256sum chat-* > SHA256SUMS")),
  );
  const upload = steps(publish).find((step) =>
    String(step.uses).startsWith("softprops/action-gh-release@")
  )!;
  assertEquals(upload.uses, "softprops/action-gh-release@v2");
  assertEquals((upload.with as Doc).files, "out/*");
  assertEquals((upload.with as Doc).fail_on_unmatched_files, true);
});

Deno.test("tagMismatch() accepts only v + the deno.json version", () => {
  assertEquals(tagMismatch("v0.1.0", "0.1.0"), null);
  assert(tagMismatch("0.1.0", "0.1.0"));
  assert(tagMismatch("v0.1.1", "0.1.0"));
  assert(tagMismatch("v0.1.0-rc1", "0.1.0"));
  assert(tagMismatch("v", undefined));
});

Deno.test("compile.ts --check-tag exits 1 for a tag that is not deno.json's", async () => {
  const { version } = JSON.parse(await readText("deno.json"));
  async function check(tag: string): Promise<number> {
    const { code } = await new Deno.Command(Deno.execPath(), {
      args: [
        "run",
        "--allow-read=deno.json",
        "scripts/compile.ts",
        "--check-tag",
        tag,
      ],
      cwd: ROOT,
      stdout: "null",
      stderr: "null",
    }).output();
    return code;
  }
  assertEquals(await check(`v${version}`), 0);
  assertEquals(await check(`v${version}.1`), 1);
  assertEquals(await check(version), 1);
});

Deno.test("compile tasks build main.ts with exactly the runtime permissions", async () => {
  const args = compileArgs("x86_64-pc-windows-msvc");
  assertEquals(args[0], "compile");
  assertEquals(args.at(-1), "main.ts");
  for (const flag of RUNTIME_PERMISSIONS) assert(args.includes(flag));
  for (const broad of ["-A", "--allow-all", "--allow-run", "--allow-ffi"]) {
    assert(!args.some((arg) => arg.startsWith(broad)), `${broad} in ${args}`);
  }
  assert(!args.includes("--allow-env"), "--allow-env must list variables");
  const tasks = JSON.parse(await readText("deno.json")).tasks;
  assertEquals(tasks.compile, "deno run -A scripts/compile.ts");
  assertEquals(tasks["compile:all"], "deno run -A scripts/compile.ts --all");
});

/** The source files that end up in the binary (not tests, bench or scripts). */
async function shippedSources(): Promise<Map<string, string>> {
  const sources = new Map<string, string>();
  sources.set("main.ts", await readText("main.ts"));
  for (const dir of ["server", "client", "protocol"]) {
    for await (const entry of Deno.readDir(new URL(`${dir}/`, ROOT))) {
      if (entry.isFile && entry.name.endsWith(".ts")) {
        sources.set(`${dir}/${entry.name}`, await readText(`${dir}/${entry.name}`));
      }
    }
  }
  return sources;
}

/**
 * What a source file needs from the permission list: the environment
 * variables it reads by name, and any API that needs a permission the binary
 * is deliberately not given.
 */
export function permissionNeeds(source: string): { env: string[]; denied: string[] } {
  const env = new Set<string>();
  // Deno.env.get("X"), readEnv("X"), getEnv('X'), process.env.X, process.env["X"]
  const patterns = [
    /\b\w*env\w*(?:\.get)?\(\s*["'`]([A-Za-z_][A-Za-z0-9_]*)["'`]/gi,
    /\bprocess\.env(?:\.([A-Za-z_][A-Za-z0-9_]*)|\[\s*["'`]([A-Za-z_][A-Za-z0-9_]*)["'`]\s*\])/g,
  ];
  for (const pattern of patterns) {
    for (const match of source.matchAll(pattern)) env.add(match[1] ?? match[2]);
  }
  const denied: string[] = [];
  const forbidden: [RegExp, string][] = [
    [
      /Deno\.env\.toObject\(|\.\.\.process\.env\b|Object\.\w+\(process\.env\)/,
      "the whole environment",
    ],
    [
      /\b(?:os\.)?(?:homedir|userInfo|networkInterfaces|loadavg|cpus|totalmem|freemem)\(\)|\bDeno\.(?:hostname|osRelease|osUptime|loadavg|systemMemoryInfo|networkInterfaces|uid|gid)\(/,
      "--allow-sys",
    ],
    [/\bnew Deno\.Command\(|node:child_process/, "--allow-run"],
    [/\bDeno\.dlopen\(/, "--allow-ffi"],
  ];
  for (const [pattern, permission] of forbidden) {
    if (pattern.test(source)) denied.push(permission);
  }
  return { env: [...env], denied };
}

Deno.test("permissionNeeds() finds env reads and denied APIs", () => {
  assertEquals(
    permissionNeeds(
      'Deno.env.get("HOME"); readEnv("NO_COLOR"); process.env.TERM; process.env["X_Y"];',
    ),
    { env: ["HOME", "NO_COLOR", "TERM", "X_Y"], denied: [] },
  );
  assertEquals(
    permissionNeeds("os.homedir(); new Deno.Command(x); Deno.env.toObject();").denied,
    ["the whole environment", "--allow-sys", "--allow-run"],
  );
});

Deno.test("the shipped code needs no permission missing from scripts/permissions.ts", async () => {
  const allowed = new Set<string>(RUNTIME_ENV);
  const problems: string[] = [];
  for (const [path, source] of await shippedSources()) {
    const { env, denied } = permissionNeeds(source);
    for (const name of env) {
      if (!allowed.has(name)) {
        problems.push(`${path} reads ${name}: add it to RUNTIME_ENV in scripts/permissions.ts`);
      }
    }
    for (const permission of denied) {
      problems.push(`${path} needs ${permission}, which the binary does not have`);
    }
  }
  assertEquals(problems, []);
});

/**
 * Empty (unset-looking) color variables make commander go on to probe
 * CLICOLOR_FORCE, the read that --ignore-env exists for.
 */
const CHAT_ENV = { NO_COLOR: "", FORCE_COLOR: "" };

/** Runs main.ts the way the compiled binary would: these permissions, no prompt. */
function chatCommand(args: string[], env: Record<string, string> = {}): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "--no-prompt", ...RUNTIME_PERMISSIONS, "main.ts", ...args],
    cwd: ROOT,
    env: { ...CHAT_ENV, ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

Deno.test("chat --version and --help work with only the runtime permissions", async () => {
  const decoder = new TextDecoder();
  const { version } = JSON.parse(await readText("deno.json"));
  const shown = await chatCommand(["--version"]).output();
  assertEquals(decoder.decode(shown.stderr), "");
  assertEquals(decoder.decode(shown.stdout).trim(), version);
  for (const args of [["--help"], ["serve", "--help"], ["join", "--help"]]) {
    const help = await chatCommand(args).output();
    assertEquals(help.code, 0, `${args.join(" ")}: ${decoder.decode(help.stderr)}`);
  }
});

/** Deno's cache directory, so a child with another HOME still finds its npm packages. */
async function denoDir(): Promise<string> {
  const { stdout } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    cwd: ROOT,
    stdout: "piped",
    stderr: "null",
  }).output();
  return JSON.parse(new TextDecoder().decode(stdout)).denoDir;
}

Deno.test("chat serve starts and stores data with only the runtime permissions", async () => {
  const home = await Deno.makeTempDir({ prefix: "chat_perm_" });
  const cache = await denoDir();
  try {
    const cases: [string, string[], Record<string, string>][] = [
      ["--data", ["--data", `${home}/explicit/chat.db`], {}],
      // Empty XDG_DATA_HOME counts as unset, so this exercises HOME (or
      // LOCALAPPDATA on Windows) and never touches the real user's data.
      ["default data directory", [], {
        DENO_DIR: cache,
        HOME: home,
        XDG_DATA_HOME: "",
        LOCALAPPDATA: home,
        USERPROFILE: home,
      }],
    ];
    for (const [label, extra, env] of cases) {
      await using server = new ServeProcess(["--log-format", "json", ...extra], {
        permissions: ["--no-prompt", ...RUNTIME_PERMISSIONS],
        env: { ...CHAT_ENV, ...env },
      });
      await server.port.catch(() => {}); // If it never listens, the log below says why.
      const { log } = await server.stop("SIGTERM");
      assert(log.includes('"event":"listening"'), `${label}: server did not start: ${log}`);
      // The store opens before the listener, so a missing read, write or env
      // permission would have ended the process before "listening".
      assert(!log.includes("NotCapable"), `${label}: ${log}`);
    }
  } finally {
    await Deno.remove(home, { recursive: true });
  }
});
