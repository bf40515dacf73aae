/**
 * Test support: certificates made with the real `openssl` in a temp dir: a
 * small CA and leaves it signs, or a self-signed leaf. A leaf carries what
 * rustls (under both `Deno.listenTls` and `node:tls`) asks of a server
 * certificate: `CA:FALSE`, `serverAuth`, and names for localhost and
 * 127.0.0.1. Also a probe that reports the key fingerprint a room presents.
 */
import { connect } from "node:tls";
import { keyFingerprint } from "../../protocol/fingerprint.ts";

/** What tests print when they are skipped. */
export const OPENSSL_MISSING = "openssl is not installed; .ci/run installs it";

let available: boolean | undefined;

/** Whether `openssl` can be run here; tests pass `ignore: !opensslAvailable()`. */
export function opensslAvailable(): boolean {
  if (available === undefined) {
    try {
      available = new Deno.Command("openssl", { args: ["version"], stdout: "null" })
        .outputSync().success;
    } catch {
      available = false;
    }
  }
  return available;
}

/** A certificate file and its key file. */
export interface CertFiles {
  cert: string;
  key: string;
}

const LEAF_EXTENSIONS = [
  "basicConstraints=critical,CA:FALSE",
  "extendedKeyUsage=serverAuth",
  "subjectAltName=DNS:localhost,IP:127.0.0.1",
];

async function openssl(args: string[], cwd: string): Promise<void> {
  const { success, stderr } = await new Deno.Command("openssl", {
    args,
    cwd,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!success) throw new Error(`openssl ${args[0]} failed: ${new TextDecoder().decode(stderr)}`);
}

/** Certificates under one directory; removing the directory is the caller's. */
export class CertificateMaker {
  readonly dir: string;

  constructor(dir: string) {
    this.dir = dir;
  }

  /** A CA certificate (`name.pem`) and its key. */
  async ca(name = "ca"): Promise<CertFiles> {
    return await this.#selfSigned(name, `/CN=chat test ${name}`, [
      "basicConstraints=critical,CA:TRUE",
      "keyUsage=critical,keyCertSign",
    ]);
  }

  /** A server certificate with a new key, signed by `ca`, or self-signed without one. */
  async leaf(name: string, ca?: CertFiles): Promise<CertFiles> {
    if (!ca) return await this.#selfSigned(name, "/CN=localhost", LEAF_EXTENSIONS);
    const files = this.#files(name);
    const request = `${this.dir}/${name}.csr`;
    const extensions = `${this.dir}/${name}.ext`;
    await Deno.writeTextFile(extensions, LEAF_EXTENSIONS.join("\n") + "\n");
    await openssl(
      ["req", ...NEW_EC_KEY, "-keyout", files.key, "-out", request, "-subj", "/CN=localhost"],
      this.dir,
    );
    await openssl([
      "x509",
      "-req",
      "-in",
      request,
      "-CA",
      ca.cert,
      "-CAkey",
      ca.key,
      "-CAcreateserial",
      "-out",
      files.cert,
      "-days",
      "30",
      "-extfile",
      extensions,
    ], this.dir);
    return files;
  }

  async #selfSigned(name: string, subject: string, extensions: string[]): Promise<CertFiles> {
    const files = this.#files(name);
    await openssl([
      "req",
      "-x509",
      ...NEW_EC_KEY,
      "-keyout",
      files.key,
      "-out",
      files.cert,
      "-days",
      "30",
      "-subj",
      subject,
      ...extensions.flatMap((extension) => ["-addext", extension]),
    ], this.dir);
    return files;
  }

  #files(name: string): CertFiles {
    return { cert: `${this.dir}/${name}.pem`, key: `${this.dir}/${name}.key` };
  }
}

/** A CA and two server certificates with keys of their own that it signs. */
export interface SignedPair {
  ca: CertFiles;
  first: CertFiles;
  second: CertFiles;
  firstKey: string;
  secondKey: string;
}

/** Makes a `SignedPair` in `dir`, with each leaf's key fingerprint. */
export async function signedPair(dir: string): Promise<SignedPair> {
  const certs = new CertificateMaker(dir);
  const ca = await certs.ca();
  const first = await certs.leaf("first", ca);
  const second = await certs.leaf("second", ca);
  return {
    ca,
    first,
    second,
    firstKey: await fileFingerprint(first.cert),
    secondKey: await fileFingerprint(second.cert),
  };
}

const NEW_EC_KEY = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"];

/** The fingerprint of the certificate in `file`. */
export async function fileFingerprint(file: string): Promise<string> {
  return keyFingerprint(await Deno.readTextFile(file));
}

/**
 * Connects to a TLS port on 127.0.0.1 without trusting anything and returns
 * the key fingerprint of the certificate it presented; then hangs up.
 */
export function presentedFingerprint(port: number, timeoutMs = 5000): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: "127.0.0.1", port, rejectUnauthorized: false });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`No TLS handshake on port ${port} within ${timeoutMs} ms.`));
    }, timeoutMs);
    socket.once("secureConnect", () => {
      clearTimeout(timer);
      const raw = socket.getPeerCertificate(true).raw;
      socket.destroy();
      resolve(keyFingerprint(raw));
    });
    socket.once("error", (error) => {
      clearTimeout(timer);
      socket.destroy();
      reject(error);
    });
  });
}
