/**
 * Display width of text in terminal columns, so the input line can place the
 * cursor and scroll correctly when it holds Hangul, CJK or emoji.
 *
 * The widths come from `string-width` (East Asian Width from Unicode's data
 * via `get-east-asian-width`, emoji and zero-width rules), measured per
 * grapheme cluster because that is the unit a terminal draws: "e" + U+0301
 * is one column, a ZWJ family emoji is one two-column picture. Printable
 * ASCII, nearly all chat text, is answered without a lookup.
 */
import stringWidth from "string-width";

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;

const graphemeSegmenter = new Intl.Segmenter(undefined, { granularity: "grapheme" });

/** Columns one code point takes on its own: 0, 1 or 2. */
export function codePointWidth(codePoint: number): number {
  if (codePoint >= 0x20 && codePoint < 0x7f) return 1;
  return stringWidth(String.fromCodePoint(codePoint));
}

/** Columns one grapheme cluster takes. */
export function graphemeWidth(grapheme: string): number {
  if (grapheme.length === 1 && grapheme >= " " && grapheme <= "~") return 1;
  return stringWidth(grapheme);
}

/** Splits text into grapheme clusters, the units the cursor moves over. */
export function splitGraphemes(text: string): string[] {
  const graphemes: string[] = [];
  for (const { segment } of graphemeSegmenter.segment(text)) graphemes.push(segment);
  return graphemes;
}

/** Columns a string takes on a terminal. */
export function textWidth(text: string): number {
  if (PRINTABLE_ASCII.test(text)) return text.length;
  let width = 0;
  for (const grapheme of splitGraphemes(text)) width += graphemeWidth(grapheme);
  return width;
}
