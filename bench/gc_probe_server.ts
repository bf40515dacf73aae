/**
 * The server with a full garbage collection every 5 s and the heap figures
 * after each one appended to bench/results/gc_probe.log, for telling a leak
 * (heapUsed rising) from V8 merely growing its heap (RSS rising, heapUsed
 * flat): `deno task bench --scenario soak --server bench/gc_probe_server.ts`.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { main } from "../main.ts";

setFlagsFromString("--expose-gc");
const collectGarbage = runInNewContext("gc") as () => void;
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
