/**
 * This user's identity for `chat join`: an Ed25519 key pair made once with
 * WebCrypto and kept in `identity` in the config directory (0600, in a 0700
 * directory), as JSON with the private key (PKCS#8) and the public key (raw),
 * both base64. Rooms hold the user's nicknames, ownership and schedules for
 * this key, so losing the file means starting over as someone new.
 */
import { challengeBytes, fromBase64, identityFingerprint, toBase64 } from "../protocol/identity.ts";
import { configPath, writePrivateFile } from "./config_dir.ts";

/** A key pair that can answer a room's challenge. */
export class Identity {
  readonly publicKey: Uint8Array;
  readonly fingerprint: string;
  #privateKey: CryptoKey;

  constructor(publicKey: Uint8Array, privateKey: CryptoKey) {
    this.publicKey = publicKey;
    this.fingerprint = identityFingerprint(publicKey);
    this.#privateKey = privateKey;
  }

  /** The proof for a room's `nonce`: what goes in the `nick` message's `key`. */
  async prove(nonce: string): Promise<{ public: string; signature: string }> {
    const signature = await crypto.subtle.sign(
      { name: "Ed25519" },
      this.#privateKey,
      challengeBytes(nonce),
    );
    return { public: toBase64(this.publicKey), signature: toBase64(new Uint8Array(signature)) };
  }
}

/** Where the identity file is by default. */
export function defaultIdentityPath(): string {
  return configPath("identity", "your identity key");
}

/** Reads the identity at `path`, making and saving a new one if there is none. */
export async function loadOrCreateIdentity(path = defaultIdentityPath()): Promise<Identity> {
  let text: string | null = null;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  if (text !== null) return await parseIdentity(text, path);
  const { identity, file } = await generateIdentity();
  await writePrivateFile(path, `${file}\n`, ".identity.");
  return identity;
}

/** A new key pair, and the file text that keeps it. */
export async function generateIdentity(): Promise<{ identity: Identity; file: string }> {
  const pair = await crypto.subtle.generateKey({ name: "Ed25519" }, true, [
    "sign",
    "verify",
  ]) as CryptoKeyPair;
  const publicKey = new Uint8Array(await crypto.subtle.exportKey("raw", pair.publicKey));
  const privateKey = new Uint8Array(await crypto.subtle.exportKey("pkcs8", pair.privateKey));
  const file = { version: 1, public: toBase64(publicKey), private: toBase64(privateKey) };
  return { identity: new Identity(publicKey, pair.privateKey), file: JSON.stringify(file) };
}

async function parseIdentity(text: string, path: string): Promise<Identity> {
  const damaged = new Error(
    `Your identity file "${path}" is damaged. Move it aside to make a new key ` +
      "(rooms will see you as someone new).",
  );
  let file: { public?: unknown; private?: unknown };
  try {
    file = JSON.parse(text);
  } catch {
    throw damaged;
  }
  const publicKey = typeof file.public === "string" ? fromBase64(file.public) : null;
  const privateBytes = typeof file.private === "string" ? fromBase64(file.private) : null;
  if (publicKey?.length !== 32 || privateBytes === null) throw damaged;
  try {
    const privateKey = await crypto.subtle.importKey(
      "pkcs8",
      privateBytes,
      { name: "Ed25519" },
      false,
      ["sign"],
    );
    return new Identity(publicKey, privateKey);
  } catch {
    throw damaged;
  }
}
