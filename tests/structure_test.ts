/**
 * The shape the project keeps: no import circles among its own files, and
 * no mutable state at module level in the server, the client or the shared
 * protocol (two servers in one process, as the tests start them, must share
 * nothing).
 */
import { assert, assertEquals } from "./support/assert.ts";

const ROOT = new URL("../", import.meta.url);

async function sourcesUnder(dir: string): Promise<string[]> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(new URL(`${dir}/`, ROOT))) {
    if (entry.isFile && entry.name.endsWith(".ts")) files.push(`${dir}/${entry.name}`);
  }
  return files.sort();
}

type Dependency = { isDynamic?: boolean; code?: { specifier?: string } };
type ModuleInfo = { specifier: string; dependencies?: Dependency[] };

/** What `deno info --json` says of `entry`'s module graph. */
async function denoInfo(entry: string): Promise<{ modules: ModuleInfo[] }> {
  const { stdout, success } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json", entry],
    cwd: ROOT,
    stdout: "piped",
    stderr: "null",
  }).output();
  if (!success) throw new Error(`deno info failed for ${entry}`);
  return JSON.parse(new TextDecoder().decode(stdout));
}

/** The project's module graph from `deno info`, as file → files it imports. */
async function moduleGraph(entries: string[]): Promise<Map<string, string[]>> {
  const graph = new Map<string, string[]>();
  const root = ROOT.href;
  for (const entry of entries) {
    const info = await denoInfo(entry);
    for (const module of info.modules) {
      if (!module.specifier.startsWith(root)) continue;
      const from = module.specifier.slice(root.length);
      const to = (module.dependencies ?? [])
        .map((dependency) => dependency.code?.specifier ?? "")
        .filter((specifier) => specifier.startsWith(root))
        .map((specifier) => specifier.slice(root.length));
      graph.set(from, to);
    }
  }
  return graph;
}

/** Every cycle found by a depth-first walk, each as a chain of files. */
function cycles(graph: Map<string, string[]>): string[] {
  const found: string[] = [];
  const state = new Map<string, "open" | "done">();
  const path: string[] = [];
  const visit = (file: string) => {
    state.set(file, "open");
    path.push(file);
    for (const next of graph.get(file) ?? []) {
      if (state.get(next) === "open") {
        found.push([...path.slice(path.indexOf(next)), next].join(" -> "));
      } else if (!state.has(next)) {
        visit(next);
      }
    }
    path.pop();
    state.set(file, "done");
  };
  for (const file of graph.keys()) if (!state.has(file)) visit(file);
  return found;
}

Deno.test("no import circle among the project's files", async () => {
  const entries = ["main.ts", ...await sourcesUnder("bench"), ...await sourcesUnder("scripts")];
  const graph = await moduleGraph(entries);
  assertEquals(cycles(graph), []);
  // The check itself can fail.
  assertEquals(cycles(new Map([["a.ts", ["b.ts"]], ["b.ts", ["a.ts"]]])), ["a.ts -> b.ts -> a.ts"]);
});

/**
 * Top-level declarations that hold state which can change: `let`, `var`, and
 * collections not typed read-only (a lookup table says `ReadonlyMap`).
 */
const MUTABLE_AT_TOP = [
  /^(?:export )?(?:let|var) /m,
  /^(?:export )?const \w+(?::(?![^=]*Readonly)[^=]+)? = new (?:Map|Set|WeakMap|WeakSet|Array)\b/m,
  /^(?:export )?const \w+(?::(?![^=]*readonly)[^=]+)? = \[\s*\];?$/m,
];

Deno.test("no module in server/, client/ or protocol/ holds mutable state at module level", async () => {
  const offenders: string[] = [];
  for (const dir of ["server", "client", "protocol"]) {
    for (const file of await sourcesUnder(dir)) {
      const source = await Deno.readTextFile(new URL(file, ROOT));
      for (const pattern of MUTABLE_AT_TOP) {
        const match = pattern.exec(source);
        if (match) offenders.push(`${file}: ${match[0].trim()}`);
      }
    }
  }
  assertEquals(offenders, []);
});

Deno.test("chat serve loads Redis's client and SQLite only when a room uses them", async () => {
  const info = await denoInfo("server/serve.ts");
  const modules = new Map(info.modules.map((module) => [module.specifier, module]));
  // What loads with serve.ts itself: imports that run code and are not dynamic.
  const loaded = new Set<string>();
  const visit = (specifier: string) => {
    if (loaded.has(specifier)) return;
    loaded.add(specifier);
    for (const dependency of modules.get(specifier)?.dependencies ?? []) {
      if (!dependency.isDynamic && dependency.code?.specifier) visit(dependency.code.specifier);
    }
  };
  visit(new URL("server/serve.ts", ROOT).href);
  const heavy = [...loaded].filter((specifier) =>
    /redis|sqlite_store\.ts$|cluster_node\.ts$/.test(specifier)
  );
  assertEquals(heavy, []);
  assert(loaded.has(new URL("server/chat_server.ts", ROOT).href), "the walk follows imports");
});
