/**
 * The room's shared log in Redis: the one ordered list of everything its
 * members asked for, which several `chat serve` nodes append to and each
 * replays into its own copy of the room. Also the room's pending schedules,
 * which turn into log entries exactly once across nodes, and leases (one
 * node doing a job at a time). It knows nothing about the room: entries are
 * opaque JSON values.
 *
 * Keys, all under a hash tag so a Redis Cluster keeps a room in one slot
 * (the scripts touch several keys at once, which Cluster allows only then):
 * - `chat:{room}:log`   stream; entry `0-<seq>` has fields t (at) and e (JSON)
 *                       and, when a schedule fired it, f (its id) and d (due)
 * - `chat:{room}:clock` the latest `at` handed out, so `at` never decreases
 * - `chat:{room}:due`   sorted set: schedule id scored by its due time (ms)
 * - `chat:{room}:sched` hash: schedule id to its entry's JSON
 * - `chat:{room}:lease:<name>` a lease's holder, with a TTL
 * - `chat:{room}:nodes`  counter: the last node number handed out
 * - `chat:{room}:value:<name>` a value the first node to ask set (a secret, settings)
 * - `chat:{room}:snapshot` hash: seq, data (the newest snapshot and the seq it follows)
 *
 * Ordering: `seq` is the stream ID's sequence part, made by `XADD 0-*`,
 * which is the stream's own last-generated ID plus one. Redis keeps that ID
 * with the stream, across trimming and restarts, so there is no separate
 * counter that could fall out of step with the log, and seqs have no holes:
 * a reader that sees seq n+2 after n knows n+1 was trimmed away.
 *
 * Time: `at` is Redis's clock (`TIME`), read inside the same script that
 * appends, so every node replays the same instant for an entry whatever its
 * own clock says, and an entry's time always agrees with its place in the
 * order. If Redis's clock steps back, `at` holds at the last value handed
 * out instead.
 *
 * Durability: what Redis keeps is what the log keeps. Run Redis with
 * `appendonly yes` (and the default `appendfsync everysec`): a Redis crash
 * then loses at most the last second of appends, and never half of a script
 * (a firing schedule's removal and its entry go to the file together). A
 * clean shutdown (SIGTERM) loses nothing. Without persistence a restart
 * empties the log; a tail notices its position is ahead of the log and ends
 * with `LogResetError` rather than waiting for seqs that will be reused.
 *
 * Errors: commands do not queue while Redis is unreachable, and each has a
 * deadline (1 s by default), so a call rejects promptly with
 * `RedisUnavailableError` instead of hanging. A rejected append may still
 * have reached the log (the reply may be what was lost): nodes learn the
 * outcome from the tail, never retry blindly.
 */
import { createClient, ErrorReply } from "@redis/client";
import { createHash } from "node:crypto";

/** One entry of the log, as every node reads it. */
export interface LogRecord<E> {
  /** Position in the log: 1, 2, 3, ... with no holes. */
  seq: number;
  /** When Redis appended it, in ms since the epoch; never decreases along the log. */
  at: number;
  entry: E;
  /** Set when a schedule fired this entry: its id and due time. */
  fired?: { id: string; due: number };
}

/**
 * What a tail yields instead of records that were trimmed away before it
 * read them: seqs `afterSeq + 1` to `firstSeq - 1` are gone, and the next
 * record is `firstSeq`. A node that needs them must rebuild from elsewhere
 * (a snapshot), since the log no longer has them.
 */
export interface LogGap {
  gap: true;
  afterSeq: number;
  firstSeq: number;
}

export type LogItem<E> = LogRecord<E> | LogGap;

export type RedisStatus = "up" | "down";

export interface RedisLogOptions {
  /** How many entries the log keeps; older ones are trimmed on append. Default 10 000. */
  maxEntries?: number;
  /** How long a command may take before it rejects. Default 1000 ms. */
  commandTimeoutMs?: number;
  /** How long `connect` may take to reach Redis. Default 2000 ms. */
  connectTimeoutMs?: number;
  /** Told when the connection for commands is lost and when it is back. */
  onStatus?: (status: RedisStatus, error?: string) => void;
}

/** Redis could not be reached, or did not answer in time. */
export class RedisUnavailableError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = "RedisUnavailableError";
  }
}

/** The log in Redis is behind what a tail already read: Redis lost data. */
export class LogResetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "LogResetError";
  }
}

const DEFAULT_MAX_ENTRIES = 10_000;
const DEFAULT_COMMAND_TIMEOUT_MS = 1_000;
const DEFAULT_CONNECT_TIMEOUT_MS = 2_000;
const DEFAULT_FIRE_MAX = 100;
/** How long one XREAD waits for new entries before the tail asks again. */
const TAIL_BLOCK_MS = 5_000;
const TAIL_BATCH = 500;

/** Retry quickly at first, then once a second: a restarted Redis is back within ~1 s. */
function reconnectDelay(retries: number): number {
  return Math.min(50 * 2 ** retries, 1_000);
}

/** The part of the client this module uses; every command goes through `sendCommand`. */
type Client = ReturnType<typeof createClient>;

/** A Lua script run by EVALSHA, falling back to EVAL after a restart emptied Redis's script cache. */
class Script {
  readonly source: string;
  readonly sha: string;
  constructor(source: string) {
    this.source = source;
    this.sha = createHash("sha1").update(source).digest("hex");
  }
}

/** `at`: Redis's clock in ms, but never below the last `at` handed out (KEYS[clock]). */
const LUA_NEXT_AT = `
local function next_at(clock_key)
  local t = redis.call('TIME')
  local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
  local last = tonumber(redis.call('GET', clock_key) or '0')
  if now < last then now = last end
  return now
end
`;

/** KEYS: log, clock. ARGV: maxEntries, entry JSON. Returns {id, at}. */
const APPEND = new Script(`${LUA_NEXT_AT}
local at = next_at(KEYS[2])
local id = redis.call('XADD', KEYS[1], 'MAXLEN', '=', ARGV[1], '0-*',
  't', string.format('%d', at), 'e', ARGV[2])
redis.call('SET', KEYS[2], string.format('%d', at))
return {id, string.format('%d', at)}
`);

/**
 * KEYS: due, sched, log, clock. ARGV: now ('' for Redis's clock), max, maxEntries.
 * Moves up to max due schedules into the log; returns how many.
 */
const FIRE_DUE = new Script(`${LUA_NEXT_AT}
local at = next_at(KEYS[4])
local now = ARGV[1]
if now == '' then now = string.format('%d', at) end
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0, ARGV[2])
local fired = 0
for i = 1, #due, 2 do
  local id = due[i]
  local entry = redis.call('HGET', KEYS[2], id)
  redis.call('ZREM', KEYS[1], id)
  redis.call('HDEL', KEYS[2], id)
  if entry then
    redis.call('XADD', KEYS[3], 'MAXLEN', '=', ARGV[3], '0-*',
      't', string.format('%d', at), 'e', entry, 'f', id, 'd', due[i + 1])
    fired = fired + 1
  end
end
if fired > 0 then redis.call('SET', KEYS[4], string.format('%d', at)) end
return fired
`);

/** KEYS: due, sched. ARGV: id, due, entry JSON. */
const ADD_SCHEDULE = new Script(`
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[1])
return 1
`);

/** KEYS: due, sched. ARGV: id. Returns 1 if it was pending. */
const CANCEL_SCHEDULE = new Script(`
local removed = redis.call('ZREM', KEYS[1], ARGV[1])
redis.call('HDEL', KEYS[2], ARGV[1])
return removed
`);

/** KEYS: log. The stream's last-generated ID, which survives trimming; '0-0' if none. */
const LAST_ID = new Script(`
if redis.call('EXISTS', KEYS[1]) == 0 then return '0-0' end
local info = redis.call('XINFO', 'STREAM', KEYS[1])
for i = 1, #info, 2 do
  if info[i] == 'last-generated-id' then return info[i + 1] end
end
return redis.error_reply('XINFO STREAM has no last-generated-id')
`);

/** KEYS: lease. ARGV: holder, ttlMs. Takes a free lease, or extends it for its holder. */
const TRY_LEASE = new Script(`
local holder = redis.call('GET', KEYS[1])
if holder == ARGV[1] then
  redis.call('PEXPIRE', KEYS[1], ARGV[2])
  return 1
end
if holder then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
return 1
`);

/** KEYS: lease. ARGV: holder, ttlMs. Extends the lease only for its current holder. */
const RENEW_LEASE = new Script(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`);

/** KEYS: lease. ARGV: holder. Frees the lease only for its current holder. */
const RELEASE_LEASE = new Script(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
return 1
`);

/** KEYS: value. ARGV: proposed. Sets the value if it has none; returns the value. */
const SHARED_VALUE = new Script(`
local value = redis.call('GET', KEYS[1])
if value then return value end
redis.call('SET', KEYS[1], ARGV[1])
return ARGV[1]
`);

/** KEYS: snapshot. ARGV: seq, data. Keeps the newer snapshot; returns 1 if this one was kept. */
const SAVE_SNAPSHOT = new Script(`
local current = tonumber(redis.call('HGET', KEYS[1], 'seq') or '-1')
if current >= tonumber(ARGV[1]) then return 0 end
redis.call('HSET', KEYS[1], 'seq', ARGV[1], 'data', ARGV[2])
return 1
`);

/** The keys of one room. */
class RoomKeys {
  readonly log: string;
  readonly clock: string;
  readonly due: string;
  readonly sched: string;
  readonly nodes: string;
  readonly snapshot: string;
  readonly #prefix: string;

  constructor(room: string) {
    // A brace would move the hash tag, splitting the room across Cluster slots.
    if (room === "" || /[{}]/.test(room)) {
      throw new RangeError(`Invalid room name "${room}": it must be non-empty, without { or }`);
    }
    this.#prefix = `chat:{${room}}:`;
    this.log = `${this.#prefix}log`;
    this.clock = `${this.#prefix}clock`;
    this.due = `${this.#prefix}due`;
    this.sched = `${this.#prefix}sched`;
    this.nodes = `${this.#prefix}nodes`;
    this.snapshot = `${this.#prefix}snapshot`;
  }

  value(name: string): string {
    return `${this.#prefix}value:${name}`;
  }

  lease(name: string): string {
    return `${this.#prefix}lease:${name}`;
  }
}

/** One open tail: its current connection, so `close()` can cut a blocked read short. */
interface TailState {
  connection: Client | undefined;
}

/** The room's log, schedules and leases in one Redis; see the module comment. */
export class RedisLog<E> {
  readonly #url: string;
  readonly #keys: RoomKeys;
  readonly #client: Client;
  readonly #maxEntries: number;
  readonly #commandTimeoutMs: number;
  readonly #connectTimeoutMs: number;
  readonly #tails = new Set<TailState>();
  /** Aborted by `close()`: ends tails' waits between reconnects. */
  readonly #closing = new AbortController();

  private constructor(url: string, keys: RoomKeys, client: Client, options: RedisLogOptions) {
    this.#url = withoutPassword(url);
    this.#keys = keys;
    this.#client = client;
    this.#maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    this.#commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this.#connectTimeoutMs = options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  }

  /**
   * Connects to the Redis at `url` (`redis://host:port`) for `room`; rejects
   * with `RedisUnavailableError` if Redis is not reachable within the connect
   * timeout. Afterwards the connection for commands reconnects by itself.
   */
  static async connect<E>(
    url: string,
    room: string,
    options: RedisLogOptions = {},
  ): Promise<RedisLog<E>> {
    const keys = new RoomKeys(room);
    const maxEntries = options.maxEntries ?? DEFAULT_MAX_ENTRIES;
    if (!Number.isInteger(maxEntries) || maxEntries < 1) {
      throw new RangeError(`Invalid maxEntries ${maxEntries}: it must be a positive integer`);
    }
    const client = createClient({
      url,
      RESP: 2,
      // A command sent while Redis is away fails at once instead of waiting
      // in a queue: an append must not land minutes later, after its caller
      // was told it failed.
      disableOfflineQueue: true,
      socket: {
        connectTimeout: options.connectTimeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS,
        reconnectStrategy: reconnectDelay,
      },
    }) as unknown as Client;
    const log = new RedisLog<E>(url, keys, client, options);
    const onStatus = options.onStatus ?? (() => {});
    let up = false;
    client.on("ready", () => {
      if (!up) {
        up = true;
        onStatus("up");
      }
    });
    // Without an "error" listener the client's EventEmitter would throw.
    client.on("error", (error: Error) => {
      if (up) {
        up = false;
        onStatus("down", error.message);
      }
    });
    try {
      await log.#deadline(client.connect(), log.#connectTimeoutMs, "connect");
    } catch (error) {
      client.destroy();
      throw log.#unavailable("connect", error);
    }
    return log;
  }

  /**
   * Appends `entry` (a JSON value) at the end of the log, trimming the log
   * to `maxEntries`, in one script; resolves with the record as stored.
   */
  async append(entry: E): Promise<LogRecord<E>> {
    const json = JSON.stringify(entry) as string | undefined;
    if (json === undefined) throw new TypeError("A log entry must be a JSON value");
    const reply = await this.#eval(
      "append",
      APPEND,
      [this.#keys.log, this.#keys.clock],
      [String(this.#maxEntries), json],
    ) as [string, string];
    return { seq: seqOf(reply[0]), at: Number(reply[1]), entry: JSON.parse(json) };
  }

  /** The seq of the last record appended (even if trimmed since); 0 if none. */
  async lastSeq(): Promise<number> {
    return seqOf(await this.#eval("lastSeq", LAST_ID, [this.#keys.log], []) as string);
  }

  /**
   * Up to `limit` records after `afterSeq`, in order. If older records were
   * trimmed away, the first one returned has a seq above `afterSeq + 1`.
   */
  async range(afterSeq: number, limit: number): Promise<LogRecord<E>[]> {
    checkSeq(afterSeq);
    if (!Number.isInteger(limit) || limit < 1) {
      throw new RangeError(`Invalid limit ${limit}: it must be a positive integer`);
    }
    const reply = await this.#send("range", [
      "XRANGE",
      this.#keys.log,
      `(0-${afterSeq}`,
      "+",
      "COUNT",
      String(limit),
    ]);
    return (reply as StreamEntry[]).map(toRecord<E>);
  }

  /**
   * Every record after `afterSeq`, in order, then each new one as it is
   * appended, until `close()` (or the consumer stops). Records trimmed
   * before the tail reached them come as one `LogGap`. Each tail reads on
   * its own connection (XREAD BLOCK holds a connection while it waits);
   * when that connection fails (Redis restarted, network trouble) the tail
   * opens another and resumes after the last seq it yielded, so it never
   * skips or repeats a record. It throws `LogResetError` if Redis comes
   * back with fewer records than it already yielded, and passes on error
   * replies from Redis (such as a key of the wrong type), which retrying
   * cannot fix.
   */
  async *tail(afterSeq: number): AsyncGenerator<LogItem<E>, void, undefined> {
    checkSeq(afterSeq);
    const state: TailState = { connection: undefined };
    this.#tails.add(state);
    let position = afterSeq;
    let failures = 0;
    try {
      while (!this.#closing.signal.aborted) {
        let batch: LogRecord<E>[];
        try {
          state.connection ??= await this.#openTailConnection(position);
          batch = await this.#readAfter(state.connection, position);
          failures = 0;
        } catch (error) {
          if (this.#closing.signal.aborted) return;
          if (error instanceof LogResetError || error instanceof ErrorReply) throw error;
          state.connection?.destroy();
          state.connection = undefined;
          await this.#pause(reconnectDelay(failures++));
          continue;
        }
        for (const record of batch) {
          if (record.seq > position + 1) {
            yield { gap: true, afterSeq: position, firstSeq: record.seq };
          }
          yield record;
          position = record.seq;
        }
      }
    } finally {
      state.connection?.destroy();
      this.#tails.delete(state);
    }
  }

  /**
   * Schedules `entry` to be appended once `due` (ms since the epoch) has
   * passed, by whichever node calls `fireDue` first. Replaces a pending
   * schedule with the same id.
   */
  async addSchedule(id: string, due: number, entry: E): Promise<void> {
    if (!Number.isFinite(due)) throw new RangeError(`Invalid due time ${due}`);
    await this.#eval("addSchedule", ADD_SCHEDULE, [this.#keys.due, this.#keys.sched], [
      id,
      String(due),
      JSON.stringify(entry),
    ]);
  }

  /** Drops a pending schedule; false if it had already fired or never existed. */
  async cancelSchedule(id: string): Promise<boolean> {
    const removed = await this.#eval("cancelSchedule", CANCEL_SCHEDULE, [
      this.#keys.due,
      this.#keys.sched,
    ], [id]);
    return removed === 1;
  }

  /**
   * Appends every schedule due by `now` (Redis's clock if not given) and
   * drops it, in one script, so each fires exactly once however many nodes
   * call this at the same moment. Moves at most `max` per call (default
   * 100) so one call never holds Redis up for long; call again while it
   * returns `max`. Resolves with how many it appended.
   */
  async fireDue(options: { now?: number; max?: number } = {}): Promise<number> {
    const max = options.max ?? DEFAULT_FIRE_MAX;
    if (!Number.isInteger(max) || max < 1) {
      throw new RangeError(`Invalid max ${max}: it must be a positive integer`);
    }
    const now = options.now === undefined ? "" : String(options.now);
    return await this.#eval(
      "fireDue",
      FIRE_DUE,
      [this.#keys.due, this.#keys.sched, this.#keys.log, this.#keys.clock],
      [now, String(max), String(this.#maxEntries)],
    ) as number;
  }

  /**
   * Takes the lease `name` for `holder` for `ttlMs`, if it is free or
   * already `holder`'s (then it is extended); true if `holder` now has it.
   * A lease lapses by itself if its holder stops renewing it.
   */
  async tryLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    checkTtl(ttlMs);
    return await this.#eval("tryLease", TRY_LEASE, [this.#keys.lease(name)], [
      holder,
      String(ttlMs),
    ]) === 1;
  }

  /** Extends the lease for `ttlMs` if `holder` still has it; false if it lapsed or moved. */
  async renewLease(name: string, holder: string, ttlMs: number): Promise<boolean> {
    checkTtl(ttlMs);
    return await this.#eval("renewLease", RENEW_LEASE, [this.#keys.lease(name)], [
      holder,
      String(ttlMs),
    ]) === 1;
  }

  /** Gives the lease up if `holder` has it; false if it did not. */
  async releaseLease(name: string, holder: string): Promise<boolean> {
    return await this.#eval("releaseLease", RELEASE_LEASE, [this.#keys.lease(name)], [
      holder,
    ]) === 1;
  }

  /** Who holds the lease now, or null. */
  async leaseHolder(name: string): Promise<string | null> {
    return await this.#send("leaseHolder", ["GET", this.#keys.lease(name)]) as string | null;
  }

  /** A number no other caller for this room has had or will have: 1, 2, 3, ... */
  async nextNodeNumber(): Promise<number> {
    return Number(await this.#send("nextNodeNumber", ["INCR", this.#keys.nodes]));
  }

  /**
   * The room's value `name`: whatever it already is, or `proposed` if it has
   * none yet (then it is set, once, for every later caller).
   */
  async sharedValue(name: string, proposed: string): Promise<string> {
    if (!/^[a-z][a-z0-9_-]*$/.test(name)) throw new RangeError(`Invalid value name "${name}"`);
    return await this.#eval("sharedValue", SHARED_VALUE, [this.#keys.value(name)], [
      proposed,
    ]) as string;
  }

  /**
   * Keeps `data` as the snapshot of everything up to and including `seq`,
   * unless a snapshot of a later seq is already kept; true if this one was.
   */
  async saveSnapshot(seq: number, data: string): Promise<boolean> {
    checkSeq(seq);
    return await this.#eval("saveSnapshot", SAVE_SNAPSHOT, [this.#keys.snapshot], [
      String(seq),
      data,
    ]) === 1;
  }

  /** The newest snapshot and the seq it follows, or null if none was saved. */
  async loadSnapshot(): Promise<{ seq: number; data: string } | null> {
    const [seq, data] = await this.#send("loadSnapshot", [
      "HMGET",
      this.#keys.snapshot,
      "seq",
      "data",
    ]) as [string | null, string | null];
    return seq === null || data === null ? null : { seq: Number(seq), data };
  }

  /** Closes every connection; open tails end, and later calls reject. */
  close(): Promise<void> {
    if (this.#closing.signal.aborted) return Promise.resolve();
    this.#closing.abort();
    for (const tail of this.#tails) tail.connection?.destroy();
    // destroy(), not close(): there is nothing worth waiting for, and a
    // graceful QUIT would wait out the command timeout if Redis is away.
    this.#client.destroy();
    return Promise.resolve();
  }

  /** Opens a tail's connection, and checks the log still reaches `position`. */
  async #openTailConnection(position: number): Promise<Client> {
    const connection = this.#client.duplicate({
      // Blocking reads get a connection each; the tail reconnects by itself
      // (from its position), so the client must not retry on its own.
      disableOfflineQueue: true,
      socket: { connectTimeout: this.#connectTimeoutMs, reconnectStrategy: false },
    }) as unknown as Client;
    // The tail learns of failures from its own commands; an "error" event
    // needs a listener all the same, or the EventEmitter throws.
    connection.on("error", () => {});
    try {
      await this.#deadline(connection.connect(), this.#connectTimeoutMs, "tail connect");
      const last = seqOf(
        await this.#deadline(
          evalScript(connection, LAST_ID, [this.#keys.log], []),
          this.#commandTimeoutMs,
          "tail",
        ) as string,
      );
      if (last < position) {
        throw new LogResetError(
          `The log of "${this.#keys.log}" ends at seq ${last}, before seq ${position} ` +
            "that this tail already read: Redis lost data (is appendonly on?)",
        );
      }
      return connection;
    } catch (error) {
      connection.destroy();
      throw error;
    }
  }

  /** The next records after `position`, waiting up to TAIL_BLOCK_MS for some. */
  async #readAfter(connection: Client, position: number): Promise<LogRecord<E>[]> {
    const reply = await this.#deadline(
      connection.sendCommand([
        "XREAD",
        "COUNT",
        String(TAIL_BATCH),
        "BLOCK",
        String(TAIL_BLOCK_MS),
        "STREAMS",
        this.#keys.log,
        `0-${position}`,
      ]),
      // Longer than the block: no reply by then means the connection is dead.
      TAIL_BLOCK_MS + this.#commandTimeoutMs,
      "tail",
    ) as [string, StreamEntry[]][] | null;
    return reply === null ? [] : reply[0][1].map(toRecord<E>);
  }

  /** Waits `ms`, or less if the log is closed meanwhile. */
  #pause(ms: number): Promise<void> {
    const signal = this.#closing.signal;
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      signal.addEventListener("abort", done, { once: true });
      function done() {
        clearTimeout(timer);
        signal.removeEventListener("abort", done);
        resolve();
      }
    });
  }

  async #eval(label: string, script: Script, keys: string[], args: string[]): Promise<unknown> {
    this.#checkOpen(label);
    try {
      return await this.#deadline(
        evalScript(this.#client, script, keys, args),
        this.#commandTimeoutMs,
        label,
      );
    } catch (error) {
      throw this.#unavailable(label, error);
    }
  }

  async #send(label: string, command: string[]): Promise<unknown> {
    this.#checkOpen(label);
    try {
      return await this.#deadline(this.#client.sendCommand(command), this.#commandTimeoutMs, label);
    } catch (error) {
      throw this.#unavailable(label, error);
    }
  }

  #checkOpen(label: string): void {
    if (this.#closing.signal.aborted) {
      throw new RedisUnavailableError(`Cannot ${label}: the Redis log is closed`);
    }
  }

  /** An error reply from Redis passes as it is; anything else means Redis is unreachable. */
  #unavailable(label: string, error: unknown): unknown {
    if (error instanceof ErrorReply || error instanceof RedisUnavailableError) return error;
    const reason = error instanceof Error ? error.message : String(error);
    return new RedisUnavailableError(
      `Redis at "${this.#url}" is unavailable for ${label}: ${reason}`,
      { cause: error },
    );
  }

  /** Rejects if `promise` has not settled in `ms`; its own outcome is then ignored. */
  #deadline<T>(promise: Promise<T>, ms: number, label: string): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new RedisUnavailableError(
            `Redis at "${this.#url}" did not answer ${label} within ${ms} ms`,
          ),
        );
      }, ms);
      promise.then(
        (value) => {
          clearTimeout(timer);
          resolve(value);
        },
        (error) => {
          clearTimeout(timer);
          reject(error);
        },
      );
    });
  }
}

/** XRANGE / XREAD entry in RESP2: [id, [field, value, ...]]. */
type StreamEntry = [string, string[]];

function toRecord<E>([id, fields]: StreamEntry): LogRecord<E> {
  const values = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) values.set(fields[i], fields[i + 1]);
  const record: LogRecord<E> = {
    seq: seqOf(id),
    at: Number(values.get("t")),
    entry: JSON.parse(values.get("e") ?? "null"),
  };
  const fired = values.get("f");
  if (fired !== undefined) record.fired = { id: fired, due: Number(values.get("d")) };
  return record;
}

/** The URL as errors show it: a password in it (redis://:secret@host) is not repeated. */
export function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password === "") return url;
    parsed.password = "***";
    return parsed.href;
  } catch {
    return url;
  }
}

/** The seq in a stream ID `0-<seq>`. */
function seqOf(id: string): number {
  return Number(id.slice(id.indexOf("-") + 1));
}

function checkSeq(seq: number): void {
  if (!Number.isSafeInteger(seq) || seq < 0) {
    throw new RangeError(`Invalid seq ${seq}: it must be a non-negative integer`);
  }
}

function checkTtl(ttlMs: number): void {
  if (!Number.isInteger(ttlMs) || ttlMs < 1) {
    throw new RangeError(`Invalid lease TTL ${ttlMs}: it must be a positive integer (ms)`);
  }
}

/** EVALSHA, or EVAL when Redis does not have the script (a restart empties its cache). */
async function evalScript(
  client: Client,
  script: Script,
  keys: string[],
  args: string[],
): Promise<unknown> {
  const tail = [String(keys.length), ...keys, ...args];
  try {
    return await client.sendCommand(["EVALSHA", script.sha, ...tail]);
  } catch (error) {
    if (!(error instanceof ErrorReply) || !error.message.startsWith("NOSCRIPT")) throw error;
    return await client.sendCommand(["EVAL", script.source, ...tail]);
  }
}
