/**
 * Reads the V8 CPU profiles that `deno run --cpu-prof` wrote for the server
 * (bench --profile) and lists the functions with the most self time, so a
 * slow server can be reported with its hot spots.
 */

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}

interface CpuProfile {
  nodes: ProfileNode[];
  samples?: number[];
  timeDeltas?: number[];
  startTime: number;
  endTime: number;
}

/** Self time by function, with the share of the busy (non-idle) samples. */
export interface HotFunction {
  name: string;
  where: string;
  selfMs: number;
  busyPct: number;
}

export function hotFunctions(
  profile: CpuProfile,
  top = 15,
): { busyMs: number; idleMs: number; functions: HotFunction[] } {
  const byNode = new Map<number, ProfileNode>();
  for (const node of profile.nodes) byNode.set(node.id, node);
  const selfMicros = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let index = 0; index < samples.length; index++) {
    // Each delta is the time before its sample; attribute the next one's gap to it.
    const gap = deltas[index + 1] ?? 0;
    selfMicros.set(samples[index], (selfMicros.get(samples[index]) ?? 0) + gap);
  }
  const byFunction = new Map<string, HotFunction>();
  let idle = 0;
  let busy = 0;
  for (const [id, micros] of selfMicros) {
    const frame = byNode.get(id)!.callFrame;
    if (frame.functionName === "(idle)") {
      idle += micros;
      continue;
    }
    busy += micros;
    const file = frame.url.replace(/^file:\/\/.*?\/(?=(server|protocol|bench|main\.ts|ext:))/, "");
    const where = frame.url === "" ? "" : `${file}:${frame.lineNumber + 1}`;
    const name = frame.functionName || "(anonymous)";
    const key = `${name} ${where}`;
    const entry = byFunction.get(key) ?? { name, where, selfMs: 0, busyPct: 0 };
    entry.selfMs += micros / 1000;
    byFunction.set(key, entry);
  }
  const functions = [...byFunction.values()].sort((a, b) => b.selfMs - a.selfMs).slice(0, top);
  for (const entry of functions) entry.busyPct = busy > 0 ? 100 * entry.selfMs * 1000 / busy : 0;
  return { busyMs: busy / 1000, idleMs: idle / 1000, functions };
}

/** A text summary of every profile in `dir`, newest last. */
export async function summarizeProfiles(dir: string): Promise<string> {
  const files: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.name.endsWith(".cpuprofile")) files.push(`${dir}/${entry.name}`);
  }
  files.sort();
  if (files.length === 0) return `No CPU profile was written to ${dir}.`;
  const parts: string[] = [];
  for (const file of files) {
    const profile = JSON.parse(await Deno.readTextFile(file)) as CpuProfile;
    const { busyMs, idleMs, functions } = hotFunctions(profile);
    parts.push(
      `Server CPU profile ${file.slice(file.lastIndexOf("/") + 1)}: ` +
        `${busyMs.toFixed(0)} ms on the JS thread busy, ${
          idleMs.toFixed(0)
        } ms idle. Top self time:`,
    );
    for (const entry of functions) {
      parts.push(
        `  ${entry.busyPct.toFixed(1).padStart(5)} %  ${
          entry.selfMs.toFixed(0).padStart(7)
        } ms  ${entry.name}  ${entry.where}`,
      );
    }
  }
  return parts.join("\n");
}

if (import.meta.main) {
  console.log(await summarizeProfiles(Deno.args[0] ?? "bench/results/profile"));
}
