/**
 * The server with a full garbage collection every 5 s and the heap figures
 * after each one appended to bench/results/gc_probe.log, for telling a leak
 * (heapUsed rising) from V8 merely growing its heap (RSS rising, heapUsed
 * flat): `deno task bench --scenario soak --server bench/gc_probe_server.ts`.
 *
 * The benchmark starts every server with the V8 flags from
 * scripts/permissions.ts, `--expose-gc` among them, so `gc()` is there.
 */
import { main } from "../main.ts";

const collectGarbage = (globalThis as { gc?: () => void }).gc;
if (typeof collectGarbage !== "function") {
  throw new Error("gc() is missing: start this with --v8-flags=--expose-gc.");
}
const megabytes = (bytes: number) => (bytes / 1e6).toFixed(1);
const LOG = new URL("results/gc_probe.log", import.meta.url);
Deno.mkdirSync(new URL("results/", import.meta.url), { recursive: true });
Deno.writeTextFileSync(LOG, "");

setInterval(() => {
  collectGarbage();
  const memory = Deno.memoryUsage();
  Deno.writeTextFileSync(
    LOG,
    `${new Date().toISOString()} rss=${megabytes(memory.rss)}MB heapUsed=${
      megabytes(memory.heapUsed)
    }MB ` +
      `heapTotal=${megabytes(memory.heapTotal)}MB external=${megabytes(memory.external)}MB\n`,
    { append: true },
  );
}, 5000);

Deno.exit(await main(Deno.args));
