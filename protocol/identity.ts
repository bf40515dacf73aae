/**
 * A member's identity: an Ed25519 key pair that `chat join` makes once and
 * keeps. At each join the room sends a fresh nonce (the `challenge` event
 * after `CHAT/2 json`), the client signs it, and the room checks the
 * signature: whoever joins with a key has shown they hold it, and the key's
 * fingerprint is what the room records (held nicknames, the owner, bans,
 * schedules). Plain clients and `CHAT/1` clients have no key and are
 * welcome as before.
 *
 * Fingerprints print like ssh's and the room's TLS key: `SHA256:` and the
 * unpadded base64 SHA-256 of the raw 32-byte public key.
 */
import { createHash } from "node:crypto";

/** The first line of a structured client that can prove a key. */
export const JSON_HANDSHAKE_V2 = "CHAT/2 json";

/**
 * What is signed: this context, then the nonce. The context keeps a
 * signature made for a room's join from meaning anything anywhere else.
 */
const SIGNING_CONTEXT = "chat/2 join\n";

/** Ed25519 public keys are 32 bytes; signatures 64. */
const PUBLIC_KEY_BYTES = 32;
const SIGNATURE_BYTES = 64;

/** The bytes a client signs to answer `nonce`. */
export function challengeBytes(nonce: string): Uint8Array<ArrayBuffer> {
  return new TextEncoder().encode(SIGNING_CONTEXT + nonce);
}

/** A fresh nonce for one join: 18 random bytes, base64. */
export function newNonce(): string {
  return toBase64(crypto.getRandomValues(new Uint8Array(18)));
}

/** The fingerprint of a raw Ed25519 public key. */
export function identityFingerprint(publicKey: Uint8Array): string {
  return "SHA256:" + createHash("sha256").update(publicKey).digest("base64").replace(/=+$/, "");
}

/** The first characters of a fingerprint, as `/whois` shows it. */
export function shortFingerprint(fingerprint: string): string {
  return `${fingerprint.slice(0, "SHA256:".length + 12)}…`;
}

/**
 * Checks a join's proof: `publicKey` (base64 of the raw key) signed the
 * challenge for `nonce` as `signature` (base64). Resolves with the key's
 * fingerprint, or null when the proof does not hold (or is not even well
 * formed); never rejects.
 */
export async function verifyProof(
  publicKey: unknown,
  signature: unknown,
  nonce: string,
): Promise<string | null> {
  if (typeof publicKey !== "string" || typeof signature !== "string") return null;
  const key = fromBase64(publicKey);
  const signed = fromBase64(signature);
  if (key?.length !== PUBLIC_KEY_BYTES || signed?.length !== SIGNATURE_BYTES) return null;
  try {
    const imported = await crypto.subtle.importKey("raw", key, { name: "Ed25519" }, false, [
      "verify",
    ]);
    const valid = await crypto.subtle.verify(
      { name: "Ed25519" },
      imported,
      signed,
      challengeBytes(nonce),
    );
    return valid ? identityFingerprint(key) : null;
  } catch {
    return null;
  }
}

export function toBase64(bytes: Uint8Array): string {
  let text = "";
  for (const byte of bytes) text += String.fromCharCode(byte);
  return btoa(text);
}

/** Base64 to bytes, or null when it is not base64. */
export function fromBase64(text: string): Uint8Array<ArrayBuffer> | null {
  if (text.length > 1024 || !/^[A-Za-z0-9+/]*={0,2}$/.test(text)) return null;
  try {
    return Uint8Array.from(atob(text), (char) => char.charCodeAt(0));
  } catch {
    return null;
  }
}
