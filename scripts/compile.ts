/**
 * Builds the `chat` binary with `deno compile` and the permissions from
 * `scripts/permissions.ts`, and checks a release tag against deno.json.
 *
 *   deno run -A scripts/compile.ts                  host build: dist/chat
 *   deno run -A scripts/compile.ts --target T       dist/chat-T
 *   deno run -A scripts/compile.ts --all            all five release targets
 *   deno run -A scripts/compile.ts --dry-run ...    print the commands only
 *   deno run -R scripts/compile.ts --check-tag vX.Y.Z
 *       exit 1 unless the tag is "v" + the version in deno.json
 *
 * @module
 */

import { RUNTIME_PERMISSIONS } from "./permissions.ts";

/** A release target: Deno's target triple and the name used in archives. */
export interface ReleaseTarget {
  triple: string;
  /** `chat-vX.Y.Z-<name>.tar.gz` (or `.zip` on Windows). */
  name: string;
  windows: boolean;
}

/** The five targets every release ships. */
export const RELEASE_TARGETS: readonly ReleaseTarget[] = [
  { triple: "x86_64-unknown-linux-gnu", name: "linux-x64", windows: false },
  { triple: "aarch64-unknown-linux-gnu", name: "linux-arm64", windows: false },
  { triple: "x86_64-apple-darwin", name: "macos-x64", windows: false },
  { triple: "aarch64-apple-darwin", name: "macos-arm64", windows: false },
  { triple: "x86_64-pc-windows-msvc", name: "windows-x64", windows: true },
];

/** The repository root, where deno.json and main.ts live. */
const ROOT = new URL("../", import.meta.url);

/** Where a build for `triple` (or the host, if undefined) is written. */
export function outputPath(triple?: string): string {
  const windows = triple === undefined ? Deno.build.os === "windows" : triple.includes("windows");
  return `dist/chat${triple ? `-${triple}` : ""}${windows ? ".exe" : ""}`;
}

/** The `deno` arguments that build for `triple` (the host if undefined). */
export function compileArgs(triple?: string): string[] {
  return [
    "compile",
    ...RUNTIME_PERMISSIONS,
    // The lockfile also pins test-only packages; ship only what main.ts uses.
    "--exclude-unused-npm",
    // The browser page (server/web_server.ts reads it at start).
    "--include",
    "web/",
    "--output",
    outputPath(triple),
    ...(triple ? ["--target", triple] : []),
    "main.ts",
  ];
}

/** Returns an error message if `tag` is not "v" + `version`, else null. */
export function tagMismatch(tag: string, version: unknown): string | null {
  if (typeof version !== "string" || version === "") {
    return `deno.json has no "version" field`;
  }
  return tag === `v${version}`
    ? null
    : `Tag "${tag}" does not match deno.json version "${version}" (expected "v${version}")`;
}

async function readVersion(): Promise<unknown> {
  const config = JSON.parse(
    await Deno.readTextFile(new URL("deno.json", ROOT)),
  );
  return config.version;
}

/** Why `deno compile` failed, as a line a person can act on, or null if its own output says it. */
export function compileFailureHint(output: string): string | null {
  const download = /(https:\/\/dl\.deno\.land\/\S+?\.zip)/.exec(output);
  if (download) {
    return `deno compile could not download the Deno runtime it builds on (${
      download[1]
    }). Build where that address is reachable (the release workflow does), or download that zip, ` +
      "unpack its denort binary, and point DENORT_BIN at it.";
  }
  return null;
}

/** Runs deno with `args`, passing its output through; throws with a hint when it fails. */
async function run(args: string[], dryRun: boolean): Promise<void> {
  console.error(`$ deno ${args.join(" ")}`);
  if (dryRun) return;
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args,
    cwd: ROOT,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  await Deno.stdout.write(stdout);
  await Deno.stderr.write(stderr);
  if (code === 0) return;
  const output = new TextDecoder().decode(stdout) + new TextDecoder().decode(stderr);
  throw new CompileError(compileFailureHint(output) ?? `deno compile exited with code ${code}.`);
}

/** A build that failed; its message is the one line to show. */
class CompileError extends Error {
  override name = "CompileError";
}

const USAGE = "Usage: compile.ts [--dry-run] [--all | --target TRIPLE] | --check-tag vX.Y.Z";

async function main(args: string[]): Promise<number> {
  const dryRun = args.includes("--dry-run");
  const rest = args.filter((arg) => arg !== "--dry-run");

  if (rest[0] === "--check-tag" && rest.length === 2) {
    const problem = tagMismatch(rest[1], await readVersion());
    if (problem) {
      console.error(problem);
      return 1;
    }
    console.error(`Tag "${rest[1]}" matches deno.json`);
    return 0;
  }

  let triples: (string | undefined)[];
  if (rest.length === 0) {
    triples = [undefined];
  } else if (rest.length === 1 && rest[0] === "--all") {
    triples = RELEASE_TARGETS.map((target) => target.triple);
  } else if (rest.length === 2 && rest[0] === "--target") {
    if (!RELEASE_TARGETS.some((target) => target.triple === rest[1])) {
      console.error(`Unknown target "${rest[1]}"\n${USAGE}`);
      return 2;
    }
    triples = [rest[1]];
  } else {
    console.error(USAGE);
    return 2;
  }

  for (const triple of triples) {
    try {
      await run(compileArgs(triple), dryRun);
    } catch (error) {
      if (!(error instanceof CompileError)) throw error;
      console.error(`error: ${error.message}`);
      return 1;
    }
  }
  return 0;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
