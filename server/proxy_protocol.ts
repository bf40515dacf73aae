/**
 * The PROXY protocol header (HAProxy, versions 1 and 2) that a load balancer
 * sends ahead of a client's bytes to say who the client really is. Pure: the
 * caller buffers a connection's first bytes, asks `parseProxyHeader()` what
 * they are, and reads more while the answer is "incomplete"; after
 * `PROXY_HEADER_MAX_BYTES` the answer is never "incomplete". Ask only about
 * connections from a trusted proxy: anyone else could claim any address.
 */
import { formatIp, ipFromBytes, parseIp } from "./address_range.ts";

/** Where the client really connected from. */
export interface ProxySource {
  readonly address: string;
  readonly port: number;
}

/** What a connection's first bytes are. */
export type ProxyParse =
  /** A valid start of a header: read more bytes and ask again. */
  | { kind: "incomplete" }
  /** Cannot be a header: the bytes are the client's own. */
  | { kind: "absent" }
  /** `length` bytes are the header; `source` null means use the connection's own address. */
  | { kind: "header"; length: number; source: ProxySource | null }
  /** Starts like a header but is not one; close the connection. */
  | { kind: "invalid"; reason: string };

/** The spec's limit for a v1 line, CRLF included. */
export const PROXY_V1_MAX_BYTES = 107;
/**
 * The most address and TLV bytes accepted after a v2 header's fixed 16. The
 * spec allows 65535; proxies send a few dozen, and a low cap bounds what every
 * connection may make us buffer before we know who it is.
 */
export const PROXY_V2_MAX_PAYLOAD_BYTES = 1024;
const V2_FIXED_BYTES = 16;
/** Buffer this many bytes and `parseProxyHeader()` has decided. */
export const PROXY_HEADER_MAX_BYTES = V2_FIXED_BYTES + PROXY_V2_MAX_PAYLOAD_BYTES;

const V1_START = "PROXY ";
const V1_PROTOCOLS: readonly string[] = ["TCP4", "TCP6", "UNKNOWN"];
const V1_FIELD_NAMES: readonly string[] = [
  "protocol",
  "source address",
  "destination address",
  "source port",
  "destination port",
];
/**
 * Tails that turn any valid prefix of an address into a whole address (a
 * partial group or octet is already whole; these finish the rest), so a prefix
 * is valid exactly when one of them completes it.
 */
const ADDRESS_COMPLETIONS: readonly string[] = [
  "",
  "0",
  ":",
  "::",
  ".0",
  "0.0",
  ".0.0",
  "0.0.0",
  ".0.0.0",
  "0.0.0.0",
];

const V2_SIGNATURE = "\r\n\r\n\0\r\nQUIT\n";
/** After the signature: version and command, family and transport, then a 16-bit length. */
const V2_VERSION_AT = 12;
const V2_FAMILY_AT = 13;
const V2_LENGTH_AT = 14;
const V2_VERSION = 2;
const V2_COMMAND_LOCAL = 0;
const V2_COMMAND_PROXY = 1;
const V2_FAMILY_INET = 1;
const V2_FAMILY_INET6 = 2;
const V2_FAMILY_UNIX = 3;
const V2_TRANSPORT_STREAM = 1;
const V2_TRANSPORT_DGRAM = 2;
/** Address block bytes per family: UNSPEC, INET (4+4+2+2), INET6 (16+16+2+2), UNIX (108+108). */
const V2_ADDRESS_BYTES: readonly number[] = [0, 12, 36, 216];

/** Classifies a connection's first bytes; see `ProxyParse`. */
export function parseProxyHeader(bytes: Uint8Array): ProxyParse {
  if (bytes.length === 0) return { kind: "incomplete" };
  if (bytes[0] === V2_SIGNATURE.charCodeAt(0)) return parseV2(bytes);
  if (bytes[0] === V1_START.charCodeAt(0)) return parseV1(bytes);
  return { kind: "absent" };
}

/** "1.2.3.4:5" or "[2001:db8::1]:5", for a log line. */
export function formatAddress(source: ProxySource): string {
  return source.address.includes(":")
    ? `[${source.address}]:${source.port}`
    : `${source.address}:${source.port}`;
}

function parseV1(bytes: Uint8Array): ProxyParse {
  const window = bytes.subarray(0, PROXY_V1_MAX_BYTES);
  // One char per byte, so string offsets are byte offsets.
  const text = String.fromCharCode(...window);
  if (!text.startsWith(V1_START)) {
    return V1_START.startsWith(text) ? { kind: "incomplete" } : { kind: "absent" };
  }
  const end = text.indexOf("\r\n");
  if (end === -1) {
    const fields = text.slice(V1_START.length);
    // A trailing CR must be the start of the CRLF, so what precedes it must be whole.
    const check = fields.endsWith("\r")
      ? checkV1Fields(fields.slice(0, -1), true)
      : checkV1Fields(fields, false);
    if ("reason" in check) return { kind: "invalid", reason: check.reason };
    if (window.length >= PROXY_V1_MAX_BYTES) {
      return { kind: "invalid", reason: "PROXY v1 line is longer than 107 bytes" };
    }
    return { kind: "incomplete" };
  }
  const check = checkV1Fields(text.slice(V1_START.length, end), true);
  if ("reason" in check) return { kind: "invalid", reason: check.reason };
  return { kind: "header", length: end + 2, source: check.source };
}

/**
 * Checks the fields after "PROXY ": all of them when `whole`, otherwise a
 * prefix of them whose last field may be cut short.
 */
function checkV1Fields(
  text: string,
  whole: boolean,
): { source: ProxySource | null } | { reason: string } {
  const fields = text.split(" ");
  const protocol = fields[0];
  if (!whole && fields.length === 1) {
    return V1_PROTOCOLS.some((known) => known.startsWith(protocol))
      ? { source: null }
      : { reason: `PROXY v1 protocol ${JSON.stringify(protocol)} is not TCP4, TCP6 or UNKNOWN` };
  }
  // The spec: after UNKNOWN, ignore everything up to the CRLF.
  if (protocol === "UNKNOWN") return { source: null };
  if (protocol !== "TCP4" && protocol !== "TCP6") {
    return { reason: `PROXY v1 protocol ${JSON.stringify(protocol)} is not TCP4, TCP6 or UNKNOWN` };
  }
  if (fields.length > V1_FIELD_NAMES.length) return { reason: "PROXY v1 line has too many fields" };
  if (whole && fields.length < V1_FIELD_NAMES.length) {
    return { reason: "PROXY v1 line has too few fields" };
  }
  const family = protocol === "TCP4" ? 4 : 6;
  for (let i = 1; i < fields.length; i++) {
    const field = fields[i];
    const cutShort = !whole && i === fields.length - 1;
    const valid = i <= 2
      ? (cutShort ? isAddressPrefix(field, family) : parseIp(field)?.family === family)
      : (cutShort ? field === "" || parsePort(field) !== null : parsePort(field) !== null);
    if (!valid) {
      return { reason: `PROXY v1 ${V1_FIELD_NAMES[i]} ${JSON.stringify(field)} is not valid` };
    }
  }
  if (!whole) return { source: null };
  return { source: { address: formatIp(parseIp(fields[1])!), port: parsePort(fields[3])! } };
}

function isAddressPrefix(text: string, family: 4 | 6): boolean {
  return ADDRESS_COMPLETIONS.some((tail) => parseIp(text + tail)?.family === family);
}

/** Decimal 0-65535 without leading zeros, as v1 requires. */
function parsePort(text: string): number | null {
  if (!/^(?:0|[1-9][0-9]{0,4})$/.test(text)) return null;
  const port = Number(text);
  return port <= 0xffff ? port : null;
}

function parseV2(bytes: Uint8Array): ProxyParse {
  const signatureBytes = Math.min(bytes.length, V2_SIGNATURE.length);
  for (let i = 0; i < signatureBytes; i++) {
    if (bytes[i] !== V2_SIGNATURE.charCodeAt(i)) return { kind: "absent" };
  }
  if (bytes.length <= V2_VERSION_AT) return { kind: "incomplete" };
  const version = bytes[V2_VERSION_AT] >> 4;
  const command = bytes[V2_VERSION_AT] & 0x0f;
  if (version !== V2_VERSION) {
    return { kind: "invalid", reason: `PROXY v2 header has version ${version}, not 2` };
  }
  if (command !== V2_COMMAND_LOCAL && command !== V2_COMMAND_PROXY) {
    return { kind: "invalid", reason: `PROXY v2 command ${command} is neither LOCAL nor PROXY` };
  }
  if (bytes.length <= V2_FAMILY_AT) return { kind: "incomplete" };
  const family = bytes[V2_FAMILY_AT] >> 4;
  const transport = bytes[V2_FAMILY_AT] & 0x0f;
  // The spec: receivers must drop connections with unknown values here.
  if (family > V2_FAMILY_UNIX) {
    return { kind: "invalid", reason: `PROXY v2 address family ${family} is unknown` };
  }
  if (transport > V2_TRANSPORT_DGRAM) {
    return { kind: "invalid", reason: `PROXY v2 transport ${transport} is unknown` };
  }
  if (command === V2_COMMAND_PROXY && transport === V2_TRANSPORT_DGRAM) {
    return { kind: "invalid", reason: "PROXY v2 header describes a datagram, not a stream" };
  }
  if (bytes.length < V2_FIXED_BYTES) return { kind: "incomplete" };
  const payloadBytes = (bytes[V2_LENGTH_AT] << 8) | bytes[V2_LENGTH_AT + 1];
  if (payloadBytes > PROXY_V2_MAX_PAYLOAD_BYTES) {
    return {
      kind: "invalid",
      reason: `PROXY v2 header carries ${payloadBytes} bytes after its first 16; ` +
        `at most ${PROXY_V2_MAX_PAYLOAD_BYTES} are accepted`,
    };
  }
  if (command === V2_COMMAND_PROXY && payloadBytes < V2_ADDRESS_BYTES[family]) {
    return { kind: "invalid", reason: "PROXY v2 header is too short for its addresses" };
  }
  const length = V2_FIXED_BYTES + payloadBytes;
  if (bytes.length < length) return { kind: "incomplete" };
  const carriesSource = command === V2_COMMAND_PROXY && transport === V2_TRANSPORT_STREAM &&
    (family === V2_FAMILY_INET || family === V2_FAMILY_INET6);
  // LOCAL (a proxy's own health check), UNSPEC and UNIX: the real address stands.
  if (!carriesSource) return { kind: "header", length, source: null };
  // Source address, destination address, source port, destination port; TLVs after are skipped.
  const addressBytes = family === V2_FAMILY_INET ? 4 : 16;
  const address = ipFromBytes(bytes.subarray(V2_FIXED_BYTES, V2_FIXED_BYTES + addressBytes));
  const portAt = V2_FIXED_BYTES + 2 * addressBytes;
  const port = (bytes[portAt] << 8) | bytes[portAt + 1];
  return { kind: "header", length, source: { address: formatIp(address), port } };
}
