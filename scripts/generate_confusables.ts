/**
 * Regenerates `protocol/confusables_data.ts`, the table behind
 * `protocol/skeleton.ts`, from Unicode's confusables.txt (UTS #39).
 *
 * There is no network here but the npm registry, so the data comes from the
 * npm package `unhomoglyph` (pinned in deno.json), whose data.json is
 * confusables.txt 13.0.0 parsed into `{ source: prototype }` with nothing
 * dropped or changed (its update.js, and 6,311 entries, one per line of the
 * file). No newer npm package ships the data; see `UNICODE_VERSION`.
 *
 * Run `deno task confusables` after moving the pin;
 * tests/confusables_data_test.ts fails while the committed table is stale.
 *
 * @module
 */
import confusables from "unhomoglyph/data.json" with { type: "json" };

/**
 * The confusables.txt release inside unhomoglyph@1.0.6 (its CHANGELOG:
 * "Update mapping data to version 13.0.0"). data.json does not record it, so
 * it is written here and must move with the pin.
 */
export const UNICODE_VERSION = "13.0.0";
/** Where the table comes from, for the generated file's header. */
export const SOURCE = "npm:unhomoglyph@1.0.6 (data.json)";

const OUTPUT = new URL("../protocol/confusables_data.ts", import.meta.url);

function hex(text: string): string {
  return [...text].map((char) => char.codePointAt(0)!.toString(16).toUpperCase()).join(".");
}

/**
 * The source text of `protocol/confusables_data.ts` for a `{ source:
 * prototype }` mapping. Entries are grouped by prototype, so each line reads
 * "prototype:source,source,..." in hex and one line changes when Unicode adds
 * a look-alike. Hex, not the characters themselves, so the file holds no
 * invisible or right-to-left text and can be checked against confusables.txt.
 */
export function confusablesModule(mapping: Record<string, string>): string {
  const groups = new Map<string, number[]>();
  for (const [source, prototype] of Object.entries(mapping)) {
    const codePoints = [...source];
    if (codePoints.length !== 1 || prototype.length === 0) {
      throw new Error(`Unexpected confusables entry ${JSON.stringify([source, prototype])}.`);
    }
    const sources = groups.get(prototype) ?? [];
    sources.push(source.codePointAt(0)!);
    groups.set(prototype, sources);
  }
  const lines = [...groups]
    .map(([prototype, sources]) => ({ prototype, sources: sources.sort((a, b) => a - b) }))
    .sort((a, b) => a.sources[0] - b.sources[0])
    .map(({ prototype, sources }) =>
      `  "${hex(prototype)}:${sources.map((cp) => cp.toString(16).toUpperCase()).join(",")}",`
    );
  return [
    "/**",
    " * Unicode confusables (UTS #39 confusables.txt), as prototype groups: each",
    ' * entry is "PROTOTYPE:SOURCE,SOURCE,...", code points in hex, "." joining the',
    " * code points of a longer prototype. Every SOURCE looks like PROTOTYPE.",
    " *",
    ` * Generated from ${SOURCE} by scripts/generate_confusables.ts`,
    " * (`deno task confusables`); do not edit by hand.",
    " *",
    " * @module",
    " */",
    "",
    "/** The confusables.txt release this table was built from. */",
    `export const CONFUSABLES_UNICODE_VERSION = "${UNICODE_VERSION}";`,
    "",
    `/** ${Object.keys(mapping).length} confusables in ${groups.size} prototype groups. */`,
    "export const CONFUSABLE_GROUPS: readonly string[] = [",
    ...lines,
    "];",
    "",
  ].join("\n");
}

if (import.meta.main) {
  const text = confusablesModule(confusables);
  await Deno.writeTextFile(OUTPUT, text);
  console.log(`Wrote ${OUTPUT.pathname} (${new TextEncoder().encode(text).length} bytes).`);
}
