/**
 * `chat serve`: opens the room's store, wires the room to its edges
 * (listeners, log, signals, idle collector) and runs until SIGINT or SIGTERM.
 * With TLS, SIGHUP reloads the certificate (tls_listener.ts).
 */
import type { Limits } from "../protocol/limits.ts";
import { ChatServer } from "./chat_server.ts";
import { startIdleCollector } from "./idle_collector.ts";
import { createLogger, type LogFormat, type LogLevel, type LogSink } from "./log.ts";
import { openStore } from "./open_store.ts";
import { type RoomStore, StoreOpenError } from "./store.ts";
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
  /** Serve TLS on `port`, and plain TCP on `tls.plainPort` unless it is null. */
  tls?: TlsServeOptions;
}

/** Runs a room until a signal stops it; resolves with the exit code. */
export async function serve(options: ServeOptions): Promise<number> {
  const logger = createLogger({ level: options.logLevel, format: options.logFormat });
  const log: LogSink = (level, event, fields) => logger[level](event, fields);
  let store: RoomStore;
  try {
    ({ store } = await openStore(options));
  } catch (error) {
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
  try {
    let plain: Deno.TcpListener | null = null;
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
    });
  } catch (error) {
    store.close();
    if (error instanceof ListenError) {
      logger.error("error", { error: error.message });
      return 1;
    }
    if (error instanceof Deno.errors.AddrInUse) {
      logger.error("error", { error: `Port ${options.port} is already in use.` });
      return 1;
    }
    throw error;
  }
  const stopReloading = tls ? reloadOnHangup(tls, log) : () => {};
  const stopCollector = startIdleCollector({ activity: () => server.pacer.writeCount });
  const stopped = Promise.withResolvers<void>();
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT", "SIGBREAK"]
    : ["SIGINT", "SIGTERM"];
  const onSignal = () => stopped.resolve();
  for (const signal of signals) Deno.addSignalListener(signal, onSignal);
  await stopped.promise;
  for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
  stopReloading();
  stopCollector();
  await server.shutdown();
  logger.info("stopped", {});
  return 0;
}
