/**
 * Shipping agrees with itself, without GitHub: the workflows, `.ci/run` and
 * scripts/ name the same Deno version; the release builds exactly the five
 * targets scripts/compile.ts knows, only for a tag matching deno.json; and
 * every way the server is started passes the same V8 flags.
 */
import {
  compileArgs,
  compileFailureHint,
  outputPath,
  RELEASE_TARGETS,
  tagMismatch,
} from "../scripts/compile.ts";
import {
  RUNTIME_PERMISSIONS,
  RUNTIME_UNSTABLE_FLAGS,
  RUNTIME_V8_FLAGS,
  V8_FLAGS_ARGUMENT,
} from "../scripts/permissions.ts";
import { GLIBC_PATHS } from "../server/native_heap.ts";
import { assert, assertEquals } from "./support/assert.ts";

const ROOT = new URL("../", import.meta.url);

function readText(path: string): Promise<string> {
  return Deno.readTextFile(new URL(path, ROOT));
}

/** Every "X.Y.Z" a file pins Deno at: `deno-version: vX.Y.Z`, `DENO_VERSION=X.Y.Z`, `deno@X.Y.Z`. */
function pinnedDenoVersions(text: string): string[] {
  const found = text.matchAll(
    /deno-version:\s*v?(\d+\.\d+\.\d+)|DENO_VERSION=["']?(\d+\.\d+\.\d+)|\bdeno@(\d+\.\d+\.\d+)/g,
  );
  return [...found].map((match) => match[1] ?? match[2] ?? match[3]);
}

Deno.test("the workflows and .ci/run pin one and the same Deno version", async () => {
  const files = [".ci/run", ".github/workflows/ci.yml", ".github/workflows/release.yml"];
  const versions = new Map<string, string[]>();
  for (const file of files) versions.set(file, pinnedDenoVersions(await readText(file)));
  for (const [file, pinned] of versions) assert(pinned.length > 0, `${file} pins no Deno version`);
  const all = new Set([...versions.values()].flat());
  assertEquals(all.size, 1, JSON.stringify(Object.fromEntries(versions)));
  assertEquals(pinnedDenoVersions("deno-version: v2.9.6\nnpm i -g deno@2.9.6"), ["2.9.6", "2.9.6"]);
});

Deno.test("the release builds and archives exactly the five targets scripts/compile.ts knows", async () => {
  const release = await readText(".github/workflows/release.yml");
  const targets = [...release.matchAll(/^\s*- target: (\S+)\n\s*name: (\S+)$/gm)]
    .map((match) => ({ triple: match[1], name: match[2] }));
  assertEquals(
    targets,
    RELEASE_TARGETS.map(({ triple, name }) => ({ triple, name })),
  );
  assertEquals(RELEASE_TARGETS.length, 5);
  assert(release.includes('scripts/compile.ts --target "${{ matrix.target }}"'));
  assert(release.includes("scripts/compile.ts --check-tag"), "the tag is checked first");
  assert(/tags:\s*\["v\*"\]/.test(release), "releases run for v* tags only");
  assert(release.includes('test "$(wc -l < SHA256SUMS)" -eq 5'), "SHA256SUMS covers five archives");
  for (const target of RELEASE_TARGETS) {
    assertEquals(outputPath(target.triple).endsWith(".exe"), target.windows);
  }
});

Deno.test("ci.yml runs the same checks as .ci/run on three systems", async () => {
  const ci = await readText(".github/workflows/ci.yml");
  const local = await readText(".ci/run");
  for (const step of ["deno fmt --check", "deno lint", "deno task check", "deno task test"]) {
    assert(ci.includes(step), `ci.yml does not run ${step}`);
    assert(local.includes(step), `.ci/run does not run ${step}`);
  }
  assert(ci.includes("os: [ubuntu-latest, macos-latest, windows-latest]"));
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
      args: ["run", "--allow-read=deno.json", "scripts/compile.ts", "--check-tag", tag],
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

Deno.test("the binary is compiled with exactly the runtime permissions and V8 flags", async () => {
  const args = compileArgs("x86_64-pc-windows-msvc");
  assertEquals(args[0], "compile");
  assertEquals(args.at(-1), "main.ts");
  for (const flag of RUNTIME_PERMISSIONS) assert(args.includes(flag));
  assert(args.includes(V8_FLAGS_ARGUMENT));
  for (const broad of ["-A", "--allow-all", "--allow-run"]) {
    assert(!args.some((arg) => arg.startsWith(broad)), `${broad} in ${args}`);
  }
  // Foreign code: glibc's files only, for the idle collector's malloc_trim.
  assertEquals(args.filter((arg) => arg.startsWith("--allow-ffi")), [
    `--allow-ffi=${GLIBC_PATHS.join(",")}`,
  ]);
  assert(GLIBC_PATHS.every((path) => path.startsWith("/") && path.endsWith("/libc.so.6")));
  assert(!args.includes("--allow-env"), "--allow-env must list variables");
  const tasks = JSON.parse(await readText("deno.json")).tasks;
  assertEquals(tasks.compile, "deno run -A scripts/compile.ts");
  assertEquals(tasks["compile:all"], "deno run -A scripts/compile.ts --all");
});

Deno.test("every way to start the server passes the V8 flags in scripts/permissions.ts", async () => {
  assertEquals(V8_FLAGS_ARGUMENT, `--v8-flags=${RUNTIME_V8_FLAGS.join(",")}`);
  const tasks = JSON.parse(await readText("deno.json")).tasks;
  assert(tasks.serve.includes(V8_FLAGS_ARGUMENT), `deno task serve: ${tasks.serve}`);
  const bench = await readText("bench/server_process.ts");
  assert(bench.includes("V8_FLAGS_ARGUMENT"), "the benchmark's server gets the flags");
  const unit = await readText("deploy/chat.service");
  assert(!unit.includes("--v8-flags"), "the compiled binary carries its flags itself");
});

Deno.test("every way to start the server passes the unstable flags --reuse-port needs", async () => {
  const tasks = JSON.parse(await readText("deno.json")).tasks;
  const bench = await readText("bench/server_process.ts");
  assert(bench.includes("RUNTIME_UNSTABLE_FLAGS"), "the benchmark's server gets them");
  for (const flag of RUNTIME_UNSTABLE_FLAGS) {
    assert(tasks.serve.includes(flag), `deno task serve: ${tasks.serve}`);
    assert(RUNTIME_PERMISSIONS.includes(flag), "the compiled binary gets them");
  }
});

Deno.test("deno task compile shows deno's own error and says what is missing when the runtime cannot be downloaded", async () => {
  // A proxy address where nothing listens makes the download fail on any machine.
  using held = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const proxy = `http://127.0.0.2:${held.addr.port}`;
  const output = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", "scripts/compile.ts", "--target", "x86_64-unknown-linux-gnu"],
    cwd: ROOT,
    env: { HTTPS_PROXY: proxy, HTTP_PROXY: proxy, NO_COLOR: "1" },
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(output.stdout) + new TextDecoder().decode(output.stderr);
  assertEquals(output.code, 1, text);
  assert(text.includes("dl.deno.land"), `deno's own error is shown:\n${text}`);
  assert(text.includes("point DENORT_BIN at it"), text);
  assert(!text.includes("Uncaught"), text);
});

Deno.test("compileFailureHint() names the runtime download, and nothing else", () => {
  assert(
    compileFailureHint(
      "error sending request for url (https://dl.deno.land/release/v2.9.6/denort-x86_64-apple-darwin.zip)",
    )?.includes("denort-x86_64-apple-darwin.zip"),
  );
  assertEquals(compileFailureHint("error: Module not found main.ts"), null);
});
