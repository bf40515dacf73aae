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
    find:
      "    if (queued > this.#limitBytes * HARD_LIMIT_FACTOR) return true;\n    return this.stalled;",
    replace:
      "    if (queued > this.#limitBytes * HARD_LIMIT_FACTOR) return true;\n    return false;",
    breaks: "A member who stops reading is dropped only past 4x the outbox limit, never after " +
      "the no-progress interval.",
  },
  {
    id: "memory-store-no-history",
    file: "server/memory_store.ts",
    find:
      "  messagesBefore(beforeSeq: number, limit: number): ConversationEvent[] {\n    if (limit <= 0) return [];",
    replace:
      "  messagesBefore(beforeSeq: number, limit: number): ConversationEvent[] {\n    if (limit <= 0 || limit > 0) return [];",
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
    find: "      lastSeq: this.#seen.lastSeq > 0 ? this.#seen.lastSeq : undefined,",
    replace: "      lastSeq: this.#seen.lastSeq > 0 ? 0 : undefined,",
    breaks: "chat join asks for the whole log again on every resume instead of what it missed.",
  },
  {
    id: "no-schedule-cap",
    file: "server/schedule_queue.ts",
    find: "if ((this.#perAddress.get(address) ?? 0) >= perAddress) {",
    replace: "if (false) {",
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
    find: "const late = this.#overdueAtStart.delete(info.id) || now - info.due > LATE_AFTER_MS;",
    replace: "const late = this.#overdueAtStart.delete(info.id);",
    breaks: "A schedule that fires over a minute late is not marked (sent late).",
  },
  {
    id: "rename-forgets-schedules",
    file: "server/room.ts",
    find: "      for (const info of this.#schedules.byAuthor(member.author)) info.author = nick;",
    replace: "",
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
    find: "for (let i = this.#messages.length - 1; i >= 0 && found.length < limit; i--) {",
    replace: "for (let i = this.#messages.length - 1; i >= 0; i--) {",
    breaks: "A --memory room ignores --history and replays every kept message to a newcomer.",
  },
  {
    id: "join-no-duplicate-filter",
    file: "protocol/seen_events.ts",
    find: "    if (seq <= this.lastSeq) return true;",
    replace: "    if (seq < 0) return true;",
    breaks: "chat join and the page print a replayed line a second time.",
  },
  {
    id: "resume-leaves-old-socket",
    file: "server/room.ts",
    find: "      this.#outbox.close(member.id);\n    }\n    // Single use",
    replace: "    }\n    // Single use",
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
    find: "      this.#fire(info, late);",
    replace: "      if (this.#byKey.has(info.authorKey)) this.#fire(info, late);",
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
    find: "      if (!found || candidate.arrival < found.arrival) found = candidate;",
    replace: "      if (!found || candidate.arrival > found.arrival) found = candidate;",
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
    find: "    if (length > this.#limit()) {",
    replace: "    if (length > this.#limit() + 1) {",
    breaks: "A line one byte over --max-line-bytes is accepted.",
  },
  {
    id: "bidi-override-passes",
    file: "protocol/text.ts",
    find: "\\u200E\\u200F\\u2028-\\u202E\\u2066",
    replace: "\\u200E\\u200F\\u2028-\\u2029\\u2066",
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
    find: "this.store.recentMessages(Math.min(this.historySize, MAX_REPLAY_EVENTS))",
    replace: "this.store.recentMessages(0)",
    breaks: "A newcomer is shown no history.",
  },
  {
    id: "resume-skips-first-missed",
    file: "server/room.ts",
    find: "    let from = lastSeq;",
    replace: "    let from = lastSeq + 1;",
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
    find: '        event.reason ? ` (${event.reason})` : ""\n      }.`;',
    replace: '        ""\n      }.`;',
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
    find: "if (now - info.due <= STALE_AFTER_MS) {",
    replace: "if (now - info.due <= Infinity) {",
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
    find: "const safe = mapUserText(event, sanitizeText, safeText);",
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
    find: "      timeZone: this.#timeZone,\n",
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
    id: "lookalike-names-allowed",
    file: "server/room.ts",
    find: "const problem = nicknameProblem(nick) ?? lookalikeProblem(nick);",
    replace: "const problem = nicknameProblem(nick);",
    breaks: "Names with invisible characters, mixed scripts or only combining marks are accepted.",
  },
  {
    id: "lookalike-of-present-name-allowed",
    file: "server/room.ts",
    find: "      if (twin && twin !== renaming) {",
    // Never true: an exact twin was refused earlier as taken.
    replace: "      if (twin && twin !== renaming && twin.nick === nick) {",
    breaks: "A name whose skeleton matches a present member's (Cyrillic аlice) is accepted.",
  },
  {
    id: "narrowing-leaves-stale-row",
    file: "client/screen.ts",
    find: '    const up = rowsUp > 0 ? cursorUp(rowsUp) : "";',
    replace: '    const up = "";',
    breaks: "Narrowing the window leaves a stale piece of the input line on screen.",
  },
  {
    id: "reconnect-prompt-says-nickname",
    file: "client/join.ts",
    find: "    else if (this.#reconnecting && nick) prompt = `${nick} (reconnecting)> `;",
    replace: "",
    breaks: "While reconnecting, the prompt says Nickname: though the line is sent as chat.",
  },
  {
    id: "ctrl-c-reconnecting-gives-up",
    file: "client/join.ts",
    find: '    if (this.#ending === "quit") return "quit";',
    replace: "",
    breaks: "Ctrl-C while reconnecting says it could not reconnect and exits 1.",
  },
  {
    id: "accepted-then-closed-gives-up",
    file: "client/join.ts",
    find: "      if (!this.#joinedOnce) return 1;",
    replace: "      if (!this.#registered) return 1;",
    breaks: "chat join gives up when a proxy accepts and closes while the room is down.",
  },
  {
    id: "rejoin-shows-history-again",
    file: "client/join.ts",
    find: "      lastSeq: this.#seen.lastSeq > 0 ? this.#seen.lastSeq : undefined,",
    replace: "      lastSeq: this.#resumeToken ? this.#seen.lastSeq : undefined,",
    breaks: "After a server restart, chat join prints the history it already showed again.",
  },
  {
    id: "second-signal-kills-shutdown",
    file: "server/serve.ts",
    find: "    if (signalsSeen === 1) {",
    replace:
      "    if (signalsSeen === 1 || signalsSeen === 2) {\n      if (signalsSeen === 2) Deno.exit(130);",
    breaks: "A second Ctrl-C during shutdown kills the room before members are told.",
  },
  {
    id: "bad-host-crashes",
    file: "server/serve.ts",
    find: "    return 2;\n  }\n  if (node) {\n",
    replace: "    throw error;\n  }\n  if (node) {\n",
    breaks: "chat serve with a bad --host crashes with a stack trace.",
  },
  {
    id: "json-limit-counts-wrapper",
    file: "server/session.ts",
    find: "          ? jsonLineBytes(this.#host.limits)",
    replace: "          ? this.#host.limits.maxLineBytes",
    breaks: "The line limit counts the JSON around a chat join user's text.",
  },
  {
    id: "paste-unbounded",
    file: "server/session.ts",
    find: "  if (bytes > limits.maxPasteBytes) {",
    replace: "  if (bytes > Infinity) {",
    breaks: "A pasted block is not held to --max-paste-bytes.",
  },
  {
    id: "ignore-ignored",
    file: "server/room.ts",
    find: "      this.#ignorers(member),\n    );\n  }\n\n  /** A member left",
    replace: "    );\n  }\n\n  /** A member left",
    breaks: "/ignore does not hide the ignored member's messages.",
  },
  {
    id: "away-not-told",
    file: "server/room.ts",
    find:
      '      this.notice(from, `${target.nick} is away${target.away ? `: ${target.away}` : "."}`);',
    replace: "",
    breaks: "Whispering to an away member does not say they are away.",
  },
  {
    id: "no-stand-in-owner",
    file: "server/room.ts",
    find: "      if (member === this.#owner || member === this.#standIn) this.#appointStandIn();",
    replace: "",
    breaks: "While the owner reconnects, nobody can kick for up to a minute.",
  },
  {
    id: "topic-not-shown-on-join",
    file: "server/room.ts",
    find:
      '      this.#outbox.send(id, { type: "current_topic", at: now, text, by, since: at });\n    }\n    // Notes wait',
    replace: "    }\n    // Notes wait",
    breaks: "A newcomer is not shown the topic.",
  },
  {
    id: "history-does-not-page",
    file: "server/room.ts",
    find: "    member.historyBefore = page[0].seq;",
    replace: "",
    breaks: "/history shows the same page again instead of earlier messages.",
  },
  {
    id: "double-slash-is-command",
    file: "server/commands.ts",
    find: '  if (!text.startsWith("/") || text.startsWith("//")) {',
    replace: '  if (!text.startsWith("/")) {',
    breaks: "//text is taken as a command instead of sending /text.",
  },
  {
    id: "whisper-to-self",
    file: "server/room.ts",
    find: '    if (target === from) throw new CommandError("You cannot whisper to yourself.");',
    replace: "",
    breaks: "A member can whisper to itself.",
  },
  {
    id: "reads-ignore-output-backlog",
    file: "server/connection.ts",
    find: "    const wait = this.#gate?.wait();",
    replace: "    const wait = null as Promise<void> | null;",
    breaks:
      "With --rate 0, a flood makes the server read faster than it writes and readers are dropped.",
  },
  {
    id: "big-burst-waits-for-pacing",
    file: "server/fanout.ts",
    find: "if (this.#plain.length >= FLUSH_AT_BYTES || this.#json.length >= FLUSH_AT_BYTES) {",
    replace: "if (false) {",
    breaks: "A flood piles up in one paced segment and drops every member at once.",
  },
  {
    id: "system-mark-typable",
    file: "protocol/text.ts",
    find: "\\u2066-\\u2069\\uFEFF\\u2023]|[\\u{E0000}-\\u{E007F}]/gu;",
    replace: "\\u2066-\\u2069\\uFEFF]|[\\u{E0000}-\\u{E007F}]/gu;",
    breaks: "A member can type the room's mark and fake a join, leave or ownership line.",
  },
  {
    id: "padding-not-cut",
    file: "protocol/text.ts",
    find:
      '  if (LONG_SPACE_RUN.test(safe)) safe = safe.replace(LONG_SPACE_RUNS, " ".repeat(MAX_SPACE_RUN));',
    replace: "",
    breaks: "A message padded with spaces wraps into what looks like a line of its own.",
  },
  {
    id: "replay-unbounded",
    file: "server/room.ts",
    find: "    if (this.#seq - lastSeq > MAX_REPLAY_EVENTS) {",
    replace: "    if (false) {",
    breaks: "A resume with lastSeq -1 replays the whole stored log.",
  },
  {
    id: "replay-not-streamed",
    file: "server/fanout.ts",
    find: "        if (connection.queuedBytes > STREAM_HIGH_WATER) {",
    // Never true; a bare `false` leaves the narrowed `connection` unused and fails to type-check.
    replace: "        if (connection.queuedBytes > Infinity) {",
    breaks: "A replay is queued whole instead of following what the member reads.",
  },
  {
    id: "history-scans-past-presence",
    file: "server/memory_store.ts",
    find: "    if (isChatMessage(event)) this.#messages.push(event);",
    replace: "    this.#messages.push(event);",
    breaks: "A storm of joins and leaves pushes the conversation out of a --memory room's history.",
  },
  {
    id: "store-failure-reaches-room",
    file: "server/chat_server.ts",
    find: "    const store = options.store === undefined || options.store instanceof MemoryStore\n",
    replace: "    const store = options.store === undefined || options.store instanceof Object\n",
    breaks:
      "A full disk throws out of the room: the speaker's connection drops and a newcomer is half-registered.",
  },
  {
    id: "store-failure-owner-not-told",
    file: "server/chat_server.ts",
    find: "      this.room?.tellOwner(\n        `History is not being saved:",
    replace: "      this.room?.tellOwner.call(null as never,\n        `History is not being saved:",
    breaks: "The owner is never told that history stopped being saved.",
  },
  {
    id: "store-retry-every-write",
    file: "server/resilient_store.ts",
    find: "    if (this.#now() - this.#failedAt < this.#retryEveryMs) return false;",
    replace: "",
    breaks: "A failing data file is hit by every message instead of once a second.",
  },
  {
    id: "store-retry-writes-twice",
    file: "server/resilient_store.ts",
    find:
      "        this.#primary.appendEvent(this.#unsavedEvents[0]);\n        this.#unsavedEvents.shift();",
    replace:
      "        for (const event of this.#unsavedEvents) this.#primary.appendEvent(event);\n        this.#unsavedEvents = [];",
    breaks:
      "A retry that fails halfway writes the first events again on the next, and the file never recovers.",
  },
  {
    id: "damaged-file-generic-message",
    file: "server/sqlite_store.ts",
    find: "  if (/malformed|corrupt/i.test(message)) {",
    replace: "  if (/^$/.test(message)) {",
    breaks: "A damaged data file gets a bare SQLite error instead of what to do about it.",
  },
  {
    id: "malformed-last-seq-accepted",
    file: "server/room.ts",
    find:
      'const wellFormed = typeof given === "number" && Number.isSafeInteger(given) && given >= 0;',
    replace: 'const wellFormed = typeof given === "number";',
    breaks: "A resume with lastSeq -1 or 2.5 is taken at its word instead of refused.",
  },
  {
    id: "churn-not-summarized",
    file: "server/presence_digest.ts",
    find:
      "      if (this.#countingSince === null && this.#briefVisitsEndedAt.length > this.limit) {",
    replace: "      if (false) {",
    breaks: "A client cycling nicknames puts two lines per visit on every screen and into the log.",
  },
  {
    id: "churn-counts-stays",
    file: "server/presence_digest.ts",
    find: "    if (now - joinedAt < this.windowMs) {",
    replace: "    if (true) {",
    breaks: "Thirty people who join a class at once and stay are summarized instead of greeted.",
  },
  {
    id: "churn-summary-never-sent",
    file: "server/room.ts",
    find: '    if (churn) this.#publish({ type: "presence", seq: 0, at: now, ...churn });',
    replace: "",
    breaks: "Under churn, joins and leaves vanish without the summary that stands for them.",
  },
  {
    id: "web-origin-unchecked",
    file: "server/web_server.ts",
    find: "    if (!sameOrigin(request)) {",
    replace: "    if (!sameOrigin(request) && false) {",
    breaks: "Another site's page can open the room in a visitor's browser (no 403 for a foreign " +
      "Origin).",
  },
  {
    id: "web-no-csp",
    file: "server/web_server.ts",
    find:
      `  "content-security-policy": "default-src 'none'; script-src 'self'; style-src 'self'; " +`,
    replace: `  "x-csp-dropped": "default-src 'none'; script-src 'self'; style-src 'self'; " +`,
    breaks: "The page is served without its Content-Security-Policy.",
  },
  {
    id: "web-markup-as-html",
    file: "web/app.js",
    find: "      part.nick === undefined ? part.text : span(`nick nick-${nickColor(part.nick)}`, " +
      "part.text),",
    replace: "      part.nick === undefined\n" +
      "        ? document.createRange().createContextualFragment(part.text)\n" +
      "        : span(`nick nick-${nickColor(part.nick)}`, part.text),",
    breaks: "Markup in a message becomes elements on the page instead of text.",
  },
  {
    id: "web-huge-frame-kept-open",
    file: "server/websocket_transport.ts",
    find: "    this.#closeAboveBytes = options.closeAboveBytes;",
    replace: "    this.#closeAboveBytes = Infinity;",
    breaks:
      "A WebSocket frame of megabytes is taken in and answered instead of closing the socket.",
  },
  {
    id: "web-frame-newline-splits",
    file: "server/websocket_transport.ts",
    find: "    if (bytes.includes(NEWLINE)) {",
    replace: "    if (false) {",
    breaks: "A frame holding a newline is split into several lines instead of being refused.",
  },
  {
    id: "web-no-backpressure",
    file: "server/websocket_transport.ts",
    find: "    await this.#drained();\n",
    replace: "",
    breaks: "A browser that stops reading is never dropped as too slow; its output piles up " +
      "without bound.",
  },
  {
    id: "web-frame-per-line",
    file: "server/websocket_transport.ts",
    find: "    if (whole.length > 0) this.#socket.send(this.#frames.of(whole));",
    replace: "    if (whole.length > 0) {\n" +
      '      for (const line of this.#frames.of(whole).split("\\n")) this.#socket.send(line);\n' +
      "    }",
    breaks: "Each line goes out as its own frame: one socket write per line per browser.",
  },

  {
    id: "web-no-time-zone",
    file: "web/room_socket.js",
    find: "      timeZone: this.#timeZone,\n",
    replace: "",
    breaks: "/schedule HH:MM from the page is read on the server's clock, not the viewer's.",
  },
  {
    id: "web-stamps-in-utc",
    file: "web/render.js",
    find: "    time: formatClock(event.at),",
    replace: '    time: formatClock(event.at, "UTC"),',
    breaks: "The page stamps lines in UTC instead of the viewer's time zone.",
  },
  {
    id: "web-notifies-visible-tab",
    file: "web/app.js",
    find: '  if (!document.hidden || !("Notification" in globalThis)) return;',
    replace: '  if (!("Notification" in globalThis)) return;',
    breaks: "A mention raises a notification even while the viewer is looking at the page.",
  },
  {
    id: "web-quiet-user-list-shown",
    file: "web/app.js",
    find: "        quietUserLists--;\n        return;\n",
    replace: "        quietUserLists--;\n",
    breaks: "The /user the page asks for itself after joining shows up in the message list.",
  },
  {
    id: "web-kick-buttons-for-all",
    file: "web/app.js",
    find: "    if (iOwn && !isSelf) {",
    replace: "    if (!isSelf) {",
    breaks: "Members who do not own the room get kick buttons.",
  },
  {
    id: "web-refusal-hidden-after-reconnect",
    file: "web/app.js",
    find: "        view.roomView.hidden = true;\n        view.joinView.hidden = false;\n",
    replace: "",
    breaks: "A page whose nickname was taken while it was away shows the refusal nowhere and " +
      "cannot rejoin.",
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
    file: "client/config_dir.ts",
    find: '  if (dir !== "") await Deno.mkdir(dir, { recursive: true, mode: 0o700 });',
    replace: '  if (dir !== "") await Deno.mkdir(dir, { recursive: true });',
    breaks: "The directory chat join keeps known_rooms and its key in is readable by everyone.",
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
  {
    id: "proxy-header-never-read",
    file: "server/chat_server.ts",
    find: "    if (!this.trustedProxies.includes(peer)) {",
    replace: "    if (true) {",
    breaks: "Behind a --trusted-proxy every client counts as the proxy's address.",
  },
  {
    id: "proxy-header-from-anyone",
    file: "server/proxied_transport.ts",
    find: "    if (n === null || !opensWithProxyHeader(buffer.subarray(0, n))) return n;",
    replace: "    return n;",
    breaks: "A client not behind a trusted proxy can send a PROXY header unchallenged.",
  },
  {
    id: "proxy-header-checked-on-every-read",
    file: "server/proxied_transport.ts",
    find: "    this.#onRefused = null;\n",
    replace: "",
    breaks: "A member whose chat line looks like a PROXY header is disconnected as a spoofer.",
  },
  {
    id: "exempt-is-loopback",
    file: "server/chat_server.ts",
    find: "    if (fromIp >= this.limits.maxPerIp && !this.exempt.includes(ip)) {",
    replace: '    if (fromIp >= this.limits.maxPerIp && !ip.startsWith("127.")) {',
    breaks: "--exempt none still leaves loopback (every proxied client) free of --max-per-ip.",
  },
  {
    id: "join-rate-off",
    file: "server/chat_server.ts",
    find: "    const wait = this.#joinRate.take(address, nowMs);",
    replace: "    const wait = 0;",
    breaks: "One address can join as fast as it likes.",
  },
  {
    id: "join-rate-charges-taken-names",
    file: "server/room.ts",
    find:
      "    const problem = this.#nickProblem(nick, null, options.identity);\n    if (problem) {",
    replace:
      "    const problem = this.#nickProblem(nick, null, options.identity);\n    options.admit?.();\n    if (problem) {",
    breaks: "Trying a taken nickname uses up one of the address's joins.",
  },
  {
    id: "forwarded-for-from-anyone",
    file: "server/web_server.ts",
    find: "    if (!this.#chat.trustedProxies.includes(peer.hostname)) return peer;",
    replace: "",
    breaks: "Any browser can claim any address in X-Forwarded-For.",
  },
  {
    id: "join-client-gives-up-on-wait",
    file: "client/join.ts",
    find: "            if (this.#link === link && !this.#registered && this.#ending === null) {",
    replace: "            if (false) {",
    breaks: "chat join told to wait by the join rate never tries again.",
  },
  {
    id: "cluster-clock-local",
    file: "server/cluster_node.ts",
    find: "    this.clock = { now: () => this.#applying?.at ?? Date.now() };",
    replace: "    this.clock = { now: () => Date.now() };",
    breaks: "Each node stamps the room's events with its own clock, so the nodes' rooms differ.",
  },
  {
    id: "cluster-lines-skip-log",
    file: "server/cluster_node.ts",
    find: '    this.#append({ kind: "line", member: id, text }).catch(() => {',
    replace:
      '    Promise.resolve(applyEntry(this.#room!, { kind: "line", member: id, text })).catch(() => {',
    breaks: "A node applies its members' lines itself instead of through the log: members on " +
      "other nodes never see them, and the order differs from node to node.",
  },
  {
    id: "cluster-nick-decided-locally",
    file: "server/cluster_node.ts",
    find: "    this.#submitted.add(id);\n    return new Promise((resolve) => {",
    replace:
      "    this.#submitted.add(id);\n    if (holder) return false;\n    return new Promise((resolve) => {",
    breaks: "A node refuses a nickname by its own view of the room, not by the log's order: a " +
      "name taken a moment ago elsewhere can be given twice, and refusals come without a reason.",
  },
  {
    id: "cluster-tick-by-local-timer",
    file: "server/cluster_node.ts",
    find: "  tick(): boolean {\n    return false;\n  }",
    replace: "  tick(): boolean {\n    return this.#room!.tick();\n  }",
    breaks: "Each node ticks its room by its own timer: schedules fire at different moments and " +
      "seqs on each node, and the nodes' rooms differ.",
  },
  {
    id: "cluster-tick-never-scheduled",
    file: "server/cluster_node.ts",
    find: '      else await this.#log.addSchedule(TICK_SCHEDULE, next, { kind: "tick" });',
    replace: "      else await this.#log.cancelSchedule(TICK_SCHEDULE);",
    breaks: "A cluster never ticks: scheduled messages are never sent and graces never end.",
  },
  {
    id: "cluster-random-tokens",
    file: "server/cluster_node.ts",
    find: '      return createHash("sha256")',
    replace:
      '      if (this.#applying) return crypto.randomUUID();\n      return createHash("sha256")',
    breaks: "Each node makes its own resume token, so a member cannot resume on another node.",
  },
  {
    id: "cluster-redis-down-accepts-lines",
    file: "server/cluster_node.ts",
    find: "  line(id: MemberId, text: string): void {\n    if (!this.#available) {",
    replace: "  line(id: MemberId, text: string): void {\n    if (false) {",
    breaks: "While Redis is down a member's line is tried anyway, and the member is not told " +
      "plainly that the room cannot take lines now.",
  },
  {
    id: "cluster-replay-done-only-where-held",
    file: "server/replica_outbox.ts",
    find: "    if (!this.#holds(to)) {\n      done();\n      return;\n    }",
    replace: "    if (!this.#holds(to)) return;",
    breaks: "What a join or resume does after its replay (an owner taking its powers back) " +
      "happens only on the node holding the member, so the nodes' rooms differ.",
  },
  {
    id: "cluster-no-node-down",
    file: "server/cluster_node.ts",
    find: '        await this.#append({ kind: "node_down", node });',
    replace: "",
    breaks: "Members of a node that died stay in the room as if connected, forever.",
  },
  {
    id: "cluster-snapshot-then-whole-log",
    file: "server/cluster_node.ts",
    find: "        startSeq: snapshot?.seq ?? 0,",
    replace: "        startSeq: 0,",
    breaks: "A node that starts late applies the whole log on top of the snapshot (or cannot " +
      "start once the log was trimmed).",
  },
  {
    id: "cluster-lines-overtake-join",
    file: "server/session.ts",
    find: "    if (this.#joining) {\n      this.#joining.then(() => {",
    replace: "    if (false) {\n      this.#joining!.then(() => {",
    breaks: "Lines sent right behind the nickname are taken as more nicknames while a cluster " +
      "decides the join.",
  },
  {
    id: "identity-holds-ignored",
    file: "server/nick_holds.ts",
    find: "      if (hold && hold.identity !== identity) return hold;",
    replace: "      if (hold && false) return hold;",
    breaks: "Anyone takes a keyed member's name (or a look-alike of it) the moment it leaves.",
  },
  {
    id: "identity-live-session-taken-without-key",
    file: "server/room.ts",
    find: "    if (held.detachedAt === undefined && held.identity === undefined) {",
    replace: "    if (false) {",
    breaks: "A stolen resume token takes over a live session that has no key.",
  },
  {
    id: "identity-keyed-token-without-key",
    file: "server/room.ts",
    find: "    if (held.identity !== undefined && identity !== held.identity) {",
    replace: "    if (false) {",
    breaks: "A keyed session's token works without its key.",
  },
  {
    id: "identity-token-reused",
    file: "server/room.ts",
    find: "    if (member.resumeToken !== undefined) member.resumeToken = this.#newToken();",
    replace: "",
    breaks: "A resume token works again and again; a spent one still resumes.",
  },
  {
    id: "identity-proof-not-checked",
    file: "protocol/identity.ts",
    find: "    return valid ? identityFingerprint(key) : null;",
    replace: "    return identityFingerprint(key);",
    breaks: "A key's signature is not checked: anyone may claim anyone's key.",
  },
  {
    id: "identity-schedules-by-name",
    file: "server/room.ts",
    find: "      .filter((s) => everyone || s.authorKey === member.author)",
    replace: "      .filter((s) => everyone || s.author === member.nick)",
    breaks: "Whoever takes a name later sees its previous holder's schedules.",
  },
  {
    id: "owner-key-not-claimed",
    file: "server/room.ts",
    find:
      '    this.#ownerKey = owner.identity;\n    this.store.saveSetting("owner_key", owner.identity);',
    replace: "",
    breaks: "Ownership goes back to whoever connects first after a restart.",
  },
  {
    id: "owner-key-returns-quietly",
    file: "server/room.ts",
    find: '    if (ownerReturns) this.#publish({ type: "owner", seq: 0, at: now, nick });',
    replace: "",
    breaks: "The key owner takes the room back and nobody is told.",
  },
  {
    id: "kick-is-not-a-ban",
    file: "server/room.ts",
    find: "    if (banMs > 0) this.#banMember(target, by, now + banMs, now);",
    replace: "",
    breaks: "A kicked member is back under the same name 0.2 s later.",
  },
  {
    id: "ban-names-shared-address",
    file: "server/room.ts",
    find: "    if (target.address !== undefined && !this.#isSharedAddress(target.address)) {",
    replace: "    if (target.address !== undefined) {",
    breaks: "Kicking one member behind a proxy bans everyone behind it.",
  },
  {
    id: "bans-forgotten-on-restart",
    file: "server/bans.ts",
    find: "    for (const [key, value] of store.loadRecords(KIND)) {",
    replace: "    for (const [key, value] of [] as [string, string][]) {",
    breaks: "A restart lifts every ban.",
  },
  {
    id: "password-not-checked",
    file: "server/password_gate.ts",
    find: "    if (timingSafeEqual(digest(given), this.#digest)) return { ok: true };",
    replace: "    return { ok: true };",
    breaks: "Any password opens a private room.",
  },
  {
    id: "password-not-throttled",
    file: "server/password_gate.ts",
    find: "    if (budget.left < 1) {",
    replace: "    if (false) {",
    breaks: "An address may guess the password as fast as it likes.",
  },
  {
    id: "password-shown-as-typed",
    file: "client/join.ts",
    find: 'graphemes: graphemes.map(() => "•")',
    replace: "graphemes",
    breaks: "The room password appears on screen as it is typed.",
  },
  {
    id: "events-any-number-whole",
    file: "protocol/events.ts",
    find: "  return Number.isSafeInteger(value) && (value as number) >= 0;",
    replace: '  return typeof value === "number";',
    breaks: "chat join takes a seq of 1e300 or -1 (and ids and counts like it) for a real one.",
  },
  {
    id: "events-field-types-unchecked",
    file: "protocol/events.ts",
    find: '    if (!check(value[name])) return `with a malformed "${name}"`;',
    replace: '    if (!check(value[name]) && false) return `with a malformed "${name}"`;',
    breaks: 'A hostile room crashes chat join with `nick: 42` or `items: "x"`.',
  },
  {
    id: "events-missing-fields-allowed",
    file: "protocol/events.ts",
    find: '      if (typeof field === "function") return `without "${name}"`;\n',
    replace: "",
    breaks: 'chat join shows an event with a field missing ("left the chat (undefined)").',
  },
  {
    id: "events-optional-fields-unchecked",
    file: "protocol/events.ts",
    find: '    const check = typeof field === "function" ? field : field.optional;',
    replace: '    const check = typeof field === "function" ? field : (_value: unknown) => true;',
    breaks: "A room sets the terminal's title through a resumed welcome's `mentions`.",
  },
  {
    id: "events-prototype-types",
    file: "protocol/events.ts",
    find: "  const checks = EVENT_CHECKS.get(type);",
    replace:
      "  const checks = Object.fromEntries(EVENT_CHECKS)[type] as Record<string, FieldCheck> | undefined;",
    breaks: 'An event of type "constructor" or "__proto__" passes as known and crashes chat join.',
  },
  {
    id: "events-instant-unbounded",
    file: "protocol/events.ts",
    find: '  return typeof value === "number" && Math.abs(value) <= MAX_INSTANT_MS;',
    replace: '  return typeof value === "number";',
    breaks: "chat join shows an event stamped [NaN:NaN] when its `at` is past any date.",
  },
  {
    id: "events-mentions-unchecked",
    file: "protocol/events.ts",
    find: "    mentions: optional(isWhole),",
    replace: "    mentions: optional((value): value is number => true),",
    breaks: "A resumed welcome's `mentions` string reaches the terminal with its escapes.",
  },
  {
    id: "events-schedule-id-unchecked",
    file: "protocol/events.ts",
    find: "  schedule_ok: { id: isWhole, due: isInstant, text: isString },",
    replace:
      "  schedule_ok: { id: (value): value is number => true, due: isInstant, text: isString },",
    breaks: 'A schedule id sets the terminal\'s title: "Scheduled #<OSC> for ...".',
  },
  {
    id: "room-link-broken-json-shown",
    file: "client/room_link.ts",
    find:
      '    if (/^\\s*[[{]/.test(line)) return { kind: "malformed", problem: "a line that is not JSON" };\n',
    replace: "",
    breaks: "chat join prints a broken JSON line as if the room had said it.",
  },
  {
    id: "room-link-unknown-noted",
    file: "client/room_link.ts",
    find: '  if (reading.kind === "unknown") return null;',
    replace:
      '  if (reading.kind === "unknown") return { kind: "malformed", problem: "an unknown type" };',
    breaks: "An event of a newer server's type is reported as malformed instead of ignored.",
  },
  {
    id: "join-malformed-noted-always",
    file: "client/join.ts",
    find: "      if (this.#debug) this.#terminal.writeError(",
    replace: "      if (this.#debug || true) this.#terminal.writeError(",
    breaks: "chat join writes a note on stderr for every malformed event, without CHAT_DEBUG.",
  },
  {
    id: "join-malformed-never-noted",
    file: "client/join.ts",
    find: '    return value !== undefined && value !== "" && value !== "0";',
    replace: '    return value === "never";',
    breaks: "CHAT_DEBUG=1 does not say which events chat join skipped.",
  },
  {
    id: "cluster-join-forgets-key",
    file: "server/room_entry.ts",
    find: "      const { kind: _kind, member, nick, ...asked } = entry;",
    replace: "      const { kind: _kind, member, nick, identity: _identity, ...asked } = entry;",
    breaks: "A key proven to one node never reaches the room: held names and key bans do not " +
      "hold in a cluster.",
  },
  {
    id: "cluster-snapshot-drops-records",
    file: "server/memory_store.ts",
    find: "      records: [...this.#records].map(([kind, pairs]) => [kind, [...pairs]]),",
    replace: "      records: [],",
    breaks: "A node that starts from a snapshot forgets held names and bans.",
  },
  {
    id: "cluster-author-random",
    file: "server/room.ts",
    find: "        ? `session:${this.#newToken()}`",
    replace: "        ? `session:${crypto.randomUUID()}`",
    breaks: "Each node names a keyless member's session differently, so the nodes' rooms differ " +
      "and a schedule's author is unknown on all but one.",
  },
  {
    id: "cluster-owner-flag-over-snapshot",
    file: "server/room.ts",
    find: "    if (options.ownerKey && !options.state) this.store.saveSetting(",
    replace: "    if (options.ownerKey) this.store.saveSetting(",
    breaks: "A node that starts from a snapshot puts --owner-key back over an /owner the room " +
      "has had since: its copy of the room has another owner key than the others.",
  },
  {
    id: "serve-loads-redis-always",
    file: "server/serve.ts",
    find: 'import type { ClusterNode } from "./cluster_node.ts";',
    replace: 'import { ClusterNode } from "./cluster_node.ts";',
    breaks: "Every chat serve loads Redis's client at start, cluster or not: about 0.3 s of CPU " +
      "more per start.",
  },
  {
    id: "native-heap-never-trimmed",
    file: "server/idle_collector.ts",
    find: "      trimNativeHeap?.();\n",
    replace: "",
    breaks: "After a burst the C heap keeps every freed page: 10,000 idle members cost about " +
      "17 KB each instead of 9.",
  },
  {
    id: "native-heap-trimmed-before-collection",
    file: "server/idle_collector.ts",
    find:
      "      collect?.();\n      // Only after the collection: it is what frees the pages (write buffers of the burst).\n      trimNativeHeap?.();\n",
    replace: "      trimNativeHeap?.();\n      collect?.();\n",
    breaks:
      "The C heap is trimmed before V8 frees the burst's buffers, so there is little to hand back.",
  },
  {
    id: "binary-may-not-load-glibc",
    file: "scripts/permissions.ts",
    find: '  `--allow-ffi=${GLIBC_PATHS.join(",")}`,\n',
    replace: "",
    breaks: "The compiled binary is not allowed to load glibc, so its idle collector never hands " +
      "freed pages back.",
  },
  {
    id: "quiet-collection-unbounded",
    file: "server/idle_collector.ts",
    find: " && clock() >= nextCollectionAt) {",
    replace: ") {",
    breaks: "A client that makes the room busy and quiet every 1.5 s gets a full, room-stopping " +
      "collection each time.",
  },
  {
    id: "quiet-collection-pause-share-ignored",
    file: "server/idle_collector.ts",
    find: "Math.max(MIN_COLLECTION_GAP_MS, ms * PAUSE_SHARE)",
    replace: "MIN_COLLECTION_GAP_MS",
    breaks: "In a large room, where the quiet collection stops it for half a second, collecting " +
      "every 5 s takes a tenth of the time.",
  },
];
