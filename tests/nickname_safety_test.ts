import assert from "node:assert/strict";
import {
  lookalikeKeys,
  lookalikeProblem,
  nicknamesLookAlike,
} from "../protocol/nickname_safety.ts";
import { skeleton } from "../protocol/skeleton.ts";
import { nicknameProblem } from "../protocol/text.ts";

/** Every name a person could legitimately pick, in the scripts our users write. */
const LEGITIMATE = [
  "alice",
  "bob",
  "민수",
  "김철수",
  "영희",
  "さくら",
  "タロウ",
  "山田太郎",
  "山田さくら",
  "Дмитрий",
  "Наташа",
  "Αλέξανδρος",
  "José",
  "Zoë",
  "François",
  "ana_99",
  "j.doe",
];

/** Accepted by text.ts as it stands: the attacks this module exists to stop. */
const INVISIBLE_ATTACKS: [string, string][] = [
  ["alice\u034F", "alice"], // combining grapheme joiner
  ["alice\uFE0F", "alice"], // variation selector 16
  ["alice\u17B4", "alice"], // Khmer vowel inherent aq
  ["bob\u3164", "bob"], // Hangul filler
  ["bob\u115F", "bob"], // Hangul choseong filler
  ["b\u1160ob", "bob"], // Hangul jungseong filler
  ["bob\uFFA0", "bob"], // halfwidth Hangul filler
];

Deno.test("lookalikeProblem() refuses invisible characters and fillers, and they still collide", () => {
  for (const [attack, victim] of INVISIBLE_ATTACKS) {
    assert.match(lookalikeProblem(attack) ?? "", /contains an invisible character\.$/, attack);
    assert.ok(nicknamesLookAlike(attack, victim), attack);
  }
  assert.equal(
    lookalikeProblem("bob\u3164"),
    'Nickname "bob\\u3164" contains an invisible character.',
    "the refusal shows the filler as an escape",
  );
});

Deno.test("lookalikeProblem() refuses every Default_Ignorable_Code_Point it was asked about", () => {
  for (const cp of [0x180B, 0x180C, 0x180D, 0x180E, 0x180F, 0x200B, 0x2060, 0xE0100, 0x16FE4]) {
    const nick = `ab${String.fromCodePoint(cp)}c`;
    assert.match(lookalikeProblem(nick) ?? "", /invisible/, cp.toString(16));
  }
});

Deno.test("lookalikeProblem() refuses Latin mixed with Cyrillic or Greek, and names the scripts", () => {
  assert.equal(
    lookalikeProblem("\u0430lice"),
    'Nickname "\u0430lice" mixes Latin and Cyrillic letters.',
  );
  assert.equal(
    lookalikeProblem("\u0430l\u0456\u0441\u0435"),
    'Nickname "\u0430l\u0456\u0441\u0435" mixes Latin and Cyrillic letters.',
  );
  assert.equal(
    lookalikeProblem("\u03B1lice"),
    'Nickname "\u03B1lice" mixes Latin and Greek letters.',
  );
  assert.equal(
    lookalikeProblem("ab\u0434\u03B1"),
    'Nickname "ab\u0434\u03B1" mixes Latin, Cyrillic and Greek letters.',
  );
});

Deno.test("the mixed-script attacks also share a skeleton key with alice", () => {
  for (const attack of ["\u0430lice", "\u0430l\u0456\u0441\u0435", "\u03B1lice", "\u0391LICE"]) {
    assert.ok(nicknamesLookAlike(attack, "alice"), attack);
  }
});

Deno.test("lookalikeProblem() refuses a name made only of combining marks, shown escaped", () => {
  assert.equal(
    lookalikeProblem("\u0301\u0301"),
    'Nickname "\\u0301\\u0301" is made only of combining marks.',
  );
  assert.match(lookalikeProblem("\u0300\u0301\u0302\u0303") ?? "", /only of combining marks/);
});

Deno.test("lookalikeProblem() refuses a name that starts with a combining mark", () => {
  assert.equal(
    lookalikeProblem("\u0301ana"),
    'Nickname "\\u0301ana" cannot start with a combining mark.',
  );
});

Deno.test("lookalikeProblem() refuses scripts outside the Recommended set", () => {
  // Cherokee and Lisu letters copy Latin capitals: "ꓮꓡꓲꓚꓰ" reads ALICE.
  assert.equal(
    lookalikeProblem("\u13E3\u13B3\u13A9"),
    'Nickname "\u13E3\u13B3\u13A9" contains "\u13E3" (U+13E3), from a script nicknames cannot use.',
  );
  assert.match(lookalikeProblem("\uA4EE\uA4E1\uA4F2\uA4DA\uA4F0") ?? "", /U\+A4EE/);
});

Deno.test("lookalikeProblem() allows the mixes Moderately Restrictive allows", () => {
  for (const nick of ["Leo山田", "Miaさくら", "Jin민수", "ana٣", "Noa_שלום", "ab12"]) {
    assert.equal(lookalikeProblem(nick), null, nick);
  }
});

Deno.test("lookalikeProblem() refuses mixes of two scripts that are not Latin", () => {
  assert.equal(
    lookalikeProblem("민수さくら"),
    'Nickname "민수さくら" mixes Hangul and Hiragana letters.',
  );
  assert.match(lookalikeProblem("Дмитрийαβ") ?? "", /mixes Cyrillic and Greek letters/);
});

Deno.test("legitimate names pass both checks and none looks like another", () => {
  for (const nick of LEGITIMATE) {
    assert.equal(nicknameProblem(nick), null, nick);
    assert.equal(lookalikeProblem(nick), null, nick);
  }
  for (const [i, a] of LEGITIMATE.entries()) {
    for (const b of LEGITIMATE.slice(i + 1)) {
      assert.ok(!nicknamesLookAlike(a, b), `${a} and ${b}`);
    }
  }
});

Deno.test("names that differ only in case or width look alike", () => {
  assert.ok(nicknamesLookAlike("ALICE", "alice"));
  assert.ok(nicknamesLookAlike("\uFF41\uFF4C\uFF49\uFF43\uFF45", "alice"), "fullwidth");
  assert.ok(nicknamesLookAlike("\u{1D41A}\u{1D425}\u{1D422}\u{1D41C}\u{1D41E}", "alice"), "bold");
});

Deno.test("look-alikes in another case form collide: AI and Al, Cyrillic ВОВ and bob", () => {
  assert.ok(nicknamesLookAlike("AI", "Al"), "capital i against small L");
  assert.ok(nicknamesLookAlike("\u0412\u041E\u0412", "bob"), "Cyrillic capitals read BOB");
  assert.equal(
    lookalikeProblem("\u0412\u041E\u0412"),
    null,
    "single-script, so only the key stops it",
  );
});

Deno.test("b0b looks like bob, a1ice like alice, and rnary like mary, by the Unicode data", () => {
  assert.ok(nicknamesLookAlike("b0b", "bob"), "0 looks like O, and bOb is bob");
  assert.ok(nicknamesLookAlike("a1ice", "alice"));
  assert.ok(nicknamesLookAlike("rnary", "mary"));
  assert.ok(!nicknamesLookAlike("ana", "anna"));
  assert.ok(!nicknamesLookAlike("dan", "clan"), "this data no longer maps d to cl");
});

Deno.test("lookalikeKeys() gives each case form's skeleton once", () => {
  assert.deepEqual(lookalikeKeys("alice"), ["alice", "ALlCE"]);
  assert.deepEqual(lookalikeKeys("Al"), ["Al", "al", "AL"]);
  assert.deepEqual(lookalikeKeys("민수"), [skeleton("민수")]);
});

Deno.test("lookalikeProblem() passes plain ASCII names without looking further", () => {
  for (const nick of ["bob", "b0b", "rnary", "ana_99", "j.doe", "A-Z"]) {
    assert.equal(lookalikeProblem(nick), null, nick);
  }
});

Deno.test("a Latin and Armenian mix passes the script rule but collides with the name it copies", () => {
  // Moderately Restrictive allows Latin with Armenian, whose "օ" looks like "o".
  assert.equal(lookalikeProblem("b\u0585b"), null);
  assert.ok(nicknamesLookAlike("b\u0585b", "bob"));
});
