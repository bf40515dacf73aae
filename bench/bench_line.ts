/**
 * The bench's chat message, `b <sender> <seq> <sentMicros>`, and a parser that
 * reads it back out of the server's broadcast line straight from the bytes.
 *
 * The server relays it as `[HH:MM] <nick>: b <sender> <seq> <sentMicros>\r\n`.
 * Receivers see hundreds of thousands of these a second, so the parser walks
 * backwards from the line's end over digits and never builds a string.
 */

/** The text a sender sends, with its newline. */
export function benchMessage(sender: number, seq: number, sentMicros: number): string {
  return `b ${sender} ${seq} ${Math.round(sentMicros)}\n`;
}

/** Where `parseBenchLine` puts the fields, reused to avoid allocating. */
export interface BenchFields {
  sender: number;
  seq: number;
  sentMicros: number;
}

const SPACE = 0x20;
const COLON = 0x3a;
const LETTER_B = 0x62;
const CR = 0x0d;
const ZERO = 0x30;
const NINE = 0x39;

/**
 * Parses `bytes[start, end)` (one line, without its `\n`) as a relayed bench
 * message. Returns false, leaving `out` untouched, for any other line.
 */
export function parseBenchLine(
  bytes: Uint8Array,
  start: number,
  end: number,
  out: BenchFields,
): boolean {
  let at = end - 1;
  if (at >= start && bytes[at] === CR) at--;
  // Three numbers, right to left, each preceded by a space.
  let sentMicros = 0;
  let place = 1;
  const timeEnd = at;
  while (at >= start && bytes[at] >= ZERO && bytes[at] <= NINE) {
    sentMicros += (bytes[at] - ZERO) * place;
    place *= 10;
    at--;
  }
  if (at === timeEnd || at < start || bytes[at] !== SPACE) return false;
  at--;
  let seq = 0;
  place = 1;
  const seqEnd = at;
  while (at >= start && bytes[at] >= ZERO && bytes[at] <= NINE) {
    seq += (bytes[at] - ZERO) * place;
    place *= 10;
    at--;
  }
  if (at === seqEnd || at < start || bytes[at] !== SPACE) return false;
  at--;
  let sender = 0;
  place = 1;
  const senderEnd = at;
  while (at >= start && bytes[at] >= ZERO && bytes[at] <= NINE) {
    sender += (bytes[at] - ZERO) * place;
    place *= 10;
    at--;
  }
  if (at === senderEnd || at - 3 < start) return false;
  // ": b " precedes the numbers.
  if (bytes[at] !== SPACE || bytes[at - 1] !== LETTER_B) return false;
  if (bytes[at - 2] !== SPACE || bytes[at - 3] !== COLON) return false;
  out.sender = sender;
  out.seq = seq;
  out.sentMicros = sentMicros;
  return true;
}

const JOINED = new TextEncoder().encode(" joined the chat.");

/** The room's own mark before an announcement (protocol/text.ts SYSTEM_MARK), in UTF-8. */
const SYSTEM_MARK = new TextEncoder().encode("\u2023");

/** Whether `bytes[start, end)` is a `‣ <nick> joined the chat.` announcement. */
export function isJoinLine(bytes: Uint8Array, start: number, end: number): boolean {
  let at = end - 1;
  if (at >= start && bytes[at] === CR) at--;
  const from = at - JOINED.length + 1;
  if (from < start) return false;
  for (let index = 0; index < JOINED.length; index++) {
    if (bytes[from + index] !== JOINED[index]) return false;
  }
  // "[HH:MM] ‣ nick joined...": the mark tells it from a chat message ending the same way.
  for (let index = 0; index < SYSTEM_MARK.length; index++) {
    if (bytes[start + 8 + index] !== SYSTEM_MARK[index]) return false;
  }
  return true;
}

/**
 * Parses `text[start, end)` as a bench message `b <sender> <seq> <sentMicros>`
 * (the `text` of a JSON message event, as a WebSocket member gets it).
 * Returns false, leaving `out` untouched, for anything else.
 */
export function parseBenchText(
  text: string,
  start: number,
  end: number,
  out: BenchFields,
): boolean {
  if (end - start < 7 || text.charCodeAt(start) !== LETTER_B) return false;
  if (text.charCodeAt(start + 1) !== SPACE) return false;
  const numbers = [0, 0, 0];
  let at = start + 2;
  for (let index = 0; index < 3; index++) {
    const from = at;
    let value = 0;
    while (at < end && text.charCodeAt(at) >= ZERO && text.charCodeAt(at) <= NINE) {
      value = value * 10 + text.charCodeAt(at) - ZERO;
      at++;
    }
    if (at === from) return false;
    numbers[index] = value;
    if (index < 2) {
      if (text.charCodeAt(at) !== SPACE) return false;
      at++;
    }
  }
  if (at !== end) return false;
  out.sender = numbers[0];
  out.seq = numbers[1];
  out.sentMicros = numbers[2];
  return true;
}
