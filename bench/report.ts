/**
 * The bench's report: a table on the console, one JSON line per run in
 * bench/results/latest.jsonl, and the target verdicts in words.
 */
import { type RunResult, type Target, verdict } from "./result.ts";

/** How each metric is written in tables: its short name, unit and decimals. */
const METRIC_FORMAT: Record<string, { name: string; unit: string; digits: number }> = {
  deliveredPerS: { name: "delivered/s", unit: "", digits: 0 },
  p50Ms: { name: "p50", unit: " ms", digits: 2 },
  p95Ms: { name: "p95", unit: " ms", digits: 2 },
  p99Ms: { name: "p99", unit: " ms", digits: 2 },
  maxMs: { name: "max", unit: " ms", digits: 1 },
  lost: { name: "lost", unit: "", digits: 0 },
  disordered: { name: "dup/reordered", unit: "", digits: 0 },
  serverRssPeakMB: { name: "server peak RSS", unit: " MB", digits: 1 },
  serverCpuS: { name: "server CPU", unit: " s", digits: 2 },
  cpuPerDeliveryUs: { name: "CPU/delivery", unit: " µs", digits: 3 },
  generatorCpuPct: { name: "generator CPU", unit: " %", digits: 0 },
  joinS: { name: "join time", unit: " s", digits: 3 },
  joinsMissing: { name: "joins unannounced", unit: "", digits: 0 },
  kbPerConnection: { name: "per connection", unit: " KB", digits: 2 },
  rssSlopeMBPerMin: { name: "RSS slope", unit: " MB/min", digits: 2 },
  cpuDriftPct: { name: "CPU/delivery drift", unit: " %", digits: 1 },
  liveP99Ms: { name: "live p99 under attack", unit: " ms", digits: 1 },
  resumeRssGrowthMB: { name: "RSS growth in the resume storm", unit: " MB", digits: 1 },
  userMs: { name: "/user during the resume storm", unit: " ms", digits: 1 },
  honestDropped: { name: "honest members dropped", unit: "", digits: 0 },
};

export function formatMetric(key: string, value: number | undefined): string {
  if (value === undefined || Number.isNaN(value)) return "–";
  const format = METRIC_FORMAT[key];
  const digits = format?.digits ?? 2;
  return `${value.toFixed(digits)}${format?.unit ?? ""}`;
}

export function metricName(key: string): string {
  return METRIC_FORMAT[key]?.name ?? key;
}

/** "p99 12.30 ms ≤ 50 ms: met" */
export function describeTarget(result: RunResult, target: Target): string {
  const value = result.metrics[target.metric];
  return `${metricName(target.metric)} ${formatMetric(target.metric, value)} ≤ ${
    formatMetric(target.metric, target.max)
  }: ${verdict(result, target)}`;
}

/** Column key, header, and which metric fills it (per scenario, the most telling one). */
const COLUMNS: { header: string; cell: (result: RunResult) => string }[] = [
  { header: "case", cell: (result) => result.label },
  {
    header: "delivered/s",
    cell: (result) => formatMetric("deliveredPerS", result.metrics.deliveredPerS),
  },
  { header: "p50 ms", cell: (result) => number(result.metrics.p50Ms, 2) },
  { header: "p95 ms", cell: (result) => number(result.metrics.p95Ms, 2) },
  { header: "p99 ms", cell: (result) => number(result.metrics.p99Ms, 2) },
  { header: "max ms", cell: (result) => number(result.metrics.maxMs, 1) },
  { header: "lost", cell: (result) => number(result.metrics.lost, 0) },
  { header: "dup/ooo", cell: (result) => number(result.metrics.disordered, 0) },
  { header: "srv RSS MB", cell: (result) => number(result.metrics.serverRssPeakMB, 1) },
  { header: "srv CPU s", cell: (result) => number(result.metrics.serverCpuS, 2) },
  { header: "µs/deliv", cell: (result) => number(result.metrics.cpuPerDeliveryUs, 3) },
  { header: "gen CPU %", cell: (result) => number(result.metrics.generatorCpuPct, 0) },
  { header: "gen lag p99", cell: (result) => number(result.metrics.generatorLoopLagP99Ms, 1) },
  { header: "other", cell: other },
];

function number(value: number | undefined, digits: number): string {
  return value === undefined || Number.isNaN(value) ? "–" : value.toFixed(digits);
}

function other(result: RunResult): string {
  const m = result.metrics;
  switch (result.scenario) {
    case "fanout":
      return `join ${number(m.joinS, 2)} s`;
    case "idle":
      return `${number(m.kbPerConnection, 2)} KB/conn`;
    case "join":
      return `${number(m.joinS, 3)} s, ${number(m.joinsMissing, 0)} unannounced`;
    case "soak":
      return `RSS ${number(m.rssSlopeMBPerMin, 2)} MB/min, CPU drift ${number(m.cpuDriftPct, 1)} %`;
    case "abuse":
      return `live p99 ${number(m.liveP99Ms, 0)} ms, hoard ${number(m.hoardAccepted, 0)}, ` +
        `resume +${number(m.resumeRssGrowthMB, 1)} MB, /user ${number(m.userMs, 0)} ms`;
  }
}

/** The results as an aligned plain-text table. */
export function table(results: RunResult[]): string {
  const rows = [
    COLUMNS.map((column) => column.header),
    ...results.map((result) => COLUMNS.map((column) => column.cell(result))),
  ];
  const widths = COLUMNS.map((_, index) => Math.max(...rows.map((row) => [...row[index]].length)));
  const line = (row: string[]) =>
    row.map((cell, index) =>
      index === 0 ? cell.padEnd(widths[index]) : cell.padStart(widths[index])
    ).join("  ");
  return [
    line(rows[0]),
    widths.map((width) => "-".repeat(width)).join("  "),
    ...rows.slice(1).map(line),
  ].join("\n");
}

/** Every target of every result, one per line, and the problems found. */
export function verdicts(results: RunResult[]): string {
  const lines: string[] = [];
  for (const result of results) {
    for (const target of result.targets) {
      lines.push(`${result.label}: ${describeTarget(result, target)}`);
    }
    for (const problem of result.problems) lines.push(`${result.label}: PROBLEM ${problem}`);
    for (const note of result.notes) lines.push(`${result.label}: note: ${note}`);
  }
  return lines.join("\n");
}

/** Appends one JSON line per result to `path`, creating its folder. */
export async function writeJsonLines(
  path: string,
  results: RunResult[],
  meta: Record<string, unknown>,
  append: boolean,
): Promise<void> {
  await Deno.mkdir(new URL(".", `file://${path}`).pathname, { recursive: true });
  const text = results.map((result) => JSON.stringify({ ...meta, ...result }) + "\n").join("");
  await Deno.writeTextFile(path, text, { append });
}
