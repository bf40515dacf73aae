import { assertEquals } from "./support/assert.ts";
import { codePointWidth, graphemeWidth, splitGraphemes, textWidth } from "../client/text_width.ts";

Deno.test("textWidth() counts ASCII one column per character", () => {
  assertEquals(textWidth(""), 0);
  assertEquals(textWidth("hello, world"), 12);
});

Deno.test("textWidth() counts Hangul syllables two columns each", () => {
  assertEquals(textWidth("안녕하세요"), 10);
  assertEquals(textWidth("한글 ok"), 7);
});

Deno.test("textWidth() counts CJK ideographs, kana and fullwidth forms two columns each", () => {
  assertEquals(textWidth("中文"), 4);
  assertEquals(textWidth("カタカナ"), 8);
  assertEquals(textWidth("ｆｕｌｌ"), 8);
  assertEquals(textWidth("、。"), 4);
});

Deno.test("textWidth() counts emoji two columns, joined sequences included", () => {
  assertEquals(textWidth("😀"), 2);
  assertEquals(textWidth("🎉🎉"), 4);
  assertEquals(textWidth("👨‍👩‍👧"), 2, "a ZWJ family is one picture");
  assertEquals(textWidth("👍🏽"), 2, "a skin tone modifier adds nothing");
  assertEquals(textWidth("❤️"), 2, "VS16 asks for the emoji form");
});

Deno.test("textWidth() gives combining marks and zero-width characters no columns", () => {
  assertEquals(textWidth("e\u0301"), 1);
  assertEquals(textWidth("a\u200bb"), 2);
  assertEquals(textWidth("\u200d"), 0);
  assertEquals(textWidth("\u1100\u1161"), 2, "conjoining jamo make one syllable");
});

Deno.test("textWidth() keeps narrow symbols and accented letters at one column", () => {
  assertEquals(textWidth("café"), 4);
  assertEquals(textWidth("→ ±"), 3);
  assertEquals(textWidth("Ω"), 1);
});

Deno.test("codePointWidth() classifies single code points", () => {
  assertEquals(codePointWidth(0x41), 1);
  assertEquals(codePointWidth(0xac00), 2); // 가
  assertEquals(codePointWidth(0x0301), 0);
  assertEquals(codePointWidth(0x1b), 0);
  assertEquals(codePointWidth(0x1f600), 2);
  assertEquals(codePointWidth(0x20000), 2); // CJK extension B
});

Deno.test("graphemeWidth() measures one cluster by its widest part", () => {
  assertEquals(graphemeWidth("a"), 1);
  assertEquals(graphemeWidth("한"), 2);
  assertEquals(graphemeWidth("e\u0301"), 1);
});

Deno.test("splitGraphemes() keeps clusters whole", () => {
  assertEquals(splitGraphemes("ae\u0301한👨‍👩‍👧"), ["a", "e\u0301", "한", "👨‍👩‍👧"]);
});

Deno.test("textWidth() counts a flag (two regional indicators) as one two-column picture", () => {
  assertEquals(textWidth("🇰🇷"), 2);
  assertEquals(textWidth("🇰🇷🇯🇵"), 4);
  assertEquals(splitGraphemes("🇰🇷🇯🇵").length, 2);
});

Deno.test("textWidth() lets stacked combining marks add nothing, in any script", () => {
  assertEquals(textWidth("a\u0301\u0302\u0303"), 1);
  assertEquals(textWidth("한\u0301"), 2);
});
