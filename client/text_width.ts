/**
 * Display width of text in terminal columns, so the input line can place the
 * cursor and scroll correctly when it holds Hangul, CJK or emoji.
 *
 * East Asian Wide and Fullwidth characters (and emoji shown as pictures) take
 * two columns, combining marks and other zero-width characters take none,
 * everything else takes one. Width is measured per grapheme cluster because
 * that is the unit a terminal draws: "e" + U+0301 is one column, a ZWJ family
 * emoji is one two-column picture.
 */

/**
 * East_Asian_Width W and F ranges (Unicode 14, generated from Python's
 * `unicodedata`), plus reserved blocks that will hold wide characters.
 * Newer emoji are caught by the `Emoji_Presentation` test below.
 */
// deno-fmt-ignore
const WIDE_RANGES: readonly (readonly [number, number])[] = [
  [0x1100, 0x115F], [0x231A, 0x231B], [0x2329, 0x232A], [0x23E9, 0x23EC], [0x23F0, 0x23F0],
  [0x23F3, 0x23F3], [0x25FD, 0x25FE], [0x2614, 0x2615], [0x2648, 0x2653], [0x267F, 0x267F],
  [0x2693, 0x2693], [0x26A1, 0x26A1], [0x26AA, 0x26AB], [0x26BD, 0x26BE], [0x26C4, 0x26C5],
  [0x26CE, 0x26CE], [0x26D4, 0x26D4], [0x26EA, 0x26EA], [0x26F2, 0x26F3], [0x26F5, 0x26F5],
  [0x26FA, 0x26FA], [0x26FD, 0x26FD], [0x2705, 0x2705], [0x270A, 0x270B], [0x2728, 0x2728],
  [0x274C, 0x274C], [0x274E, 0x274E], [0x2753, 0x2755], [0x2757, 0x2757], [0x2795, 0x2797],
  [0x27B0, 0x27B0], [0x27BF, 0x27BF], [0x2B1B, 0x2B1C], [0x2B50, 0x2B50], [0x2B55, 0x2B55],
  [0x2E80, 0x2E99], [0x2E9B, 0x2EF3], [0x2F00, 0x2FD5], [0x2FF0, 0x2FFB], [0x3000, 0x3029],
  [0x302E, 0x303E], [0x3041, 0x3096], [0x309B, 0x30FF], [0x3105, 0x312F], [0x3131, 0x318E],
  [0x3190, 0x31E3], [0x31F0, 0x321E], [0x3220, 0x3247], [0x3250, 0x4DBF], [0x4E00, 0xA48C],
  [0xA490, 0xA4C6], [0xA960, 0xA97C], [0xAC00, 0xD7A3], [0xF900, 0xFA6D], [0xFA70, 0xFAD9],
  [0xFE10, 0xFE19], [0xFE30, 0xFE52], [0xFE54, 0xFE66], [0xFE68, 0xFE6B], [0xFF01, 0xFF60],
  [0xFFE0, 0xFFE6], [0x16FE0, 0x16FE3], [0x16FF0, 0x16FF1], [0x17000, 0x187F7], [0x18800, 0x18CD5],
  [0x18D00, 0x18D08], [0x1AFF0, 0x1AFF3], [0x1AFF5, 0x1AFFB], [0x1AFFD, 0x1AFFE], [0x1B000, 0x1B122],
  [0x1B150, 0x1B152], [0x1B164, 0x1B167], [0x1B170, 0x1B2FB], [0x1F004, 0x1F004], [0x1F0CF, 0x1F0CF],
  [0x1F18E, 0x1F18E], [0x1F191, 0x1F19A], [0x1F200, 0x1F202], [0x1F210, 0x1F23B], [0x1F240, 0x1F248],
  [0x1F250, 0x1F251], [0x1F260, 0x1F265], [0x1F300, 0x1F320], [0x1F32D, 0x1F335], [0x1F337, 0x1F37C],
  [0x1F37E, 0x1F393], [0x1F3A0, 0x1F3CA], [0x1F3CF, 0x1F3D3], [0x1F3E0, 0x1F3F0], [0x1F3F4, 0x1F3F4],
  [0x1F3F8, 0x1F43E], [0x1F440, 0x1F440], [0x1F442, 0x1F4FC], [0x1F4FF, 0x1F53D], [0x1F54B, 0x1F54E],
  [0x1F550, 0x1F567], [0x1F57A, 0x1F57A], [0x1F595, 0x1F596], [0x1F5A4, 0x1F5A4], [0x1F5FB, 0x1F64F],
  [0x1F680, 0x1F6C5], [0x1F6CC, 0x1F6CC], [0x1F6D0, 0x1F6D2], [0x1F6D5, 0x1F6D7], [0x1F6DD, 0x1F6DF],
  [0x1F6EB, 0x1F6EC], [0x1F6F4, 0x1F6FC], [0x1F7E0, 0x1F7EB], [0x1F7F0, 0x1F7F0], [0x1F90C, 0x1F93A],
  [0x1F93C, 0x1F945], [0x1F947, 0x1F9FF], [0x1FA70, 0x1FA74], [0x1FA78, 0x1FA7C], [0x1FA80, 0x1FA86],
  [0x1FA90, 0x1FAAC], [0x1FAB0, 0x1FABA], [0x1FAC0, 0x1FAC5], [0x1FAD0, 0x1FAD9], [0x1FAE0, 0x1FAE7],
  [0x1FAF0, 0x1FAF6], [0x20000, 0x3FFFD],
];

/** Marks drawn on top of the previous character, and invisible format characters. */
const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}]$/u;
const EMOJI_PRESENTATION = /^\p{Emoji_Presentation}$/u;
const VARIATION_SELECTOR_EMOJI = "\uFE0F";

const graphemeSegmenter = new Intl.Segmenter(undefined, {
  granularity: "grapheme",
});

/** Columns one code point takes on its own: 0, 1 or 2. */
export function codePointWidth(codePoint: number): 0 | 1 | 2 {
  // Printable ASCII is nearly all chat text; answer it without a lookup.
  if (codePoint >= 0x20 && codePoint < 0x7f) return 1;
  // Control characters draw nothing (they are stripped before printing anyway).
  if (codePoint < 0x20 || (codePoint >= 0x7f && codePoint < 0xa0)) return 0;
  // Hangul Jamo medial vowels and final consonants join the preceding initial.
  if (
    (codePoint >= 0x1160 && codePoint <= 0x11ff) ||
    (codePoint >= 0xd7b0 && codePoint <= 0xd7ff)
  ) {
    return 0;
  }
  if (codePoint === 0x200b) return 0;
  const char = String.fromCodePoint(codePoint);
  if (codePoint !== 0xad && ZERO_WIDTH.test(char)) return 0;
  if (isInWideRanges(codePoint) || EMOJI_PRESENTATION.test(char)) return 2;
  return 1;
}

function isInWideRanges(codePoint: number): boolean {
  if (codePoint < WIDE_RANGES[0][0]) return false;
  let low = 0;
  let high = WIDE_RANGES.length - 1;
  while (low <= high) {
    const middle = (low + high) >> 1;
    const [first, last] = WIDE_RANGES[middle];
    if (codePoint < first) high = middle - 1;
    else if (codePoint > last) low = middle + 1;
    else return true;
  }
  return false;
}

/**
 * Columns one grapheme cluster takes: its widest code point, so combining
 * marks and ZWJ-joined emoji add nothing; an emoji variation selector (U+FE0F)
 * asks for the two-column picture form.
 */
export function graphemeWidth(grapheme: string): number {
  let width = 0;
  for (const char of grapheme) {
    const charWidth = codePointWidth(char.codePointAt(0)!);
    if (charWidth > width) width = charWidth;
  }
  if (width === 1 && grapheme.includes(VARIATION_SELECTOR_EMOJI)) return 2;
  return width;
}

/** Splits text into grapheme clusters, the units the cursor moves over. */
export function splitGraphemes(text: string): string[] {
  const graphemes: string[] = [];
  for (const { segment } of graphemeSegmenter.segment(text)) {
    graphemes.push(segment);
  }
  return graphemes;
}

/** Columns a string takes on a terminal. */
export function textWidth(text: string): number {
  // Pure printable ASCII is one column per character.
  if (/^[\x20-\x7e]*$/.test(text)) return text.length;
  let width = 0;
  for (const grapheme of splitGraphemes(text)) width += graphemeWidth(grapheme);
  return width;
}
