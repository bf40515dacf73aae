/**
 * The fan-out scenario: M members in one room, S of them sending paced bench
 * messages at a combined offered rate for a fixed time; every member receives
 * every message. Measures delivery rate, latency, loss and order, and the
 * server's CPU per delivery and peak memory.
 */
import { latencyFigures } from "./histogram.ts";
import { describeThreadCpu, readMachineBusy, readProc, readThreadCpu } from "./proc_stats.ts";
import { newResult, noteDeliveryProblems, type RunResult, type Target } from "./result.ts";
import { type BenchContext, BenchRoom, expectedJoins, sleep } from "./room.ts";
import { nowMicros } from "./clock.ts";

export interface FanoutParams {
  members: number;
  senders: number;
  /** Messages a second offered by all senders together. */
  rate: number;
  durationS: number;
  /** Registrations in flight while the room fills. */
  concurrency: number;
}

/** How long receivers may take to catch up after the last send before the rest counts as lost. */
const DRAIN_TIMEOUT_MS = 5_000;

export async function runFanout(
  context: BenchContext,
  params: FanoutParams,
  targets: Target[],
  label = `fanout ${params.members}×${params.rate}/s${
    context.webShare > 0 ? `, ${Math.round(context.webShare * 100)} % WebSocket` : ""
  }${
    context.nodes > 1 ? `, ${context.nodes} nodes${context.reusePort ? " on one port" : ""}` : ""
  }`,
): Promise<RunResult> {
  const senders = Math.min(params.senders, params.members);
  const result = newResult("fanout", label, { ...params, senders }, targets);
  context.progress(`${label}: starting the server and ${params.members} members`);
  const room = await BenchRoom.open(context, params.members, senders);
  try {
    const joined = await room.join(params.concurrency, "b");
    if (joined.failed > 0) {
      result.problems.push(`${joined.failed} members failed to register: ${joined.errors[0]}`);
    }
    const members = joined.registered;
    const joinTimeout = 30_000 + expectedJoins(members) / 1000;
    const joins = await room.waitForJoins(expectedJoins(members), joinTimeout);
    result.metrics.joinS = joined.seconds;
    result.metrics.joinsMissing = expectedJoins(members) - joins;
    if (joins < expectedJoins(members)) {
      result.problems.push(`${expectedJoins(members) - joins} join announcements never arrived`);
    }
    await room.pool.stats(true);

    // Sender j is global member floor(j × M / S), spread across the workers.
    const plan = room.counts.map(() => [] as { sender: number; member: number }[]);
    for (let sender = 0; sender < senders; sender++) {
      const place = room.place(Math.floor(sender * params.members / senders));
      plan[place.worker].push({ sender, member: place.local });
    }
    const server0 = readProc(room.server.pid);
    const nodes0 = room.servers.map((server) => readProc(server.pid)?.cpuSeconds ?? NaN);
    const redis0 = room.redis?.pid ? readProc(room.redis.pid)?.cpuSeconds ?? NaN : NaN;
    const threads0 = readThreadCpu(room.server.pid);
    const machine0 = readMachineBusy();
    const generator0 = room.pool.cpuSeconds();
    const startMicros = nowMicros() + 200_000;
    context.progress(
      `${label}: ${senders} senders, ${params.rate} msg/s for ${params.durationS} s`,
    );
    let rssPeakDuringSend = 0;
    let sampling = true;
    const sampler = (async () => {
      while (sampling) {
        rssPeakDuringSend = Math.max(rssPeakDuringSend, readProc(room.server.pid)?.rssBytes ?? 0);
        await sleep(250);
      }
    })();
    const replies = await room.pool.each((worker) => ({
      op: "send",
      senders: plan[worker],
      ratePerSender: params.rate / senders,
      startMicros,
      durationMs: params.durationS * 1000,
    }));
    let sent = 0;
    let lagMaxMs = 0;
    const sentBySender: number[] = new Array(senders).fill(0);
    replies.forEach((reply, worker) => {
      if (reply.op !== "sent") return;
      reply.counts.forEach((count, slot) => {
        sentBySender[plan[worker][slot].sender] = count;
        sent += count;
      });
      lagMaxMs = Math.max(lagMaxMs, reply.lagMaxMs);
    });
    const expected = sent * members;

    // Wait for the receivers to catch up.
    const drainDeadline = performance.now() + DRAIN_TIMEOUT_MS;
    let stats = await room.pool.stats();
    while (stats.received < expected && performance.now() < drainDeadline && !room.server.exited) {
      await sleep(50);
      stats = await room.pool.stats();
    }
    const endMicros = nowMicros();
    const server1 = readProc(room.server.pid);
    const nodeCpu = room.servers.map((server, node) =>
      (readProc(server.pid)?.cpuSeconds ?? NaN) - nodes0[node]
    );
    const redisCpu = room.redis?.pid ? (readProc(room.redis.pid)?.cpuSeconds ?? NaN) - redis0 : NaN;
    result.notes.push(
      `server CPU by thread: ${describeThreadCpu(threads0, readThreadCpu(room.server.pid))}`,
    );
    const generator1 = room.pool.cpuSeconds();
    const machine1 = readMachineBusy();
    sampling = false;
    await sampler;

    const latency = stats.latency;
    let lost = 0;
    sentBySender.forEach((count, sender) => {
      lost += Math.max(0, count * members - (stats.receivedBySender[sender] ?? 0));
    });
    const activeSeconds = Math.max(1e-3, (stats.lastReceiveMicros || endMicros) - startMicros) /
      1e6;
    const wallSeconds = (endMicros - startMicros) / 1e6 + 0.2;
    const serverCpu = room.servers.length > 1
      ? nodeCpu.reduce((a, b) => a + b, 0)
      : server0 && server1
      ? server1.cpuSeconds - server0.cpuSeconds
      : NaN;
    if (room.servers.length > 1) {
      // Node n holds the members of workers n, n + N, ...: its share of the deliveries.
      const share = room.servers.map((_, node) =>
        room.counts.filter((_, worker) => worker % room.servers.length === node)
          .reduce((a, b) => a + b, 0) / members
      );
      nodeCpu.forEach((cpu, node) => {
        result.metrics[`node${node}CpuS`] = cpu;
        result.metrics[`node${node}CpuPerDeliveryUs`] = cpu * 1e6 /
          Math.max(1, stats.received * share[node]);
      });
      result.metrics.redisCpuS = redisCpu;
      result.notes.push(
        `CPU per node${context.reusePort ? " (deliveries split evenly: the kernel chose)" : ""}: ${
          nodeCpu.map((cpu, node) =>
            `node ${node} ${cpu.toFixed(2)} s (${
              (cpu * 1e6 / Math.max(1, stats.received * share[node])).toFixed(2)
            } µs per delivery to its members)`
          ).join(", ")
        }; redis-server ${redisCpu.toFixed(2)} s`,
      );
    }
    const generatorCpu = generator1 - generator0;
    Object.assign(result.metrics, {
      members,
      sent,
      expected,
      delivered: stats.received,
      deliveredPerS: stats.received / activeSeconds,
      ...latencyFigures(latency),
      lost,
      disordered: stats.disordered,
      gaps: stats.gaps,
      closed: stats.closed,
      serverRssPeakMB: (server1?.hwmBytes ?? room.serverPeakRss()) / 2 ** 20,
      serverRssSendPeakMB: rssPeakDuringSend / 2 ** 20,
      serverCpuS: serverCpu,
      cpuPerDeliveryUs: stats.received > 0 ? serverCpu * 1e6 / stats.received : NaN,
      generatorCpuS: generatorCpu,
      generatorCpuPct: 100 * generatorCpu / wallSeconds,
      // Everything else the machine did meanwhile (other people's builds and tests), in cores.
      softirqCores: (machine1.softirq - machine0.softirq) / wallSeconds,
      otherCores: (machine1.busy - machine0.busy - serverCpu - generatorCpu) / wallSeconds,
      sendLagMaxMs: lagMaxMs,
      generatorLoopLagP99Ms: stats.loopLag.quantile(0.99) / 1000,
      generatorLoopLagMaxMs: stats.loopLag.max / 1000,
    });
    noteGenerator(context, result);
    noteDeliveryProblems(result, {
      lost,
      expected,
      disordered: stats.disordered,
      closed: stats.closed,
    });
  } finally {
    await room.close(result);
  }
  return result;
}

/** Flags a generator that used most of its cores: then the figures measure it, not the server. */
export function noteGenerator(context: BenchContext, result: RunResult): void {
  // Loopback TCP work the kernel does in softirq is charged partly to no process.
  const others = result.metrics.otherCores;
  const softirq = result.metrics.softirqCores;
  if (others - softirq > 0.2) {
    result.notes.push(
      `outside the server and generator the machine used ${others.toFixed(2)} cores ` +
        `(${
          softirq.toFixed(2)
        } of it kernel softirq): other processes were running; figures are noisier`,
    );
  }
  const pct = result.metrics.generatorCpuPct;
  if (pct >= 90 * context.generatorCores) {
    result.notes.push(
      `load generator saturated (${
        pct.toFixed(0)
      } % of ${context.generatorCores} core(s)): latency includes generator queueing`,
    );
  }
}
