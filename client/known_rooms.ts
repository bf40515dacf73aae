/**
 * The rooms `chat join` has met over TLS and the key fingerprint each one
 * showed, as ssh keeps `known_hosts`: one line per room, `HOST:PORT
 * SHA256:...`, in `$XDG_CONFIG_HOME/chat/known_rooms` (else
 * `~/.config/chat/known_rooms`; `%APPDATA%\chat\known_rooms` on Windows).
 * Lines starting with `#` and lines this version cannot read are kept as
 * they are. The file is created 0600 in a directory created 0700, and every
 * change replaces it whole (a new file renamed over the old), so a crash
 * never leaves half a file.
 */
import { parseFingerprint } from "../protocol/fingerprint.ts";
import { configPath, type EnvLookup, writePrivateFile } from "./config_dir.ts";

export type { EnvLookup };

/** What the file says about one room. */
export interface KnownRoom {
  fingerprint: string;
  /** 1-based, for "delete line N" advice. */
  line: number;
}

/** The file for `os`, or an error naming the variable to set. */
export function defaultKnownRoomsPath(
  getEnv: EnvLookup = (name) => Deno.env.get(name),
  os: typeof Deno.build.os = Deno.build.os,
): string {
  return configPath("known_rooms", "known rooms", getEnv, os);
}

/** How a room is named in the file: `host:port`, an IPv6 host in brackets, names in lower case. */
export function roomKey(host: string, port: number): string {
  const name = host.toLowerCase();
  return name.includes(":") ? `[${name}]:${port}` : `${name}:${port}`;
}

export class KnownRooms {
  readonly path: string;

  constructor(path: string) {
    this.path = path;
  }

  /** The recorded fingerprint of `room` (a `roomKey`), or null if it has none. */
  async lookup(room: string): Promise<KnownRoom | null> {
    const lines = await this.#lines();
    for (let i = 0; i < lines.length; i++) {
      const entry = parseLine(lines[i]);
      if (entry?.room === room) return { fingerprint: entry.fingerprint, line: i + 1 };
    }
    return null;
  }

  /** Records `fingerprint` for `room`, in place of any it had; returns its line. */
  async record(room: string, fingerprint: string): Promise<KnownRoom> {
    const lines = await this.#lines();
    const entry = `${room} ${fingerprint}`;
    let index = lines.findIndex((line) => parseLine(line)?.room === room);
    if (index === -1) index = lines.push(entry) - 1;
    else lines[index] = entry;
    await this.#write(lines);
    return { fingerprint, line: index + 1 };
  }

  async #lines(): Promise<string[]> {
    let text: string;
    try {
      text = await Deno.readTextFile(this.path);
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return [];
      throw error;
    }
    const lines = text.split(/\r?\n/);
    if (lines.at(-1) === "") lines.pop();
    return lines;
  }

  async #write(lines: string[]): Promise<void> {
    await writePrivateFile(this.path, lines.map((line) => `${line}\n`).join(""), ".known_rooms.");
  }
}

function parseLine(line: string): { room: string; fingerprint: string } | null {
  const fields = line.trim().split(/\s+/);
  if (fields.length !== 2 || fields[0].startsWith("#")) return null;
  const fingerprint = parseFingerprint(fields[1]);
  return fingerprint ? { room: fields[0].toLowerCase(), fingerprint } : null;
}
