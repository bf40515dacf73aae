/**
 * The compiled binary runs with exactly the flags in scripts/permissions.ts
 * and can never prompt. This runs serve and join under those same flags,
 * without -A, through a whole conversation, so a missing permission fails
 * here instead of on a user's machine. The shipped sources are also read for
 * environment variables and APIs the binary is not allowed.
 */

import { RUNTIME_ENV, RUNTIME_PERMISSIONS } from "../scripts/permissions.ts";
import { assert, assertEquals, assertMatch } from "./support/assert.ts";
import { JoinProcess } from "./support/join_process.ts";
import { ServeProcess } from "./support/serve_process.ts";
import { tempDir } from "./support/temp_dir.ts";
import { denoDir, homeEnv } from "./support/deno_env.ts";
import { joinPlain } from "./support/test_server.ts";

const ROOT = new URL("../", import.meta.url);

async function readText(path: string): Promise<string> {
  return await Deno.readTextFile(new URL(path, ROOT));
}

Deno.test("serve and join work with only the runtime permissions", async () => {
  await using dataDir = await tempDir("chat-permissions-");
  const flags = ["--no-prompt", ...RUNTIME_PERMISSIONS];
  await using server = new ServeProcess(
    ["--data", `${dataDir.path}/chat.db`, "--log-level", "debug"],
    { permissions: flags },
  );
  const port = await server.port;
  await using ana = new JoinProcess(
    [`127.0.0.1:${port}`, "--nick", "ana", "--retry", "0"],
    // The client's own files go under this HOME; Deno's cache stays where it is.
    await homeEnv(dataDir.path),
    flags,
  );
  await ana.waitFor("Welcome, ana!");
  await using bob = await joinPlain(port, "bob");
  await ana.type("hello under narrow permissions");
  assertMatch(await bob.waitFor("ana: hello"), /ana: hello under narrow permissions$/);
  await bob.send("/whisper ana hi back");
  await ana.waitFor("[Whisper from bob] hi back");
  await ana.type("/schedule 23:59 later");
  await ana.waitFor("Scheduled #1 for 23:59");
  await ana.type("/quit");
  assert((await ana.exitCode()) === 0, await ana.stderr());
  // Once the room is quiet, the idle collector collects and (on Linux, where
  // the binary may load glibc) hands the freed pages back.
  const trimmed = Deno.build.os === "linux" ? "true" : "false";
  await server.waitForLog(new RegExp(`DEBUG memory .*collected=true trimmed=${trimmed}`));
  assert(!/NotCapable|PermissionDenied|requires .* access/i.test(server.log), server.log);
  const { code, log } = await server.stop();
  assert(code === 0, log);
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
export function permissionNeeds(
  source: string,
  path = "",
): { env: string[]; denied: string[] } {
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
  // The binary may load glibc's files, and only through native_heap.ts.
  if (path === "server/native_heap.ts") forbidden.pop();
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
  assertEquals(permissionNeeds('Deno.dlopen("x", {})', "server/room.ts").denied, ["--allow-ffi"]);
  assertEquals(permissionNeeds('Deno.dlopen("x", {})', "server/native_heap.ts").denied, []);
});

Deno.test("the shipped code needs no permission missing from scripts/permissions.ts", async () => {
  const allowed = new Set<string>(RUNTIME_ENV);
  const problems: string[] = [];
  for (const [path, source] of await shippedSources()) {
    const { env, denied } = permissionNeeds(source, path);
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
