/**
 * Where `chat serve` keeps its data file when `--data` is not given:
 * `$XDG_DATA_HOME/chat/chat.db`, else `~/.local/share/chat/chat.db`, and on
 * Windows `%LOCALAPPDATA%\chat\chat.db`. Reads only the variables named here,
 * which is what lets the compiled binary run with a narrow `--allow-env`.
 */

/** The name of the data file inside the data directory. */
export const DATA_FILE = "chat.db";

/** Looks up an environment variable; `Deno.env.get` in production, a map in tests. */
export type EnvLookup = (name: string) => string | undefined;

/** The default data file for `os`, or an error naming the variable to set. */
export function defaultDataPath(
  getEnv: EnvLookup = (name) => Deno.env.get(name),
  os: typeof Deno.build.os = Deno.build.os,
): string {
  // Empty values count as unset, as the XDG spec asks.
  const env = (name: string) => getEnv(name) || undefined;
  if (os === "windows") {
    const local = env("LOCALAPPDATA") ??
      (env("USERPROFILE") ? `${env("USERPROFILE")}\\AppData\\Local` : undefined);
    if (!local) throw new Error("Cannot find a data directory: set LOCALAPPDATA or use --data.");
    return `${local}\\chat\\${DATA_FILE}`;
  }
  const xdg = env("XDG_DATA_HOME");
  // The XDG spec says a relative XDG_DATA_HOME is invalid and must be ignored.
  if (xdg?.startsWith("/")) return `${xdg}/chat/${DATA_FILE}`;
  const home = env("HOME");
  if (!home) throw new Error("Cannot find a data directory: set HOME or use --data.");
  return `${home}/.local/share/chat/${DATA_FILE}`;
}

/** The directory part of a path, for either separator; "." when there is none. */
export function parentDir(path: string): string {
  const cut = Math.max(path.lastIndexOf("/"), path.lastIndexOf("\\"));
  if (cut === -1) return ".";
  if (cut === 0) return path.slice(0, 1);
  // "C:\chat.db" keeps its root.
  if (/^[A-Za-z]:$/.test(path.slice(0, cut))) return path.slice(0, cut + 1);
  return path.slice(0, cut);
}
