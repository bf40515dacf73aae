/**
 * The `chat` command: parses arguments and hands over to `serve` (run a
 * room) or `join` (the terminal client). A usage error exits 2 with a
 * one-line hint; a runtime failure exits 1.
 */
import { Command, CommanderError, InvalidArgumentError, Option } from "@commander-js/extra-typings";
import denoConfig from "./deno.json" with { type: "json" };
import { parseFingerprint } from "./protocol/fingerprint.ts";
import { DEFAULT_LIMITS, DEFAULT_PORT } from "./protocol/limits.ts";
import { LOG_FORMATS, LOG_LEVELS } from "./server/log.ts";
import {
  AddressRangeError,
  type AddressRanges,
  parseAddressRanges,
} from "./server/address_range.ts";

export const VERSION: string = denoConfig.version;

/** Reads a list of address ranges for `flag` (`--exempt`, `--trusted-proxy`). */
function addressRanges(flag: string) {
  return (value: string): AddressRanges => {
    try {
      return parseAddressRanges(value, flag);
    } catch (error) {
      if (!(error instanceof AddressRangeError)) throw error;
      // Commander already names the flag and the value.
      throw new InvalidArgumentError(error.message.replace(`${flag}: `, ""));
    }
  };
}

/** Reads `--join-rate`: "COUNT/SECONDS" (such as 5/10 or 5/10s), or 0 for no limit. */
export function parseJoinRate(value: string): { count: number; seconds: number } {
  if (value.trim() === "0") return { count: 0, seconds: 1 };
  const match = /^(\d{1,6})\/(\d{1,6})s?$/.exec(value.trim());
  if (!match || Number(match[2]) === 0) {
    throw new InvalidArgumentError("Not COUNT/SECONDS, such as 5/10 (or 0 for no limit).");
  }
  return { count: Number(match[1]), seconds: Number(match[2]) };
}

function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    if (!/^\d+$/.test(value)) throw new InvalidArgumentError("Not a whole number.");
    const parsed = Number(value);
    if (parsed < min || parsed > max) {
      throw new InvalidArgumentError(`Must be from ${min} to ${max}.`);
    }
    return parsed;
  };
}

/** Splits "host[:port]" (or "[v6]:port"); the port defaults to 9999. */
export function parseAddress(value: string): { host: string; port: number } {
  const match = /^(?:\[([^\]]+)\]|([^:\s]+))(?::(\d{1,5}))?$/.exec(value.trim());
  if (!match) {
    if ((value.match(/:/g)?.length ?? 0) >= 2 && !value.includes("[")) {
      throw new InvalidArgumentError(
        `"${value}" looks like an IPv6 address: write it as [${value}]:PORT, or [${value}] for port ${DEFAULT_PORT}.`,
      );
    }
    throw new InvalidArgumentError(`"${value}" is not HOST or HOST:PORT.`);
  }
  const port = match[3] === undefined ? DEFAULT_PORT : Number(match[3]);
  if (port < 1 || port > 65535) throw new InvalidArgumentError(`Port ${port} is out of range.`);
  return { host: match[1] ?? match[2], port };
}

/** Reads `--web`'s "[host:]port" (or "[v6]:port"); without a host, `--host` applies. */
export function parseWebAddress(value: string): { host?: string; port: number } {
  const match = /^(?:(?:\[([^\]]+)\]|([^:\s\[\]]+)):)?(\d{1,5})$/.exec(value.trim());
  if (!match) throw new InvalidArgumentError(`"${value}" is not PORT or HOST:PORT.`);
  const port = Number(match[3]);
  if (port > 65535) throw new InvalidArgumentError(`Port ${port} is out of range.`);
  const host = match[1] ?? match[2];
  return host === undefined ? { port } : { host, port };
}

/** Reads `--redis`: redis://HOST[:PORT][/DB] (rediss:// for TLS). */
export function parseRedisUrl(value: string): string {
  let url: URL;
  try {
    url = new URL(value.trim());
  } catch {
    throw new InvalidArgumentError(`"${value}" is not a URL such as redis://10.0.0.5:6379.`);
  }
  if (url.protocol !== "redis:" && url.protocol !== "rediss:") {
    throw new InvalidArgumentError(`"${value}" is not a redis:// or rediss:// URL.`);
  }
  if (!/^\/?(\d{1,2})?$/.test(url.pathname)) {
    throw new InvalidArgumentError(`"${value}": the path may only be a database number, as in /0.`);
  }
  return url.href;
}

/** Reads `--room`: a name without braces (they would split the room's keys in Redis Cluster). */
function roomName(value: string): string {
  if (!/^[^{}\s]{1,100}$/.test(value)) {
    throw new InvalidArgumentError("A room name is 1 to 100 characters, without spaces or braces.");
  }
  return value;
}

/** Where plain TCP listens beside TLS unless --plain-port or --tls-only says otherwise. */
export const DEFAULT_PLAIN_PORT = 9998;

/** A room's address, `tls://` first for TLS: "host[:port]" or "tls://host[:port]". */
export function parseRoomAddress(value: string): { host: string; port: number; tls: boolean } {
  const tls = /^tls:\/\//i.exec(value.trim());
  const rest = tls ? value.trim().slice(tls[0].length) : value;
  try {
    return { ...parseAddress(rest), tls: tls !== null };
  } catch (error) {
    // An unbracketed IPv6 address gets parseAddress's hint; anything else, both forms.
    if (/IPv6/.test(String(error)) && !rest.includes("://")) throw error;
    throw new InvalidArgumentError(`"${value}" is not HOST[:PORT] or tls://HOST[:PORT].`);
  }
}

/** Reads `--owner-key`: a member's key fingerprint. */
function identityFingerprint(value: string): string {
  const parsed = parseFingerprint(value);
  if (parsed === null) {
    throw new InvalidArgumentError(
      "Not a key fingerprint: SHA256: and 43 characters (chat join's key, as /whois starts it).",
    );
  }
  return parsed;
}

function fingerprint(value: string): string {
  const parsed = parseFingerprint(value);
  if (parsed === null) {
    throw new InvalidArgumentError(
      "Not a key fingerprint: SHA256: and 43 characters (chat serve logs the room's).",
    );
  }
  return parsed;
}

function buildProgram() {
  const program = new Command("chat")
    .description("A group chat room for the terminal: run a room, or join one.")
    .version(VERSION, "-V, --version", "print the version")
    .helpOption("-h, --help", "show help")
    .exitOverride()
    .configureOutput({
      writeOut: (text) => void Deno.stdout.writeSync(new TextEncoder().encode(text)),
      writeErr: (text) => void Deno.stderr.writeSync(new TextEncoder().encode(text)),
      // A usage error is one line, with the way to more help on it.
      outputError: (text, write) => write(`${text.trimEnd()} (add --help for usage)\n`),
    })
    .addHelpText(
      "after",
      `
Examples:
  chat serve                         run a room on 0.0.0.0:9999
  chat join 34.120.1.2               join it (port 9999)
  chat join 34.120.1.2:7000 --nick ana`,
    );

  program.command("serve")
    .description("Run a chat room.")
    .option("--host <address>", "address to listen on", "0.0.0.0")
    .option("--port <port>", "TCP port (0 picks a free one)", integer(0, 65535), DEFAULT_PORT)
    .option(
      "--data <path>",
      "data file for history and schedules (default: under the user's data directory)",
    )
    .addOption(
      new Option("--memory", "keep everything in memory; nothing survives a restart")
        .default(false).conflicts("data"),
    )
    .addOption(
      new Option(
        "--redis <url>",
        "serve one room together with other chat serve nodes through this Redis, " +
          "redis://HOST:PORT[/DB]; history lives there (docs/cluster.md)",
      ).argParser(parseRedisUrl).conflicts(["data", "memory"]),
    )
    .option("--room <name>", 'with --redis, the room\'s name in Redis (default "main")', roomName)
    .option(
      "--node-timeout <seconds>",
      "with --redis, how long a node may go silent before its members count as disconnected " +
        "(default 5)",
      integer(1, 3600),
    )
    .option(
      "--reuse-port",
      "let several chat serve processes on this machine listen on the same --port (SO_REUSEPORT)",
      false,
    )
    .option(
      "--history <n>",
      "messages a newcomer is shown; 0 turns history off",
      integer(0, 10000),
      50,
    )
    .option(
      "--max-line-bytes <n>",
      "longest line accepted, in bytes",
      integer(64, 1 << 20),
      DEFAULT_LIMITS.maxLineBytes,
    )
    .option(
      "--max-paste-bytes <n>",
      "longest pasted block of lines chat join may send as one message, in bytes",
      integer(64, 1 << 20),
      DEFAULT_LIMITS.maxPasteBytes,
    )
    .option(
      "--rate <n>",
      "lines per second per connection; 0 turns flood control off",
      integer(0, 100000),
      DEFAULT_LIMITS.rate,
    )
    .option(
      "--burst <n>",
      "lines a connection may send at once",
      integer(1, 100000),
      DEFAULT_LIMITS.burst,
    )
    .option(
      "--outbox-bytes <n>",
      "bytes queued to one client before it is dropped as too slow",
      integer(4096),
      DEFAULT_LIMITS.outboxBytes,
    )
    .option(
      "--register-timeout <seconds>",
      "time to choose a nickname",
      integer(1, 86400),
      DEFAULT_LIMITS.registerTimeout,
    )
    .option(
      "--max-per-ip <n>",
      "connections from one address (--exempt addresses are free of it)",
      integer(1),
      DEFAULT_LIMITS.maxPerIp,
    )
    .option(
      "--join-rate <count/seconds>",
      `joins from one address, once --join-burst is spent; 0 = no limit (default: ${DEFAULT_LIMITS.joinRate}/${DEFAULT_LIMITS.joinRateSeconds})`,
      parseJoinRate,
    )
    .option(
      "--join-burst <n>",
      "joins from one address allowed at once",
      integer(1, 1_000_000),
      DEFAULT_LIMITS.joinBurst,
    )
    .option(
      "--exempt <cidrs>",
      `addresses free of --max-per-ip and --join-rate, comma-separated, or "none" (default: 127.0.0.1/32,::1/128)`,
      addressRanges("--exempt"),
    )
    .option(
      "--nick-hold <days>",
      "how long a name stays held for the key that last used it; 0 = names are never held",
      integer(0, 3650),
      30,
    )
    .option(
      "--owner-key <fingerprint>",
      "the room owner's key (SHA256:..., as /whois shows it); otherwise the first keyed owner's",
      identityFingerprint,
    )
    .option(
      "--password-file <file>",
      "make the room private: every client gives the password on this file's first line",
    )
    .option(
      "--trusted-proxy <cidrs>",
      "proxies that send a PROXY protocol header (and, at --web, X-Forwarded-For) naming the " +
        'real client, comma-separated (default: "none")',
      addressRanges("--trusted-proxy"),
    )
    .option(
      "--max-connections <n>",
      "connections in total",
      integer(1),
      DEFAULT_LIMITS.maxConnections,
    )
    .option(
      "--max-schedules <n>",
      "pending scheduled messages in the whole room",
      integer(0, 1_000_000),
      DEFAULT_LIMITS.maxSchedules,
    )
    .option(
      "--max-schedules-per-address <n>",
      "pending scheduled messages from one address",
      integer(0, 1_000_000),
      DEFAULT_LIMITS.maxSchedulesPerAddress,
    )
    .option(
      "--schedule-bytes-per-minute <n>",
      "bytes of scheduled text that may fall due in any one minute",
      integer(0, 1 << 30),
      DEFAULT_LIMITS.scheduleBytesPerMinute,
    )
    .option(
      "--web <[host:]port>",
      "also serve the page and its WebSocket over HTTP on this port (0 picks a free one)",
      parseWebAddress,
    )
    .addOption(
      new Option("--log-level <level>", "least severe events to log")
        .choices(LOG_LEVELS).default("info" as const),
    )
    .addOption(
      new Option("--log-format <format>", "log line format")
        .choices(LOG_FORMATS).default("text" as const),
    )
    .option(
      "--tls-cert <file>",
      "serve TLS on --port with this PEM certificate chain; SIGHUP reloads it",
    )
    .option("--tls-key <file>", "the PEM private key of --tls-cert")
    .option(
      "--plain-port <port>",
      `with TLS, plain TCP for nc and telnet on this port (default ${DEFAULT_PLAIN_PORT})`,
      integer(0, 65535),
    )
    .option("--tls-only", "with TLS, no plain port", false)
    .addHelpText(
      "after",
      `
Examples:
  chat serve                                  listen on 0.0.0.0:9999
  chat serve --host 127.0.0.1 --port 7000     a local room on port 7000
  chat serve --memory --history 0             a throwaway room
  chat serve --web 8080                       browsers join at http://HOST:8080/
  chat serve --log-format json                logs for journald or a log shipper
  chat serve --redis redis://10.0.0.5:6379    one room on several nodes (docs/cluster.md)
  chat serve --tls-cert fullchain.pem --tls-key privkey.pem
                                              TLS on 9999, plain on ${DEFAULT_PLAIN_PORT}`,
    )
    .action(async (flags, command) => {
      const problem = tlsFlagProblem(flags) ?? clusterFlagProblem(flags);
      if (problem) command.error(`error: ${problem}`, { exitCode: 2, code: "chat.usage" });
      const { serve } = await import("./server/serve.ts");
      const defaultJoinRate = {
        count: DEFAULT_LIMITS.joinRate,
        seconds: DEFAULT_LIMITS.joinRateSeconds,
      };
      exitCode = await serve({
        host: flags.host,
        port: flags.port,
        historySize: flags.history,
        dataPath: flags.data,
        memory: flags.memory,
        logLevel: flags.logLevel,
        logFormat: flags.logFormat,
        web: flags.web && { host: flags.web.host ?? flags.host, port: flags.web.port },
        exempt: flags.exempt,
        trustedProxies: flags.trustedProxy,
        redis: flags.redis === undefined ? undefined : {
          url: flags.redis,
          room: flags.room ?? "main",
          nodeTimeoutMs: (flags.nodeTimeout ?? 5) * 1000,
        },
        reusePort: flags.reusePort,
        nickHoldDays: flags.nickHold,
        ownerKey: flags.ownerKey,
        passwordFile: flags.passwordFile,
        tls: flags.tlsCert === undefined || flags.tlsKey === undefined ? undefined : {
          certFile: flags.tlsCert,
          keyFile: flags.tlsKey,
          plainPort: flags.tlsOnly ? null : flags.plainPort ?? DEFAULT_PLAIN_PORT,
        },
        limits: {
          maxLineBytes: flags.maxLineBytes,
          maxPasteBytes: flags.maxPasteBytes,
          rate: flags.rate,
          burst: flags.burst,
          outboxBytes: flags.outboxBytes,
          registerTimeout: flags.registerTimeout,
          maxPerIp: flags.maxPerIp,
          joinRate: (flags.joinRate ?? defaultJoinRate).count,
          joinRateSeconds: (flags.joinRate ?? defaultJoinRate).seconds,
          joinBurst: flags.joinBurst,
          maxConnections: flags.maxConnections,
          maxSchedules: flags.maxSchedules,
          maxSchedulesPerAddress: flags.maxSchedulesPerAddress,
          scheduleBytesPerMinute: flags.scheduleBytesPerMinute,
        },
      });
    });

  program.command("join")
    .description("Join a chat room.")
    .argument(
      "<address>",
      "the room: host[:port], or tls://host[:port] for TLS; the port defaults to 9999",
      parseRoomAddress,
    )
    .option("--nick <name>", "your nickname (otherwise you are asked)")
    .option(
      "--retry <seconds>",
      "how long to keep reconnecting after the connection drops; 0 exits at once",
      integer(0, 86400),
      60,
    )
    .option("--no-bell", "do not ring the terminal bell when a message mentions you")
    .option("--tls", "use TLS, as a tls:// address does", false)
    .option("--ca <file>", "with TLS, also trust certificates signed by the CA in this PEM file")
    .option(
      "--fingerprint <SHA256:...>",
      "with TLS, trust exactly the room whose key has this fingerprint (for self-signed rooms)",
      fingerprint,
    )
    .option("--password-file <file>", "the room's password, on this file's first line")
    .option(
      "--accept-new-cert",
      "with TLS, accept and record a key that differs from the one recorded for this room",
      false,
    )
    .addHelpText(
      "after",
      `
Examples:
  chat join 34.120.1.2               join on port 9999
  chat join chat.example.org:7000    another port
  chat join 127.0.0.1 --nick ana     skip the nickname prompt
  chat join tls://chat.example.org   TLS, checked against the system's authorities
  chat join tls://10.0.0.5 --fingerprint SHA256:...
                                     a self-signed room, by the fingerprint its operator gave`,
    )
    .action(async (address: { host: string; port: number; tls: boolean }, flags, command) => {
      const tls = address.tls || flags.tls;
      if (
        !tls && (flags.ca !== undefined || flags.fingerprint !== undefined || flags.acceptNewCert)
      ) {
        command.error(
          "error: --ca, --fingerprint and --accept-new-cert need a tls:// address (or --tls).",
          { exitCode: 2, code: "chat.usage" },
        );
      }
      const { join } = await import("./client/join.ts");
      exitCode = await join({
        host: address.host,
        port: address.port,
        nick: flags.nick,
        retry: flags.retry,
        bell: flags.bell,
        passwordFile: flags.passwordFile,
        tls: tls
          ? { caFile: flags.ca, fingerprint: flags.fingerprint, acceptNewCert: flags.acceptNewCert }
          : undefined,
      });
    });

  program.command("key")
    .description("Show your key's fingerprint (making the key if you have none yet).")
    .action(async () => {
      const { defaultIdentityPath, loadOrCreateIdentity } = await import("./client/identity.ts");
      const path = defaultIdentityPath();
      const identity = await loadOrCreateIdentity(path);
      console.log(`${identity.fingerprint}  (${path})`);
    });

  return program;
}

/** What is wrong with the cluster flags of `chat serve`, or null. */
function clusterFlagProblem(flags: {
  redis?: string;
  room?: string;
  nodeTimeout?: number;
  reusePort: boolean;
  tlsCert?: string;
}): string | null {
  if (flags.redis === undefined && flags.room !== undefined) return "--room needs --redis.";
  if (flags.redis === undefined && flags.nodeTimeout !== undefined) {
    return "--node-timeout needs --redis.";
  }
  if (flags.reusePort && flags.tlsCert !== undefined) {
    return "--reuse-port works without TLS for now; put TLS in front of the nodes (docs/cluster.md).";
  }
  return null;
}

/** What is wrong with the TLS flags of `chat serve`, or null. */
function tlsFlagProblem(flags: {
  port: number;
  tlsCert?: string;
  tlsKey?: string;
  plainPort?: number;
  tlsOnly: boolean;
}): string | null {
  const tls = flags.tlsCert !== undefined || flags.tlsKey !== undefined;
  if (tls && (flags.tlsCert === undefined || flags.tlsKey === undefined)) {
    return "--tls-cert and --tls-key go together; give both.";
  }
  if (!tls && flags.tlsOnly) return "--tls-only needs --tls-cert and --tls-key.";
  if (!tls && flags.plainPort !== undefined) {
    return "--plain-port needs --tls-cert and --tls-key; without TLS the room is plain on --port.";
  }
  if (flags.tlsOnly && flags.plainPort !== undefined) {
    return "--tls-only turns the plain port off; drop --plain-port or --tls-only.";
  }
  const plainPort = flags.plainPort ?? DEFAULT_PLAIN_PORT;
  if (tls && !flags.tlsOnly && plainPort !== 0 && plainPort === flags.port) {
    return `--plain-port and --port are both ${plainPort}; TLS and plain need a port each.`;
  }
  return null;
}

let exitCode = 0;

/** Runs the command line; resolves with the process exit code. */
export async function main(args: string[]): Promise<number> {
  exitCode = 0;
  const program = buildProgram();
  try {
    await program.parseAsync(args, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      const informational = ["commander.helpDisplayed", "commander.version", "commander.help"];
      return informational.includes(error.code) ? 0 : 2;
    }
    throw error;
  }
  return exitCode;
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
