/**
 * The server with one V8 heap snapshot, for finding what an idle member
 * holds. Once the process has held at least HEAP_PROBE_FDS open file
 * descriptors (default 1000) for three checks in a row, it collects in full,
 * writes `bench/results/heap-<fds>.heapsnapshot` and, beside it, the memory
 * figures and timings of the collection and of handing freed C memory back:
 *
 *   HEAP_PROBE_FDS=3000 deno task bench --scenario idle --members 3000 \
 *     --server bench/heap_probe_server.ts
 *   deno run -A bench/heap_summary.ts bench/results/heap-3000.heapsnapshot
 *
 * Writing the snapshot takes memory of its own, so the RSS that run reports
 * is not the idle figure; run the scenario without the probe for that.
 */
import v8 from "node:v8";
import { main } from "../main.ts";
import { nativeHeapTrimmer } from "../server/native_heap.ts";
import { readStatusKilobytes } from "./proc_stats.ts";

const wanted = Number(Deno.env.get("HEAP_PROBE_FDS") ?? "1000");
const results = new URL("results/", import.meta.url);
Deno.mkdirSync(results, { recursive: true });

/** Resident memory, in kB. */
const residentKb = () => readStatusKilobytes("self", ["VmRSS", "RssAnon", "RssFile", "VmHWM"]);

let steadyChecks = 0;
const timer = setInterval(() => {
  const fds = [...Deno.readDirSync("/proc/self/fd")].length;
  steadyChecks = fds >= wanted ? steadyChecks + 1 : 0;
  if (steadyChecks < 3) return;
  clearInterval(timer);
  const gc = (globalThis as { gc?: (options: unknown) => void }).gc;
  const start = performance.now();
  gc?.({ type: "major", execution: "sync", flavor: "last-resort" });
  const collectMs = performance.now() - start;
  const collected = { ...Deno.memoryUsage(), ...residentKb() };
  const trim = nativeHeapTrimmer();
  const trimStart = performance.now();
  trim?.();
  const trimMs = performance.now() - trimStart;
  const trimmed = residentKb();
  const base = new URL(`heap-${wanted}`, results).pathname;
  Deno.writeTextFileSync(
    `${base}.json`,
    JSON.stringify({ fds, collectMs, collected, trimMs, trimmed }, null, 2),
  );
  v8.writeHeapSnapshot(`${base}.heapsnapshot`);
}, 700);
Deno.unrefTimer(timer);

Deno.exit(await main(Deno.args));
