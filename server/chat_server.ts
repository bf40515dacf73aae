/**
 * The TCP edge: accepts connections on one port, enforces the connection
 * caps, runs a session per connection without awaiting it, ticks the room's
 * scheduler, and shuts down gracefully. Other transports (the web server's
 * WebSockets) come in through `attach()`, under the same caps. The room
 * itself lives in room.ts.
 */
import { encodeLine } from "../protocol/framing.ts";
import { DEFAULT_LIMITS, type Limits } from "../protocol/limits.ts";
import { Connection } from "./connection.ts";
import { Fanout } from "./fanout.ts";
import type { LogSink } from "./log.ts";
import { LoggedOutbox } from "./logged_outbox.ts";
import { MemoryStore } from "./memory_store.ts";
import { ResilientStore, type StoreHealth } from "./resilient_store.ts";
import { OutputGate } from "./output_gate.ts";
import { type MemberId, Room, type RoomOptions } from "./room.ts";
import { LocalInput, type NodeEdge, type RoomInput, type RoomReplica } from "./room_input.ts";
import { Session, type SessionHost } from "./session.ts";
import { remoteIp, type Transport } from "./transport.ts";
import { type AddressRanges, parseAddressRanges } from "./address_range.ts";
import { JoinRate } from "./join_rate.ts";
import { PasswordGate } from "./password_gate.ts";
import { acceptFromProxy, refusingProxyHeaders } from "./proxied_transport.ts";
import { WritePacer } from "./write_pacer.ts";

/** Where connections come from: a `Deno.Listener`, or one that can swap its certificate. */
export type ChatListener = Pick<Deno.Listener, "accept" | "close" | "addr">;

export interface ChatServerOptions extends RoomOptions {
  hostname?: string;
  port?: number;
  /**
   * Accept from these instead of a TCP listener on hostname:port (TLS, and a
   * plain port beside it); the first is `address`.
   */
  listeners?: ChatListener[];
  limits?: Partial<Limits>;
  log?: LogSink;
  /** How often the scheduler looks for due messages, in ms. */
  tickMs?: number;
  /**
   * Addresses free of the per-address limits (connections, join rate);
   * default 127.0.0.1/32 and ::1/128 (`--exempt`).
   */
  exempt?: AddressRanges;
  /**
   * Proxies whose connections open with a PROXY header naming the real
   * client (`--trusted-proxy`); default none.
   */
  trustedProxies?: AddressRanges;
  /** The room's password (`--password-file`): every client gives it before its nickname. */
  password?: string;
  /** How long a queue over the outbox limit may go without write progress, in ms (default 1000). */
  stallMs?: number;
  /** Monotonic milliseconds for flood control; injectable so tests control time. */
  monotonicNow?: () => number;
  /** How long a failing data file rests before writes are tried again, in ms (default 1000). */
  storeRetryMs?: number;
  /** Let other processes listen on the same port (SO_REUSEPORT; `--reuse-port`). */
  reusePort?: boolean;
  /** A cluster node: the room is a replica of the shared log (cluster_node.ts). */
  replica?: RoomReplica;
}

/** Addresses free of the per-address limits unless --exempt says otherwise. */
export const DEFAULT_EXEMPT = "127.0.0.1/32,::1/128";

/** Pause before accepting again after accept() failed, e.g. out of file descriptors. */
const ACCEPT_RETRY_MS = 100;
/** How long shutdown waits for queued output to reach slow clients. */
const SHUTDOWN_FLUSH_MS = 2000;
/** While schedules are waiting to go out, the room ticks this often. */
const CATCH_UP_TICK_MS = 100;
/** How long a member disconnected for being too slow gets to take its last line. */
const OVERFLOW_GRACE_MS = 500;

export class ChatServer {
  readonly room: Room;
  readonly limits: Limits;
  /** Decides when output is written; also counts writes, which the idle collector watches. */
  readonly pacer = new WritePacer();
  /** Holds everyone's reads while members who read are behind (see output_gate.ts). */
  #gate = new OutputGate();
  #listeners: ChatListener[];
  #fanout: Fanout;
  #input: RoomInput;
  #log: LogSink;
  #sessions = new Map<Connection, Promise<void>>();
  #perIp = new Map<string, number>();
  #nextId: number;
  #ticker: ReturnType<typeof setInterval>;
  #catchUpTick: ReturnType<typeof setTimeout> | undefined;
  #acceptLoops: Promise<void>[];
  #stopping = false;
  #sessionHost: SessionHost;
  /** Free of the per-address limits. */
  readonly exempt: AddressRanges;
  /** Whose PROXY headers (and, at the web door, X-Forwarded-For) are believed. */
  readonly trustedProxies: AddressRanges;
  #joinRate: JoinRate;
  /** Connections from a trusted proxy whose header has not come yet. */
  #awaitingHeader = 0;
  #stallMs: number | undefined;

  constructor(options: ChatServerOptions = {}) {
    this.limits = { ...DEFAULT_LIMITS, ...options.limits };
    this.#log = options.log ?? (() => {});
    this.exempt = options.exempt ?? parseAddressRanges(DEFAULT_EXEMPT, "--exempt");
    this.trustedProxies = options.trustedProxies ?? parseAddressRanges("none", "--trusted-proxy");
    this.#joinRate = new JoinRate({
      count: this.limits.joinRate,
      seconds: this.limits.joinRateSeconds,
      burst: this.limits.joinBurst,
    });
    const monotonicNow = options.monotonicNow ?? (() => performance.now());
    this.#stallMs = options.stallMs;
    this.#fanout = new Fanout(this.pacer, (connection) => this.#closeSoon(connection));
    this.#nextId = options.replica?.firstConnectionId ?? 1;
    const outbox = new LoggedOutbox(this.#fanout, this.#log);
    // A store that can fail (a file) is wrapped so a failure never reaches the room.
    const store = options.store === undefined || options.store instanceof MemoryStore
      ? options.store
      : new ResilientStore(options.store, {
        onHealth: (health) => this.#storeHealth(health),
        retryEveryMs: options.storeRetryMs,
      });
    this.room = new Room(options.replica?.outbox(outbox) ?? outbox, {
      ...options,
      store,
      // A ban never names an address many people share (a proxy, loopback).
      isSharedAddress: (address) => this.exempt.includes(address),
      sendLimits: {
        maxLineBytes: this.limits.maxLineBytes,
        maxPasteBytes: this.limits.maxPasteBytes,
      },
      scheduleLimits: {
        maxSchedules: this.limits.maxSchedules,
        perAddress: this.limits.maxSchedulesPerAddress,
        bytesPerMinute: this.limits.scheduleBytesPerMinute,
      },
    });
    this.#input = options.replica?.input(this.room, this.#edge()) ?? new LocalInput(this.room);
    this.#sessionHost = {
      room: this.room,
      input: this.#input,
      limits: this.limits,
      send: (connection, event) => this.#fanout.send(connection.id, event),
      disconnect: (connection, reason) => this.disconnect(connection, reason),
      log: this.#log,
      monotonicNow: options.monotonicNow,
      admitJoin: (address) => this.#admitJoin(address, monotonicNow()),
    };
    if (options.password !== undefined) {
      const gate = new PasswordGate(options.password);
      this.#sessionHost.checkPassword = (address, guess) =>
        gate.check(address, guess, monotonicNow());
    }
    this.#listeners = options.listeners ?? [Deno.listen({
      hostname: options.hostname ?? "0.0.0.0",
      port: options.port ?? 9999,
      transport: "tcp",
      ...(options.reusePort ? { reusePort: true } : {}),
    })];
    this.#ticker = setInterval(() => this.#tick(), options.tickMs ?? 1000);
    this.#acceptLoops = this.#listeners.map((listener) => this.#accept(listener));
    this.#log("info", "listening", {
      address: `${this.address.hostname}:${this.address.port}`,
      ...this.limits,
      history: this.room.historySize,
      exempt: this.exempt.toString(),
      trustedProxy: this.trustedProxies.toString(),
      nickHoldDays: this.room.nickHoldMs / 86_400_000,
      ownerKey: this.room.ownerKey ?? "none",
      private: options.password !== undefined,
    });
  }

  get address(): Deno.NetAddr {
    return this.#listeners[0].addr as Deno.NetAddr;
  }

  get connectionCount(): number {
    return this.#sessions.size;
  }

  /** Bytes queued towards a member's connection and not yet taken by its socket. */
  queuedBytes(id: MemberId): number {
    return this.#fanout.connection(id)?.queuedBytes ?? 0;
  }

  async #accept(listener: ChatListener): Promise<void> {
    while (!this.#stopping) {
      let conn: Deno.Conn;
      try {
        conn = await listener.accept();
      } catch (error) {
        if (this.#stopping) return;
        // Out of file descriptors (EMFILE) and the like are passing: keep
        // accepting after a pause instead of going deaf for good.
        this.#log("error", "error", { where: "listener", error: String(error) });
        await new Promise((resolve) => setTimeout(resolve, ACCEPT_RETRY_MS));
        continue;
      }
      try {
        this.#admitConnection(conn);
      } catch (error) {
        this.#log("error", "error", { where: "accept", error: String(error) });
        try {
          conn.close();
        } catch { /* already closed */ }
      }
    }
  }

  #admitConnection(conn: Deno.Conn): void {
    (conn as Deno.TcpConn).setNoDelay?.(true);
    const peer = remoteIp(conn);
    if (!this.trustedProxies.includes(peer)) {
      this.attach(refusingProxyHeaders(conn, () => {
        this.#log("warn", "limit", { address: peer, limit: "untrusted-proxy-header" });
      }));
      return;
    }
    // The proxy's header says who the client is; the caps wait for it.
    if (this.#sessions.size + this.#awaitingHeader >= this.limits.maxConnections) {
      this.attach(conn);
      return;
    }
    this.#awaitingHeader++;
    acceptFromProxy(conn).then((result) => {
      this.#awaitingHeader--;
      if ("problem" in result) {
        this.#log("warn", "proxy", { proxy: peer, problem: result.problem });
      } else {
        this.attach(result.transport, peer);
      }
    }).catch((error) => {
      this.#log("error", "error", { where: "proxy", error: String(error) });
    });
  }

  /**
   * Admits a connection from any transport (a TCP socket, a browser's
   * WebSocket) under the same caps, and runs its session without awaiting
   * it. A connection over a cap is sent the refusal as one plain line and
   * closed; the result says which.
   */
  attach(
    transport: Transport,
    via?: string,
  ): { admitted: true } | { admitted: false; refusal: string } {
    const ip = remoteIp(transport);
    const refusal = this.#capRefusal(ip);
    if (refusal) {
      this.#log("info", "limit", { address: ip, limit: refusal.limit, via });
      transport.write(encodeLine(`${refusal.text}\r\n`)).catch(() => {}).finally(() => {
        try {
          transport.close();
        } catch { /* already closed */ }
      });
      return { admitted: false, refusal: refusal.text };
    }
    const connection = new Connection(this.#nextId++, transport, {
      limitBytes: this.limits.outboxBytes,
      stallMs: this.#stallMs,
      pacer: this.pacer,
      gate: this.#gate,
      onOverflow: (overflowing) => queueMicrotask(() => this.#overflowed(overflowing)),
    });
    this.#perIp.set(ip, (this.#perIp.get(ip) ?? 0) + 1);
    this.#fanout.add(connection);
    this.#log("debug", "connect", { id: connection.id, address: ip, via });
    const session = new Session(this.#sessionHost, connection);
    const done = session.run().finally(() => this.#ended(connection));
    this.#sessions.set(connection, done);
    return { admitted: true };
  }

  /** What a cluster node may do to the connections this server holds. */
  #edge(): NodeEdge {
    return {
      has: (id) => this.#fanout.connection(id) !== undefined,
      send: (id, event) => this.#fanout.send(id, event),
      close: (id, reason) => {
        const connection = this.#fanout.connection(id);
        if (!connection || connection.closing) return;
        this.#log("info", "disconnect", { id, reason });
        this.#fanout.unadmit(id);
        connection.finish({ type: "bye", at: Date.now(), reason }, SHUTDOWN_FLUSH_MS);
      },
      ids: () => [...this.#sessions.keys()].map((connection) => connection.id),
    };
  }

  #capRefusal(ip: string): { limit: string; text: string } | null {
    if (this.#stopping) return { limit: "stopping", text: "The server is shutting down." };
    if (this.#sessions.size + this.#awaitingHeader >= this.limits.maxConnections) {
      return { limit: "max-connections", text: "The server is full; try again later." };
    }
    const banned = this.room.bannedAddress(ip);
    if (banned) return { limit: "ban", text: banned };
    const fromIp = this.#perIp.get(ip) ?? 0;
    if (fromIp >= this.limits.maxPerIp && !this.exempt.includes(ip)) {
      return {
        limit: "max-per-ip",
        text: `Too many connections from your address (at most ${this.limits.maxPerIp}).`,
      };
    }
    return null;
  }

  /** A fresh join from `address` is about to succeed: null, or why it must wait. */
  #admitJoin(address: string, nowMs: number): { reason: string; wait: number } | null {
    if (this.exempt.includes(address)) return null;
    const wait = this.#joinRate.take(address, nowMs);
    if (wait === 0) return null;
    this.#log("info", "limit", { address, limit: "join-rate", wait });
    const { joinRate, joinRateSeconds } = this.limits;
    return {
      reason: `Too many joins from your address just now (at most ${joinRate} per ` +
        `${joinRateSeconds} s).`,
      wait,
    };
  }

  /** Ends a connection for a reason it is told; a member's leave is announced. */
  disconnect(connection: Connection, reason: string, graceMs = SHUTDOWN_FLUSH_MS): void {
    if (connection.closing) return;
    this.#log("info", "disconnect", {
      id: connection.id,
      nick: this.room.member(connection.id)?.nick,
      reason,
    });
    this.#fanout.unadmit(connection.id);
    connection.finish({ type: "bye", at: this.room.clock.now(), reason }, graceMs);
    this.#input.leave(connection.id, reason);
  }

  #overflowed(connection: Connection): void {
    // Its socket is not draining, so waiting long for the reason to flush is pointless.
    this.disconnect(
      connection,
      `Too slow: more than ${this.limits.outboxBytes} bytes of messages were waiting for you.`,
      OVERFLOW_GRACE_MS,
    );
  }

  #closeSoon(connection: Connection): void {
    connection.closeAfterFlush(SHUTDOWN_FLUSH_MS);
  }

  #ended(connection: Connection): void {
    // A reason queued for it (a limit, a kick) still goes out, within a bounded wait.
    this.#closeSoon(connection);
    this.#fanout.remove(connection);
    const ip = connection.remoteIp;
    const left = (this.#perIp.get(ip) ?? 1) - 1;
    if (left <= 0) this.#perIp.delete(ip);
    else this.#perIp.set(ip, left);
    this.#log("debug", "closed", { id: connection.id });
    try {
      this.#input.drop(connection.id);
    } catch (error) {
      this.#log("error", "error", { where: "drop", error: String(error) });
    }
    this.#sessions.delete(connection);
  }

  /** The data file stopped (or started again) taking writes: log it and tell the owner. */
  #storeHealth(health: StoreHealth): void {
    if (health.state === "failing") {
      this.#log("error", "store", { state: "failing", reason: health.reason });
      this.room?.tellOwner(
        `History is not being saved: ${health.reason}. The room goes on; it will be saved again when the disk allows.`,
      );
    } else {
      this.#log("info", "store", { state: "recovered" });
      this.room?.tellOwner("History is being saved again.");
    }
  }

  #tick(): void {
    let more = false;
    try {
      more = this.#input.tick();
    } catch (error) {
      this.#log("error", "error", { where: "tick", error: String(error) });
    }
    // More schedules are due than one tick sends: the rest follow shortly, paced.
    if (more && this.#catchUpTick === undefined && !this.#stopping) {
      this.#catchUpTick = setTimeout(() => {
        this.#catchUpTick = undefined;
        this.#tick();
      }, CATCH_UP_TICK_MS);
    }
  }

  /** Tells everyone the server is stopping, flushes (bounded), closes everything. */
  async shutdown(reason = "The server is shutting down."): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    this.#log("info", "shutdown", { connections: this.#sessions.size });
    clearInterval(this.#ticker);
    clearTimeout(this.#catchUpTick);
    for (const listener of this.#listeners) {
      try {
        listener.close();
      } catch { /* already closed */ }
    }
    await Promise.all(this.#acceptLoops);
    const at = this.room.clock.now();
    const connections = [...this.#sessions.keys()];
    for (const connection of connections) {
      this.#fanout.send(connection.id, { type: "bye", at, reason });
    }
    await Promise.all(connections.map((c) => c.closeAfterFlush(SHUTDOWN_FLUSH_MS)));
    await Promise.all(this.#sessions.values());
    this.room.store.close();
  }
}
