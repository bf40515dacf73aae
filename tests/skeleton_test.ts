import assert from "node:assert/strict";
import { CONFUSABLE_GROUPS } from "../protocol/confusables_data.ts";
import { skeleton } from "../protocol/skeleton.ts";

Deno.test("skeleton() maps look-alikes from other scripts to the same string", () => {
  assert.equal(skeleton("\u0440\u0430\u0443\u0440\u0430l"), skeleton("paypal"));
  assert.equal(skeleton("\u03B1lice"), "alice");
  assert.equal(skeleton("\uFF41lice"), "alice", "fullwidth a");
});

Deno.test("skeleton() follows the Unicode data for rn, 0 and capital I", () => {
  assert.equal(skeleton("m"), "rn", "so rnary and mary share a skeleton");
  assert.equal(skeleton("0"), "O", "zero maps to capital O, not to o");
  assert.equal(skeleton("1"), "l");
  assert.equal(skeleton("I"), "l");
  assert.equal(skeleton("i"), "i", "case is kept: the caller folds it");
});

Deno.test("skeleton() drops default-ignorable code points and decomposes", () => {
  assert.equal(skeleton("al\u200Bice\u034F"), "alice");
  assert.equal(skeleton("Jos\u00E9"), "Jose\u0301");
});

Deno.test("skeleton() of any skeleton is itself, for every entry in the table", () => {
  for (const group of CONFUSABLE_GROUPS) {
    for (const source of group.split(":")[1].split(",")) {
      const once = skeleton(String.fromCodePoint(parseInt(source, 16)));
      assert.equal(skeleton(once), once, `U+${source}`);
    }
  }
});

Deno.test("skeleton() gives a digraph and its spelled-out letters one skeleton", () => {
  // "ǆ" maps to "dž", whose caron maps on to a breve: settled prototypes.
  assert.equal(skeleton("\u01C6"), skeleton("d\u017E"));
});
