/**
 * Look-alike-safe nicknames: the checks that stop one user from taking a
 * name that reads as another's. Pure and synchronous, so the room can run
 * them on every join and rename.
 *
 * Two parts, both from UTS #39 (Unicode Security Mechanisms):
 * - `lookalikeProblem` refuses names nobody should have: invisible
 *   characters, names of combining marks alone or led by one, scripts
 *   outside UAX #31's Recommended set, and script mixes beyond the
 *   Moderately Restrictive level (§5.2), such as "аlice" with a Cyrillic "а".
 * - `lookalikeKeys` gives the skeleton keys a name is compared by; two names
 *   clash when they share one, which catches whole-script look-alikes
 *   ("аріе" in Cyrillic against "apie") that no script rule can refuse.
 *
 * Run these after `nicknameProblem` in text.ts, on the normalized name.
 *
 * @module
 */
import { skeleton } from "./skeleton.ts";
import { nicknameKey } from "./text.ts";

/**
 * The skeleton keys of a nickname: two nicknames look alike when their key
 * lists share an entry (`nicknamesLookAlike`). Register a name under every
 * key; each is a few microseconds to compute.
 *
 * Nicknames ignore case (text.ts `nicknameKey`), and a skeleton keeps it, so
 * one skeleton is not enough. A name may be shown in any of its case forms:
 * - skeleton(NFKC(nick)), the name as typed: "AI" (capital i) against "Al";
 * - skeleton(nicknameKey(nick)), lower case: "аlice" against "alice", and
 *   "ALICE" against "alice", which only lower-casing first makes equal
 *   (the skeleton maps "I" to "l" but leaves "i");
 * - skeleton(upper case), for look-alikes that exist only in capitals:
 *   Cyrillic "ВОВ" against "bob", whose lower cases "вов" and "bob" differ.
 * Any shared key means some case form of one name is confusable with some
 * case form of the other, which for case-insensitive names is a clash.
 */
export function lookalikeKeys(nick: string): string[] {
  const typed = nick.normalize("NFKC");
  const keys = [skeleton(typed), skeleton(nicknameKey(nick)), skeleton(typed.toUpperCase())];
  return [...new Set(keys)];
}

/** Whether two nicknames would be mistaken for each other. */
export function nicknamesLookAlike(a: string, b: string): boolean {
  const keysOfA = lookalikeKeys(a);
  return lookalikeKeys(b).some((key) => keysOfA.includes(key));
}

/**
 * Code points that draw nothing. Default_Ignorable_Code_Point covers the
 * Hangul fillers (U+115F, U+1160, U+3164, U+FFA0), the Mongolian free
 * variation selectors and vowel separator (U+180B..U+180F), variation
 * selectors, the combining grapheme joiner and Khmer U+17B4/U+17B5. The
 * fillers are letters (Lo), the likeliest to be let in by mistake, so they
 * are named too. U+16FE4 (Khitan filler) and U+2800 (blank braille pattern)
 * are blank but not ignorable.
 */
const INVISIBLE_CLASS =
  "\\p{Default_Ignorable_Code_Point}\\u115F\\u1160\\u3164\\uFFA0\\u2800\\u{16FE4}";
const INVISIBLE = new RegExp(`[${INVISIBLE_CLASS}]`, "u");
/** What a refusal shows as an escape: controls, bidi controls, invisibles. */
const ESCAPED = new RegExp(
  `[\\u007F-\\u009F\\u202A-\\u202E\\u2066-\\u2069${INVISIBLE_CLASS}]`,
  "gu",
);
const ESCAPED_WITH_MARKS = new RegExp(
  `[\\u007F-\\u009F\\u202A-\\u202E\\u2066-\\u2069${INVISIBLE_CLASS}\\p{M}]`,
  "gu",
);
const ALL_MARKS = /^\p{M}+$/u;
const STARTS_WITH_MARK = /^\p{M}/u;
const ASCII_NICK = /^[A-Za-z0-9_.\-]*$/;

/**
 * UAX #31 Table 5, Recommended Scripts, with the names refusals use. UTS #39
 * restriction levels apply to identifiers in its General Security Profile,
 * which leaves out every other script (Cherokee, Lisu and the rest: many of
 * their letters copy Latin capitals). That profile's finer, per-character
 * data is not in JavaScript; the script test is the part that is.
 */
const RECOMMENDED: Record<string, string> = {
  Latn: "Latin",
  Arab: "Arabic",
  Armn: "Armenian",
  Beng: "Bengali",
  Bopo: "Bopomofo",
  Cyrl: "Cyrillic",
  Deva: "Devanagari",
  Ethi: "Ethiopic",
  Geor: "Georgian",
  Grek: "Greek",
  Gujr: "Gujarati",
  Guru: "Gurmukhi",
  Hang: "Hangul",
  Hani: "Han",
  Hebr: "Hebrew",
  Hira: "Hiragana",
  Kana: "Katakana",
  Knda: "Kannada",
  Khmr: "Khmer",
  Laoo: "Lao",
  Mlym: "Malayalam",
  Mymr: "Myanmar",
  Orya: "Oriya",
  Sinh: "Sinhala",
  Taml: "Tamil",
  Telu: "Telugu",
  Thaa: "Thaana",
  Thai: "Thai",
  Tibt: "Tibetan",
};
const SCRIPTS = Object.keys(RECOMMENDED);

/**
 * A character's scripts as a bit set: one bit per Recommended script, plus
 * the UTS #39 §5.1 augmented sets Hanb, Jpan and Kore, so that Han goes with
 * Bopomofo, with kana, or with Hangul. A character whose Script_Extensions
 * is Common or Inherited (digits, "_", combining accents) has every bit.
 */
const SCRIPT_BIT: Record<string, number> = Object.fromEntries(
  SCRIPTS.map((script, index) => [script, 1 << index]),
);
const HANB = 1 << SCRIPTS.length;
const JPAN = HANB << 1;
const KORE = HANB << 2;
const EVERY_SCRIPT = -1;
const AUGMENTS: [string, number][] = [
  ["Hani", HANB | JPAN | KORE],
  ["Bopo", HANB],
  ["Hira", JPAN],
  ["Kana", JPAN],
  ["Hang", KORE],
];

const SCRIPT_TESTS = SCRIPTS.map((script) => ({
  script,
  test: new RegExp(`\\p{Script_Extensions=${script}}`, "u"),
}));
const COMMON_OR_INHERITED = /[\p{Script_Extensions=Zyyy}\p{Script_Extensions=Zinh}]/u;
const ASCII_LETTER = /[A-Za-z]/;

/**
 * The scripts a character belongs to, as bits. Testing the script
 * properties costs about a microsecond a character, a few dozen for a
 * whole name: cheap enough to run on every join without a cache (a cache
 * would be state shared by every room in the process).
 */
function scriptBits(char: string): number {
  if (ASCII_LETTER.test(char)) return SCRIPT_BIT.Latn;
  return computeScriptBits(char);
}

function computeScriptBits(char: string): number {
  if (COMMON_OR_INHERITED.test(char)) return EVERY_SCRIPT;
  let bits = 0;
  for (const { script, test } of SCRIPT_TESTS) {
    if (test.test(char)) bits |= SCRIPT_BIT[script];
  }
  for (const [script, augment] of AUGMENTS) {
    if (bits & SCRIPT_BIT[script]) bits |= augment;
  }
  return bits;
}

/**
 * What Latin may be mixed with at the Moderately Restrictive level: Han
 * with kana, Bopomofo or Hangul (that is Highly Restrictive), or any one
 * other Recommended script except Cyrillic and Greek, whose letters copy
 * Latin ones.
 */
const LATIN_PARTNERS = EVERY_SCRIPT & ~SCRIPT_BIT.Latn & ~SCRIPT_BIT.Cyrl & ~SCRIPT_BIT.Grek;

/**
 * Whether a name is within UTS #39 §5.2's Moderately Restrictive level.
 * "Covered by Latin + X" means each character shares a script with
 * {Latin, X}, so X must be a script of every character that is not Latin:
 * the same test ICU's SpoofChecker makes.
 */
function moderatelyRestrictive(nick: string): boolean {
  let common = EVERY_SCRIPT; // Single Script: one script for every character.
  let commonBesideLatin = EVERY_SCRIPT;
  for (const char of nick) {
    const bits = scriptBits(char);
    common &= bits;
    if (!(bits & SCRIPT_BIT.Latn)) commonBesideLatin &= bits;
  }
  return common !== 0 || (commonBesideLatin & LATIN_PARTNERS) !== 0;
}

/** The first character from outside the Recommended scripts, if any. */
function unrecommendedChar(nick: string): string | undefined {
  for (const char of nick) {
    if (scriptBits(char) === 0) return char;
  }
  return undefined;
}

/** The scripts a name's letters come from, Latin first, for a refusal. */
function scriptsIn(nick: string): string[] {
  const found = new Set<string>();
  for (const char of nick) {
    if (COMMON_OR_INHERITED.test(char)) continue;
    const match = SCRIPT_TESTS.find(({ test }) => test.test(char));
    if (match) found.add(match.script);
  }
  const names = [...found].map((script) => RECOMMENDED[script]);
  return names.includes("Latin") ? ["Latin", ...names.filter((name) => name !== "Latin")] : names;
}

function listed(names: string[]): string {
  return names.length <= 2
    ? names.join(" and ")
    : `${names.slice(0, -1).join(", ")} and ${names.at(-1)}`;
}

/**
 * Quotes a name for a refusal as text.ts does, and also escapes what would
 * not show: invisible characters, and marks when there is nothing to carry
 * them.
 */
function quoted(nick: string, escapeMarks = false): string {
  return JSON.stringify(nick).replace(escapeMarks ? ESCAPED_WITH_MARKS : ESCAPED, unicodeEscape);
}

function unicodeEscape(char: string): string {
  const cp = char.codePointAt(0)!;
  return cp > 0xFFFF ? `\\u{${cp.toString(16)}}` : `\\u${cp.toString(16).padStart(4, "0")}`;
}

function codePointLabel(char: string): string {
  return `U+${char.codePointAt(0)!.toString(16).toUpperCase().padStart(4, "0")}`;
}

/**
 * Why a nickname is refused as a look-alike risk, or null when it may be
 * used. This does not compare it with other names; see `lookalikeKeys`.
 */
export function lookalikeProblem(nick: string): string | null {
  // Most names are plain ASCII, which no rule here refuses.
  if (ASCII_NICK.test(nick)) return null;
  if (INVISIBLE.test(nick)) return `Nickname ${quoted(nick)} contains an invisible character.`;
  if (ALL_MARKS.test(nick)) {
    return `Nickname ${quoted(nick, true)} is made only of combining marks.`;
  }
  // A leading mark would draw on whatever the screen shows before the name.
  if (STARTS_WITH_MARK.test(nick)) {
    return `Nickname ${quoted(nick, true)} cannot start with a combining mark.`;
  }
  const char = unrecommendedChar(nick);
  if (char !== undefined) {
    return `Nickname ${quoted(nick)} contains "${char}" (${codePointLabel(char)}), ` +
      "from a script nicknames cannot use.";
  }
  if (!moderatelyRestrictive(nick)) {
    return `Nickname ${quoted(nick)} mixes ${listed(scriptsIn(nick))} letters.`;
  }
  return null;
}
