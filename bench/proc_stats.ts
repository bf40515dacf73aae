/**
 * CPU time and memory of one process, read from Linux's /proc.
 *
 * The bench measures the server and its own load workers from outside, so the
 * figures include everything the process does: V8's GC threads, Tokio's I/O
 * thread and the JavaScript thread alike.
 */

/** One reading of a process's counters. */
export interface ProcSample {
  /** When the sample was taken, in `performance.now()` milliseconds. */
  at: number;
  /** User plus system CPU time since the process started, in seconds. */
  cpuSeconds: number;
  /** Resident set size now, in bytes. */
  rssBytes: number;
  /** Peak resident set size so far (VmHWM), in bytes. */
  hwmBytes: number;
  /** Threads the process runs. */
  threads: number;
}

/** Clock ticks per second of /proc/<pid>/stat; 100 on every Linux we run on. */
const CLOCK_TICKS = 100;

/** Reads the counters of `pid`, or null once the process is gone. */
export function readProc(pid: number): ProcSample | null {
  let stat: string;
  let status: string;
  try {
    stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    status = Deno.readTextFileSync(`/proc/${pid}/status`);
  } catch {
    return null;
  }
  // The command name in parentheses may contain spaces; fields follow the last ")".
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  if (fields[0] === "Z") return null;
  const ticks = Number(fields[11]) + Number(fields[12]);
  return {
    at: performance.now(),
    cpuSeconds: ticks / CLOCK_TICKS,
    rssBytes: statusKilobytes(status, "VmRSS") * 1024,
    hwmBytes: statusKilobytes(status, "VmHWM") * 1024,
    threads: statusKilobytes(status, "Threads"),
  };
}

/** Named kB figures of /proc/<pid>/status (VmRSS, RssAnon, ...), 0 for any that is absent. */
export function readStatusKilobytes(
  pid: number | "self",
  keys: readonly string[],
): Record<string, number> {
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  return Object.fromEntries(keys.map((key) => [key, statusKilobytes(status, key)]));
}

function statusKilobytes(status: string, key: string): number {
  const match = new RegExp(`^${key}:\\s+(\\d+)`, "m").exec(status);
  return match ? Number(match[1]) : 0;
}

/** What /proc says a process is: its command line, CPU affinity and children. */
export interface ProcIdentity {
  commandLine: string[];
  cpusAllowed: string;
  children: number[];
}

/** Describes `pid`, so the bench can prove it measures the process doing the work. */
export function identify(pid: number): ProcIdentity | null {
  try {
    const commandLine = Deno.readTextFileSync(`/proc/${pid}/cmdline`).split("\0").filter((part) =>
      part !== ""
    );
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const cpusAllowed = /^Cpus_allowed_list:\s+(\S+)/m.exec(status)?.[1] ?? "?";
    const children: number[] = [];
    for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
      const text = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/children`).trim();
      if (text !== "") children.push(...text.split(" ").map(Number));
    }
    return { commandLine, cpusAllowed, children };
  } catch {
    return null;
  }
}

/** CPU seconds per thread name (threads of one name added up), e.g. "deno", "V8 DefaultWorke", "tokio-runtime-w". */
export function readThreadCpu(pid: number): Map<string, number> {
  const byName = new Map<string, number>();
  try {
    for (const task of Deno.readDirSync(`/proc/${pid}/task`)) {
      try {
        const stat = Deno.readTextFileSync(`/proc/${pid}/task/${task.name}/stat`);
        const name = stat.slice(stat.indexOf("(") + 1, stat.lastIndexOf(")"));
        const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
        const seconds = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
        byName.set(name, (byName.get(name) ?? 0) + seconds);
      } catch {
        // The thread ended while we looked.
      }
    }
  } catch {
    // The process is gone.
  }
  return byName;
}

/** "deno 3.10 s, V8 DefaultWorke 0.80 s": CPU per thread name between two readings, busiest first. */
export function describeThreadCpu(before: Map<string, number>, after: Map<string, number>): string {
  return [...after].map(([name, seconds]) => [name, seconds - (before.get(name) ?? 0)] as const)
    .filter(([, seconds]) => seconds >= 0.01)
    .sort((a, b) => b[1] - a[1])
    .map(([name, seconds]) =>
      `${name === "deno" ? "main (JS) thread" : name} ${seconds.toFixed(2)} s`
    )
    .join(", ");
}

/**
 * CPU seconds the whole machine has spent busy (all cores, everything but
 * idle and iowait), and the part of it in softirq: on loopback, the kernel
 * does much of TCP receive processing there, charged to no process.
 */
export function readMachineBusy(): { busy: number; softirq: number } {
  try {
    const line = Deno.readTextFileSync("/proc/stat").split("\n")[0];
    const ticks = line.trim().split(/\s+/).slice(1).map(Number);
    const total = ticks.slice(0, 8).reduce((a, b) => a + b, 0);
    return { busy: (total - ticks[3] - ticks[4]) / CLOCK_TICKS, softirq: ticks[6] / CLOCK_TICKS };
  } catch {
    return { busy: NaN, softirq: NaN };
  }
}
