import assert from "node:assert/strict";
import { codePointWidth, graphemeWidth, splitGraphemes, textWidth } from "../client/text_width.ts";

Deno.test("textWidth() counts ASCII one column per character", () => {
  assert.equal(textWidth(""), 0);
  assert.equal(textWidth("hello, world"), 12);
});

Deno.test("textWidth() counts Hangul syllables two columns each", () => {
  assert.equal(textWidth("안녕하세요"), 10);
  assert.equal(textWidth("한글 ok"), 7);
});

Deno.test("textWidth() counts CJK ideographs, kana and fullwidth forms two columns each", () => {
  assert.equal(textWidth("中文"), 4);
  assert.equal(textWidth("カタカナ"), 8);
  assert.equal(textWidth("ｆｕｌｌ"), 8);
  assert.equal(textWidth("、。"), 4);
});

Deno.test("textWidth() counts emoji two columns, joined sequences included", () => {
  assert.equal(textWidth("😀"), 2);
  assert.equal(textWidth("🎉🎉"), 4);
  assert.equal(textWidth("👨‍👩‍👧"), 2, "a ZWJ family is one picture");
  assert.equal(textWidth("👍🏽"), 2, "a skin tone modifier adds nothing");
  assert.equal(textWidth("❤️"), 2, "VS16 asks for the emoji form");
});

Deno.test("textWidth() gives combining marks and zero-width characters no columns", () => {
  assert.equal(textWidth("e\u0301"), 1);
  assert.equal(textWidth("a\u200bb"), 2);
  assert.equal(textWidth("\u200d"), 0);
  assert.equal(textWidth("\u1100\u1161"), 2, "conjoining jamo make one syllable");
});

Deno.test("textWidth() keeps narrow symbols and accented letters at one column", () => {
  assert.equal(textWidth("café"), 4);
  assert.equal(textWidth("→ ±"), 3);
  assert.equal(textWidth("Ω"), 1);
});

Deno.test("codePointWidth() classifies single code points", () => {
  assert.equal(codePointWidth(0x41), 1);
  assert.equal(codePointWidth(0xac00), 2); // 가
  assert.equal(codePointWidth(0x0301), 0);
  assert.equal(codePointWidth(0x1b), 0);
  assert.equal(codePointWidth(0x1f600), 2);
  assert.equal(codePointWidth(0x20000), 2); // CJK extension B
});

Deno.test("graphemeWidth() measures one cluster by its widest part", () => {
  assert.equal(graphemeWidth("a"), 1);
  assert.equal(graphemeWidth("한"), 2);
  assert.equal(graphemeWidth("e\u0301"), 1);
});

Deno.test("splitGraphemes() keeps clusters whole", () => {
  assert.deepEqual(splitGraphemes("ae\u0301한👨‍👩‍👧"), ["a", "e\u0301", "한", "👨‍👩‍👧"]);
});
