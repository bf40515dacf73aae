/**
 * Where `chat join` keeps what it remembers between runs (the rooms it
 * trusts, its identity key): `$XDG_CONFIG_HOME/chat` (else `~/.config/chat`;
 * `%APPDATA%\chat` on Windows). Files in it are private to the user: made
 * 0600 in a directory made 0700.
 */

/** Looks up an environment variable; `Deno.env.get` in production, a map in tests. */
export type EnvLookup = (name: string) => string | undefined;

/** The path of `file` in the config directory for `os`, or an error naming the variable to set. */
export function configPath(
  file: string,
  what: string,
  getEnv: EnvLookup = (name) => Deno.env.get(name),
  os: typeof Deno.build.os = Deno.build.os,
): string {
  // Empty values count as unset, as the XDG spec asks.
  const env = (name: string) => getEnv(name) || undefined;
  if (os === "windows") {
    const appData = env("APPDATA");
    if (!appData) throw new Error(`Cannot find where to keep ${what}: set APPDATA.`);
    return `${appData}\\chat\\${file}`;
  }
  const xdg = env("XDG_CONFIG_HOME");
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  if (xdg?.startsWith("/")) return `${xdg}/chat/${file}`;
  const home = env("HOME");
  if (!home) throw new Error(`Cannot find where to keep ${what}: set HOME.`);
  return `${home}/.config/chat/${file}`;
}

/**
 * Writes `text` to `path` as a new 0600 file renamed over the old one, in a
 * directory made 0700 if missing, so a crash never leaves half a file.
 */
export async function writePrivateFile(path: string, text: string, prefix: string): Promise<void> {
  const dir = path.slice(0, Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\")));
  if (dir !== "") await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  // makeTempFile creates its file 0600; renaming keeps that mode.
  const temp = await Deno.makeTempFile({ dir: dir || ".", prefix });
  try {
    await Deno.writeTextFile(temp, text);
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}
