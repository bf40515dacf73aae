/**
 * What a V8 heap snapshot holds, by kind of object, largest first. Given a
 * second snapshot of the same server with more members, prints the
 * difference per added member instead: the bytes each idle member costs,
 * and in what.
 *
 *   deno run -A bench/heap_summary.ts SNAPSHOT
 *   deno run -A bench/heap_summary.ts SMALL.heapsnapshot LARGE.heapsnapshot MEMBERS_ADDED
 */

interface Totals {
  bytes: number;
  count: number;
}

/** Self sizes summed by node type and name (strings and contexts grouped). */
function totalsByKind(path: string): Map<string, Totals> {
  const snapshot = JSON.parse(Deno.readTextFileSync(path));
  const meta = snapshot.snapshot.meta;
  const fields: string[] = meta.node_fields;
  const types: string[] = meta.node_types[0];
  const stride = fields.length;
  const [typeAt, nameAt, sizeAt] = ["type", "name", "self_size"].map((f) => fields.indexOf(f));
  const nodes: number[] = snapshot.nodes;
  const strings: string[] = snapshot.strings;
  const totals = new Map<string, Totals>();
  for (let i = 0; i < nodes.length; i += stride) {
    const type = types[nodes[i + typeAt]];
    let name = String(strings[nodes[i + nameAt]]).slice(0, 50).replace(/\s+/g, " ");
    if (type.includes("string")) name = "";
    if (name.startsWith("system / Context")) name = "system / Context";
    const key = `${type}:${name}`;
    const entry = totals.get(key) ?? { bytes: 0, count: 0 };
    entry.bytes += nodes[i + sizeAt];
    entry.count++;
    totals.set(key, entry);
  }
  return totals;
}

function main(args: string[]): number {
  if (args.length !== 1 && args.length !== 3) {
    console.error("Usage: heap_summary.ts SNAPSHOT | SMALL LARGE MEMBERS_ADDED");
    return 2;
  }
  const large = totalsByKind(args.length === 1 ? args[0] : args[1]);
  const small = args.length === 1 ? new Map<string, Totals>() : totalsByKind(args[0]);
  const per = args.length === 1 ? 1 : Number(args[2]);
  const rows = [...large].map(([kind, { bytes, count }]) => {
    const before = small.get(kind) ?? { bytes: 0, count: 0 };
    return { kind, bytes: (bytes - before.bytes) / per, count: (count - before.count) / per };
  }).sort((a, b) => b.bytes - a.bytes);
  const total = rows.reduce((sum, row) => sum + row.bytes, 0);
  console.log(
    per === 1 ? `${(total / 1e6).toFixed(1)} MB in all` : `${total.toFixed(0)} B per member`,
  );
  for (const row of rows.slice(0, 40)) {
    const count = per === 1 ? String(row.count) : row.count.toFixed(2);
    console.log(`${row.bytes.toFixed(0).padStart(10)} B ${count.padStart(9)}  ${row.kind}`);
  }
  return 0;
}

if (import.meta.main) Deno.exit(main(Deno.args));
