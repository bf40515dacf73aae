/**
 * Bundles web/protocol_entry.ts (the wording and event list the page shares
 * with `chat join` and `nc`) into web/protocol.js with `deno bundle`, which
 * needs nothing but Deno and its esbuild from the npm registry.
 *
 *   deno task bundle:web            rewrite web/protocol.js
 *   deno task bundle:web --check    exit 1 if web/protocol.js is not what the sources give
 *
 * @module
 */

const ROOT = new URL("../", import.meta.url);
const ENTRY = "web/protocol_entry.ts";
const OUTPUT = "web/protocol.js";

/** A note at the top of the bundle, so nobody edits it by hand. */
const HEADER =
  "// Generated from protocol/ by `deno task bundle:web` (scripts/bundle_web.ts); do not edit.\n";

/** The bundle the current sources give. */
export async function bundle(): Promise<string> {
  const dir = await Deno.makeTempDir({ prefix: "chat_bundle_" });
  try {
    const { code, stderr } = await new Deno.Command(Deno.execPath(), {
      // From the repository root, so the path comments in the bundle are the same on every machine.
      args: [
        "bundle",
        "--quiet",
        "--no-config",
        "--no-lock",
        "--platform",
        "browser",
        "--format",
        "esm",
        "--output",
        `${dir}/protocol.js`,
        ENTRY,
      ],
      cwd: ROOT,
      stdout: "null",
      stderr: "piped",
    }).output();
    if (code !== 0) throw new Error(`deno bundle failed:\n${new TextDecoder().decode(stderr)}`);
    return HEADER + await Deno.readTextFile(`${dir}/protocol.js`);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function main(args: string[]): Promise<number> {
  const fresh = await bundle();
  const path = new URL(OUTPUT, ROOT);
  if (args.includes("--check")) {
    const committed = await Deno.readTextFile(path).catch(() => "");
    if (committed === fresh) return 0;
    console.error(`${OUTPUT} is out of date; run: deno task bundle:web`);
    return 1;
  }
  await Deno.writeTextFile(path, fresh);
  console.error(`Wrote ${OUTPUT}`);
  return 0;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
