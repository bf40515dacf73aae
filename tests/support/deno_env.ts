/**
 * Test support: environments for child processes that move HOME without
 * moving Deno's cache. Deno keeps its cache under HOME unless DENO_DIR says
 * otherwise, so a child given another HOME would download every npm package
 * again; these helpers pin DENO_DIR to the cache this test run uses.
 */

let cachedDenoDir: string | undefined;

/** The Deno cache directory of this run (`deno info --json`). */
export async function denoDir(): Promise<string> {
  if (cachedDenoDir !== undefined) return cachedDenoDir;
  const { stdout, success } = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output();
  if (!success) throw new Error("deno info --json failed.");
  cachedDenoDir = JSON.parse(new TextDecoder().decode(stdout)).denoDir as string;
  return cachedDenoDir;
}

/** Variables that give a child `home` as HOME (and XDG dirs) but keep the shared Deno cache. */
export async function homeEnv(home: string): Promise<Record<string, string>> {
  return {
    HOME: home,
    XDG_CONFIG_HOME: `${home}/.config`,
    XDG_DATA_HOME: `${home}/.local/share`,
    DENO_DIR: await denoDir(),
  };
}
