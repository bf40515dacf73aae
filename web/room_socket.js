/**
 * The page's link to the room, as `chat join` has it: one WebSocket to
 * `/ws` speaking the structured events (the server starts the JSON framing
 * itself), nickname registration with the viewer's IANA time zone, and
 * after an unexpected drop, reconnecting with backoff and resuming with the
 * token and the last `seq` shown, so nothing is shown twice and nothing is
 * missed. No DOM here: app.js renders what this hands it.
 */
import {
  GREETING,
  localTimeZone,
  nicknameKey,
  parseServerEvent,
  PASSWORD_GREETING,
  PASSWORD_PROMPT,
  SeenEvents,
} from "./protocol.js";

/** Delays between reconnection attempts, in ms; the last one repeats (as in `chat join`). */
const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 8000];

/**
 * @typedef {{
 *   onEvent: (event: object) => void,
 *   onText: (text: string, kind?: string) => void,
 *   onState: (state: "connecting" | "connected" | "registered" | "reconnecting" | "ended") => void,
 * }} Handlers
 */

export class RoomSocket {
  #url;
  #retryMs;
  #handlers;
  #timeZone = localTimeZone();
  /** @type {WebSocket | null} */
  #socket = null;
  #nick = undefined;
  /** The room's password, when the page was asked for one; kept for reconnecting. */
  #password = undefined;
  #registered = false;
  #resumeToken = undefined;
  /** What has been shown, so that nothing shows twice across drops. */
  #seen = new SeenEvents();
  /** null while the room may still be reached; "quit" or "kicked" once it may not. */
  #ending = null;
  #reconnecting = false;
  #connecting = false;

  /**
   * @param {string} url the WebSocket's address (ws: or wss:)
   * @param {Handlers & { retryMs?: number }} handlers
   */
  constructor(url, handlers) {
    this.#url = url;
    this.#retryMs = handlers.retryMs ?? 60_000;
    this.#handlers = handlers;
  }

  /** The nickname the room knows us by, once registered. */
  get nick() {
    return this.#registered ? this.#nick : undefined;
  }

  get registered() {
    return this.#registered;
  }

  /** Asks the room for `nick` (with the room's password, if it has one), connecting first if need be. */
  join(nick, password) {
    this.#nick = nick;
    this.#password = password || undefined;
    this.#ending = null;
    if (this.#socket !== null) {
      this.#sendNick();
    } else if (!this.#connecting) {
      this.#connecting = true;
      this.#open().then((opened) => {
        this.#connecting = false;
        if (opened) return;
        this.#handlers.onText("Could not connect to the room.", "error");
        this.#handlers.onState("ended");
      });
    }
  }

  /** Sends a chat line or a command as typed; `/quit` leaves. */
  say(text) {
    if (/^\/quit\s*$/i.test(text.trim())) this.#ending = "quit";
    if (!this.#send({ type: "say", text })) {
      this.#handlers.onText("Not connected: that line was not sent.", "error");
    }
  }

  /**
   * Opens a socket; resolves true once it is open (and the nickname, if
   * any, is sent), false if it closed first. A drop after that is handled by
   * `#dropped()`.
   */
  #open() {
    this.#handlers.onState("connecting");
    return new Promise((resolve) => {
      const socket = new WebSocket(this.#url);
      socket.onopen = () => {
        this.#socket = socket;
        socket.onmessage = (message) => {
          // A frame carries one or more lines: what the room sent in one go.
          if (typeof message.data !== "string") return;
          for (const line of message.data.split("\n")) this.#receive(line);
        };
        socket.onclose = () => {
          this.#socket = null;
          this.#dropped();
        };
        this.#handlers.onState("connected");
        if (this.#nick !== undefined) this.#sendNick();
        resolve(true);
      };
      socket.onclose = () => resolve(false);
    });
  }

  #sendNick() {
    this.#send({
      type: "nick",
      nick: this.#nick,
      password: this.#password,
      resume: this.#resumeToken,
      lastSeq: this.#resumeToken ? this.#seen.lastSeq : undefined,
      timeZone: this.#timeZone,
    });
  }

  #send(message) {
    if (this.#socket?.readyState !== WebSocket.OPEN) return false;
    this.#socket.send(JSON.stringify(message));
    return true;
  }

  #receive(data) {
    let value;
    try {
      value = JSON.parse(data);
    } catch {
      // A plain line: the greeting (sent before the room knew our framing) or a refusal.
      if (![GREETING, PASSWORD_GREETING, PASSWORD_PROMPT].includes(data)) {
        this.#handlers.onText(data, "error");
      }
      return;
    }
    const event = parseServerEvent(value);
    if (event === null || this.#seen.alreadyShown(event)) return;
    switch (event.type) {
      case "welcome":
        this.#welcomed(event);
        break;
      case "kicked":
        this.#ending = "kicked";
        break;
      case "rename":
        if (this.#nick !== undefined && nicknameKey(event.from) === nicknameKey(this.#nick)) {
          this.#nick = event.to;
        }
        break;
    }
    this.#handlers.onEvent(event);
  }

  #welcomed(event) {
    const rejoined = this.#resumeToken !== undefined && !event.resumed;
    this.#registered = true;
    this.#nick = event.nick;
    this.#resumeToken = event.resume;
    this.#seen.welcomed(event);
    if (rejoined) {
      this.#handlers.onText(
        `Rejoined as ${event.nick}; messages sent while away may be missing.`,
        "alert",
      );
    }
    this.#handlers.onState("registered");
  }

  #dropped() {
    const wasRegistered = this.#registered;
    this.#registered = false;
    if (this.#ending !== null || !wasRegistered) {
      this.#handlers.onState("ended");
      return;
    }
    this.#handlers.onText("Disconnected from server", "error");
    this.#reconnect();
  }

  /** Tries to reach the room again with backoff, for up to `retryMs`. */
  async #reconnect() {
    if (this.#reconnecting) return;
    this.#reconnecting = true;
    this.#handlers.onState("reconnecting");
    this.#handlers.onText(`Reconnecting (for up to ${this.#retryMs / 1000} s)...`, "info");
    const deadline = Date.now() + this.#retryMs;
    for (let attempt = 0; Date.now() < deadline && this.#ending === null; attempt++) {
      const delay = BACKOFF_MS[Math.min(attempt, BACKOFF_MS.length - 1)];
      await sleep(Math.min(delay, Math.max(0, deadline - Date.now())));
      if (this.#ending !== null) break;
      if (await this.#open()) {
        this.#reconnecting = false;
        return;
      }
    }
    this.#reconnecting = false;
    this.#handlers.onText("Could not reconnect; giving up.", "error");
    this.#handlers.onState("ended");
  }
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
