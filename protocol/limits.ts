/** Default limits of a room; each one is a `chat serve` flag. */

export const DEFAULT_PORT = 9999;

export interface Limits {
  /** Longest accepted line, in bytes, excluding the newline. */
  maxLineBytes: number;
  /** Longest pasted block of lines a structured client may send as one message, in bytes. */
  maxPasteBytes: number;
  /** Sustained lines per second per connection; 0 turns flood control off. */
  rate: number;
  /** Lines a connection may send at once before the rate applies. */
  burst: number;
  /** Bytes queued towards one connection before it is disconnected as too slow. */
  outboxBytes: number;
  /** Seconds a new connection has to choose a valid nickname. */
  registerTimeout: number;
  /** Connections from one IP address (--exempt addresses are free of it). */
  maxPerIp: number;
  /** Joins from one address per `joinRateSeconds` once `joinBurst` is spent; 0 = no limit. */
  joinRate: number;
  joinRateSeconds: number;
  /** Joins from one address allowed at once. */
  joinBurst: number;
  /** Connections in total. */
  maxConnections: number;
  /** Pending scheduled messages in the whole room. */
  maxSchedules: number;
  /** Pending scheduled messages from one address. */
  maxSchedulesPerAddress: number;
  /** Bytes of scheduled text that may fall due in any one minute. */
  scheduleBytesPerMinute: number;
}

export const DEFAULT_LIMITS: Readonly<Limits> = {
  maxLineBytes: 4096,
  maxPasteBytes: 16384,
  rate: 5,
  burst: 10,
  outboxBytes: 1024 * 1024,
  registerTimeout: 30,
  maxPerIp: 16,
  joinRate: 5,
  joinRateSeconds: 10,
  joinBurst: 10,
  maxConnections: 10000,
  maxSchedules: 1000,
  maxSchedulesPerAddress: 20,
  scheduleBytesPerMinute: 64 * 1024,
};

/** Lines in one pasted block at most. */
export const MAX_PASTE_LINES = 100;

/** Lines held back by flood control before further lines are dropped. */
export const FLOOD_BACKLOG = 50;
