/**
 * Test support: a room with its browser door, in this process: a
 * `ChatServer` on a loopback port and a `WebServer` beside it, both on port
 * 0. Disposing it stops the room first (which says goodbye to every
 * browser), then the web port.
 */
import type { ChatServerOptions } from "../../server/chat_server.ts";
import { WebServer } from "../../server/web_server.ts";
import { startServer } from "./test_server.ts";

export interface WebRoom extends AsyncDisposable {
  readonly chat: ReturnType<typeof startServer>;
  readonly web: WebServer;
  /** The room's TCP port, for `nc`-style clients. */
  readonly port: number;
  /** The page, e.g. `http://127.0.0.1:41234/`. */
  readonly url: string;
  /** The WebSocket's address. */
  readonly wsUrl: string;
}

/** Starts a room and its web server on 127.0.0.1. */
export function startWebRoom(options: ChatServerOptions = {}): WebRoom {
  const chat = startServer(options);
  let web: WebServer;
  try {
    web = new WebServer(chat, { hostname: "127.0.0.1", port: 0, log: options.log });
  } catch (error) {
    chat.shutdown();
    throw error;
  }
  const origin = `127.0.0.1:${web.address.port}`;
  return {
    chat,
    web,
    port: chat.address.port,
    url: `http://${origin}/`,
    wsUrl: `ws://${origin}/ws`,
    async [Symbol.asyncDispose]() {
      await chat.shutdown();
      await web.shutdown();
    },
  };
}
