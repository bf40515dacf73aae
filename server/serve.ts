/**
 * `chat serve`: opens the room's store, wires the room to its edges
 * (listener, web server, log, signals, idle collector) and runs until SIGINT
 * or SIGTERM.
 */
import type { Limits } from "../protocol/limits.ts";
import { ChatServer } from "./chat_server.ts";
import { startIdleCollector } from "./idle_collector.ts";
import { createLogger, type LogFormat, type LogLevel } from "./log.ts";
import { openStore } from "./open_store.ts";
import { type RoomStore, StoreOpenError } from "./store.ts";
import { WebServer } from "./web_server.ts";

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
}

/** Runs a room until a signal stops it; resolves with the exit code. */
export async function serve(options: ServeOptions): Promise<number> {
  const logger = createLogger({ level: options.logLevel, format: options.logFormat });
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
  try {
    server = new ChatServer({
      hostname: options.host,
      port: options.port,
      limits: options.limits,
      historySize: options.historySize,
      store,
      log: (level, event, fields) => logger[level](event, fields),
    });
  } catch (error) {
    store.close();
    if (error instanceof Deno.errors.AddrInUse) {
      logger.error("error", { error: `Port ${options.port} is already in use.` });
      return 1;
    }
    throw error;
  }
  let web: WebServer | null = null;
  if (options.web) {
    try {
      web = new WebServer(server, {
        hostname: options.web.host,
        port: options.web.port,
        log: (level, event, fields) => logger[level](event, fields),
      });
    } catch (error) {
      await server.shutdown();
      logger.error("error", {
        error: error instanceof Deno.errors.AddrInUse
          ? `Port ${options.web.port} is already in use.`
          : `Cannot start the web server: ${error instanceof Error ? error.message : error}`,
      });
      return 1;
    }
  }
  const stopCollector = startIdleCollector({ activity: () => server.pacer.writeCount });
  const stopped = Promise.withResolvers<void>();
  const signals: Deno.Signal[] = Deno.build.os === "windows"
    ? ["SIGINT", "SIGBREAK"]
    : ["SIGINT", "SIGTERM"];
  const onSignal = () => stopped.resolve();
  for (const signal of signals) Deno.addSignalListener(signal, onSignal);
  await stopped.promise;
  for (const signal of signals) Deno.removeSignalListener(signal, onSignal);
  stopCollector();
  // The room says goodbye to every member, browsers included, before the web port closes.
  await server.shutdown();
  await web?.shutdown();
  logger.info("stopped", {});
  return 0;
}
