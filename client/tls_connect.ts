/**
 * `chat join tls://...`: opens a TLS connection to a room and decides
 * whether to trust it before a byte of the conversation is sent.
 *
 * Trust, in order:
 * - The room's key fingerprint (protocol/fingerprint.ts) is computed from the
 *   certificate presented on this very connection; the handshake has proved
 *   the room holds that key.
 * - `--fingerprint SHA256:...` must equal it, or the connection is refused.
 * - If known_rooms holds a fingerprint for this HOST:PORT, it must equal it,
 *   or the connection is refused with a warning that shows both and the line
 *   to delete, unless `--accept-new-cert` is given. A match is enough: that
 *   is how a self-signed room is joined after the first time.
 * - Otherwise (a first connection, or an accepted change) the certificate
 *   must be vouched for: signed for this host by an authority the system
 *   trusts or by `--ca FILE`, or the exact one `--fingerprint` names. It is
 *   then recorded and the client says so. A piped client cannot ask "are
 *   you sure?", so an unknown self-signed room is refused with its
 *   fingerprint, for the user to check with the room's operator.
 *
 * Why `node:tls`: `Deno.connectTls` verifies a chain but does not expose the
 * peer certificate in Deno 2.9. `node:tls` does (`getPeerCertificate(true).raw`),
 * runs over the same rustls, verifies the handshake signature even when the
 * chain is not trusted, and reports the chain and host name check as
 * `authorized` / `authorizationError` instead of failing, which lets the
 * rules above decide.
 */
import { connect, type TLSSocket } from "node:tls";
import { keyFingerprint } from "../protocol/fingerprint.ts";
import { defaultKnownRoomsPath, KnownRooms, roomKey } from "./known_rooms.ts";
import { TlsSocketConn } from "./tls_socket.ts";

export interface TlsJoinOptions {
  /** A PEM file of CA certificates (or the room's own certificate) to trust besides the system's. */
  caFile?: string;
  /** Trust exactly the room whose key has this fingerprint. */
  fingerprint?: string;
  /** Accept and record a fingerprint that differs from the recorded one. */
  acceptNewCert?: boolean;
}

/** Why the client will not talk to this room; the message is for the user. */
export class RoomTrustError extends Error {
  override name = "RoomTrustError";
}

/** A TLS connection the rules above trust, and what to tell the user about it, if anything. */
export async function connectTls(
  host: string,
  port: number,
  options: TlsJoinOptions,
): Promise<{ conn: TlsSocketConn; notice: string | null }> {
  const ca = options.caFile === undefined ? undefined : await readCa(options.caFile);
  const socket = await handshake(host, port, ca);
  try {
    const notice = await checkTrust(socket, roomKey(host, port), options);
    socket.setNoDelay(true);
    return { conn: new TlsSocketConn(socket), notice };
  } catch (error) {
    socket.destroy();
    throw error;
  }
}

async function readCa(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    throw new RoomTrustError(`Cannot read the --ca file "${path}": ${(error as Error).message}`);
  }
}

/** Resolves once the handshake is done, trusted or not; rejects if there is none. */
function handshake(host: string, port: number, ca: string | undefined): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    // rejectUnauthorized: false lets checkTrust() decide; nothing is sent before it has.
    const socket = connect({ host, port, ca, rejectUnauthorized: false });
    const failed = (error: Error & { code?: string }) => {
      socket.destroy();
      if (error.code === "ECONNREFUSED") {
        reject(new Deno.errors.ConnectionRefused(error.message));
      } else if (error.code === "ERR_SSL_WRONG_VERSION_NUMBER") {
        reject(new Error("this port does not speak TLS (is it the room's plain port?)"));
      } else {
        reject(error);
      }
    };
    socket.once("error", failed);
    socket.once("secureConnect", () => {
      socket.removeListener("error", failed);
      // Until TlsSocketConn listens, a late error must not go unhandled (it would throw).
      socket.on("error", () => {});
      resolve(socket);
    });
  });
}

async function checkTrust(
  socket: TLSSocket,
  room: string,
  options: TlsJoinOptions,
): Promise<string | null> {
  const raw = socket.getPeerCertificate(true)?.raw;
  if (!raw) throw new RoomTrustError("The room presented no certificate.");
  const seen = keyFingerprint(raw);
  if (options.fingerprint !== undefined && seen !== options.fingerprint) {
    throw new RoomTrustError(
      `The room's key fingerprint is ${seen}, not the ${options.fingerprint} given with ` +
        `--fingerprint. Someone may be intercepting the connection; do not join.`,
    );
  }
  const rooms = new KnownRooms(defaultKnownRoomsPath());
  const known = await rooms.lookup(room);
  if (known?.fingerprint === seen) return null;
  if (known && !options.acceptNewCert) {
    throw new RoomTrustError(
      `WARNING: the room's key has changed since you last joined.\n` +
        `  recorded: ${known.fingerprint} (${rooms.path}, line ${known.line})\n` +
        `  now:      ${seen}\n` +
        `Someone may be intercepting the connection, or the room's operator replaced its ` +
        `certificate key. Ask the operator for the room's fingerprint; if it is the new one, ` +
        `join again with --accept-new-cert (or delete line ${known.line} of ${rooms.path}).`,
    );
  }
  const vouched = socket.authorized || options.fingerprint === seen;
  if (!vouched) {
    throw new RoomTrustError(
      `The room's certificate ${untrustedReason(socket, room)}, so nothing shows it is the ` +
        `room's and not an impostor's.\nIts key fingerprint is ${seen}. If the room's ` +
        `operator confirms it, join with --fingerprint ${seen}; or give the CA certificate ` +
        `that signed it with --ca FILE.`,
    );
  }
  const recorded = await rooms.record(room, seen);
  const what = known ? `The room's new key fingerprint` : `First visit: the room's key fingerprint`;
  return `${what} ${seen} is now recorded in ${rooms.path}, line ${recorded.line}.`;
}

/** Why the chain or name check failed, in words. */
function untrustedReason(socket: TLSSocket, room: string): string {
  const code = String(socket.authorizationError ?? "");
  switch (code) {
    case "DEPTH_ZERO_SELF_SIGNED_CERT":
    case "SELF_SIGNED_CERT_IN_CHAIN":
      return "is self-signed";
    case "CERT_HAS_EXPIRED":
      return "has expired";
    case "CERT_NOT_YET_VALID":
      return "is not valid yet";
    case "ERR_TLS_CERT_ALTNAME_INVALID":
      return `is for another name than ${room.slice(0, room.lastIndexOf(":"))}`;
    default:
      return `is not signed by an authority this computer trusts (${code || "unknown"})`;
  }
}
