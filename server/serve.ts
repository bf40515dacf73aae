/**
 * `chat serve`: opens the room's store, wires the room to its edges
 * (listeners, web server, log, signals, idle collector) and runs until
 * SIGINT or SIGTERM. With TLS, SIGHUP reloads the certificate
 * (tls_listener.ts).
 */
import type { Limits } from "../protocol/limits.ts";
import type { AddressRanges } from "./address_range.ts";
import { readPasswordFile } from "./password_gate.ts";
import { ChatServer, DEFAULT_EXEMPT } from "./chat_server.ts";
import type { ClusterNode } from "./cluster_node.ts";
import { startIdleCollector } from "./idle_collector.ts";
import { createLogger, type LogFormat, type LogLevel, type LogSink } from "./log.ts";
import { openStore } from "./open_store.ts";
import { DEFAULT_NICK_HOLD_MS } from "./room.ts";
import { type RoomStore, StoreOpenError } from "./store.ts";
import { WebServer } from "./web_server.ts";
import {
  ListenError,
  openTlsListeners,
  reloadOnHangup,
  tlsFields,
  type TlsListener,
  type TlsServeOptions,
} from "./tls_listener.ts";

export interface ServeOptions {
  host: string;
  port: number;
  limits: Limits;
  historySize: number;
  /** Path of the data file; ignored with `memory`. */
  dataPath?: string;
  memory: boolean;
  logLevel: LogLevel;
  logFormat: LogFormat;
  /** Where `--web` serves the page and its WebSocket; no web server without it. */
  web?: { host: string; port: number };
  /** Serve TLS on `port`, and plain TCP on `tls.plainPort` unless it is null. */
  tls?: TlsServeOptions;
  /** Free of the per-address limits (`--exempt`); ChatServer's default without it. */
  exempt?: AddressRanges;
  /** Whose PROXY headers are believed (`--trusted-proxy`). */
  trustedProxies?: AddressRanges;
  /** Serve the room with other nodes over this Redis (`--redis`); the store is then the log. */
  redis?: { url: string; room: string; nodeTimeoutMs: number };
  /** Share the port with other processes on this machine (`--reuse-port`). */
  reusePort?: boolean;
  /** How long a name stays held for its key, in days (`--nick-hold`). */
  nickHoldDays?: number;
  /** The room owner's key fingerprint (`--owner-key`). */
  ownerKey?: string;
  /** A file whose first line is the room's password (`--password-file`). */
  passwordFile?: string;
}

/** Runs a room until a signal stops it; resolves with the exit code. */
export async function serve(options: ServeOptions): Promise<number> {
  const logger = createLogger({ level: options.logLevel, format: options.logFormat });
  const log: LogSink = (level, event, fields) => logger[level](event, fields);
  // Without --unstable-net, Deno ends the process at the listen call instead of throwing.
  if (
    options.reusePort && typeof (Deno as { listenDatagram?: unknown }).listenDatagram !== "function"
  ) {
    logger.error("error", {
      error: "--reuse-port needs Deno's --unstable-net flag (deno task serve and the chat " +
        "binary pass it); with deno run, add --unstable-net.",
    });
    return 1;
  }
  let password: string | undefined;
  if (options.passwordFile !== undefined) {
    try {
      password = readPasswordFile(options.passwordFile);
    } catch (error) {
      logger.error("error", { error: error instanceof Error ? error.message : String(error) });
      return 1;
    }
  }
  let store: RoomStore;
  let dataPath: string | null = null;
  let node: ClusterNode | undefined;
  /** What a cluster node fails with at start: one line, exit 1. */
  let clusterErrors: (abstract new (...args: never[]) => Error)[] = [];
  try {
    if (options.redis) {
      // Loaded only here: Redis's client costs every other server start about 0.3 s of CPU.
      const [{ ClusterError, ClusterNode }, { RedisUnavailableError }] = await Promise.all([
        import("./cluster_node.ts"),
        import("./redis_log.ts"),
      ]);
      clusterErrors = [ClusterError, RedisUnavailableError];
      node = await ClusterNode.open({
        redisUrl: options.redis.url,
        room: options.redis.room,
        nodeTimeoutMs: options.redis.nodeTimeoutMs,
        log,
        settings: {
          historySize: options.historySize,
          maxSchedules: options.limits.maxSchedules,
          maxSchedulesPerAddress: options.limits.maxSchedulesPerAddress,
          scheduleBytesPerMinute: options.limits.scheduleBytesPerMinute,
          nickHoldDays: options.nickHoldDays ?? DEFAULT_NICK_HOLD_MS / 86_400_000,
          ownerKey: options.ownerKey ?? null,
          exempt: options.exempt?.toString() ?? DEFAULT_EXEMPT,
        },
      });
      store = node.store;
    } else {
      ({ store, path: dataPath } = await openStore(options));
    }
  } catch (error) {
    if (clusterErrors.some((kind) => error instanceof kind)) {
      logger.error("error", { error: (error as Error).message });
      return 1;
    }
    // A locked, unreadable or unwritable data file is the operator's to fix: one line, exit 1.
    const message = error instanceof StoreOpenError
      ? error.message
      : `Cannot open the data file${options.dataPath ? ` "${options.dataPath}"` : ""}: ${
        error instanceof Error ? error.message : String(error)
      }`;
    logger.error("error", { error: message });
    return 1;
  }
  let server: ChatServer;
  let tls: TlsListener | undefined;
  let plain: Deno.TcpListener | null = null;
  try {
    if (options.tls) {
      ({ tls, plain } = await openTlsListeners(options.host, options.port, options.tls));
      logger.info("tls", {
        address: `${tls.addr.hostname}:${tls.addr.port}`,
        plain: plain ? `${plain.addr.hostname}:${plain.addr.port}` : "off",
        ...tlsFields(tls),
      });
    }
    server = new ChatServer({
      hostname: options.host,
      port: options.port,
      listeners: tls ? [tls, ...(plain ? [plain] : [])] : undefined,
      limits: options.limits,
      historySize: options.historySize,
      store,
      log,
      exempt: options.exempt,
      trustedProxies: options.trustedProxies,
      reusePort: options.reusePort,
      ...(node
        ? { replica: node, clock: node.clock, newToken: node.newToken, state: node.state }
        : {}),
      ...(options.nickHoldDays === undefined
        ? {}
        : { nickHoldMs: options.nickHoldDays * 86_400_000 }),
      ownerKey: options.ownerKey,
      password,
    });
  } catch (error) {
    store.close();
    await node?.close();
    if (error instanceof ListenError) {
      logger.error("error", { error: error.message });
      return 1;
    }
    if (error instanceof Deno.errors.AddrInUse) {
      logger.error("error", { error: `Port ${options.port} is already in use.` });
      return 1;
    }
    // A --host this machine cannot listen on (no such name, not its address)
    // is the operator's mistake: one line, exit 2 like any usage error.
    const reason = error instanceof Error ? error.message : String(error);
    logger.error("error", {
      error: `Cannot listen on ${options.host}:${options.port}: ${reason}. Check --host.`,
    });
    return 2;
  }
  if (node) {
    node.start();
    logger.info("cluster", {
      node: node.nodeId,
      room: node.room,
      from: node.startSeq,
      logEnd: node.logEndAtStart,
      snapshot: node.state !== undefined,
    });
  } else {
    logger.info(
      "data",
      dataPath === null ? { store: "memory (nothing survives a restart)" } : {
        store: "file",
        path: dataPath,
      },
    );
  }
  let web: WebServer | null = null;
  if (options.web) {
    try {
      web = new WebServer(server, {
        hostname: options.web.host,
        port: options.web.port,
        log,
      });
    } catch (error) {
      await server.shutdown();
      await node?.close();
      logger.error("error", {
        error: error instanceof Deno.errors.AddrInUse
          ? `Port ${options.web.port} is already in use.`
          : `Cannot start the web server: ${error instanceof Error ? error.message : error}`,
      });
      return 1;
    }
  }
  logger.info(
    "ready",
    howToJoin(server.address, { tls: tls !== undefined, plain, web: web?.address }),
  );
  const stopReloading = tls ? reloadOnHangup(tls, log) : () => {};
  const stopCollector = startIdleCollector({
    activity: () => server.pacer.writeCount,
    onQuiet: ({ collected, trimmed, ms }) => {
      const memory = Deno.memoryUsage();
      logger.debug("memory", {
        rssMB: megabytes(memory.rss),
        heapMB: megabytes(memory.heapUsed),
        collected,
        trimmed,
        ms: Math.round(ms),
      });
    },
  });
  const stopped = Promise.withResolvers<void>();
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT", "SIGBREAK"]
    : ["SIGINT", "SIGTERM"];
  // The listeners stay until the process ends: a second Ctrl-C while members
  // are being told goodbye must not kill the room mid-shutdown; a third does.
  let signalsSeen = 0;
  const onSignal = (signal: Deno.Signal) => () => {
    signalsSeen++;
    if (signalsSeen === 1) {
      stopped.resolve();
    } else if (signalsSeen === 2) {
      logger.warn("shutdown", {
        note: "Already shutting down; send the signal again to stop at once.",
      });
    } else {
      logger.warn("shutdown", { note: "Stopping at once; members may not have been told." });
      Deno.exit(signal === "SIGTERM" ? 143 : 130);
    }
  };
  const listeners = signals.map((signal) => [signal, onSignal(signal)] as const);
  for (const [signal, listener] of listeners) Deno.addSignalListener(signal, listener);
  // A cluster node whose copy of the room can no longer follow the log stops, exit 1.
  const failure = await Promise.race([
    stopped.promise.then(() => null),
    node?.failed ?? new Promise<never>(() => {}),
  ]);
  stopReloading();
  stopCollector();
  // The room says goodbye to every member, browsers included, before the web port closes.
  await server.shutdown(
    failure === null ? undefined : "The server lost the room's log; reconnect.",
  );
  await web?.shutdown();
  // Their drops reach the log before the node lets go of Redis.
  await node?.close();
  logger.info("stopped", {});
  for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
  return failure === null ? 0 : 1;
}

/** The commands a member types to join, for the first log lines. */
function howToJoin(
  address: Deno.NetAddr,
  more: { tls: boolean; plain: Deno.TcpListener | null; web?: Deno.NetAddr },
): Record<string, string> {
  const hostOf = (at: Deno.NetAddr) =>
    at.hostname === "0.0.0.0" || at.hostname === "::" ? "<this machine's address>" : at.hostname;
  const bracket = (host: string) => host.includes(":") ? `[${host}]` : host;
  const host = hostOf(address);
  const plainAddress = more.tls ? more.plain?.addr as Deno.NetAddr | undefined : address;
  return {
    join: `chat join ${more.tls ? "tls://" : ""}${bracket(host)}:${address.port}`,
    ...(plainAddress ? { nc: `nc ${hostOf(plainAddress)} ${plainAddress.port}` } : {}),
    ...(more.web ? { web: `http://${bracket(hostOf(more.web))}:${more.web.port}/` } : {}),
  };
}

/** Bytes as megabytes with one decimal, for the log. */
function megabytes(bytes: number): number {
  return Math.round(bytes / 2 ** 20 * 10) / 10;
}
