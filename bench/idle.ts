/**
 * The idle scenario: N members connect, register and then say nothing.
 * Measures what each idle connection costs the server in resident memory,
 * (RSS after the room has settled − RSS before anyone connected) / N.
 */
import { readProc } from "./proc_stats.ts";
import { newResult, noteDeliveryProblems, type RunResult, type Target } from "./result.ts";
import { type BenchContext, BenchRoom, expectedJoins, sleep } from "./room.ts";

export interface IdleParams {
  members: number;
  concurrency: number;
  /** Seconds to let the server settle (and collect garbage) before measuring. */
  settleS: number;
}

export async function runIdle(
  context: BenchContext,
  params: IdleParams,
  targets: Target[],
): Promise<RunResult> {
  const label = `idle ${params.members}`;
  const result = newResult("idle", label, { ...params }, targets);
  context.progress(`${label}: starting the server and ${params.members} members`);
  const room = await BenchRoom.open(context, params.members, 0);
  try {
    await sleep(500);
    const before = readProc(room.server.pid);
    const joined = await room.join(params.concurrency, "i");
    if (joined.failed > 0) {
      result.problems.push(`${joined.failed} members failed to register: ${joined.errors[0]}`);
    }
    const members = joined.registered;
    const joins = await room.waitForJoins(
      expectedJoins(members),
      30_000 + expectedJoins(members) / 1000,
    );
    if (joins < expectedJoins(members)) {
      result.problems.push(`${expectedJoins(members) - joins} join announcements never arrived`);
    }
    // RSS shrinks as the garbage of the join storm is collected; take the lowest of a few samples.
    await sleep(params.settleS * 1000 / 2);
    let rss = Infinity;
    for (let sample = 0; sample < 5; sample++) {
      rss = Math.min(rss, readProc(room.server.pid)?.rssBytes ?? Infinity);
      await sleep(params.settleS * 1000 / 10);
    }
    const after = readProc(room.server.pid);
    const stats = await room.pool.stats();
    const base = before?.rssBytes ?? 0;
    Object.assign(result.metrics, {
      members,
      joinS: joined.seconds,
      joinsMissing: expectedJoins(members) - joins,
      serverRssBeforeMB: base / 2 ** 20,
      serverRssMB: rss / 2 ** 20,
      serverRssPeakMB: (after?.hwmBytes ?? 0) / 2 ** 20,
      kbPerConnection: members > 0 ? (rss - base) / members / 1024 : NaN,
      closed: stats.closed,
    });
    noteDeliveryProblems(result, { closed: stats.closed });
  } finally {
    await room.close(result);
  }
  return result;
}
