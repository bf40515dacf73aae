/**
 * One run's outcome as the report, the JSON lines file and the chart see it:
 * flat numeric metrics (so runs can be compared and medians taken key by
 * key), the correctness problems found, and the targets from the
 * performance issue checked against the figures.
 */

export type ScenarioName = "fanout" | "idle" | "join" | "soak" | "abuse";

/** A bound from the performance issue: `metric` must be at most `max`. */
export interface Target {
  metric: string;
  max: number;
}

export interface RunResult {
  scenario: ScenarioName;
  /** Short name of the case, e.g. "fanout 1000×600/s". */
  label: string;
  /** Numbers that describe the case rather than measure it. */
  params: Record<string, number>;
  metrics: Record<string, number>;
  /**
   * Lost or reordered messages, missing join announcements, a dropped honest
   * member, a dead server: each fails the bench.
   */
  problems: string[];
  /** Free-form remarks (generator saturation, what was pinned where). */
  notes: string[];
  targets: Target[];
  /** Samples over time, for the soak: seconds since start and the figures then. */
  series?: Record<string, number>[];
}

/** A result with nothing measured yet. */
export function newResult(
  scenario: ScenarioName,
  label: string,
  params: Record<string, number>,
  targets: Target[],
): RunResult {
  return { scenario, label, params, metrics: {}, problems: [], notes: [], targets };
}

/** Records what went wrong with deliveries: any of these fails the bench. */
export function noteDeliveryProblems(
  result: RunResult,
  counts: { lost?: number; expected?: number; disordered?: number; closed: number },
): void {
  if (counts.lost) result.problems.push(`${counts.lost} deliveries lost of ${counts.expected}`);
  if (counts.disordered) {
    result.problems.push(`${counts.disordered} deliveries duplicated or out of order`);
  }
  if (counts.closed > 0) {
    result.problems.push(`the server closed ${counts.closed} member connections`);
  }
}

/** A target's verdict: met, missed, or not measured. */
export function verdict(result: RunResult, target: Target): "met" | "missed" | "n/a" {
  const value = result.metrics[target.metric];
  if (value === undefined || Number.isNaN(value)) return "n/a";
  return value <= target.max ? "met" : "missed";
}

/** Correctness counts, where the worst run speaks for all. */
const WORST_OF = new Set([
  "lost",
  "disordered",
  "gaps",
  "closed",
  "joinsMissing",
  "registerFailed",
  "honestDropped",
  "liveLost",
  "tooSlow",
]);

/**
 * The median of each metric over repeated runs of one case (the maximum for
 * correctness counts); problems and notes are pooled.
 */
export function medianOf(runs: RunResult[]): RunResult {
  if (runs.length === 1) return runs[0];
  const metrics: Record<string, number> = {};
  for (const key of Object.keys(runs[0].metrics)) {
    const values = runs.map((run) => run.metrics[key]).filter((value) => value !== undefined)
      .sort((a, b) => a - b);
    if (WORST_OF.has(key)) {
      metrics[key] = values[values.length - 1];
      continue;
    }
    const middle = Math.floor(values.length / 2);
    metrics[key] = values.length % 2 === 1
      ? values[middle]
      : (values[middle - 1] + values[middle]) / 2;
  }
  return {
    ...runs[0],
    metrics,
    problems: [...new Set(runs.flatMap((run) => run.problems))],
    notes: [...new Set(runs.flatMap((run) => run.notes))],
    series: runs[runs.length - 1].series,
  };
}
