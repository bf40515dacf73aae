/**
 * The TLS side of `chat serve`: a listener whose certificate can be replaced
 * while the room runs (SIGHUP after a Let's Encrypt renewal), and the plain
 * TCP port that stays open beside it for `nc` and telnet users.
 *
 * How a reload works, and why: Deno 2.9 cannot change the certificate of an
 * open `Deno.listenTls`, and its SNI resolver hook caches the first
 * certificate it gets per server name, so a reload opens a new listener on
 * the same address and closes the old one. Connections already accepted keep
 * their session and their certificate. The new files are checked first: read,
 * parsed, and matched against each other by a throwaway listener on port 0,
 * so a bad file is reported and the running listener is never touched.
 * Between closing the old listener and opening the new one the port is
 * closed for a moment (Deno frees it once the pending accept has failed, a
 * turn of the event loop later), and a client connecting at that instant is
 * refused and retries; `reusePort` would let the two overlap, but Deno only offers it
 * with `--unstable-net`, and it would let a second server share the port
 * without an "already in use" error.
 */
import { X509Certificate } from "node:crypto";
import { keyFingerprint } from "../protocol/fingerprint.ts";
import type { ChatListener } from "./chat_server.ts";
import type { LogSink } from "./log.ts";

export interface TlsFiles {
  /** PEM certificate chain, the room's own certificate first (certbot's fullchain.pem). */
  certFile: string;
  /** PEM private key of that certificate. */
  keyFile: string;
}

/**
 * Why the room cannot listen as asked (a certificate or key it cannot use, a
 * port in use); the message is one line for the operator.
 */
export class ListenError extends Error {
  override name = "ListenError";
}

/** A certificate and key read from their files and checked to belong together. */
interface TlsMaterial {
  cert: string;
  key: string;
  fingerprint: string;
  expires: Date;
}

async function readPem(path: string, flag: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    throw new ListenError(`Cannot read the ${flag} file "${path}": ${messageOf(error)}`);
  }
}

function listen(hostname: string, port: number, material: TlsMaterial): Deno.TlsListener {
  return Deno.listenTls({ hostname, port, cert: material.cert, key: material.key });
}

/** Reads both files and checks that they hold a certificate and its key. */
async function loadMaterial(files: TlsFiles, hostname: string): Promise<TlsMaterial> {
  const cert = await readPem(files.certFile, "--tls-cert");
  const key = await readPem(files.keyFile, "--tls-key");
  let fingerprint: string;
  let expires: Date;
  try {
    fingerprint = keyFingerprint(cert);
    expires = new Date(new X509Certificate(cert).validTo);
  } catch {
    throw new ListenError(`The --tls-cert file "${files.certFile}" holds no PEM certificate.`);
  }
  const material = { cert, key, fingerprint, expires };
  try {
    // Deno parses the key and matches it to the certificate when it listens.
    listen(hostname, 0, material).close();
  } catch (error) {
    // InvalidData: no key in the file; a bare Error: "KeyMismatch". Anything
    // else is about the address, for the real listen to report.
    if (!(error instanceof Deno.errors.InvalidData || (error as Error)?.constructor === Error)) {
      throw error;
    }
    throw new ListenError(
      `Cannot use the key in "${files.keyFile}" with the certificate in "${files.certFile}": ` +
        messageOf(error),
    );
  }
  return material;
}

/** A TLS listener on one address whose certificate `reload()` replaces. */
export class TlsListener implements ChatListener {
  readonly files: TlsFiles;
  #listener: Deno.TlsListener;
  #material: TlsMaterial;
  #closed = false;
  #reloads: Promise<unknown> = Promise.resolve();
  /** Settles when the accept last started settles. */
  #lastAccept: Promise<void> = Promise.resolve();
  /** While a reload swaps listeners: settles once the new one is in place. */
  #swap: Promise<void> | null = null;

  private constructor(files: TlsFiles, listener: Deno.TlsListener, material: TlsMaterial) {
    this.files = files;
    this.#listener = listener;
    this.#material = material;
  }

  /** Reads the files and listens; throws `ListenError`. */
  static async open(hostname: string, port: number, files: TlsFiles): Promise<TlsListener> {
    const material = await loadMaterial(files, hostname);
    return new TlsListener(
      files,
      listenOrExplain(() => listen(hostname, port, material), port),
      material,
    );
  }

  get addr(): Deno.NetAddr {
    return this.#listener.addr;
  }

  /** The fingerprint of the certificate new connections get. */
  get fingerprint(): string {
    return this.#material.fingerprint;
  }

  /** When that certificate expires. */
  get expires(): Date {
    return this.#material.expires;
  }

  /** The next connection, from whichever listener is current; a reload does not end it. */
  async accept(): Promise<Deno.Conn> {
    while (true) {
      const listener = this.#listener;
      const attempt = listener.accept();
      this.#lastAccept = attempt.then(() => {}, () => {});
      try {
        return await attempt;
      } catch (error) {
        if (this.#swap) {
          await this.#swap;
          continue;
        }
        if (this.#closed || listener === this.#listener) throw error;
      }
    }
  }

  /**
   * Reads the files again and gives new connections their certificate.
   * Throws `ListenError` if they cannot be used, and the current
   * certificate stays. Reloads run one at a time.
   */
  reload(): Promise<void> {
    const next = this.#reloads.then(() => this.#reload());
    this.#reloads = next.catch(() => {});
    return next;
  }

  async #reload(): Promise<void> {
    const { hostname, port } = this.addr;
    const material = await loadMaterial(this.files, hostname);
    if (this.#closed) return;
    const swapped = Promise.withResolvers<void>();
    this.#swap = swapped.promise;
    try {
      this.#listener.close();
      // Deno lets go of the port only once the accept waiting on it has failed.
      await this.#lastAccept;
      if (this.#closed) return;
      try {
        this.#listener = listen(hostname, port, material);
      } catch (error) {
        // Someone took the port in between: serve the old certificate if we still can.
        this.#listener = listen(hostname, port, this.#material);
        throw new ListenError(`Cannot listen on port ${port} again: ${messageOf(error)}`);
      }
      this.#material = material;
    } finally {
      this.#swap = null;
      swapped.resolve();
    }
  }

  close(): void {
    this.#closed = true;
    this.#listener.close();
  }
}

export interface TlsServeOptions extends TlsFiles {
  /** The port for plain TCP beside TLS; null turns plain off (`--tls-only`). */
  plainPort: number | null;
}

/** The TLS listener on `port` and, unless `plainPort` is null, a plain one beside it. */
export async function openTlsListeners(
  hostname: string,
  port: number,
  options: TlsServeOptions,
): Promise<{ tls: TlsListener; plain: Deno.TcpListener | null }> {
  const tls = await TlsListener.open(hostname, port, options);
  const { plainPort } = options;
  if (plainPort === null) return { tls, plain: null };
  try {
    return {
      tls,
      plain: listenOrExplain(() => Deno.listen({ hostname, port: plainPort }), plainPort),
    };
  } catch (error) {
    tls.close();
    throw error;
  }
}

/** Runs `open`, turning a port in use into a `ListenError` that names it. */
function listenOrExplain<T>(open: () => T, port: number): T {
  try {
    return open();
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      throw new ListenError(`Port ${port} is already in use.`);
    }
    throw error;
  }
}

/**
 * Reloads the certificate on SIGHUP (not on Windows, which has no such
 * signal) and logs the outcome; returns a function that stops listening.
 */
export function reloadOnHangup(listener: TlsListener, log: LogSink): () => void {
  if (Deno.build.os === "windows") return () => {};
  const onHangup = () => {
    listener.reload().then(
      () => log("info", "tls-reload", tlsFields(listener)),
      (error) =>
        log("error", "tls-reload", {
          error: `${messageOf(error)} The current certificate stays.`,
          fingerprint: listener.fingerprint,
        }),
    );
  };
  Deno.addSignalListener("SIGHUP", onHangup);
  return () => Deno.removeSignalListener("SIGHUP", onHangup);
}

/** What the log says about the certificate in use. */
export function tlsFields(listener: TlsListener): Record<string, string> {
  return { fingerprint: listener.fingerprint, expires: listener.expires.toISOString() };
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
