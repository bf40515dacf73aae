/**
 * `chat join`: the terminal client. It ties the pieces together: a link to
 * the room, the input line (keys → editor → screen) or plain stdin lines when
 * piped, rendering of events in the viewer's time zone, and reconnecting
 * with the same nickname when the connection drops unexpectedly.
 */
import type { EventOf, ServerEvent } from "../protocol/events.ts";
import { SeenEvents } from "../protocol/seen_events.ts";
import { readLines } from "../protocol/line_reader.ts";
import { GREETING, PASSWORD_GREETING, PASSWORD_PROMPT } from "../protocol/plain.ts";
import { JSON_HANDSHAKE_V2 } from "../protocol/identity.ts";
import { type Identity, loadOrCreateIdentity } from "./identity.ts";
import { nicknameKey, sanitizeText } from "../protocol/text.ts";
import { localTimeZone } from "../protocol/time.ts";
import { KeyDecoder } from "./key_decoder.ts";
import { LineEditor } from "./line_editor.ts";
import { colorEnabled, isMention, renderEvent } from "./render.ts";
import { type Incoming, RoomLink } from "./room_link.ts";
import { Screen } from "./screen.ts";
import { Terminal } from "./terminal.ts";
import { RoomTrustError, type TlsJoinOptions } from "./tls_connect.ts";

export interface JoinOptions {
  host: string;
  port: number;
  nick?: string;
  /** Seconds to keep trying to reconnect after an unexpected drop; 0 gives up at once. */
  retry?: number;
  /** Ring the terminal bell when a message mentions you (default true). */
  bell?: boolean;
  /** Join over TLS, trusting the room as these say (client/tls_connect.ts). */
  tls?: TlsJoinOptions;
  /** Where this user's key is kept (default: `identity` in the config directory). */
  identityPath?: string;
  /** A file whose first line is the room's password. */
  passwordFile?: string;
}

/** Delays between reconnection attempts, in ms; the last one repeats. */
const BACKOFF_MS = [250, 500, 1000, 2000, 4000, 8000];
/** How long `/quit` waits for the room to close the connection. */
const QUIT_WAIT_MS = 1000;
/** How long to wait for the terminal's cursor report after the window narrows. */
const CURSOR_REPORT_WAIT_MS = 300;
/** Lines typed while reconnecting that are kept to send once back. */
const MAX_PENDING_LINES = 50;
/** Longest piped input line passed on; the room refuses what is over its own limit. */
const MAX_PIPED_LINE_BYTES = 64 * 1024;
const BELL = "\x07";

type Ending = "quit" | "kicked";

class JoinSession {
  #options: JoinOptions;
  #terminal = new Terminal();
  #interactive = this.#terminal.interactive;
  #color = colorEnabled();
  /** CHAT_DEBUG set: say on stderr what the room sent that was skipped. */
  #debug = debugEnabled();
  #timeZone = localTimeZone();
  #encoder = new TextEncoder();
  #screen: Screen;
  #editor = new LineEditor();
  #link: RoomLink | null = null;
  #nick: string | undefined;
  #registered = false;
  /** This user's key (client/identity.ts); null when it could not be read or made. */
  #identity: Identity | null = null;
  /** The room's challenge on this link, once it came. */
  #nonce: string | null = null;
  /** The room does not know keys (an older chat): join it the old way. */
  #keyless = false;
  /** The room's password, from --password-file or typed once; kept for reconnecting. */
  #password: string | null = null;
  /** This link's challenge asked for the password. */
  #passwordWanted = false;
  /** The next line typed is the password. */
  #askingPassword = false;
  /** Sends our nickname again once the room's join rate allows it. */
  #joinRetryTimer: ReturnType<typeof setTimeout> | undefined;
  /** True once the room has welcomed us; from then on a drop means reconnecting. */
  #joinedOnce = false;
  #resumeToken: string | undefined;
  /** What has been shown, so that nothing shows twice across drops. */
  #seen = new SeenEvents();
  /** The room's limits on what we send, from its welcome. */
  #limits = { maxLineBytes: 4096, maxPasteBytes: 16384 };
  #ending: Ending | null = null;
  #stdinEnded = false;
  /** Lines typed before the room accepted us (piped, or while reconnecting). */
  #pendingLines: string[] = [];
  #linkEnded: PromiseWithResolvers<void> | null = null;
  /** Reconnecting: when to give up, and how many attempts so far (for the backoff). */
  #reconnecting: { deadline: number; attempts: number; retryMs: number } | null = null;
  /** Cuts the wait between reconnection attempts short (on Ctrl-C). */
  #wakeReconnect: (() => void) | null = null;
  #cursorReportTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: JoinOptions) {
    this.#options = options;
    this.#nick = options.nick;
    this.#screen = new Screen({
      write: (text) => this.#terminal.write(text),
      columns: this.#terminal.columns(),
      tty: this.#interactive,
    });
  }

  async run(): Promise<number> {
    const { host, port } = this.#options;
    if (this.#options.passwordFile !== undefined) {
      try {
        this.#password = Deno.readTextFileSync(this.#options.passwordFile).split(/\r?\n/)[0];
      } catch (error) {
        this.#terminal.writeError(
          `Cannot read --password-file "${this.#options.passwordFile}": ${describe(error)}`,
        );
        return 1;
      }
    }
    try {
      this.#identity = await loadOrCreateIdentity(this.#options.identityPath);
    } catch (error) {
      // Without a key the room still lets us in, under any name that is not held.
      this.#terminal.writeError(`${describe(error)} Joining without a key.`);
    }
    try {
      this.#link = await this.#open();
    } catch (error) {
      this.#terminal.writeError(`Could not connect to ${host}:${port}: ${describe(error)}`);
      return 1;
    }
    if (this.#interactive) this.#terminal.enterInteractiveMode();
    const stopResize = this.#interactive
      ? this.#terminal.onResize((columns) => this.#resized(columns))
      : null;
    const stopInterrupt = this.#interactive ? null : this.#terminal.onInterrupt(() => this.#quit());
    this.#readInput();
    try {
      return await this.#connectionLoop();
    } finally {
      clearTimeout(this.#cursorReportTimer);
      clearTimeout(this.#joinRetryTimer);
      stopResize?.();
      stopInterrupt?.();
      this.#screen.hideInput();
      this.#terminal.restore();
    }
  }

  async #connectionLoop(): Promise<number> {
    while (true) {
      this.#linkEnded = Promise.withResolvers();
      this.#startRegistration();
      for await (const incoming of this.#link!.incoming()) this.#receive(incoming);
      this.#link!.close();
      this.#linkEnded.resolve();
      if (this.#ending === "quit") return 0;
      if (this.#ending === "kicked") return 1;
      if (this.#keyless && this.#link!.keyed) {
        try {
          this.#link = await this.#open();
          continue;
        } catch {
          // Gone meanwhile: reconnect as after any drop.
        }
      }
      // Refused before ever getting in (the room is full, say): nothing to go back to.
      if (!this.#joinedOnce) return 1;
      if (this.#registered) {
        this.#print("Disconnected from server");
        this.#registered = false;
        this.#startReconnecting();
      }
      // A connection the room accepted and closed before welcoming us (a proxy
      // in front of a server that is down) is just one more failed attempt.
      const outcome = await this.#reconnect();
      if (outcome === "quit") {
        this.#print("Goodbye!");
        return 0;
      }
      if (outcome === "gave up") return 1;
    }
  }

  #startReconnecting(): void {
    const retryMs = (this.#options.retry ?? 60) * 1000;
    this.#reconnecting = { deadline: Date.now() + retryMs, attempts: 0, retryMs };
    if (retryMs > 0) this.#print(`Reconnecting (for up to ${retryMs / 1000} s)...`);
    this.#showPrompt();
  }

  /** Tries to reach the room again with backoff, until the deadline set at the drop. */
  async #reconnect(): Promise<"connected" | "quit" | "gave up"> {
    const state = this.#reconnecting!;
    while (Date.now() < state.deadline && this.#ending === null) {
      const delay = BACKOFF_MS[Math.min(state.attempts++, BACKOFF_MS.length - 1)];
      await new Promise<void>((resolve) => {
        const timer = setTimeout(
          resolve,
          Math.min(delay, Math.max(0, state.deadline - Date.now())),
        );
        this.#wakeReconnect = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wakeReconnect = null;
      if (this.#ending !== null) break;
      try {
        this.#link = await this.#open();
        return "connected";
      } catch (error) {
        // A room that cannot be trusted will not become trustworthy by retrying.
        if (error instanceof RoomTrustError) {
          this.#print(error.message);
          return "gave up";
        }
        // Still unreachable; back off and try again.
      }
    }
    if (this.#ending === "quit") return "quit";
    if (state.retryMs > 0) this.#print("Could not reconnect; giving up.");
    return "gave up";
  }

  /** A new link; says what it learned about the room's certificate. */
  async #open(): Promise<RoomLink> {
    const { host, port, tls } = this.#options;
    this.#nonce = null;
    const link = await RoomLink.open(host, port, tls, this.#identity !== null && !this.#keyless);
    // --accept-new-cert answers for the certificate seen now, not for a later change.
    if (tls?.acceptNewCert) {
      this.#options = { ...this.#options, tls: { ...tls, acceptNewCert: false } };
    }
    if (link.notice) this.#print(link.notice);
    return link;
  }

  #startRegistration(): void {
    if (this.#nick !== undefined) this.#sendNick();
    else this.#askForNickname();
  }

  /**
   * Asks the room for our nickname: with a resume token and the last seq we
   * showed, and on a keyed link with the room's challenge signed (once it
   * has come: the nickname waits for it).
   */
  #sendNick(): void {
    const link = this.#link;
    const nick = this.#nick;
    if (!link || nick === undefined) return;
    const message = {
      type: "nick" as const,
      nick,
      ...(this.#passwordWanted && this.#password !== null ? { password: this.#password } : {}),
      resume: this.#resumeToken,
      // Even without a resume, the room then shows only history we have not seen.
      lastSeq: this.#seen.lastSeq > 0 ? this.#seen.lastSeq : undefined,
      timeZone: this.#timeZone,
    };
    if (!link.keyed || this.#identity === null) {
      link.send(message);
      return;
    }
    const nonce = this.#nonce;
    if (nonce === null) return; // Sent when the challenge comes.
    this.#identity.prove(nonce).then((key) => {
      if (this.#link === link) link.send({ ...message, key });
    });
  }

  #askForNickname(): void {
    this.#nick = undefined;
    if (this.#interactive) {
      this.#showPrompt();
    } else if (this.#pendingLines.length > 0) {
      this.#submit(this.#pendingLines.shift()!);
    } else if (this.#stdinEnded) {
      this.#quit();
    } else {
      this.#print("Enter your nickname:");
    }
  }

  #receive(incoming: Incoming): void {
    if (incoming.kind === "malformed") {
      // Skipped, and the events after it still count; said only when asked for.
      if (this.#debug) this.#terminal.writeError(`chat join: skipped ${incoming.problem}`);
      return;
    }
    if (incoming.kind === "text") {
      // The plain greeting arrives before the room sees our handshake.
      if ([GREETING, PASSWORD_GREETING, PASSWORD_PROMPT].includes(incoming.text)) return;
      // A room older than keys took our handshake for a nickname: join it without one.
      if (this.#link?.keyed && this.#nonce === null && incoming.text.includes(JSON_HANDSHAKE_V2)) {
        this.#keyless = true;
        this.#print("This room is older than keys; joining it without yours.");
        this.#link.close();
        return;
      }
      this.#print(sanitizeText(incoming.text));
      return;
    }
    const event = incoming.event;
    if (this.#seen.alreadyShown(event)) return;
    switch (event.type) {
      case "challenge":
        this.#nonce = String(event.nonce);
        this.#passwordWanted = event.password === true;
        if (this.#passwordWanted && this.#password === null) {
          this.#askingPassword = true;
          this.#print("This room has a password.");
          if (!this.#interactive) this.#print("Password:");
          this.#showPrompt();
          // The nickname waits for it.
          return;
        }
        if (this.#nick !== undefined) this.#sendNick();
        return;
      case "welcome":
        this.#welcomed(event);
        if (event.resumed) {
          this.#print(`Reconnected as ${sanitizeText(event.nick)}.`);
          if (event.mentions) {
            this.#print(`You were mentioned ${times(event.mentions)} while away.`);
          }
          return;
        }
        break;
      case "nick_refused":
        if (event.wait !== undefined && this.#nick !== undefined) {
          // The name was fine; the room asked us to wait (its join rate): try it again then.
          const wait = Math.min(Math.max(1, Math.ceil(event.wait)), 600);
          this.#print(`${sanitizeText(event.reason)} Trying again in ${wait} s...`);
          const link = this.#link;
          clearTimeout(this.#joinRetryTimer);
          this.#joinRetryTimer = setTimeout(() => {
            if (this.#link === link && !this.#registered && this.#ending === null) {
              this.#startRegistration();
            }
          }, wait * 1000);
          return;
        }
        this.#printEvent(event);
        this.#askForNickname();
        return;
      case "kicked":
        this.#ending = "kicked";
        break;
      case "rename":
        if (this.#nick !== undefined && nicknameKey(event.from) === nicknameKey(this.#nick)) {
          this.#nick = event.to;
          this.#showPrompt();
        }
        break;
    }
    this.#printEvent(event);
  }

  #welcomed(event: EventOf<"welcome">): void {
    const rejoined = this.#resumeToken !== undefined && !event.resumed;
    this.#registered = true;
    this.#joinedOnce = true;
    this.#reconnecting = null;
    this.#nick = event.nick;
    this.#resumeToken = event.resume;
    this.#seen.welcomed(event);
    if (event.limits) {
      this.#limits = event.limits;
      this.#editor.maxBytes = Math.max(event.limits.maxLineBytes, event.limits.maxPasteBytes);
    }
    if (rejoined) {
      this.#print(
        `Rejoined as ${sanitizeText(event.nick)}; messages sent while away may be missing.`,
      );
    }
    this.#showPrompt();
    for (const line of this.#pendingLines.splice(0)) this.#submit(line);
    if (this.#stdinEnded) this.#quit();
  }

  #printEvent(event: ServerEvent): void {
    this.#print(renderEvent(event, { color: this.#color, self: this.#nick }));
    if (this.#interactive && this.#options.bell !== false && isMention(event, this.#nick)) {
      this.#terminal.write(BELL);
    }
  }

  #print(line: string): void {
    this.#screen.printAbove(line);
  }

  /** The prompt says what Enter will do with the line: send it, or name you. */
  #showPrompt(): void {
    const nick = this.#nick === undefined ? "" : sanitizeText(this.#nick);
    let prompt = "Nickname: ";
    if (this.#registered && nick) prompt = `${nick}> `;
    else if (this.#reconnecting && nick) prompt = `${nick} (reconnecting)> `;
    if (this.#askingPassword) {
      // What is typed stays off the screen.
      const { graphemes, cursor } = this.#editor.state;
      this.#screen.showInput("Password: ", { graphemes: graphemes.map(() => "•"), cursor });
      return;
    }
    this.#screen.showInput(prompt, this.#editor.state);
  }

  /** The window changed size: redraw, asking the terminal where the cursor went if it narrowed. */
  #resized(columns: number): void {
    if (this.#screen.resize(columns) !== "report") return;
    clearTimeout(this.#cursorReportTimer);
    this.#cursorReportTimer = setTimeout(
      () => this.#screen.cursorReport(null),
      CURSOR_REPORT_WAIT_MS,
    );
  }

  async #readInput(): Promise<void> {
    try {
      if (this.#interactive) {
        const decoder = new KeyDecoder();
        for await (const chunk of this.#terminal.input()) {
          for (const key of decoder.push(chunk)) {
            if (key.type === "cursor-report") {
              clearTimeout(this.#cursorReportTimer);
              this.#screen.cursorReport(key);
              continue;
            }
            const result = this.#editor.apply(key);
            if (result === null) continue;
            if ("quit" in result) return this.#quit();
            if ("submit" in result) this.#submit(result.submit);
            if ("clearScreen" in result) this.#screen.clear();
            this.#showPrompt();
          }
        }
      } else {
        for await (const line of readLines(Deno.stdin, { maxLineBytes: MAX_PIPED_LINE_BYTES })) {
          if (line.kind === "line") this.#submit(line.text);
        }
      }
    } catch {
      // Stdin went away; treat it like Ctrl-D.
    }
    this.#stdinEnded = true;
    if (this.#registered || this.#interactive) this.#quit();
  }

  #submit(line: string): void {
    if (this.#askingPassword) {
      this.#askingPassword = false;
      this.#password = line;
      this.#showPrompt();
      this.#startRegistration();
      return;
    }
    if (line.trim() === "") return;
    if (!this.#registered) {
      if (this.#nick === undefined && this.#link) {
        this.#nick = line.trim();
        this.#sendNick();
      } else if (this.#pendingLines.length < MAX_PENDING_LINES) {
        this.#pendingLines.push(line);
      } else {
        this.#print("Too many lines waiting to be sent; this one was not kept.");
      }
      return;
    }
    if (/^\/quit\s*$/i.test(line.trim())) {
      this.#quit();
      return;
    }
    const problem = this.#tooLong(line);
    if (problem) {
      // Kept in the input line, to be shortened and sent again.
      this.#print(problem);
      if (this.#interactive) this.#editor.setText(line);
      return;
    }
    this.#link?.send({ type: "say", text: line });
  }

  /** The room's own refusal, said before sending so the line is not lost. */
  #tooLong(line: string): string | null {
    const bytes = this.#encoder.encode(line).length;
    const pasted = line.includes("\n");
    const limit = pasted ? this.#limits.maxPasteBytes : this.#limits.maxLineBytes;
    if (bytes <= limit) return null;
    const what = pasted ? "Paste" : "Line";
    return `${what} too long (${bytes} bytes; the limit is ${limit}). It was not sent.`;
  }

  /** Leaves cleanly: tell the room, give it a moment to close, then close. */
  async #quit(): Promise<void> {
    if (this.#ending !== null) return;
    this.#ending = "quit";
    this.#wakeReconnect?.();
    const link = this.#link;
    if (!link) return;
    if (this.#registered) link.send({ type: "say", text: "/quit" });
    await link.flushed();
    await Promise.race([this.#linkEnded?.promise, sleep(QUIT_WAIT_MS)]);
    link.close();
  }
}

/** Runs the client until the user leaves or the room is gone; resolves with the exit code. */
export function join(options: JoinOptions): Promise<number> {
  return new JoinSession(options).run();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function times(count: number): string {
  return count === 1 ? "once" : `${count} times`;
}

/**
 * Whether CHAT_DEBUG is set (to anything but "" or "0"): then what the room
 * sent that was skipped as malformed is noted on stderr.
 */
function debugEnabled(): boolean {
  try {
    const value = Deno.env.get("CHAT_DEBUG");
    return value !== undefined && value !== "" && value !== "0";
  } catch {
    // Without --allow-env the variable cannot be read; treat it as unset.
    return false;
  }
}

function describe(error: unknown): string {
  if (error instanceof Deno.errors.ConnectionRefused) return "connection refused";
  if (error instanceof Error) return error.message;
  return String(error);
}
