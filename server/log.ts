/**
 * A small structured logger for the server: one line per event, either
 * `time LEVEL event key=value ...` text or one JSON object per line.
 *
 * Field values often come from clients (a nickname, a kick reason). A value
 * that could break the line apart, forge a second entry, or reach a terminal
 * as an escape sequence is always written quoted and escaped, so a log line
 * is exactly one line and shows only printable text.
 *
 * @module
 */

/** How much detail to log, least severe first. */
export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
/** The shape of each line. */
export const LOG_FORMATS = ["text", "json"] as const;

export type LogLevel = typeof LOG_LEVELS[number];
export type LogFormat = typeof LOG_FORMATS[number];
export type LogFields = Record<string, unknown>;

/** Receives one structured log event: how the server's parts log without holding a logger. */
export type LogSink = (level: LogLevel, event: string, fields: LogFields) => void;

/** One method per level; each writes one line or nothing. */
export interface Logger {
  debug(event: string, fields?: LogFields): void;
  info(event: string, fields?: LogFields): void;
  warn(event: string, fields?: LogFields): void;
  error(event: string, fields?: LogFields): void;
}

export interface LoggerOptions {
  /** Events below this level are dropped. */
  level: LogLevel;
  format: LogFormat;
  /** Receives each line without its trailing newline. Default: stderr. */
  write?: (line: string) => void;
  /** The clock; tests pass a fixed one. */
  now?: () => Date;
}

/** Returns true if `value` names a log level (for flag parsing). */
export function isLogLevel(value: string): value is LogLevel {
  return (LOG_LEVELS as readonly string[]).includes(value);
}

/** Returns true if `value` names a log format (for flag parsing). */
export function isLogFormat(value: string): value is LogFormat {
  return (LOG_FORMATS as readonly string[]).includes(value);
}

/**
 * Creates a logger.
 *
 * @example
 * ```ts
 * const log = createLogger({ level: "info", format: "text" });
 * log.info("listening", { address: "127.0.0.1:9999" });
 * // 2026-11-27T00:50:00.000Z INFO listening address=127.0.0.1:9999
 * ```
 */
export function createLogger(options: LoggerOptions): Logger {
  if (!isLogLevel(options.level)) {
    throw new TypeError(`Unknown log level "${String(options.level)}"`);
  }
  if (!isLogFormat(options.format)) {
    throw new TypeError(`Unknown log format "${String(options.format)}"`);
  }
  const threshold = LOG_LEVELS.indexOf(options.level);
  const write = options.write ?? writeStderr;
  const now = options.now ?? (() => new Date());
  const format = options.format === "json" ? formatJson : formatText;

  function log(level: LogLevel, event: string, fields?: LogFields): void {
    if (LOG_LEVELS.indexOf(level) < threshold) return;
    // Logging must never take the server down: a broken stderr or a field
    // that cannot be formatted loses one line, nothing more.
    try {
      write(format(timestamp(now), level, event, fields ?? {}));
    } catch {
      // Nowhere left to report it.
    }
  }

  return {
    debug: (event, fields) => log("debug", event, fields),
    info: (event, fields) => log("info", event, fields),
    warn: (event, fields) => log("warn", event, fields),
    error: (event, fields) => log("error", event, fields),
  };
}

function timestamp(now: () => Date): string {
  const date = now();
  return Number.isNaN(date.getTime()) ? "0000-00-00T00:00:00.000Z" : date.toISOString();
}

/**
 * Characters escaped as `\uXXXX` even inside quotes: every control, format
 * (bidi overrides, zero-width, tags), surrogate, private-use or unassigned
 * code point, and every separator but the plain space. JSON.stringify already
 * escapes C0 controls; this adds DEL, C1 (terminal CSI is U+009B), U+2028/9
 * (line breaks to some readers) and the invisible ones.
 */
const UNSAFE = /[\p{C}\p{Z}]/gu;
/** A text value is written bare only if it has none of these. */
const NEEDS_QUOTES = /[\s"'=\\\p{C}\p{Z}]/u;

/** JSON-quotes `value` and escapes every character in UNSAFE. */
function quote(value: string): string {
  return JSON.stringify(value).replace(UNSAFE, escapeUnits);
}

function escapeUnits(chars: string): string {
  if (chars === " ") return chars;
  let out = "";
  for (let i = 0; i < chars.length; i++) {
    out += "\\u" + chars.charCodeAt(i).toString(16).padStart(4, "0");
  }
  return out;
}

function formatText(
  time: string,
  level: LogLevel,
  event: string,
  fields: LogFields,
): string {
  let line = `${time} ${level.toUpperCase()} ${textValue(event)}`;
  for (const [key, value] of Object.entries(fields)) {
    if (value === undefined) continue;
    line += ` ${textKey(key)}=${textValue(stringify(value))}`;
  }
  return line;
}

function textValue(value: string): string {
  return value === "" || NEEDS_QUOTES.test(value) ? quote(value) : value;
}

/** Keys are ours, not the client's, but a bad one must not break the line. */
function textKey(key: string): string {
  const safe = key.replace(/[^\p{L}\p{N}_.\-]/gu, "_");
  return safe === "" ? "_" : safe;
}

/** The text form of a field value; strings stay as they are. */
function stringify(value: unknown): string {
  if (typeof value === "string") return value;
  if (value instanceof Error) return `${value.name}: ${value.message}`;
  if (value instanceof Date) {
    return Number.isNaN(value.getTime()) ? "Invalid Date" : value.toISOString();
  }
  if (value === null || typeof value !== "object") return String(value);
  try {
    return JSON.stringify(value, jsonReplacer) ?? String(value);
  } catch {
    return "[unserializable]";
  }
}

const RESERVED: ReadonlySet<string> = new Set(["time", "level", "event"]);

function formatJson(
  time: string,
  level: LogLevel,
  event: string,
  fields: LogFields,
): string {
  const record: LogFields = { time, level, event };
  for (const [key, value] of Object.entries(fields)) {
    // A field never overwrites the entry's own time, level or event.
    record[RESERVED.has(key) ? `field_${key}` : key] = value;
  }
  let json: string;
  try {
    json = JSON.stringify(record, jsonReplacer);
  } catch {
    // A cycle in a field: keep the entry and say what was lost.
    json = JSON.stringify({ time, level, event, fields: "[unserializable]" });
  }
  // Outside strings JSON is plain ASCII, so this only touches string contents.
  return json.replace(UNSAFE, escapeUnits);
}

function jsonReplacer(_key: string, value: unknown): unknown {
  if (typeof value === "bigint") return value.toString();
  if (value instanceof Error) {
    return { name: value.name, message: value.message };
  }
  return value;
}

const encoder = new TextEncoder();

/** Writes synchronously so lines are never lost or interleaved on exit. */
function writeStderr(line: string): void {
  let bytes = encoder.encode(line + "\n");
  while (bytes.length > 0) {
    const written = Deno.stderr.writeSync(bytes);
    bytes = bytes.subarray(written);
  }
}
