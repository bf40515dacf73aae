/**
 * Rewrites the generated part of docs/performance.md after a full suite:
 * the figures against the targets, the run table and the machine.
 * Only the text between the two marker comments changes, so the prose
 * around them (method, profile notes) is kept.
 */
import { describeTarget, formatMetric } from "./report.ts";
import { type RunResult, verdict } from "./result.ts";

const START = "<!-- bench:results:start -->";
const END = "<!-- bench:results:end -->";

function cpuModel(): string {
  try {
    return /^model name\s*:\s*(.+)$/m.exec(Deno.readTextFileSync("/proc/cpuinfo"))?.[1] ??
      "unknown CPU";
  } catch {
    return "unknown CPU";
  }
}

function cell(result: RunResult, key: string): string {
  return formatMetric(key, result.metrics[key]);
}

/** The generated markdown: targets, all figures, and where they came from. */
export function resultsMarkdown(results: RunResult[], meta: Record<string, unknown>): string {
  const lines: string[] = [];
  lines.push(
    `Measured ${meta.at} at commit \`${meta.commit}\` with Deno ${meta.deno} on ${meta.cpus} × ${cpuModel()}; ` +
      `${meta.pinning}; ${meta.workers} load-worker processes; ${meta.runs} run(s) per case` +
      `${Number(meta.runs) > 1 ? " (medians)" : ""}; the suite took ${
        Number(meta.elapsedS).toFixed(0)
      } s.`,
  );
  lines.push("");
  lines.push("| case | target | measured | verdict |");
  lines.push("| --- | --- | --- | --- |");
  for (const result of results) {
    for (const target of result.targets) {
      const text = describeTarget(result, target);
      lines.push(
        `| ${result.label} | ${formatMetric(target.metric, target.max)} | ${
          text.slice(0, text.indexOf(" ≤"))
        } | ${verdict(result, target)} |`,
      );
    }
  }
  lines.push("");
  lines.push("![p99 latency and CPU per delivery against members](performance.svg)");
  lines.push("");
  lines.push(
    "| case | delivered/s | p50 | p95 | p99 | max | lost | dup/reordered | server peak RSS | server CPU | CPU/delivery | generator CPU |",
  );
  lines.push(
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
  );
  for (
    const result of results.filter((item) => item.scenario === "fanout" || item.scenario === "soak")
  ) {
    lines.push(
      `| ${result.label} | ${
        [
          "deliveredPerS",
          "p50Ms",
          "p95Ms",
          "p99Ms",
          "maxMs",
          "lost",
          "disordered",
          "serverRssPeakMB",
          "serverCpuS",
          "cpuPerDeliveryUs",
          "generatorCpuPct",
        ]
          .map((key) => cell(result, key)).join(" | ")
      } |`,
    );
  }
  lines.push("");
  for (const result of results) {
    const m = result.metrics;
    if (result.scenario === "idle") {
      lines.push(
        `- **${result.label}**: RSS ${
          formatMetric("serverRssPeakMB", m.serverRssBeforeMB)
        } before anyone connected, ` +
          `${
            formatMetric("serverRssPeakMB", m.serverRssMB)
          } with ${m.members} idle members settled ` +
          `(${formatMetric("kbPerConnection", m.kbPerConnection)} each); peak ${
            formatMetric("serverRssPeakMB", m.serverRssPeakMB)
          } during the joins.`,
      );
    } else if (result.scenario === "join") {
      lines.push(
        `- **${result.label}**: all registered in ${formatMetric("joinS", m.joinS)} ` +
          `(${(m.joinsPerS ?? 0).toFixed(0)} joins/s; registration p50 ${
            m.registerP50Ms?.toFixed(1)
          } ms, p99 ${
            m.registerP99Ms?.toFixed(1)
          } ms); ${m.joinsAnnounced} join announcements received, ${m.joinsMissing} missing.`,
      );
    } else if (result.scenario === "soak") {
      lines.push(
        `- **${result.label}**: RSS ${formatMetric("serverRssPeakMB", m.rssFirstMB)} → ${
          formatMetric("serverRssPeakMB", m.rssLastMB)
        } ` +
          `(slope ${formatMetric("rssSlopeMBPerMin", m.rssSlopeMBPerMin)}); CPU per delivery ${
            formatMetric("cpuPerDeliveryUs", m.cpuPerDeliveryFirstUs)
          } → ` +
          `${formatMetric("cpuPerDeliveryUs", m.cpuPerDeliveryLastUs)} (${
            formatMetric("cpuDriftPct", m.cpuDriftPct)
          }).`,
      );
    } else if (result.scenario === "abuse") {
      lines.push(abuseLine(result));
    } else {
      lines.push(
        `- **${result.label}**: ${m.members} members filled the room in ${
          formatMetric("joinS", m.joinS)
        }; ` +
          `${m.sent} messages sent, worst sender lateness ${m.sendLagMaxMs?.toFixed(1)} ms; ` +
          `server RSS peak while sending ${
            formatMetric("serverRssPeakMB", m.serverRssSendPeakMB)
          }.`,
      );
    }
    for (const note of result.notes) lines.push(`  - ${note}`);
    for (const problem of result.problems) lines.push(`  - **problem:** ${problem}`);
  }
  return lines.join("\n");
}

/** The abuse case in a sentence per attack (the "Abuse" section says what each does). */
function abuseLine(result: RunResult): string {
  const m = result.metrics;
  const ms = (value: number | undefined) => formatMetric("p99Ms", value);
  const mb = (value: number | undefined) => formatMetric("serverRssPeakMB", value);
  return `- **${result.label}**: live p99 ${ms(m.calmP99Ms)} calm. ` +
    `Bomb: ${m.bombAccepted} schedules (${mb(m.bombMB)}) fell due at once and reached every ` +
    `honest member in ${m.bombDrainS?.toFixed(1)} s; live p99 ${ms(m.bombP99Ms)}; RSS ` +
    `+${mb(m.bombRssGrowthMB)} (peak ${mb(m.bombRssPeakMB)}). ` +
    `Hoard: ${m.hoardAccepted} accepted from ${m.hoardNicks} nicknames before the refusal; ` +
    `RSS +${mb(m.hoardRssGrowthMB)}; data file ${mb(m.hoardDataMB)}; live p99 ${
      ms(m.hoardP99Ms)
    }. ` +
    `Resume storm: ${m.resumeGaps} of ${result.params.resumers} resumers got a gap, then ` +
    `${m.resumeReplayedMax} replayed events at most; ` +
    `RSS +${mb(m.resumeRssGrowthMB)}; /user worst ${
      ms(m.userMs)
    } over ${m.userAsks} asks; live p99 ${ms(m.resumeP99Ms)}. ` +
    `Honest members dropped: ${m.honestDropped}.`;
}

const TEMPLATE = `# Performance

${START}
${END}
`;

export async function writePerformanceDoc(
  path: string,
  results: RunResult[],
  meta: Record<string, unknown>,
): Promise<void> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch {
    text = TEMPLATE;
  }
  if (!text.includes(START) || !text.includes(END)) {
    text = `${text.trimEnd()}\n\n${START}\n${END}\n`;
  }
  const before = text.slice(0, text.indexOf(START) + START.length);
  const after = text.slice(text.indexOf(END));
  await Deno.writeTextFile(path, `${before}\n${resultsMarkdown(results, meta)}\n${after}`);
  // Keep the page as `deno fmt --check` (run in CI) wants it: aligned tables, wrapped prose.
  await new Deno.Command(Deno.execPath(), {
    args: ["fmt", "--quiet", path],
    stdout: "null",
    stderr: "null",
  })
    .output();
}
