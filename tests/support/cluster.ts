/**
 * Test support: cluster nodes in this process, each a real `ChatServer` on a
 * loopback port with its own `ClusterNode` and Redis connections, wired as
 * `chat serve --redis` wires them (server/serve.ts). Much faster to start
 * than processes; tests/cluster_process_test.ts runs real ones.
 */
import { ChatServer, DEFAULT_EXEMPT } from "../../server/chat_server.ts";
import { ClusterNode, type ClusterOptions } from "../../server/cluster_node.ts";
import type { Limits } from "../../protocol/limits.ts";
import { snapshotRoom } from "../../server/room_snapshot.ts";
import type { RedisServer } from "./redis_server.ts";

export interface TestNodeOptions extends Partial<Omit<ClusterOptions, "redisUrl" | "settings">> {
  historySize?: number;
  /** The room's resume grace (60 s in `chat serve`); every node of a room must share it. */
  resumeGraceMs?: number;
  limits?: Partial<Limits>;
  /** `--owner-key`: every node of a room must share it. */
  ownerKey?: string;
}

/** One node: its server (port, room) and its cluster side. */
export class TestNode implements AsyncDisposable {
  readonly server: ChatServer;
  readonly node: ClusterNode;
  #closed = false;

  private constructor(server: ChatServer, node: ClusterNode) {
    this.server = server;
    this.node = node;
  }

  static async start(redis: RedisServer, options: TestNodeOptions = {}): Promise<TestNode> {
    const historySize = options.historySize ?? 50;
    const limits = { rate: 0, ...options.limits };
    const node = await ClusterNode.open({
      redisUrl: redis.url,
      room: options.room ?? "test",
      nodeTimeoutMs: options.nodeTimeoutMs ?? 1_000,
      beatMs: options.beatMs ?? 100,
      snapshotEvery: options.snapshotEvery,
      maxEntries: options.maxEntries,
      commandTimeoutMs: options.commandTimeoutMs,
      log: options.log,
      settings: {
        historySize,
        maxSchedules: 1000,
        maxSchedulesPerAddress: 20,
        scheduleBytesPerMinute: 65536,
        nickHoldDays: 30,
        ownerKey: options.ownerKey ?? null,
        exempt: DEFAULT_EXEMPT,
      },
    });
    const server = new ChatServer({
      hostname: "127.0.0.1",
      port: 0,
      historySize,
      limits,
      resumeGraceMs: options.resumeGraceMs,
      // The server's own timer runs often: were a cluster node to tick its room by it
      // rather than through the log, the nodes' rooms would soon differ.
      tickMs: 25,
      store: node.store,
      clock: node.clock,
      newToken: node.newToken,
      state: node.state,
      replica: node,
      ownerKey: options.ownerKey,
      log: options.log,
    });
    node.start();
    return new TestNode(server, node);
  }

  get port(): number {
    return this.server.address.port;
  }

  /** The node's copy of the room as canonical JSON (keys sorted), to compare copies. */
  snapshot(): string {
    return canonical(JSON.parse(snapshotRoom(this.server.room, this.node.store)));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.server.shutdown();
    await this.node.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** Starts `count` nodes on one Redis. */
export async function startNodes(
  redis: RedisServer,
  count: number,
  options: TestNodeOptions = {},
): Promise<TestNode[] & AsyncDisposable> {
  const nodes: TestNode[] = [];
  try {
    for (let i = 0; i < count; i++) nodes.push(await TestNode.start(redis, options));
  } catch (error) {
    await Promise.all(nodes.map((node) => node.close()));
    throw error;
  }
  return Object.assign(nodes, {
    [Symbol.asyncDispose]: async () => {
      await Promise.all(nodes.map((node) => node.close()));
    },
  });
}

/** Waits until every node has applied the whole log (as it stands when called). */
export async function settle(nodes: TestNode[], timeoutMs = 5_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  // Whatever is in flight lands first: a short pause, then the log's end as it is.
  await new Promise((resolve) => setTimeout(resolve, 50));
  const end = await nodes[0].node.logEnd();
  while (nodes.some((node) => node.node.position < end)) {
    if (Date.now() > deadline) {
      throw new Error(
        `Nodes did not reach seq ${end}: ${nodes.map((node) => node.node.position).join(", ")}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Polls until `condition` holds, failing after `timeoutMs`. */
export async function until(
  condition: () => boolean,
  what: string,
  timeoutMs = 5_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`Timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** JSON with object keys sorted, so two equal values print alike. */
export function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, inner) => {
    if (inner === null || typeof inner !== "object" || Array.isArray(inner)) return inner;
    return Object.fromEntries(Object.entries(inner).sort(([a], [b]) => a < b ? -1 : 1));
  });
}
