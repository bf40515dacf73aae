/**
 * Address ranges for the `--exempt` and `--trusted-proxy` flags: a list of
 * IPv4 and IPv6 CIDR blocks, parsed once at startup and asked once per
 * accepted connection whether it holds the peer's address. Also the project's
 * one parser and formatter of IP address text (`parseIp`, `formatIp`), which
 * proxy_protocol.ts reuses.
 *
 * Every address is held as 128 bits, an IPv4 address as its IPv4-mapped IPv6
 * form ::ffff:a.b.c.d (RFC 4291 §2.5.5.2). A dual-stack listener reports IPv4
 * clients in that form ("::ffff:127.0.0.1"), so they fall in 127.0.0.0/8
 * without a special case. The flip side: an IPv6 range that covers
 * ::ffff:0:0/96, such as ::/0, covers every IPv4 client too.
 */

/** An IP address; `family` only says how it was written and how to print it. */
export interface IpAddress {
  readonly family: 4 | 6;
  /** The address as 128 bits, IPv4 as ::ffff:a.b.c.d. */
  readonly bits: bigint;
}

/** One CIDR block, its host bits already cleared. */
export interface AddressRange {
  readonly family: 4 | 6;
  /** As written: 0-32 for IPv4, 0-128 for IPv6. */
  readonly prefix: number;
  readonly network: bigint;
  readonly mask: bigint;
}

/** A flag's value that is not a list of address ranges; a usage error. */
export class AddressRangeError extends Error {
  override name = "AddressRangeError";
}

const IPV4_MAPPED_PREFIX = 0xffffn << 32n;
const ALL_ONES = (1n << 128n) - 1n;
/** "ffff:ffff:ffff:ffff:ffff:ffff:255.255.255.255"; longer text is never an address. */
const IPV6_TEXT_MAX = 45;
const EXPECTED_FORM = `expected CIDR like 10.0.0.0/8 or ::1/128, or "none"`;

/** The ranges a flag names; `includes()` is the per-connection question. */
export class AddressRanges {
  readonly #ranges: readonly AddressRange[];

  constructor(ranges: readonly AddressRange[]) {
    this.#ranges = ranges;
  }

  get isEmpty(): boolean {
    return this.#ranges.length === 0;
  }

  /**
   * Whether `ip` (as Deno reports `remoteAddr.hostname`) lies in any range.
   * Text that is not an address is in no range; this never throws.
   */
  includes(ip: string): boolean {
    if (this.#ranges.length === 0) return false;
    const address = parseIp(ip);
    if (address === null) return false;
    for (const range of this.#ranges) {
      if ((address.bits & range.mask) === range.network) return true;
    }
    return false;
  }

  /** The normalized list, e.g. "10.0.0.0/8,::1/128", or "none"; parses back to the same ranges. */
  toString(): string {
    if (this.#ranges.length === 0) return "none";
    return this.#ranges
      .map((range) => `${formatIp({ family: range.family, bits: range.network })}/${range.prefix}`)
      .join(",");
  }
}

/**
 * Parses a flag's value: comma-separated CIDR blocks or bare addresses (a bare
 * address is /32 or /128), spaces around items ignored; "none" or "" is the
 * empty list. Host bits past the prefix are accepted and cleared, so
 * 10.1.2.3/8 means 10.0.0.0/8: the block is what matters, and refusing would
 * only make the operator retype it. Throws `AddressRangeError` naming `flag`.
 */
export function parseAddressRanges(text: string, flag: string): AddressRanges {
  const trimmed = text.trim();
  if (trimmed === "" || trimmed.toLowerCase() === "none") return new AddressRanges([]);
  return new AddressRanges(trimmed.split(",").map((item) => parseRange(item.trim(), flag)));
}

function parseRange(item: string, flag: string): AddressRange {
  const refuse = (why: string) =>
    new AddressRangeError(
      `${flag}: ${JSON.stringify(item)} is not an address range (${why}); ${EXPECTED_FORM}.`,
    );
  if (item === "") throw refuse("empty item");
  const slash = item.indexOf("/");
  const address = parseIp(slash === -1 ? item : item.slice(0, slash));
  if (address === null) throw refuse("not an IPv4 or IPv6 address");
  const width = address.family === 4 ? 32 : 128;
  const prefix = slash === -1 ? width : parseDecimal(item.slice(slash + 1), width);
  if (prefix === null) throw refuse(`the prefix length must be 0 to ${width}`);
  // An IPv4 prefix counts from bit 96 of the mapped form; host bits are the same either way.
  const mask = ALL_ONES ^ ((1n << BigInt(width - prefix)) - 1n);
  return { family: address.family, prefix, network: address.bits & mask, mask };
}

/**
 * Parses one address: a dotted quad, or IPv6 text with optional "::" and an
 * optional dotted-quad tail. Refused: zone ids ("fe80::1%eth0"), brackets, and
 * IPv4 parts with leading zeros ("010"), which some parsers read as octal.
 */
export function parseIp(text: string): IpAddress | null {
  if (text.includes(":")) {
    const bits = parseIpv6(text);
    return bits === null ? null : { family: 6, bits };
  }
  const value = parseIpv4(text);
  return value === null ? null : { family: 4, bits: IPV4_MAPPED_PREFIX | BigInt(value) };
}

/** An address from its network bytes: 4 for IPv4, 16 for IPv6. */
export function ipFromBytes(bytes: Uint8Array): IpAddress {
  if (bytes.length === 4) {
    const value = ((bytes[0] << 24) | (bytes[1] << 16) | (bytes[2] << 8) | bytes[3]) >>> 0;
    return { family: 4, bits: IPV4_MAPPED_PREFIX | BigInt(value) };
  }
  if (bytes.length !== 16) {
    throw new RangeError(`An IP address is 4 or 16 bytes, not ${bytes.length}`);
  }
  let bits = 0n;
  for (const byte of bytes) bits = (bits << 8n) | BigInt(byte);
  return { family: 6, bits };
}

/**
 * Prints an address the way Deno prints `remoteAddr.hostname`: a dotted quad,
 * or RFC 5952 IPv6 (lowercase, the longest run of two or more zero groups as
 * "::", the first on a tie), with IPv4-mapped addresses as ::ffff:a.b.c.d.
 */
export function formatIp(address: IpAddress): string {
  const low32 = Number(address.bits & 0xffffffffn);
  if (address.family === 4) return formatIpv4(low32);
  if (address.bits >> 32n === 0xffffn) return `::ffff:${formatIpv4(low32)}`;
  const groups: number[] = [];
  for (let shift = 112n; shift >= 0n; shift -= 16n) {
    groups.push(Number((address.bits >> shift) & 0xffffn));
  }
  let runStart = -1;
  let runLength = 1;
  for (let start = 0; start < 8;) {
    let end = start;
    while (end < 8 && groups[end] === 0) end++;
    if (end - start > runLength) {
      runStart = start;
      runLength = end - start;
    }
    start = end === start ? start + 1 : end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (runStart === -1) return hex.join(":");
  return `${hex.slice(0, runStart).join(":")}::${hex.slice(runStart + runLength).join(":")}`;
}

function formatIpv4(value: number): string {
  return `${value >>> 24}.${(value >>> 16) & 0xff}.${(value >>> 8) & 0xff}.${value & 0xff}`;
}

/** A dotted quad as a 32-bit number, or null. */
function parseIpv4(text: string): number | null {
  const parts = text.split(".");
  if (parts.length !== 4) return null;
  let value = 0;
  for (const part of parts) {
    const octet = parseDecimal(part, 255);
    if (octet === null) return null;
    value = value * 256 + octet;
  }
  return value;
}

function parseIpv6(text: string): bigint | null {
  if (text.length > IPV6_TEXT_MAX) return null;
  const gap = text.indexOf("::");
  // ":::" and a second "::" both show up as a later "::".
  if (gap !== text.lastIndexOf("::")) return null;
  let groups: number[];
  if (gap === -1) {
    const all = parseGroups(text, true);
    if (all === null || all.length !== 8) return null;
    groups = all;
  } else {
    const head = parseGroups(text.slice(0, gap), false);
    const tail = parseGroups(text.slice(gap + 2), true);
    // "::" stands for at least one zero group.
    if (head === null || tail === null || head.length + tail.length > 7) return null;
    groups = [...head, ...Array(8 - head.length - tail.length).fill(0), ...tail];
  }
  let bits = 0n;
  for (const group of groups) bits = (bits << 16n) | BigInt(group);
  return bits;
}

/** Colon-separated hex groups ("" is none); a dotted-quad tail, if allowed, counts as two. */
function parseGroups(text: string, ipv4Tail: boolean): number[] | null {
  if (text === "") return [];
  const parts = text.split(":");
  const groups: number[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (ipv4Tail && i === parts.length - 1 && part.includes(".")) {
      const value = parseIpv4(part);
      if (value === null) return null;
      groups.push(value >>> 16, value & 0xffff);
    } else if (/^[0-9a-fA-F]{1,4}$/.test(part)) {
      groups.push(parseInt(part, 16));
    } else {
      return null;
    }
  }
  return groups;
}

/** Plain decimal digits, no sign and no leading zero ("0" itself is fine), at most `max`. */
function parseDecimal(text: string, max: number): number | null {
  if (!/^(?:0|[1-9][0-9]{0,5})$/.test(text)) return null;
  const value = Number(text);
  return value <= max ? value : null;
}
