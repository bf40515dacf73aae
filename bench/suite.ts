/**
 * The cases `deno task bench` runs: the full suite, whose sizes and targets
 * come from the performance issue (and, for abuse, issue 11), and the quick
 * suite, the same scenarios at tiny sizes for CI's smoke test.
 */
import type { AbuseParams } from "./abuse.ts";
import type { FanoutParams } from "./fanout.ts";
import type { IdleParams } from "./idle.ts";
import type { JoinParams } from "./join_storm.ts";
import type { Target } from "./result.ts";
import type { SoakParams } from "./soak.ts";

export type BenchCase =
  | { scenario: "fanout"; params: FanoutParams; targets: Target[] }
  | { scenario: "idle"; params: IdleParams; targets: Target[] }
  | { scenario: "join"; params: JoinParams; targets: Target[] }
  | { scenario: "soak"; params: SoakParams; targets: Target[] }
  | { scenario: "abuse"; params: AbuseParams; targets: Target[] };

const CORRECT: Target[] = [{ metric: "lost", max: 0 }, { metric: "disordered", max: 0 }];
/** No honest member who reads is dropped, whatever the attack. */
const HONEST_KEPT: Target = { metric: "honestDropped", max: 0 };

export const FULL_SUITE: BenchCase[] = [
  {
    scenario: "fanout",
    params: { members: 100, senders: 10, rate: 100, durationS: 10, concurrency: 50 },
    targets: [{ metric: "p99Ms", max: 3 }, ...CORRECT],
  },
  {
    scenario: "fanout",
    params: { members: 100, senders: 10, rate: 6000, durationS: 10, concurrency: 50 },
    targets: [{ metric: "cpuPerDeliveryUs", max: 0.7 }, { metric: "p99Ms", max: 15 }, ...CORRECT],
  },
  {
    scenario: "fanout",
    params: { members: 1000, senders: 10, rate: 600, durationS: 10, concurrency: 50 },
    targets: [{ metric: "cpuPerDeliveryUs", max: 1.0 }, { metric: "p99Ms", max: 50 }, ...CORRECT],
  },
  {
    scenario: "fanout",
    params: { members: 10000, senders: 10, rate: 10, durationS: 10, concurrency: 100 },
    targets: [{ metric: "p99Ms", max: 100 }, { metric: "serverRssPeakMB", max: 150 }, ...CORRECT],
  },
  {
    scenario: "idle",
    params: { members: 10000, concurrency: 100, settleS: 5 },
    targets: [{ metric: "kbPerConnection", max: 10 }],
  },
  {
    scenario: "join",
    params: { members: 1000, concurrency: 50 },
    targets: [{ metric: "joinS", max: 0.5 }, { metric: "joinsMissing", max: 0 }],
  },
  {
    scenario: "soak",
    params: { members: 100, senders: 10, rate: 1000, durationS: 60, sampleS: 5 },
    // "Flat": our reading of the issue is under 1 MB a minute of RSS growth and
    // CPU per delivery within 20 % of where it started.
    targets: [
      { metric: "rssSlopeMBPerMin", max: 1 },
      { metric: "cpuDriftPct", max: 20 },
      ...CORRECT,
    ],
  },
  {
    scenario: "abuse",
    // A bomb as big as the room-wide cap allows (1000 × 3 KB due at once), a
    // hoard up to that cap, and 8 resumers asking for all of a full store.
    params: {
      honest: 4,
      liveRate: 20,
      calmS: 2,
      bombNicks: 50,
      bombPerNick: 20,
      bombBytes: 3000,
      bombLeadS: 5,
      maxSchedules: 1000,
      hoardPerNick: 50,
      hoardBytes: 4000,
      resumeEvents: 100_000,
      resumers: 8,
    },
    targets: [
      { metric: "liveP99Ms", max: 1000 },
      { metric: "resumeRssGrowthMB", max: 50 },
      { metric: "userMs", max: 100 },
      HONEST_KEPT,
    ],
  },
];

export const QUICK_SUITE: BenchCase[] = [
  {
    scenario: "fanout",
    params: { members: 20, senders: 4, rate: 200, durationS: 1, concurrency: 10 },
    targets: CORRECT,
  },
  {
    scenario: "fanout",
    params: { members: 300, senders: 3, rate: 30, durationS: 1, concurrency: 50 },
    targets: CORRECT,
  },
  { scenario: "idle", params: { members: 200, concurrency: 50, settleS: 0.5 }, targets: [] },
  {
    scenario: "join",
    params: { members: 100, concurrency: 20 },
    targets: [{ metric: "joinsMissing", max: 0 }],
  },
  {
    scenario: "soak",
    params: { members: 20, senders: 4, rate: 200, durationS: 2, sampleS: 1 },
    targets: CORRECT,
  },
  {
    scenario: "abuse",
    params: {
      honest: 3,
      liveRate: 20,
      calmS: 0.3,
      bombNicks: 4,
      bombPerNick: 10,
      bombBytes: 2000,
      bombLeadS: 1,
      maxSchedules: 60,
      hoardPerNick: 25,
      hoardBytes: 1000,
      resumeEvents: 2000,
      resumers: 2,
    },
    targets: [HONEST_KEPT],
  },
];
