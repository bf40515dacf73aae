/**
 * The browser door (`chat serve --web [HOST:]PORT`): one HTTP port that
 * serves the page, a WebSocket at `/ws` speaking the structured framing,
 * and `/healthz` for load balancers. A WebSocket is admitted by
 * `ChatServer.attach()`, exactly like a TCP connection, so the same caps,
 * session and queue apply; this file only decides who may upgrade.
 *
 * The page's files (web/) are read once at start and served from memory:
 * only the routes listed below exist, so no request can name a file. Every
 * response carries a strict Content-Security-Policy (the page runs no inline
 * script and loads nothing from another origin), and a WebSocket whose
 * Origin is not the page's own is refused with 403, so no other site can
 * drive a visitor's browser into the room.
 */
import { formatIp, parseIp } from "./address_range.ts";
import type { ChatServer } from "./chat_server.ts";
import type { LogSink } from "./log.ts";
import { FrameTexts, WebSocketTransport } from "./websocket_transport.ts";

export interface WebServerOptions {
  hostname: string;
  /** 0 picks a free port; `address` tells which. */
  port: number;
  log?: LogSink;
}

/** The path of each file of the page, under web/, and its content type. */
const ROUTES: Readonly<Record<string, readonly [file: string, type: string]>> = {
  "/": ["index.html", "text/html; charset=utf-8"],
  "/app.js": ["app.js", "text/javascript; charset=utf-8"],
  "/render.js": ["render.js", "text/javascript; charset=utf-8"],
  "/room_socket.js": ["room_socket.js", "text/javascript; charset=utf-8"],
  "/protocol.js": ["protocol.js", "text/javascript; charset=utf-8"],
  "/style.css": ["style.css", "text/css; charset=utf-8"],
  "/favicon.svg": ["favicon.svg", "image/svg+xml"],
};

/** Sent with every response. */
export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; " +
    "connect-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; " +
    "frame-ancestors 'none'",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
};

/** A frame larger than this closes the socket; see websocket_transport.ts. */
const CLOSE_ABOVE_MIN_BYTES = 1 << 20;

export class WebServer {
  #chat: ChatServer;
  #log: LogSink;
  #files = new Map<string, { body: Uint8Array<ArrayBuffer>; type: string }>();
  #frames = new FrameTexts();
  #server: Deno.HttpServer<Deno.NetAddr>;

  /** Reads the page's files and listens; throws `Deno.errors.AddrInUse` if the port is taken. */
  constructor(chat: ChatServer, options: WebServerOptions) {
    this.#chat = chat;
    this.#log = options.log ?? (() => {});
    for (const [path, [file, type]] of Object.entries(ROUTES)) {
      let body: Uint8Array<ArrayBuffer>;
      try {
        // In the compiled binary, web/ is embedded (scripts/compile.ts --include).
        body = Deno.readFileSync(new URL(`../web/${file}`, import.meta.url));
      } catch (error) {
        throw new Error(`The page's file web/${file} cannot be read: ${error}`);
      }
      this.#files.set(path, { body, type });
    }
    this.#server = Deno.serve({
      hostname: options.hostname,
      port: options.port,
      onListen: () => {},
      onError: (error) => {
        this.#log("error", "error", { where: "web", error: String(error) });
        return respond(500, "Internal error.");
      },
    }, (request, info) => this.#handle(request, info));
    const { hostname, port } = this.address;
    this.#log("info", "web", { address: `${hostname}:${port}` });
  }

  get address(): Deno.NetAddr {
    return this.#server.addr;
  }

  /** Stops listening. Call after `ChatServer.shutdown()`, which says goodbye to the browsers. */
  async shutdown(): Promise<void> {
    await this.#server.shutdown();
  }

  #handle(request: Request, info: Deno.ServeHandlerInfo<Deno.NetAddr>): Response {
    const path = new URL(request.url).pathname;
    if (path === "/ws") {
      return this.#upgrade(request, this.#clientAddress(request, info.remoteAddr));
    }
    if (request.method !== "GET" && request.method !== "HEAD") {
      return respond(405, "Only GET and HEAD.", { allow: "GET, HEAD" });
    }
    if (path === "/healthz") {
      return respond(200, JSON.stringify({ status: "ok", members: this.#chat.room.size }), {
        "content-type": "application/json",
        "cache-control": "no-store",
      });
    }
    const file = this.#files.get(path);
    if (file === undefined) return respond(404, "Not found.");
    return new Response(request.method === "HEAD" ? null : file.body, {
      headers: { ...SECURITY_HEADERS, "content-type": file.type, "cache-control": "no-cache" },
    });
  }

  /**
   * Who the browser is: the peer, or behind a --trusted-proxy the address
   * that proxy appended to X-Forwarded-For (the last entry; earlier ones
   * came from the browser's side and could say anything).
   */
  #clientAddress(request: Request, peer: Deno.NetAddr): Deno.NetAddr {
    if (!this.#chat.trustedProxies.includes(peer.hostname)) return peer;
    const forwarded = request.headers.get("x-forwarded-for")?.split(",").at(-1)?.trim();
    const ip = forwarded === undefined ? null : parseIp(forwarded);
    return ip === null ? peer : { transport: "tcp", hostname: formatIp(ip), port: 0 };
  }

  #upgrade(request: Request, remoteAddr: Deno.NetAddr): Response {
    if (request.headers.get("upgrade")?.toLowerCase() !== "websocket") {
      return respond(426, "This address takes a WebSocket.", { upgrade: "websocket" });
    }
    if (!sameOrigin(request)) {
      this.#log("info", "limit", {
        address: remoteAddr.hostname,
        limit: "origin",
        origin: request.headers.get("origin"),
      });
      return respond(403, "Cross-origin WebSocket refused.");
    }
    let upgrade: Deno.WebSocketUpgrade;
    try {
      upgrade = Deno.upgradeWebSocket(request);
    } catch {
      // No Sec-WebSocket-Key, a wrong version: not a WebSocket handshake.
      return respond(400, "Not a WebSocket handshake.");
    }
    const { socket, response } = upgrade;
    const transport = new WebSocketTransport(socket, {
      remoteAddr,
      closeAboveBytes: Math.max(CLOSE_ABOVE_MIN_BYTES, 4 * this.#chat.limits.maxLineBytes),
      frames: this.#frames,
    });
    // Over a cap the browser gets the refusal as a text frame, then a close.
    this.#chat.attach(transport);
    return response;
  }
}

/**
 * Whether a WebSocket request comes from the page this server served: its
 * Origin names the host the request was sent to (the scheme may differ
 * behind a TLS proxy). A browser always sends Origin with a WebSocket;
 * a request without one is not from a browser, and could claim any Origin
 * it liked, so it passes.
 */
export function sameOrigin(request: Request): boolean {
  const origin = request.headers.get("origin");
  if (origin === null) return true;
  const host = request.headers.get("host");
  if (host === null) return false;
  try {
    return new URL(origin).host === new URL(`http://${host}`).host;
  } catch {
    // "null" (a sandboxed frame, a file) or garbage.
    return false;
  }
}

function respond(status: number, text: string, headers: Record<string, string> = {}): Response {
  return new Response(text, {
    status,
    headers: { ...SECURITY_HEADERS, "content-type": "text/plain; charset=utf-8", ...headers },
  });
}
