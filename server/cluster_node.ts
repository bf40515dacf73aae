/**
 * One node of a room served by several `chat serve --redis` processes.
 *
 * The room is the shared log in Redis (redis_log.ts). A node's connections
 * do not touch the room: what they ask (join, a line, leave, a dropped
 * connection) is written to the log as an entry (room_entry.ts). Every node
 * reads the whole log, in order, and applies each entry to its own copy of
 * the room, with the entry's time (Redis's clock) as the room's clock and
 * tokens derived from the entry's seq and a secret the room keeps in Redis.
 * So every copy is the same room, with the same seqs; each node delivers
 * what its copy says to the connections it holds (replica_outbox.ts), and
 * nickname races, kicks and ownership are settled by the log's order.
 *
 * Time passes through the log too: when the room next has something to do
 * (a schedule, a grace running out, a churn count; `Room.nextTickAt()`), the
 * node holding the "janitor" lease keeps a schedule in Redis for then, and
 * `fireDue` turns it into one `tick` entry when Redis's clock gets there.
 * The room's own schedules fire inside that tick, on every copy at the same
 * place in the log, so a message is sent once however many ticks arrive.
 *
 * Nodes fail: each keeps a lease `node:<n>` alive; when one lapses, the
 * janitor writes `node_down`, and every copy drops that node's members as
 * if their connections had gone: they may resume on another node within the
 * grace, and leave after it. While this node cannot reach Redis it tells
 * its members, refuses their lines (rather than let its copy drift), and
 * carries on when Redis is back. If the log is no longer what this node
 * read (Redis lost data) or moved past it (trimmed before it was read), the
 * node stops with a message: a restarted node loads the newest snapshot.
 *
 * Start-up is bounded: the janitor saves a snapshot of the room
 * (room_snapshot.ts) every `snapshotEvery` entries (and every 30 s after a
 * change), the log keeps `maxEntries`, and a node starts from the newest
 * snapshot and applies only the entries after it.
 */
import { createHash, randomBytes } from "node:crypto";
import type { ServerEvent } from "../protocol/events.ts";
import { normalizeNickname } from "../protocol/text.ts";
import type { LogSink } from "./log.ts";
import { MemoryStore } from "./memory_store.ts";
import { type LogRecord, LogResetError, RedisLog, RedisUnavailableError } from "./redis_log.ts";
import { ReplicaOutbox } from "./replica_outbox.ts";
import { applyEntry, NODE_SPAN, nodeOf, type RoomEntry } from "./room_entry.ts";
import type { NodeEdge, RoomInput, RoomReplica } from "./room_input.ts";
import type { Clock, JoinOptions, MemberId, Outbox, Room, RoomState } from "./room.ts";
import { restoreRoom, snapshotRoom } from "./room_snapshot.ts";

/** Bumped when entries or snapshots change meaning; nodes of different formats refuse to mix. */
export const CLUSTER_FORMAT = 1;

/** Conversation events a node's store keeps (the snapshot carries them all). */
const STORE_CAPACITY = 2048;
/** Node numbers must keep member ids below 2^53 (room_entry.ts). */
const MAX_NODE_NUMBER = 2 ** 21 - 1;
const JANITOR_LEASE = "janitor";
const TICK_SCHEDULE = "tick";
/** A snapshot is saved at least this often while the room changes. */
const SNAPSHOT_EVERY_MS = 30_000;

/** Told to members while Redis is away, and again when it is back. */
export const REDIS_DOWN_NOTICE = "The room cannot reach its shared log (Redis) just now. " +
  "Your lines are not sent until it is back; you will be told.";
export const REDIS_BACK_NOTICE = "The room reaches its shared log again; you can carry on.";
/** A line or a join refused while Redis is away. */
export const REDIS_DOWN_ERROR = "Not sent: the room cannot reach its shared log (Redis) just now.";
/** An append that may or may not have reached the log. */
const UNCONFIRMED_ERROR = "The room did not confirm your line in time; it may not have been sent.";
const UNCONFIRMED_JOIN = "The room did not answer in time; trying again.";

/** Settings that shape the room's state, so every node of a room must share them. */
export interface ClusterSettings {
  historySize: number;
  maxSchedules: number;
  maxSchedulesPerAddress: number;
  scheduleBytesPerMinute: number;
  /** `--nick-hold` in days (the default when not given). */
  nickHoldDays: number;
  /** `--owner-key`, or null: applied by the first copies of the room only. */
  ownerKey: string | null;
  /** `--exempt` as its normalized list: exempt addresses are never banned. */
  exempt: string;
}

export interface ClusterOptions {
  /** `redis://host:port[/db]`. */
  redisUrl: string;
  /** The room's name in Redis (`--room`). */
  room: string;
  settings: ClusterSettings;
  log?: LogSink;
  /** How long a node that stops renewing its lease is given before its members are dropped, ms. */
  nodeTimeoutMs?: number;
  /** How often leases are renewed and the janitor looks around, ms (default a fifth of the timeout). */
  beatMs?: number;
  /** Entries between snapshots (default 1000). */
  snapshotEvery?: number;
  /** Entries the log keeps (default 10 000); must be well above `snapshotEvery`. */
  maxEntries?: number;
  /** How long a Redis command may take, ms (default 1000). */
  commandTimeoutMs?: number;
}

/** The room cannot be served by this node (settings differ, a snapshot it cannot read). */
export class ClusterError extends Error {
  override name = "ClusterError";
}

export class ClusterNode implements RoomReplica, RoomInput {
  readonly room: string;
  readonly nodeNumber: number;
  /** How the node names itself in leases and logs. */
  readonly nodeId: string;
  readonly firstConnectionId: number;
  /** The seq this node's copy of the room started after. */
  readonly startSeq: number;
  /** The log's last seq when the node started. */
  readonly logEndAtStart: number;
  /** What the room starts from: a store, and the snapshot's state if there was one. */
  readonly store: MemoryStore;
  readonly state: RoomState | undefined;
  /** The room's clock: the time of the entry being applied. */
  readonly clock: Clock;
  readonly newToken: () => string;
  /** Resolves with a reason if the node must stop (the log was lost or moved past it). */
  readonly failed: Promise<string>;

  #log: RedisLog<RoomEntry>;
  #sink: LogSink;
  #secret: string;
  #timeZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
  #nodeTimeoutMs: number;
  #beatMs: number;
  #snapshotEvery: number;
  #room: Room | undefined;
  #edge: NodeEdge | undefined;
  #outbox: ReplicaOutbox | undefined;
  /** The seq of the last entry applied. */
  #position: number;
  /** While an entry is applied: its time and seq, and how many tokens it has made. */
  #applying: { at: number; seq: number; tokens: number } | null = null;
  #available = true;
  #stopping = false;
  #fail: (reason: string) => void;
  #following: Promise<void> | undefined;
  #beatTimer: ReturnType<typeof setInterval> | undefined;
  #beating: Promise<void> | undefined;
  /** Appends not yet answered, so a clean stop waits for them. */
  #inFlight = new Set<Promise<unknown>>();
  /** Joins written and not yet applied, by connection. */
  #pendingJoins = new Map<MemberId, (joined: boolean) => void>();
  /** Connections that wrote a join: their end must reach the log too. */
  #submitted = new Set<MemberId>();
  /** Connections here whose join the log accepted and that are still here. */
  #members = new Set<MemberId>();
  /** Leaves and drops written and not yet applied. */
  #departing = new Set<MemberId>();
  /** Janitor: whether this node holds the lease, the tick it scheduled, the last snapshot. */
  #janitor = false;
  #scheduledTick: number | null | undefined = undefined;
  #snapshotSeq: number;
  #snapshotAt = Date.now();
  /** Nodes with members whose lease the janitor found missing, and since when (its clock). */
  #missingSince = new Map<number, number>();

  private constructor(init: {
    log: RedisLog<RoomEntry>;
    options: ClusterOptions;
    nodeNumber: number;
    secret: string;
    startSeq: number;
    logEnd: number;
    store: MemoryStore;
    state: RoomState | undefined;
  }) {
    this.#log = init.log;
    this.room = init.options.room;
    this.nodeNumber = init.nodeNumber;
    this.nodeId = `node-${init.nodeNumber}`;
    this.firstConnectionId = init.nodeNumber * NODE_SPAN + 1;
    this.#secret = init.secret;
    this.startSeq = init.startSeq;
    this.#position = init.startSeq;
    this.#snapshotSeq = init.startSeq;
    this.logEndAtStart = init.logEnd;
    this.store = init.store;
    this.state = init.state;
    this.#sink = init.options.log ?? (() => {});
    this.#nodeTimeoutMs = init.options.nodeTimeoutMs ?? 5_000;
    this.#beatMs = init.options.beatMs ?? Math.max(50, Math.floor(this.#nodeTimeoutMs / 5));
    this.#snapshotEvery = init.options.snapshotEvery ?? 1_000;
    this.clock = { now: () => this.#applying?.at ?? Date.now() };
    this.newToken = () => {
      const applying = this.#applying ?? { seq: -1, tokens: 0 };
      return createHash("sha256")
        .update(`${this.#secret}:${applying.seq}:${applying.tokens++}`)
        .digest("base64url")
        .slice(0, 32);
    };
    const failed = Promise.withResolvers<string>();
    this.failed = failed.promise;
    this.#fail = (reason) => {
      this.#sink("error", "cluster", { node: this.nodeId, error: reason });
      failed.resolve(reason);
    };
  }

  /**
   * Connects to Redis, takes a node number, checks that this node's settings
   * are the room's, and loads the newest snapshot. Rejects with
   * `RedisUnavailableError` or `ClusterError`.
   */
  static async open(options: ClusterOptions): Promise<ClusterNode> {
    let node: ClusterNode | undefined;
    const log = await RedisLog.connect<RoomEntry>(options.redisUrl, options.room, {
      maxEntries: options.maxEntries,
      commandTimeoutMs: options.commandTimeoutMs,
      onStatus: (status, error) => {
        if (node) node.#status(status, error);
      },
    });
    try {
      const nodeNumber = await log.nextNodeNumber();
      if (nodeNumber > MAX_NODE_NUMBER) {
        throw new ClusterError(
          `Room "${options.room}" has handed out ${nodeNumber} node numbers, past the ` +
            `${MAX_NODE_NUMBER} member ids can carry; start the room afresh under another --room.`,
        );
      }
      const secret = await log.sharedValue("secret", randomBytes(32).toString("base64url"));
      const ours = JSON.stringify({ format: CLUSTER_FORMAT, ...options.settings });
      const theirs = await log.sharedValue("config", ours);
      if (theirs !== ours) throw new ClusterError(settingsMismatch(options.room, ours, theirs));
      const snapshot = await log.loadSnapshot();
      let store = new MemoryStore(STORE_CAPACITY);
      let state: RoomState | undefined;
      if (snapshot) {
        try {
          ({ store, state } = restoreRoom(snapshot.data));
        } catch (error) {
          throw new ClusterError(
            `Cannot start room "${options.room}": ${(error as Error).message}`,
          );
        }
      }
      const logEnd = await log.lastSeq();
      node = new ClusterNode({
        log,
        options,
        nodeNumber,
        secret,
        startSeq: snapshot?.seq ?? 0,
        logEnd,
        store,
        state,
      });
      await log.tryLease(`node:${nodeNumber}`, node.nodeId, node.#nodeTimeoutMs);
      return node;
    } catch (error) {
      await log.close();
      throw error;
    }
  }

  // ---- RoomReplica: how the server wires this node in ----

  outbox(inner: Outbox): Outbox {
    this.#outbox = new ReplicaOutbox(inner, (id) => this.#edge?.has(id) ?? false);
    return this.#outbox;
  }

  input(room: Room, edge: NodeEdge): RoomInput {
    this.#room = room;
    this.#edge = edge;
    return this;
  }

  /** Starts following the log and keeping the leases; call once the server exists. */
  start(): void {
    if (!this.#room) throw new Error("ClusterNode.start() before the server attached its room");
    this.#following = this.#follow();
    this.#beatTimer = setInterval(() => {
      this.#beating ??= this.#beat().finally(() => this.#beating = undefined);
    }, this.#beatMs);
  }

  /** The seq of the last entry this node applied. */
  get position(): number {
    return this.#position;
  }

  /** The seq of the last entry in the log now (asks Redis). */
  logEnd(): Promise<number> {
    return this.#log.lastSeq();
  }

  /** Whether this node reaches Redis (and so accepts lines). */
  get available(): boolean {
    return this.#available;
  }

  /** Whether this node holds the janitor lease now. */
  get janitor(): boolean {
    return this.#janitor;
  }

  // ---- RoomInput: what this node's connections ask ----

  join(id: MemberId, nick: string, options: JoinOptions): boolean | Promise<boolean> {
    const { admit, ...asked } = options;
    if (!this.#available) {
      this.#edge?.send(id, refusal(nick, REDIS_DOWN_ERROR));
      return false;
    }
    if (this.#pendingJoins.has(id)) return false;
    // The join rate is this node's own; it counts a fresh join of a free name.
    const holder = this.#room!.findByNick(normalizeNickname(nick));
    const resuming = asked.resume !== undefined && holder?.resumeToken === asked.resume;
    if (!holder && !resuming) {
      const held = admit?.();
      if (held) {
        this.#edge?.send(id, { type: "nick_refused", at: Date.now(), nick, ...held });
        return false;
      }
    }
    // A client without a zone reads HH:MM in this node's zone, the same on every node.
    const entry: RoomEntry = {
      kind: "join",
      member: id,
      nick,
      ...asked,
      timeZone: asked.timeZone ?? this.#timeZone,
    };
    this.#submitted.add(id);
    return new Promise((resolve) => {
      this.#pendingJoins.set(id, resolve);
      this.#append(entry).catch(() => {
        // It may still have reached the log: then its late answer closes the connection.
        if (this.#pendingJoins.get(id) !== resolve) return;
        this.#pendingJoins.delete(id);
        this.#edge?.send(id, refusal(nick, UNCONFIRMED_JOIN));
        resolve(false);
      });
    });
  }

  line(id: MemberId, text: string): void {
    if (!this.#available) {
      this.#edge?.send(id, { type: "error", at: Date.now(), text: REDIS_DOWN_ERROR });
      return;
    }
    this.#append({ kind: "line", member: id, text }).catch(() => {
      this.#edge?.send(id, { type: "error", at: Date.now(), text: UNCONFIRMED_ERROR });
    });
  }

  leave(id: MemberId, reason: string): void {
    this.#members.delete(id);
    if (!this.#submitted.has(id)) return;
    this.#depart({ kind: "leave", member: id, reason });
  }

  drop(id: MemberId): void {
    this.#members.delete(id);
    this.#outbox?.forget(id);
    if (!this.#submitted.delete(id)) return;
    this.#depart({ kind: "drop", member: id });
  }

  /** Time passes through the log (the janitor's tick schedule), never by a local timer. */
  tick(): boolean {
    return false;
  }

  /**
   * Stops: no more leases or janitor work, waits for the appends in flight
   * (the drops of the connections the server just closed), gives up the
   * leases so others need not wait for them to lapse, and closes Redis.
   */
  async close(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    clearInterval(this.#beatTimer);
    await this.#beating;
    await Promise.allSettled([...this.#inFlight]);
    try {
      await this.#log.releaseLease(JANITOR_LEASE, this.nodeId);
      await this.#log.releaseLease(`node:${this.nodeNumber}`, this.nodeId);
    } catch {
      // Redis is away: the leases lapse by themselves.
    }
    await this.#log.close();
    await this.#following;
  }

  // ---- following the log ----

  async #follow(): Promise<void> {
    try {
      for await (const item of this.#log.tail(this.#position)) {
        if ("gap" in item) {
          this.#fail(
            `The room's log no longer holds entries ${item.afterSeq + 1} to ${
              item.firstSeq - 1
            }, ` +
              "which this node had not applied yet. Restart it: it starts again from the room's snapshot.",
          );
          return;
        }
        this.#apply(item);
      }
    } catch (error) {
      if (this.#stopping) return;
      this.#fail(
        error instanceof LogResetError
          ? `${error.message}. Restart this node: it rebuilds the room from what Redis has.`
          : `Reading the room's log failed: ${error instanceof Error ? error.message : error}`,
      );
    }
  }

  #apply(record: LogRecord<RoomEntry>): void {
    const room = this.#room!;
    const entry = record.entry;
    this.#applying = { at: record.at, seq: record.seq, tokens: 0 };
    let answer = false;
    try {
      answer = applyEntry(room, entry);
    } catch (error) {
      // Every node throws alike, so the copies still agree; the log must go on.
      this.#sink("error", "error", { where: "apply", seq: record.seq, error: String(error) });
    } finally {
      this.#applying = null;
    }
    this.#position = record.seq;
    if (record.fired?.id === TICK_SCHEDULE) this.#scheduledTick = null;
    if (entry.kind === "join" && nodeOf(entry.member) === this.nodeNumber) {
      this.#answered(entry.member, answer);
    } else if (
      (entry.kind === "leave" || entry.kind === "drop") && nodeOf(entry.member) === this.nodeNumber
    ) {
      this.#departing.delete(entry.member);
    } else if (entry.kind === "node_down" && entry.node === this.nodeNumber) {
      // This node was taken for dead (its lease lapsed): its members are now
      // reconnecting in every copy, so their connections here must go. They
      // resume, here or elsewhere.
      for (const id of this.#members) {
        this.#edge?.close(id, "This server lost touch with the room; reconnect to carry on.");
      }
      this.#members.clear();
    }
  }

  /** The log answered a join from one of this node's connections. */
  #answered(id: MemberId, joined: boolean): void {
    const resolve = this.#pendingJoins.get(id);
    this.#pendingJoins.delete(id);
    if (resolve) {
      if (joined) this.#members.add(id);
      resolve(joined);
    } else if (joined) {
      // Its connection was told the join failed (or has gone): end it; the
      // client may resume with the token it was just sent.
      this.#edge?.close(id, "The room answered too late; reconnect to carry on.");
    }
  }

  #append(entry: RoomEntry): Promise<unknown> {
    const appending = this.#log.append(entry);
    this.#inFlight.add(appending);
    appending.catch(() => {}).finally(() => this.#inFlight.delete(appending));
    return appending;
  }

  /** Writes a leave or a drop; if it does not get through, `#reconcile` writes a drop later. */
  #depart(entry: RoomEntry & { member: MemberId }): void {
    this.#departing.add(entry.member);
    this.#append(entry).catch(() => this.#departing.delete(entry.member));
  }

  #status(status: "up" | "down", error?: string): void {
    const was = this.#available;
    this.#available = status === "up";
    if (was === this.#available || this.#stopping) return;
    if (status === "down") this.#sink("warn", "redis", { state: "down", error });
    else this.#sink("info", "redis", { state: "up" });
    const text = status === "down" ? REDIS_DOWN_NOTICE : REDIS_BACK_NOTICE;
    for (const id of this.#members) this.#edge?.send(id, notice(text));
  }

  // ---- what a node does now and then ----

  async #beat(): Promise<void> {
    if (this.#stopping) return;
    try {
      const lease = `node:${this.nodeNumber}`;
      if (!await this.#log.renewLease(lease, this.nodeId, this.#nodeTimeoutMs)) {
        await this.#log.tryLease(lease, this.nodeId, this.#nodeTimeoutMs);
      }
      const wasJanitor = this.#janitor;
      this.#janitor = await this.#log.tryLease(JANITOR_LEASE, this.nodeId, this.#nodeTimeoutMs);
      if (this.#janitor && !wasJanitor) {
        this.#sink("info", "cluster", { node: this.nodeId, janitor: true });
        this.#scheduledTick = undefined;
        this.#missingSince.clear();
      }
      if (this.#janitor) await this.#janitorWork();
      this.#reconcile();
    } catch (error) {
      // While Redis is away no lease is renewed: once it is back, every node
      // gets a whole timeout to renew its own before it is missed.
      this.#missingSince.clear();
      if (!(error instanceof RedisUnavailableError)) {
        this.#sink("error", "error", { where: "cluster", error: String(error) });
      }
    }
  }

  /** The janitor: the room's next tick, lapsed nodes, the snapshot. */
  async #janitorWork(): Promise<void> {
    const room = this.#room!;
    const next = room.nextTickAt();
    if (next !== this.#scheduledTick) {
      if (next === null) await this.#log.cancelSchedule(TICK_SCHEDULE);
      else await this.#log.addSchedule(TICK_SCHEDULE, next, { kind: "tick" });
      this.#scheduledTick = next;
    }
    if (next !== null) await this.#log.fireDue();
    const now = Date.now();
    const nodes = new Set<number>();
    for (const member of room.members) {
      const node = nodeOf(member.id);
      if (node !== this.nodeNumber && member.detachedAt === undefined) nodes.add(node);
    }
    for (const node of this.#missingSince.keys()) {
      if (!nodes.has(node)) this.#missingSince.delete(node);
    }
    // A node is down once its lease has been missing for a whole timeout, as
    // this janitor saw it: a lease that lapsed while Redis was away, or
    // before this node became janitor, is not enough.
    for (const node of nodes) {
      if (await this.#log.leaseHolder(`node:${node}`) !== null) {
        this.#missingSince.delete(node);
        continue;
      }
      const since = this.#missingSince.get(node);
      if (since === undefined) {
        this.#missingSince.set(node, now);
      } else if (now - since >= this.#nodeTimeoutMs) {
        this.#missingSince.set(node, now);
        this.#sink("warn", "cluster", { node: `node-${node}`, state: "down" });
        await this.#append({ kind: "node_down", node });
      }
    }
    const behind = this.#position - this.#snapshotSeq;
    if (
      behind >= this.#snapshotEvery || (behind > 0 && now - this.#snapshotAt >= SNAPSHOT_EVERY_MS)
    ) {
      const seq = this.#position;
      const data = snapshotRoom(room, this.store);
      await this.#log.saveSnapshot(seq, data);
      this.#snapshotSeq = seq;
      this.#snapshotAt = now;
      this.#sink("debug", "snapshot", { seq, bytes: data.length });
    }
  }

  /**
   * Members of this node in the room without a connection here (a drop that
   * never reached the log, a join answered after its connection went) are
   * dropped now.
   */
  #reconcile(): void {
    if (!this.#available) return;
    for (const member of this.#room!.members) {
      const id = member.id;
      if (nodeOf(id) !== this.nodeNumber || member.detachedAt !== undefined) continue;
      if (this.#members.has(id) || this.#pendingJoins.has(id) || this.#departing.has(id)) continue;
      this.#depart({ kind: "drop", member: id });
    }
  }
}

function refusal(nick: string, reason: string): ServerEvent {
  return { type: "nick_refused", at: Date.now(), nick, reason, wait: 2 };
}

function notice(text: string): ServerEvent {
  return { type: "notice", at: Date.now(), text };
}

/** Names the settings that differ between this node and the room. */
function settingsMismatch(room: string, ours: string, theirs: string): string {
  let them: Record<string, unknown> = {};
  try {
    them = JSON.parse(theirs);
  } catch {
    // Named below as a whole.
  }
  const us: Record<string, unknown> = JSON.parse(ours);
  const flags: Record<string, string> = {
    format: "the chat version",
    historySize: "--history",
    maxSchedules: "--max-schedules",
    maxSchedulesPerAddress: "--max-schedules-per-address",
    scheduleBytesPerMinute: "--schedule-bytes-per-minute",
    nickHoldDays: "--nick-hold",
    ownerKey: "--owner-key",
    exempt: "--exempt",
  };
  const differ = Object.keys(us).filter((key) => them[key] !== us[key])
    .map((key) => `${flags[key] ?? key} is ${them[key]} there, ${us[key]} here`);
  return `This node's settings differ from room "${room}"'s, which every node must share ` +
    `(they shape the room's state): ${differ.join("; ") || theirs}.`;
}
