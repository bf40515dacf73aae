/**
 * The join storm: N members connect and register with a fixed number of
 * registrations in flight. Measures the time from the first connect to the
 * last welcome, and checks that every join was still announced to every
 * member already in the room.
 */
import { newResult, type RunResult, type Target } from "./result.ts";
import { type BenchContext, BenchRoom, expectedJoins } from "./room.ts";

export interface JoinParams {
  members: number;
  concurrency: number;
}

export async function runJoinStorm(
  context: BenchContext,
  params: JoinParams,
  targets: Target[],
): Promise<RunResult> {
  const label = `join ${params.members} (${params.concurrency} in flight)`;
  const result = newResult("join", label, { ...params }, targets);
  context.progress(`${label}: starting the server`);
  const room = await BenchRoom.open(context, params.members, 0);
  try {
    const joined = await room.join(params.concurrency, "j");
    if (joined.failed > 0) {
      result.problems.push(`${joined.failed} members failed to register: ${joined.errors[0]}`);
    }
    const members = joined.registered;
    const announced = await room.waitForJoins(expectedJoins(members), 10_000);
    Object.assign(result.metrics, {
      members,
      registerFailed: joined.failed,
      joinS: joined.seconds,
      joinsPerS: members / joined.seconds,
      registerP50Ms: joined.registerLatency.quantile(0.5) / 1000,
      registerP99Ms: joined.registerLatency.quantile(0.99) / 1000,
      joinsAnnounced: announced,
      joinsMissing: expectedJoins(members) - announced,
      serverRssPeakMB: room.serverPeakRss() / 2 ** 20,
    });
    if (announced < expectedJoins(members)) {
      result.problems.push(
        `${expectedJoins(members) - announced} of ${
          expectedJoins(members)
        } join announcements never arrived`,
      );
    }
  } finally {
    await room.close(result);
  }
  return result;
}
