/**
 * A room's TLS identity, in the form people compare by eye: `SHA256:`
 * followed by the unpadded base64 SHA-256 of the certificate's public key
 * (its DER SubjectPublicKeyInfo), as ssh prints a host key. `chat serve`
 * logs it for its certificate file; `chat join` computes it from the
 * certificate the room presented on the connection it is about to use.
 *
 * Why the key and not the whole certificate: a TLS handshake proves the
 * server holds the private key, so the key is what identifies the room. A
 * certificate renewed with the same key (certbot's `--reuse-key`) keeps its
 * fingerprint, and members are not warned every 60 days; a new key, or a
 * certificate for someone else's key, changes it.
 */
import { createHash, X509Certificate } from "node:crypto";

const PREFIX = "SHA256:";
/** 32 bytes are 43 base64 characters without padding. */
const FINGERPRINT = /^SHA256:[A-Za-z0-9+/]{43}$/;

/**
 * The fingerprint of a certificate (PEM text, whose first certificate
 * counts, or DER bytes). Throws if it holds no certificate.
 */
export function keyFingerprint(certificate: string | Uint8Array): string {
  const spki = new X509Certificate(certificate).publicKey.export({ type: "spki", format: "der" });
  return PREFIX + createHash("sha256").update(spki).digest("base64").replace(/=+$/, "");
}

/** `text` as a fingerprint (a trailing `=` is allowed), or null if it is not one. */
export function parseFingerprint(text: string): string | null {
  const candidate = text.trim().replace(/=$/, "");
  return FINGERPRINT.test(candidate) ? candidate : null;
}
