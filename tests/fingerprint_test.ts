/**
 * The key fingerprint a room is known by (protocol/fingerprint.ts) is the
 * one openssl computes from the same certificate, and the addresses and
 * fingerprints a user types are read as documented.
 */
import { parseRoomAddress } from "../main.ts";
import { keyFingerprint, parseFingerprint } from "../protocol/fingerprint.ts";
import { assertEquals, assertThrows } from "./support/assert.ts";
import { CertificateMaker, OPENSSL_MISSING, opensslAvailable } from "./support/certificates.ts";
import { tempDir } from "./support/temp_dir.ts";

Deno.test({
  name: "keyFingerprint() is SHA256: and the unpadded base64 of the key's SHA-256, as openssl says",
  ignore: !opensslAvailable(),
  fn: async () => {
    await using dir = await tempDir("chat_fingerprint_");
    const certs = new CertificateMaker(dir.path);
    const ca = await certs.ca();
    const leaf = await certs.leaf("leaf", ca);
    const { stdout, success } = await new Deno.Command("sh", {
      args: [
        "-c",
        'openssl x509 -in "$1" -noout -pubkey | openssl pkey -pubin -outform der | ' +
        "openssl dgst -sha256 -binary | base64",
        "sh",
        leaf.cert,
      ],
      stdout: "piped",
    }).output();
    assertEquals(success, true, OPENSSL_MISSING);
    const expected = `SHA256:${new TextDecoder().decode(stdout).trim().replace(/=+$/, "")}`;
    const pem = await Deno.readTextFile(leaf.cert);
    assertEquals(keyFingerprint(pem), expected);
    // A chain file counts its first certificate.
    assertEquals(keyFingerprint(pem + await Deno.readTextFile(ca.cert)), expected);
    assertEquals(keyFingerprint(await Deno.readTextFile(ca.cert)) === expected, false);
  },
});

Deno.test("parseFingerprint() takes SHA256: and 43 base64 characters, padded or not", () => {
  const bare = `SHA256:${"a+/9".repeat(10)}abc`;
  assertEquals(parseFingerprint(bare), bare);
  assertEquals(parseFingerprint(` ${bare}= `), bare);
  for (const wrong of [bare.slice(7), `SHA1:${bare.slice(7)}`, bare.slice(0, -1), `${bare}x`]) {
    assertEquals(parseFingerprint(wrong), null, wrong);
  }
});

Deno.test("parseRoomAddress() reads tls:// in any case, a port, and IPv6 in brackets", () => {
  assertEquals(parseRoomAddress("tls://chat.example.org"), {
    host: "chat.example.org",
    port: 9999,
    tls: true,
  });
  assertEquals(parseRoomAddress("TLS://[::1]:7000"), { host: "::1", port: 7000, tls: true });
  assertEquals(parseRoomAddress("10.0.0.5:7000"), { host: "10.0.0.5", port: 7000, tls: false });
  assertThrows(() => parseRoomAddress("tls://"), /is not HOST\[:PORT\] or tls:\/\/HOST\[:PORT\]/);
});
