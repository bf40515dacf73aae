/**
 * docs/performance.svg: latency p99 and server CPU per delivery against the
 * number of members, one point per fan-out case, with the target for
 * each point drawn beside it. Hand-written SVG, no dependencies.
 */
import type { RunResult } from "./result.ts";

const PANEL_WIDTH = 380;
const PANEL_HEIGHT = 260;
const MARGIN = { left: 60, right: 20, top: 40, bottom: 50 };
const WIDTH = 2 * (MARGIN.left + PANEL_WIDTH + MARGIN.right);
const HEIGHT = MARGIN.top + PANEL_HEIGHT + MARGIN.bottom + 40;

interface Point {
  members: number;
  value: number;
  target: number | null;
  label: string;
}

interface Panel {
  title: string;
  unit: string;
  log: boolean;
  points: Point[];
}

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

function niceTicks(min: number, max: number, log: boolean): number[] {
  if (log) {
    const ticks: number[] = [];
    for (
      let exponent = Math.floor(Math.log10(min));
      exponent <= Math.ceil(Math.log10(max));
      exponent++
    ) {
      ticks.push(10 ** exponent);
    }
    return ticks;
  }
  const step = [0.1, 0.2, 0.25, 0.5, 1, 2, 5, 10].find((s) => max / s <= 6) ?? 10;
  return Array.from(
    { length: Math.floor(max / step) + 1 },
    (_, index) => +(index * step).toFixed(3),
  );
}

function panelSvg(panel: Panel, offsetX: number, xMin: number, xMax: number): string {
  const values = panel.points.flatMap((point) =>
    point.target === null ? [point.value] : [point.value, point.target]
  )
    .filter((value) => Number.isFinite(value) && value > 0);
  const yMax = values.length === 0 ? 1 : Math.max(...values) * 1.25;
  const yMin = panel.log ? Math.max(0.01, Math.min(...values, 1) / 2) : 0;
  const yTicks = niceTicks(yMin, yMax, panel.log).filter((tick) =>
    tick >= yMin && tick <= yMax * 1.01
  );
  const lo = panel.log ? Math.log10(yTicks[0] ?? yMin) : 0;
  const hi = panel.log
    ? Math.log10(Math.max(yMax, yTicks.at(-1) ?? yMax))
    : Math.max(yMax, yTicks.at(-1) ?? yMax);
  const x = (members: number) =>
    offsetX + MARGIN.left +
    PANEL_WIDTH * (Math.log10(members) - Math.log10(xMin)) / (Math.log10(xMax) - Math.log10(xMin));
  const y = (value: number) =>
    MARGIN.top + PANEL_HEIGHT * (1 - ((panel.log ? Math.log10(value) : value) - lo) / (hi - lo));
  const parts: string[] = [];
  const left = offsetX + MARGIN.left;
  parts.push(
    `<text x="${left + PANEL_WIDTH / 2}" y="22" text-anchor="middle" font-weight="bold">${
      escape(panel.title)
    }</text>`,
  );
  parts.push(
    `<rect x="${left}" y="${MARGIN.top}" width="${PANEL_WIDTH}" height="${PANEL_HEIGHT}" fill="none" stroke="#888"/>`,
  );
  for (const tick of yTicks) {
    const ty = y(tick);
    parts.push(
      `<line x1="${left}" x2="${left + PANEL_WIDTH}" y1="${ty.toFixed(1)}" y2="${
        ty.toFixed(1)
      }" stroke="#eee"/>`,
    );
    parts.push(`<text x="${left - 6}" y="${(ty + 4).toFixed(1)}" text-anchor="end">${tick}</text>`);
  }
  for (const tick of niceTicks(xMin, xMax, true).filter((tick) => tick >= xMin && tick <= xMax)) {
    const tx = x(tick);
    parts.push(
      `<line x1="${tx.toFixed(1)}" x2="${tx.toFixed(1)}" y1="${MARGIN.top}" y2="${
        MARGIN.top + PANEL_HEIGHT
      }" stroke="#eee"/>`,
    );
    parts.push(
      `<text x="${tx.toFixed(1)}" y="${
        MARGIN.top + PANEL_HEIGHT + 16
      }" text-anchor="middle">${tick}</text>`,
    );
  }
  parts.push(
    `<text x="${left + PANEL_WIDTH / 2}" y="${
      MARGIN.top + PANEL_HEIGHT + 36
    }" text-anchor="middle">members in the room (log scale)</text>`,
  );
  parts.push(
    `<text transform="translate(${offsetX + 16} ${
      MARGIN.top + PANEL_HEIGHT / 2
    }) rotate(-90)" text-anchor="middle">${escape(panel.unit)}${
      panel.log ? " (log scale)" : ""
    }</text>`,
  );
  for (const point of panel.points) {
    if (!Number.isFinite(point.value) || point.value <= 0) continue;
    const px = x(point.members);
    const py = y(point.value);
    if (point.target !== null) {
      const ty = y(point.target);
      const met = point.value <= point.target;
      parts.push(
        `<line x1="${(px - 12).toFixed(1)}" x2="${(px + 12).toFixed(1)}" y1="${
          ty.toFixed(1)
        }" y2="${ty.toFixed(1)}" stroke="#c33" stroke-width="2" stroke-dasharray="4 2"/>`,
      );
      parts.push(
        `<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="5" fill="${
          met ? "#2a7" : "#d62"
        }" stroke="#333"/>`,
      );
    } else {
      parts.push(
        `<circle cx="${px.toFixed(1)}" cy="${py.toFixed(1)}" r="5" fill="#48c" stroke="#333"/>`,
      );
    }
    parts.push(
      `<text x="${(px + 8).toFixed(1)}" y="${(py - 8).toFixed(1)}" font-size="11">${
        escape(point.label)
      }</text>`,
    );
  }
  return parts.join("\n");
}

/** The SVG text for the fan-out results among `results`. */
export function chartSvg(results: RunResult[]): string {
  const fanouts = results.filter((result) => result.scenario === "fanout");
  const targetOf = (result: RunResult, metric: string) =>
    result.targets.find((target) => target.metric === metric)?.max ?? null;
  const point = (result: RunResult, metric: string, digits: number): Point => ({
    members: result.params.members,
    value: result.metrics[metric],
    target: targetOf(result, metric),
    label: `${result.params.rate}/s: ${result.metrics[metric]?.toFixed(digits)}`,
  });
  const members = fanouts.map((result) => result.params.members);
  const xMin = 10 ** (Math.log10(Math.min(...members, 100)) - 0.4);
  const xMax = 10 ** (Math.log10(Math.max(...members, 1000)) + 0.4);
  const latency: Panel = {
    title: "Latency p99 (send to receive)",
    unit: "ms",
    log: true,
    points: fanouts.map((result) => point(result, "p99Ms", 2)),
  };
  const cpu: Panel = {
    title: "Server CPU per delivery",
    unit: "µs",
    log: false,
    points: fanouts.map((result) => point(result, "cpuPerDeliveryUs", 2)),
  };
  const legend = `<text x="${MARGIN.left}" y="${HEIGHT - 22}" font-size="11">` +
    `Points are labelled with the offered rate (messages/s) and the figure.</text>\n` +
    `<text x="${MARGIN.left}" y="${HEIGHT - 8}" font-size="11">` +
    `Red dashes: the target from the performance issue. Green point: met; orange: missed; blue: no target for that case.</text>`;
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" viewBox="0 0 ${WIDTH} ${HEIGHT}" font-family="sans-serif" font-size="12">`,
    `<rect width="${WIDTH}" height="${HEIGHT}" fill="white"/>`,
    panelSvg(latency, 0, xMin, xMax),
    panelSvg(cpu, WIDTH / 2, xMin, xMax),
    legend,
    `</svg>`,
    "",
  ].join("\n");
}

export async function writeChart(path: string, results: RunResult[]): Promise<void> {
  await Deno.writeTextFile(path, chartSvg(results));
}
