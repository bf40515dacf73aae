/**
 * The soak: a steady fan-out load for a longer time, sampling the server's
 * RSS and CPU every few seconds. Memory and CPU per delivery should stay
 * flat; growth per message would show as a rising RSS slope or a CPU cost
 * per delivery that climbs from the first samples to the last.
 */
import { nowMicros } from "./clock.ts";
import { noteGenerator } from "./fanout.ts";
import { Histogram, latencyFigures } from "./histogram.ts";
import { readMachineBusy, readProc } from "./proc_stats.ts";
import { newResult, noteDeliveryProblems, type RunResult, type Target } from "./result.ts";
import { type BenchContext, BenchRoom, expectedJoins, sleep } from "./room.ts";

export interface SoakParams {
  members: number;
  senders: number;
  rate: number;
  durationS: number;
  sampleS: number;
}

export async function runSoak(
  context: BenchContext,
  params: SoakParams,
  targets: Target[],
): Promise<RunResult> {
  const label = `soak ${params.members}×${params.rate}/s ${params.durationS} s`;
  const senders = Math.min(params.senders, params.members);
  const series: Record<string, number>[] = [];
  const result: RunResult = {
    ...newResult("soak", label, { ...params, senders }, targets),
    series,
  };
  context.progress(`${label}: starting the server and ${params.members} members`);
  const room = await BenchRoom.open(context, params.members, senders);
  try {
    const joined = await room.join(100, "s");
    if (joined.failed > 0) {
      result.problems.push(`${joined.failed} members failed to register: ${joined.errors[0]}`);
    }
    const members = joined.registered;
    await room.waitForJoins(expectedJoins(members), 30_000);
    await room.pool.stats(true);
    const plan = room.counts.map(() => [] as { sender: number; member: number }[]);
    for (let sender = 0; sender < senders; sender++) {
      const place = room.place(Math.floor(sender * params.members / senders));
      plan[place.worker].push({ sender, member: place.local });
    }
    const startMicros = nowMicros() + 200_000;
    const sending = room.pool.each((worker) => ({
      op: "send",
      senders: plan[worker],
      ratePerSender: params.rate / senders,
      startMicros,
      durationMs: params.durationS * 1000,
    }));
    let done = false;
    sending.finally(() => done = true);
    const overall = new Histogram();
    const server0 = readProc(room.server.pid);
    const generator0 = room.pool.cpuSeconds();
    const machine0 = readMachineBusy();
    let previous = {
      cpu: readProc(room.server.pid)?.cpuSeconds ?? 0,
      received: 0,
      generator: room.pool.cpuSeconds(),
    };
    const samples = Math.ceil(params.durationS / params.sampleS);
    await sleep(200);
    for (let index = 1; index <= samples && !done && !room.server.exited; index++) {
      await sleep(params.sampleS * 1000);
      const proc = readProc(room.server.pid);
      const stats = await room.pool.stats(true);
      overall.merge(stats.latency.toSparse());
      if (proc === null) break;
      const generator = room.pool.cpuSeconds();
      const deliveries = stats.received - previous.received;
      series.push({
        atS: (nowMicros() - startMicros) / 1e6,
        rssMB: proc.rssBytes / 2 ** 20,
        cpuS: proc.cpuSeconds - previous.cpu,
        deliveries,
        cpuPerDeliveryUs: deliveries > 0
          ? (proc.cpuSeconds - previous.cpu) * 1e6 / deliveries
          : NaN,
        p99Ms: stats.latency.quantile(0.99) / 1000,
        generatorCpuPct: 100 * (generator - previous.generator) / params.sampleS,
      });
      context.progress(
        `${label}: ${series.at(-1)!.atS.toFixed(0)} s rss ${proc.rssBytes / 2 ** 20 | 0} MB, ` +
          `${series.at(-1)!.cpuPerDeliveryUs.toFixed(2)} µs/delivery`,
      );
      previous = { cpu: proc.cpuSeconds, received: stats.received, generator };
    }
    const replies = await sending;
    let sent = 0;
    for (const reply of replies) {
      if (reply.op === "sent") sent += reply.counts.reduce((a, b) => a + b, 0);
    }
    const drainDeadline = performance.now() + 5000;
    let stats = await room.pool.stats();
    while (stats.received < sent * members && performance.now() < drainDeadline) {
      await sleep(50);
      stats = await room.pool.stats();
    }
    overall.merge(stats.latency.toSparse());
    const server1 = readProc(room.server.pid);
    const generator1 = room.pool.cpuSeconds();
    const wallSeconds = (nowMicros() - startMicros) / 1e6;
    const machine1 = readMachineBusy();
    const serverCpu = (server1?.cpuSeconds ?? NaN) - (server0?.cpuSeconds ?? NaN);
    const generatorCpu = generator1 - generator0;
    const activeSeconds = Math.max(1e-3, stats.lastReceiveMicros - startMicros) / 1e6;
    const lost = Math.max(0, sent * members - stats.received);
    Object.assign(result.metrics, flatness(series), {
      members,
      sent,
      lost,
      disordered: stats.disordered,
      closed: stats.closed,
      serverRssPeakMB: room.serverPeakRss() / 2 ** 20,
      delivered: stats.received,
      deliveredPerS: stats.received / activeSeconds,
      ...latencyFigures(overall),
      serverCpuS: serverCpu,
      cpuPerDeliveryUs: serverCpu * 1e6 / stats.received,
      generatorCpuPct: 100 * generatorCpu / wallSeconds,
      softirqCores: (machine1.softirq - machine0.softirq) / wallSeconds,
      otherCores: (machine1.busy - machine0.busy - serverCpu - generatorCpu) / wallSeconds,
    });
    noteGenerator(context, result);
    noteDeliveryProblems(result, {
      lost,
      expected: sent * members,
      disordered: stats.disordered,
      closed: stats.closed,
    });
  } finally {
    await room.close(result);
  }
  return result;
}

/**
 * RSS slope (least squares, MB per minute) and CPU-per-delivery drift (the
 * last third of the samples against the first third, in percent). The first
 * sample is left out of both: it holds the server's JIT warm-up.
 */
function flatness(series: Record<string, number>[]): Record<string, number> {
  const steady = series.length > 3 ? series.slice(1) : series;
  const third = Math.max(1, Math.floor(steady.length / 3));
  const cpuFirst = mean(steady.slice(0, third).map((sample) => sample.cpuPerDeliveryUs));
  const cpuLast = mean(steady.slice(-third).map((sample) => sample.cpuPerDeliveryUs));
  return {
    rssFirstMB: steady[0]?.rssMB ?? NaN,
    rssLastMB: steady.at(-1)?.rssMB ?? NaN,
    rssSlopeMBPerMin: slope(steady.map((sample) => [sample.atS / 60, sample.rssMB])),
    cpuPerDeliveryFirstUs: cpuFirst,
    cpuPerDeliveryLastUs: cpuLast,
    cpuDriftPct: 100 * (cpuLast / cpuFirst - 1),
  };
}

function mean(values: number[]): number {
  const finite = values.filter(Number.isFinite);
  return finite.length === 0 ? NaN : finite.reduce((a, b) => a + b, 0) / finite.length;
}

function slope(points: number[][]): number {
  if (points.length < 2) return NaN;
  const mx = mean(points.map((point) => point[0]));
  const my = mean(points.map((point) => point[1]));
  let num = 0;
  let den = 0;
  for (const [x, y] of points) {
    num += (x - mx) * (y - my);
    den += (x - mx) ** 2;
  }
  return den === 0 ? NaN : num / den;
}
