import assert from "node:assert/strict";
import confusables from "unhomoglyph/data.json" with { type: "json" };
import { CONFUSABLE_GROUPS, CONFUSABLES_UNICODE_VERSION } from "../protocol/confusables_data.ts";
import { confusablesModule, UNICODE_VERSION } from "../scripts/generate_confusables.ts";

Deno.test("protocol/confusables_data.ts is what the generator makes from the pinned package", async () => {
  const committed = await Deno.readTextFile(
    new URL("../protocol/confusables_data.ts", import.meta.url),
  );
  assert.equal(
    committed,
    confusablesModule(confusables),
    "stale table: run `deno task confusables` and commit the result",
  );
});

Deno.test("the committed table holds every confusable once, for the pinned Unicode version", () => {
  assert.equal(CONFUSABLES_UNICODE_VERSION, UNICODE_VERSION);
  const sources = CONFUSABLE_GROUPS.flatMap((group) => group.split(":")[1].split(","));
  assert.equal(sources.length, Object.keys(confusables).length);
  assert.equal(new Set(sources).size, sources.length);
});
