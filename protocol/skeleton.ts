/**
 * The UTS #39 skeleton: a string reduced to a form in which look-alikes are
 * equal, so "раураl" (Cyrillic) and "paypal" have the same skeleton. For
 * comparing only; a skeleton is a hodgepodge of scripts, never shown.
 *
 * @module
 */
import { CONFUSABLE_GROUPS } from "./confusables_data.ts";

const DEFAULT_IGNORABLE = /\p{Default_Ignorable_Code_Point}/gu;

/** Source code point to prototype, decoded and settled once at load (~10 ms). */
const PROTOTYPES: ReadonlyMap<number, string> = settled(decodeGroups(CONFUSABLE_GROUPS));

/**
 * skeleton(X) as UTS #39 defines it since Unicode 15.1: NFD, drop
 * default-ignorable code points, replace each code point by its prototype,
 * NFD again; with prototypes settled (see `settled`), so that
 * skeleton(skeleton(X)) is skeleton(X). Case is kept ("I" and "l" share a
 * skeleton, "i" does not): callers that ignore case decide how to fold, as
 * nickname_safety.ts does.
 */
export function skeleton(text: string): string {
  return mapped(text, PROTOTYPES);
}

function mapped(text: string, prototypes: ReadonlyMap<number, string>): string {
  let out = "";
  for (const char of text.normalize("NFD").replace(DEFAULT_IGNORABLE, "")) {
    out += prototypes.get(char.codePointAt(0)!) ?? char;
  }
  return out.normalize("NFD");
}

/**
 * Reads "PROTOTYPE:SOURCE,..." groups (hex, "." between the code points of
 * a prototype). A hand-rolled scan: split() and parseInt() took five times
 * as long, about 25 ms of every process start.
 */
function decodeGroups(groups: readonly string[]): Map<number, string> {
  const prototypes = new Map<number, string>();
  for (const group of groups) {
    let prototype = "";
    let value = 0;
    for (let i = 0; i <= group.length; i++) {
      const code = i < group.length ? group.charCodeAt(i) : 0x2C;
      if (code === 0x2E || code === 0x3A) { // "." or ":" ends a prototype code point
        prototype += String.fromCodePoint(value);
        value = 0;
      } else if (code === 0x2C) { // "," or the end ends a source
        prototypes.set(value, prototype);
        value = 0;
      } else {
        value = value * 16 + (code <= 0x39 ? code - 0x30 : code - 0x37);
      }
    }
  }
  return prototypes;
}

/**
 * Maps each prototype again until it stops changing. A few prototypes
 * decompose into characters that have prototypes of their own: "ǆ" maps to
 * "dž", whose NFD carries a caron, which maps to a breve. In one pass, as
 * UTS #39 reads, "ǆ" and "dž" get different skeletons; settled, they share
 * one. 13 of the 6,311 entries of the 13.0.0 data change.
 */
function settled(prototypes: Map<number, string>): Map<number, string> {
  const done = new Map<string, string>();
  for (const [source, prototype] of prototypes) {
    if (!unsettled(prototype, prototypes)) continue;
    let result = done.get(prototype);
    if (result === undefined) {
      result = prototype;
      for (let pass = 0, previous = ""; result !== previous; pass++) {
        if (pass === 8) throw new Error(`Confusable prototype of U+${source.toString(16)} cycles.`);
        previous = result;
        result = mapped(result, prototypes);
      }
      done.set(prototype, result);
    }
    prototypes.set(source, result);
  }
  return prototypes;
}

/** Whether mapping a prototype again could change it: the cheap test first. */
function unsettled(prototype: string, prototypes: ReadonlyMap<number, string>): boolean {
  for (let i = 0; i < prototype.length; i++) {
    const code = prototype.charCodeAt(i);
    if (code >= 0xC0 || prototypes.has(code)) {
      return prototype.normalize("NFD") !== prototype ||
        [...prototype].some((char) => prototypes.has(char.codePointAt(0)!));
    }
  }
  return false;
}
