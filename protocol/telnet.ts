/**
 * The server side of the telnet protocol (RFC 854/855) for a plain
 * connection: strips telnet commands out of the byte stream, answers what
 * must be answered, and asks a real telnet client to send 8-bit data.
 *
 * Why a chat server needs this: Debian's `telnet` (GNU inetutils, netkit's
 * descendant) starts in NVT mode, and until the client has agreed to send
 * BINARY it compares every typed byte, high bit stripped, with its control
 * keys. UTF-8 continuation bytes then turn into commands (with the default
 * stty keys): 0x83 becomes `IAC IP`, 0x8F `IAC AO`, 0x9A `IAC SUSP` and
 * 0x9C `IAC BRK`, each followed by `IAC DO TIMING-MARK`, after which the
 * client discards all output until the server answers; 0x85 is swallowed
 * (it toggles local echo) and 0x9D drops the user into the `telnet>` prompt.
 * A numeric port puts the client in this mode without a single negotiation
 * byte, so the first command the server sees is such a mangled key. Once
 * the client sends BINARY, it compares whole bytes and all of that stops.
 * (The older netkit 0.17 client, Debian's `telnet-ssl`, strips the bit for
 * its echo and escape keys even in binary mode; only its user can fix that.)
 *
 * The rules this module follows:
 *
 * - A client that never sends a telnet command (`nc`, `socat`, `chat join`)
 *   never receives a negotiation byte, and its chunks come back untouched
 *   (the same array, no copy) as long as they hold no 0xFF.
 * - After the client's first command, the server asks `DO BINARY`. It does
 *   not offer `WILL BINARY` by default: a client told that the server sends
 *   binary clears OPOST on its terminal, so the echo of the user's own Enter
 *   moves down without returning to column 0 and the next line starts
 *   mid-screen. Output needs no binary mode because the client passes 8-bit
 *   output through untouched in NVT mode. SUPPRESS-GO-AHEAD is refused too:
 *   agreeing to it puts the client into character mode, where the user
 *   loses local line editing.
 * - `DO TIMING-MARK` is always answered `WILL TIMING-MARK`, which is what
 *   ends the client's output flush. Other options are refused once per
 *   request, and a refusal is never answered (RFC 1143), so no two peers
 *   following the RFC can loop.
 * - Subnegotiation is skipped up to `IAC SE` without buffering: no option
 *   this server accepts uses it, so a long or endless one costs no memory.
 * - A mangling command (IP, AO, BRK, SUSP, ...) that arrives before the
 *   client sends binary means the surrounding line lost bytes. Its position
 *   is reported so the server can refuse that line and ask for it again.
 *
 * Output: in binary mode a literal 0xFF sent to the client must be doubled
 * (`IAC IAC`); `escapeIac` does that. UTF-8 never contains 0xFF, so for text
 * it returns its argument unchanged.
 *
 * @module
 */

/** Telnet command bytes (RFC 854, 856-860, 1184). */
export const TelnetCommand = {
  SE: 240,
  NOP: 241,
  DM: 242,
  BRK: 243,
  IP: 244,
  AO: 245,
  AYT: 246,
  EC: 247,
  EL: 248,
  GA: 249,
  SB: 250,
  WILL: 251,
  WONT: 252,
  DO: 253,
  DONT: 254,
  IAC: 255,
  EOF: 236,
  SUSP: 237,
  ABORT: 238,
} as const;

/** The option codes this module treats specially. */
export const TelnetOption = {
  BINARY: 0,
  ECHO: 1,
  SGA: 3,
  TIMING_MARK: 6,
} as const;

const { IAC, SE, SB, WILL, WONT, DO, DONT } = TelnetCommand;
const { BINARY, TIMING_MARK } = TelnetOption;
const CARRIAGE_RETURN = 0x0d;
const NEWLINE = 0x0a;
const NUL = 0x00;

/**
 * Commands a telnet client sends in place of a control key. Before binary
 * input is agreed, netkit telnet produces them from UTF-8 bytes whose low
 * seven bits match a control key, so in the middle of text they mean damage.
 */
const KEY_COMMANDS: ReadonlySet<number> = new Set<number>([
  TelnetCommand.IP,
  TelnetCommand.AO,
  TelnetCommand.BRK,
  TelnetCommand.SUSP,
  TelnetCommand.ABORT,
  TelnetCommand.EOF,
  TelnetCommand.EC,
  TelnetCommand.EL,
  TelnetCommand.AYT,
]);

/** Parser states between bytes; a sequence split across reads resumes here. */
const State = { Data: 0, Iac: 1, Will: 2, Wont: 3, Do: 4, Dont: 5, Sub: 6, SubIac: 7 } as const;
type State = typeof State[keyof typeof State];

/** RFC 1143 option states, for one side of one option. */
const Q = { No: 0, Yes: 1, WantNo: 2, WantYes: 3 } as const;

export interface TelnetFilterOptions {
  /**
   * Offer `WILL BINARY` as well as asking `DO BINARY`, and accept a client's
   * `DO BINARY`. Off by default; see the module comment for the cost.
   */
  binaryOutput?: boolean;
}

/** What one `push` produced. */
export interface TelnetResult {
  /** The data bytes with every telnet command removed. */
  data: Uint8Array;
  /** Bytes to write back to the client before anything else, or null. */
  reply: Uint8Array | null;
  /**
   * Offsets into `data` where input that may have lost bytes was seen, at
   * most one per line; the line that contains (or, at a line start, begins
   * at) each offset should be refused. Null when there is none.
   */
  damagedAt: number[] | null;
}

/**
 * An incremental telnet parser for one connection. Feed it every chunk read
 * from the socket, in order, before line splitting.
 */
export class TelnetFilter {
  #state: State = State.Data;
  #speaksTelnet = false;
  #offerBinaryOutput: boolean;
  /**
   * Each option's state: the server's side (WILL/WONT) at `option`, the
   * client's (DO/DONT from us) at 256 + `option`. Made on the first telnet
   * command: most clients never send one, and ten thousand idle members
   * would otherwise hold 5 MB of zeros.
   */
  #options: Uint8Array | null = null;
  /** The last data byte was CR, possibly in the previous chunk. */
  #afterCarriageReturn = false;
  /** The current line has already been reported damaged. */
  #lineFlagged = false;

  // Per-push scratch, reset by `push`.
  #reply: number[] | null = null;
  #damagedAt: number[] | null = null;

  constructor(options: TelnetFilterOptions = {}) {
    this.#offerBinaryOutput = options.binaryOutput ?? false;
  }

  /** True once the client has sent a telnet command. */
  get speaksTelnet(): boolean {
    return this.#speaksTelnet;
  }

  /** True once the client has agreed to send 8-bit data (it sent `WILL BINARY`). */
  get binaryInput(): boolean {
    return this.#option(false, BINARY) === Q.Yes;
  }

  /** True once the server has agreed to send 8-bit data. */
  get binaryOutput(): boolean {
    return this.#option(true, BINARY) === Q.Yes;
  }

  /**
   * True when input can be trusted to arrive unmangled: the client is no
   * telnet client at all, or it has agreed to send binary.
   */
  get cleanInput(): boolean {
    return !this.#speaksTelnet || this.binaryInput;
  }

  /**
   * True once everything the server asked for is agreed: binary input, and
   * binary output too when `binaryOutput` was set. Never true for a client
   * that does not speak telnet.
   */
  get negotiated(): boolean {
    return this.binaryInput && (!this.#offerBinaryOutput || this.binaryOutput);
  }

  /** Filters one chunk; state carries over to the next one. */
  push(chunk: Uint8Array): TelnetResult {
    // The common case, every chunk from nc or `chat join`: nothing to do.
    if (!this.#speaksTelnet && this.#state === State.Data && chunk.indexOf(IAC) === -1) {
      return { data: chunk, reply: null, damagedAt: null };
    }
    this.#reply = null;
    this.#damagedAt = null;
    // Allocated on the first byte that has to go, so a telnet client's
    // chunk without commands still comes back without a copy.
    let out: Uint8Array | null = null;
    let written = 0;
    for (let i = 0; i < chunk.length; i++) {
      const byte = chunk[i];
      let keep: number | null = null;
      switch (this.#state) {
        case State.Data:
          if (byte === IAC) this.#state = State.Iac;
          else keep = this.#dataByte(byte, written);
          break;
        case State.Iac:
          this.#state = State.Data;
          if (byte === IAC) keep = this.#dataByte(IAC, written);
          else this.#command(byte, written);
          break;
        case State.Will:
        case State.Wont:
        case State.Do:
        case State.Dont: {
          const verb = this.#state;
          this.#state = State.Data;
          this.#negotiate(verb, byte);
          break;
        }
        case State.Sub:
          if (byte === IAC) this.#state = State.SubIac;
          break;
        case State.SubIac:
          if (byte === SE) this.#state = State.Data;
          else if (byte === IAC) this.#state = State.Sub; // A doubled 0xFF inside.
          else {
            // The client left out IAC SE; like netkit, end the subnegotiation
            // here and read this byte as the command it announces.
            this.#state = State.Data;
            this.#command(byte, written);
          }
          break;
      }
      if (keep === byte && out === null) {
        written++;
        continue;
      }
      if (out === null) {
        out = new Uint8Array(chunk.length);
        out.set(chunk.subarray(0, written));
      }
      if (keep !== null) out[written++] = keep;
    }
    const data = out === null ? chunk : out.subarray(0, written);
    const reply = this.#reply === null ? null : Uint8Array.from(this.#reply);
    const result = { data, reply, damagedAt: this.#damagedAt };
    this.#reply = null;
    this.#damagedAt = null;
    return result;
  }

  /** A data byte at output offset `at`; returns the byte to keep. */
  #dataByte(byte: number, at: number): number {
    let kept = byte;
    if (this.#speaksTelnet) {
      // RFC 854: CR NUL is a bare carriage return, which is how a client in
      // character mode sends Enter; it ends the line like CR LF.
      if (byte === NUL && this.#afterCarriageReturn) kept = NEWLINE;
      // A high byte typed before binary was agreed may have lost a neighbour
      // (0x85 vanishes without a command), so the line is suspect.
      else if (byte >= 0x80 && !this.binaryInput) this.#flagDamage(at);
      this.#afterCarriageReturn = byte === CARRIAGE_RETURN;
    }
    if (kept === NEWLINE) this.#lineFlagged = false;
    return kept;
  }

  #command(command: number, at: number): void {
    // RFC 854 defines 240..255 and RFC 1184 adds 236..238; below that, IAC
    // and its byte are noise, dropped without taking the client for telnet.
    if (command < TelnetCommand.EOF) return;
    this.#startNegotiation();
    switch (command) {
      case WILL:
        this.#state = State.Will;
        return;
      case WONT:
        this.#state = State.Wont;
        return;
      case DO:
        this.#state = State.Do;
        return;
      case DONT:
        this.#state = State.Dont;
        return;
      case SB:
        this.#state = State.Sub;
        return;
    }
    if (KEY_COMMANDS.has(command) && !this.binaryInput) this.#flagDamage(at);
  }

  #flagDamage(at: number): void {
    if (this.#lineFlagged) return;
    this.#lineFlagged = true;
    (this.#damagedAt ??= []).push(at);
  }

  /** The client's first command: ask it to send binary, and offer ours if configured. */
  #startNegotiation(): void {
    if (this.#speaksTelnet) return;
    this.#speaksTelnet = true;
    this.#setOption(false, BINARY, Q.WantYes);
    this.#send(DO, BINARY);
    if (this.#offerBinaryOutput) {
      this.#setOption(true, BINARY, Q.WantYes);
      this.#send(WILL, BINARY);
    }
  }

  #option(ours: boolean, option: number): number {
    return this.#options?.[ours ? option : 256 + option] ?? Q.No;
  }

  #setOption(ours: boolean, option: number, state: number): void {
    (this.#options ??= new Uint8Array(512))[ours ? option : 256 + option] = state;
  }

  /** RFC 1143's Q method, without the queue bits: we never change our mind mid-request. */
  #negotiate(verb: State, option: number): void {
    if (option === TIMING_MARK) {
      // RFC 860: the mark is answered every time and never becomes a state.
      // Answering at once is right because every earlier byte is processed.
      if (verb === State.Do) this.#send(WILL, TIMING_MARK);
      return;
    }
    const enable = verb === State.Will || verb === State.Do;
    const ours = verb === State.Do || verb === State.Dont;
    const [yes, no] = ours ? [WILL, WONT] : [DO, DONT];
    const state = this.#option(ours, option);
    if (enable) {
      if (state === Q.No) {
        if (this.#accepts(option, ours)) {
          this.#setOption(ours, option, Q.Yes);
          this.#send(yes, option);
        } else {
          this.#send(no, option);
        }
      } else if (state === Q.WantYes) {
        this.#setOption(ours, option, Q.Yes);
      } else if (state === Q.WantNo) {
        // The peer answered our refusal with consent; RFC 1143 calls this an
        // error and settles on off without another message.
        this.#setOption(ours, option, Q.No);
      }
    } else {
      if (state === Q.Yes) {
        this.#setOption(ours, option, Q.No);
        this.#send(no, option);
      } else if (state !== Q.No) {
        this.#setOption(ours, option, Q.No);
      }
    }
  }

  #accepts(option: number, ours: boolean): boolean {
    if (option !== BINARY) return false;
    return ours ? this.#offerBinaryOutput : true;
  }

  #send(verb: number, option: number): void {
    (this.#reply ??= []).push(IAC, verb, option);
  }
}

/**
 * Doubles every 0xFF so the client reads it as data, as binary mode
 * requires. Returns `bytes` itself when it holds no 0xFF, as UTF-8 never does.
 */
export function escapeIac(bytes: Uint8Array): Uint8Array {
  let count = 0;
  for (let at = bytes.indexOf(IAC); at !== -1; at = bytes.indexOf(IAC, at + 1)) count++;
  if (count === 0) return bytes;
  const escaped = new Uint8Array(bytes.length + count);
  let written = 0;
  for (const byte of bytes) {
    escaped[written++] = byte;
    if (byte === IAC) escaped[written++] = IAC;
  }
  return escaped;
}
