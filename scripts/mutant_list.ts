/**
 * The deliberate bugs `deno task mutants` plants, one at a time, to check
 * that the test suite notices each. An entry names a file, the exact text to
 * find there (it must occur exactly once), the text to put in its place, and
 * the behaviour that breaks. When a change moves the code an entry points
 * at, update the entry; when you add a behaviour, add an entry for it.
 *
 * @module
 */

export interface Mutant {
  /** Short and unique; `deno task mutants --only <id>` runs it alone. */
  id: string;
  /** Path from the repository root. */
  file: string;
  find: string;
  replace: string;
  /** The behaviour the change breaks, as a user would notice it. */
  breaks: string;
}

export const MUTANTS: readonly Mutant[] = [
  {
    id: "kick-socket-stays-open",
    file: "server/fanout.ts",
    find: "    this.#onClose(connection);\n",
    replace: "",
    breaks: "A kicked or quitting member's TCP connection is never closed by the server.",
  },
  {
    id: "slow-reader-no-stall-rule",
    file: "server/connection.ts",
    find: "return this.#writing !== null && performance.now() - this.#progressAt > this.#stallMs;",
    replace: "return false;",
    breaks: "A member who stops reading is dropped only past 4x the outbox limit, never after " +
      "the no-progress interval.",
  },
  {
    id: "memory-store-no-history",
    file: "server/memory_store.ts",
    find: "    if (limit <= 0) return [];",
    replace: "    if (limit <= 0 || limit > 0) return [];",
    breaks: "A --memory room shows newcomers no history.",
  },
  {
    id: "schedule-tick-every-minute",
    file: "server/chat_server.ts",
    find: "options.tickMs ?? 1000",
    replace: "options.tickMs ?? 60_000",
    breaks: "A running server sends scheduled messages up to a minute late.",
  },
  {
    id: "join-resumes-from-zero",
    file: "client/join.ts",
    find: "lastSeq: this.#resumeToken ? this.#lastSeq : undefined,",
    replace: "lastSeq: this.#resumeToken ? 0 : undefined,",
    breaks: "chat join asks for the whole log again on every resume instead of what it missed.",
  },
  {
    id: "no-schedule-cap",
    file: "server/room.ts",
    find: "if (mine >= MAX_SCHEDULES_PER_MEMBER) {",
    replace: "if (mine >= Infinity) {",
    breaks: "A member may keep any number of pending schedules.",
  },
  {
    id: "malformed-json-silent",
    file: "server/session.ts",
    find: '      this.#error("Malformed message: expected one JSON object per line.");\n',
    replace: "",
    breaks: "A structured client sending a line that is not JSON gets no error.",
  },
  {
    id: "late-schedule-unmarked",
    file: "server/room.ts",
    find: "this.#fire(schedule, now - schedule.due > LATE_AFTER_MS);",
    replace: "this.#fire(schedule, false);",
    breaks: "A schedule that fires over a minute late is not marked (sent late).",
  },
  {
    id: "rename-forgets-schedules",
    file: "server/room.ts",
    find: "if (schedule.authorKey === nicknameKey(old)) {",
    replace: "if (schedule.authorKey === old) {",
    breaks: "After /rename, the member's pending schedules stay under the old name.",
  },
  {
    id: "flood-warning-every-line",
    file: "server/session.ts",
    find: "if (this.#flood!.dropped === 1) {",
    replace: "if (this.#flood!.dropped >= 1) {",
    breaks: "A flooder is warned once per dropped line instead of once per flood.",
  },
  {
    id: "plain-history-unmarked",
    file: "protocol/plain.ts",
    find: 'const history = "history" in event && event.history ? "(history) " : "";',
    replace: 'const history = "";',
    breaks: "Plain clients cannot tell history from live messages.",
  },
  {
    id: "memory-store-history-unbounded",
    file: "server/memory_store.ts",
    find: "for (let i = events.length - 1; i >= 0 && found.length < limit; i--) {",
    replace: "for (let i = events.length - 1; i >= 0; i--) {",
    breaks: "A --memory room ignores --history and replays every kept message to a newcomer.",
  },
  {
    id: "join-no-duplicate-filter",
    file: "client/join.ts",
    find: "if (seq <= this.#lastSeq) return true;",
    replace: "if (seq < 0) return true;",
    breaks: "chat join prints a replayed line a second time.",
  },
  {
    id: "resume-leaves-old-socket",
    file: "server/room.ts",
    find: "if (member.detachedAt === undefined) this.#outbox.close(member.id);",
    replace: "",
    breaks: "Resuming a session that is still attached leaves the old connection open.",
  },
  {
    id: "json-unregistered-say-silent",
    file: "server/session.ts",
    find: '    } else {\n      this.#error("Malformed message: unknown type or missing field.");',
    replace:
      '    } else if (message?.type !== "say") {\n      this.#error("Malformed message: unknown type or missing field.");',
    breaks: "A structured client that says something before choosing a nickname gets no error.",
  },
  {
    id: "shutdown-no-drain",
    file: "server/chat_server.ts",
    find: "const SHUTDOWN_FLUSH_MS = 2000;",
    replace: "const SHUTDOWN_FLUSH_MS = 0;",
    breaks: "On shutdown, members with queued output lose it and the goodbye line.",
  },
  {
    id: "schedule-needs-author-present",
    file: "server/room.ts",
    find: "this.#fire(schedule, now - schedule.due > LATE_AFTER_MS);",
    replace:
      "if (this.#byKey.has(schedule.authorKey)) this.#fire(schedule, now - schedule.due > LATE_AFTER_MS);",
    breaks: "A scheduled message is not sent if its author has left.",
  },
  {
    id: "serve-ignores-flags",
    file: "server/serve.ts",
    find: "      limits: options.limits,\n      historySize: options.historySize,\n",
    replace: "",
    breaks: "chat serve ignores its limit flags and --history.",
  },
  {
    id: "nick-case-sensitive",
    file: "protocol/text.ts",
    find: 'return nick.normalize("NFKC").toLowerCase().normalize("NFKC");',
    replace: 'return nick.normalize("NFKC");',
    breaks: "Alice and alice can be in the room at once.",
  },
  {
    id: "anyone-may-kick",
    file: "server/commands.ts",
    find:
      "if (command.ownerOnly && room.owner !== member) throw new CommandError(command.ownerOnly);",
    replace:
      "if (command.ownerOnly && room.owner === null) throw new CommandError(command.ownerOnly);",
    breaks: "Members who are not the owner can /kick.",
  },
  {
    id: "newest-member-inherits",
    file: "server/room.ts",
    find: "if (!heir || candidate.arrival < heir.arrival) heir = candidate;",
    replace: "if (!heir || candidate.arrival > heir.arrival) heir = candidate;",
    breaks: "Ownership passes to the newest member instead of the longest-present one.",
  },
  {
    id: "whisper-never-arrives",
    file: "server/room.ts",
    find: '    this.tell(target, { ...event, direction: "in" });\n',
    replace: "",
    breaks: "A whisper is shown to its sender but never reaches its target.",
  },
  {
    id: "line-limit-off-by-one",
    file: "protocol/framing.ts",
    find: "    if (length > this.#maxLineBytes) {",
    replace: "    if (length > this.#maxLineBytes + 1) {",
    breaks: "A line one byte over --max-line-bytes is accepted.",
  },
  {
    id: "bidi-override-passes",
    file: "protocol/text.ts",
    find:
      "const UNSAFE = /[\\u0000-\\u0008\\u000A-\\u001F\\u007F-\\u009F\\u202A-\\u202E\\u2066-\\u2069]/g;",
    replace: "const UNSAFE = /[\\u0000-\\u0008\\u000A-\\u001F\\u007F-\\u009F\\u2066-\\u2069]/g;",
    breaks: "A bidi override in a message reaches other members' terminals.",
  },
  {
    id: "register-timer-outlives-join",
    file: "server/session.ts",
    find: "    clearTimeout(this.#registerTimer);\n    this.#registerTimer = undefined;\n",
    replace: "",
    breaks: "A member who registered is still disconnected when the registration timeout ends.",
  },
  {
    id: "per-ip-cap-off-by-one",
    file: "server/chat_server.ts",
    find: "fromIp >= this.limits.maxPerIp",
    replace: "fromIp > this.limits.maxPerIp",
    breaks: "One connection more than --max-per-ip is accepted from an address.",
  },
  {
    id: "newcomer-gets-no-history",
    file: "server/room.ts",
    find: "for (const event of this.store.recentMessages(this.historySize)) {",
    replace: "for (const event of this.store.recentMessages(0)) {",
    breaks: "A newcomer is shown no history.",
  },
  {
    id: "resume-skips-first-missed",
    file: "server/room.ts",
    find: "const missed = this.store.eventsAfter(lastSeq);",
    replace: "const missed = this.store.eventsAfter(lastSeq + 1);",
    breaks: "A resumed member misses the first event after the last one it saw.",
  },
  {
    id: "screen-forgets-input-line",
    file: "client/screen.ts",
    find: "    if (this.#inputShown) text += this.#inputRow();\n",
    replace: "",
    breaks: "An incoming message erases the line the user is typing.",
  },
  {
    id: "backspace-eats-two",
    file: "client/line_editor.ts",
    find: "return this.#deleteRange(this.#cursor - 1, this.#cursor);",
    replace: "return this.#deleteRange(this.#cursor - 2, this.#cursor);",
    breaks: "Backspace deletes two characters.",
  },
  {
    id: "leave-reason-hidden",
    file: "protocol/plain.ts",
    find: 'left the chat${event.reason ? ` (${event.reason})` : ""}.`;',
    replace: "left the chat.`;",
    breaks: "Leave announcements no longer say why the member left.",
  },
  {
    id: "plain-drop-unannounced",
    file: "server/room.ts",
    find: '      this.leave(id, "disconnected");',
    replace: "      this.#remove(member);",
    breaks: "A plain client whose connection drops leaves without an announcement.",
  },
  {
    id: "schedule-ids-reused",
    file: "server/sqlite_store.ts",
    find: "      this.#bumpScheduleId.run(id);\n",
    replace: "",
    breaks: "After a cancel and a restart, a schedule id is given out again.",
  },
  {
    id: "stale-schedules-sent",
    file: "server/room.ts",
    find: "if (now - schedule.due <= STALE_AFTER_MS) {",
    replace: "if (now - schedule.due <= Infinity) {",
    breaks: "A schedule over an hour overdue at start is sent instead of dropped with a note.",
  },
  {
    id: "log-values-unquoted",
    file: "server/log.ts",
    find: 'return value === "" || NEEDS_QUOTES.test(value) ? quote(value) : value;',
    replace: "return value;",
    breaks: "A client can forge a second log line through a nickname or reason.",
  },
  {
    id: "client-prints-escapes",
    file: "client/render.ts",
    find: "const safe = mapUserText(event, sanitizeText, sanitizeText);",
    replace: "const safe = mapUserText(event, (text) => text, (text) => text);",
    breaks: "chat join prints escape sequences a hostile server sends.",
  },
  {
    id: "kicked-client-exits-0",
    file: "client/join.ts",
    find: 'if (this.#ending === "kicked") return 1;',
    replace: 'if (this.#ending === "kicked") return 0;',
    breaks: "chat join exits 0 after being kicked.",
  },
  {
    id: "wide-characters-narrow",
    file: "client/text_width.ts",
    find: "  return stringWidth(grapheme);",
    replace: "  return Math.min(1, stringWidth(grapheme));",
    breaks: "The input line misplaces the cursor after Hangul, CJK or emoji.",
  },
  {
    id: "flooder-never-cut-off",
    file: "server/flood_control.ts",
    find: 'return this.#dropped > this.#backlogLimit * 2 ? "disconnect" : "drop";',
    replace: 'return "drop";',
    breaks: "A connection that keeps flooding is never disconnected.",
  },
  {
    id: "whispers-lost-while-away",
    file: "server/room.ts",
    find: "        (member.missed ??= []).push(event);\n",
    replace: "",
    breaks: "Whispers sent while a member's connection was down are lost on resume.",
  },
  {
    id: "schedule-in-server-zone",
    file: "server/commands.ts",
    find: "const due = parseDue(when, room.clock.now(), member.timeZone);",
    replace: "const due = parseDue(when, room.clock.now());",
    breaks: "/schedule HH:MM from chat join fires at the server's clock time, not the user's.",
  },
  {
    id: "join-keeps-zone-to-itself",
    file: "client/join.ts",
    find: "        timeZone: this.#timeZone,\n",
    replace: "",
    breaks: "chat join does not tell the room its time zone, so HH:MM means the server's clock.",
  },
  {
    id: "last-line-lost-at-end",
    file: "protocol/line_reader.ts",
    find: "  splitter.finish(emit);\n",
    replace: "",
    breaks: "A last line without a newline is lost when the client closes its side.",
  },
  {
    id: "private-line-overtakes-broadcasts",
    file: "server/fanout.ts",
    find: "    if (cursor) this.#catchUp(cursor);\n",
    replace: "",
    breaks: "A whisper or an error can arrive before broadcasts that came before it.",
  },
  {
    id: "damaged-telnet-line-sent",
    file: "server/session.ts",
    find: '    if (this.#telnet?.speaksTelnet && line.includes("\\uFFFD")) {',
    replace: "    if (false) {",
    breaks: "A line telnet mangled before binary mode is broadcast as garbage.",
  },
  {
    id: "timing-mark-unanswered",
    file: "protocol/telnet.ts",
    find: "      if (verb === State.Do) this.#send(WILL, TIMING_MARK);\n",
    replace: "",
    breaks: "A telnet client that asked DO TIMING-MARK is never answered and its screen freezes.",
  },
  {
    id: "modes-data-file-umask",
    file: "server/open_store.ts",
    find: "  createPrivateFile(path);\n",
    replace: "",
    breaks: "A new data file and its -wal are created 0644 (world-readable under umask 022).",
  },
  {
    id: "modes-known-rooms-dir-open",
    file: "client/known_rooms.ts",
    find: "await Deno.mkdir(dir, { recursive: true, mode: 0o700 });",
    replace: "await Deno.mkdir(dir, { recursive: true });",
    breaks: "The directory chat join creates for known_rooms is readable by everyone.",
  },
  {
    id: "tls-fingerprint-of-other-bytes",
    file: "protocol/fingerprint.ts",
    find: 'createHash("sha256").update(spki)',
    replace: 'createHash("sha256").update(spki.subarray(1))',
    breaks: "The fingerprint chat serve logs and chat join pins is not the one openssl computes.",
  },
  {
    id: "tls-no-plain-port",
    file: "main.ts",
    find: "plainPort: flags.tlsOnly ? null : flags.plainPort ?? DEFAULT_PLAIN_PORT,",
    replace: "plainPort: null,",
    breaks:
      "With TLS on, nc and telnet users get no plain port, as if --tls-only were always given.",
  },
  {
    id: "tls-bad-key-reaches-listen",
    file: "server/tls_listener.ts",
    find: "    listen(hostname, 0, material).close();\n",
    replace: "",
    breaks: "A key that is not the certificate's crashes chat serve with a stack trace at start, " +
      "and on SIGHUP closes the TLS port before failing.",
  },
  {
    id: "tls-reload-keeps-old-certificate",
    file: "server/tls_listener.ts",
    find: "        this.#listener = listen(hostname, port, material);",
    replace: "        this.#listener = listen(hostname, port, this.#material);",
    breaks: "After SIGHUP new connections still get the old certificate, though the log says new.",
  },
  {
    id: "tls-reload-port-still-held",
    file: "server/tls_listener.ts",
    find: "      await this.#lastAccept;\n",
    replace: "",
    breaks: 'SIGHUP fails with "Address already in use": Deno has not let go of the old port yet.',
  },
  {
    id: "tls-reload-seen-as-listener-error",
    file: "server/tls_listener.ts",
    find: "        if (this.#swap) {",
    replace: "        if (false) {",
    breaks: "Every SIGHUP logs a listener error and stops accepting for a moment.",
  },
  {
    id: "tls-sighup-unhandled",
    file: "server/tls_listener.ts",
    find: '  Deno.addSignalListener("SIGHUP", onHangup);\n',
    replace: "",
    breaks:
      "SIGHUP (a certbot renewal hook) stops chat serve instead of reloading its certificate.",
  },
  {
    id: "tls-changed-key-accepted",
    file: "client/tls_connect.ts",
    find: "  if (known && !options.acceptNewCert) {",
    replace: "  if (known && !options.acceptNewCert && known.line < 0) {",
    breaks: "chat join silently accepts a room whose key changed, if any authority vouches for it.",
  },
  {
    id: "tls-record-not-trusted",
    file: "client/tls_connect.ts",
    find: "  if (known?.fingerprint === seen) return null;\n",
    replace: "",
    breaks: "A self-signed room is refused after the first visit although its key is recorded.",
  },
  {
    id: "tls-unvouched-accepted",
    file: "client/tls_connect.ts",
    find: "  const vouched = socket.authorized || options.fingerprint === seen;",
    replace: "  const vouched = true;",
    breaks: "chat join trusts and records any certificate on a first visit, an impostor's too.",
  },
  {
    id: "tls-fingerprint-flag-ignored",
    file: "client/tls_connect.ts",
    find: "  if (options.fingerprint !== undefined && seen !== options.fingerprint) {",
    replace: "  if (false) {",
    breaks: "A room whose key is not the one given with --fingerprint is joined if it is vouched " +
      "for otherwise, and the refusal does not say that the fingerprint differs.",
  },
  {
    id: "tls-accept-new-cert-sticks",
    file: "client/join.ts",
    find: "    if (tls?.acceptNewCert) {",
    replace: "    if (false) {",
    breaks: "--accept-new-cert also accepts a key that changes again while chat join reconnects.",
  },
  {
    id: "tls-untrusted-room-retried",
    file: "client/join.ts",
    find: "        if (error instanceof RoomTrustError) {",
    replace: '        if (error instanceof RoomTrustError && error.message === "") {',
    breaks:
      "A room refused for its key is retried silently for --retry seconds, the warning unseen.",
  },
  {
    id: "tls-alert-shown-as-bytes",
    file: "client/room_link.ts",
    find: "  if (line.startsWith(TLS_ALERT)) {",
    replace: '  if (line.startsWith(TLS_ALERT) && line === "") {',
    breaks: 'chat join without tls:// on a TLS port prints a stray "2", not how to join.',
  },
];
