/**
 * The abuse scenario: three attacks on the real server, each against a
 * fresh `chat serve --data` process, while a few honest members chat at a
 * steady rate (live_chat.ts) and the server's RSS is sampled from /proc.
 *
 * 1. Schedule bomb: throwaway nicknames from one address schedule messages
 *    of a few KB for the same instant a few seconds ahead, then /quit. The
 *    server runs with the per-address and per-minute caps lifted, so the
 *    bomb is as big as the room-wide cap (--max-schedules) allows: many
 *    addresses' worth from loopback. Live latency is measured while the
 *    bomb falls due; no honest member who reads may be dropped as too slow.
 * 2. Schedule hoard: nicknames in turn add long schedules until the room
 *    refuses; how many got in, the refusal, and what they cost in memory
 *    and on disk.
 * 3. Resume storm: the data file is filled with stored events first; then
 *    structured clients join, drop, and resume asking for everything
 *    (`lastSeq: 0`). Each must get a `gap` and at most 1000 replayed events,
 *    the server's RSS must stay near flat, and another member's `/user` must
 *    be answered promptly meanwhile.
 *
 * Every loop here is bounded in count and in time, and everything talks to
 * 127.0.0.1 only.
 */
import type { ServerEvent } from "../protocol/events.ts";
import { SqliteStore } from "../server/sqlite_store.ts";
import { ChatClient } from "./chat_client.ts";
import { Histogram, latencyFigures } from "./histogram.ts";
import { LiveChat } from "./live_chat.ts";
import { readMachineBusy, readProc } from "./proc_stats.ts";
import { newResult, type RunResult, type Target } from "./result.ts";
import { type BenchContext, sleep } from "./room.ts";
import { ServerProcess } from "./server_process.ts";

export interface AbuseParams {
  /** Honest members chatting throughout. */
  honest: number;
  /** Their lines a second, all together. */
  liveRate: number;
  /** Seconds of chat before the bomb, for the calm baseline. */
  calmS: number;
  /** Throwaway nicknames of the bomb, and the schedules each adds. */
  bombNicks: number;
  bombPerNick: number;
  /** Bytes of text in each bomb schedule. */
  bombBytes: number;
  /** How far ahead the bomb's instant is. */
  bombLeadS: number;
  /** `--max-schedules` of the bomb's and the hoard's servers. */
  maxSchedules: number;
  /** Schedules each hoarding nickname adds before the next takes over, and their text's bytes. */
  hoardPerNick: number;
  hoardBytes: number;
  /** Events stored in the resume storm's data file before the server starts. */
  resumeEvents: number;
  /** Structured clients that resume asking for everything. */
  resumers: number;
}

/** What the server replays at most on a resume (server/room.ts MAX_REPLAY_EVENTS). */
const MAX_REPLAY = 1000;
/** Bombers joined and scheduling at once. */
const BOMB_CONCURRENCY = 10;
/** `--max-schedules-per-address` with the cap lifted (the flag's maximum). */
const NO_ADDRESS_CAP = 1_000_000;
/** `--schedule-bytes-per-minute` with the cap lifted (the flag's maximum). */
const NO_MINUTE_CAP = 2 ** 30;
/** Replies to an attacker's batch of commands must come within this. */
const REPLY_TIMEOUT_MS = 15_000;
/** The hoard gives up after this long, refused or not. */
const HOARD_TIMEOUT_MS = 120_000;
/** The resume storm gives up after this long. */
const RESUME_TIMEOUT_MS = 60_000;
/** The live chat stops by itself after this long, in case a phase hangs. */
const LIVE_CHAT_LIMIT_MS = 10 * 60_000;
const MB = 2 ** 20;

export async function runAbuse(
  context: BenchContext,
  params: AbuseParams,
  targets: Target[],
): Promise<RunResult> {
  const bomb = params.bombNicks * params.bombPerNick;
  const label = `abuse (bomb ${bomb}×${params.bombBytes} B, resume ${params.resumers}×${
    params.resumeEvents / 1000
  }k)`;
  const result = newResult("abuse", label, { ...params }, targets);
  const dir = await Deno.makeTempDir({ prefix: "chat_bench_abuse_" });
  const attacks = new Histogram();
  const honestDropped = new Set<string>();
  // The bench's own event loop times every line: its lag is part of each figure.
  const loopLag = new LoopLag();
  try {
    // Each attack's metrics start with its key: bombP99Ms, hoardAccepted, resumeRssGrowthMB.
    const phases: [string, string, (attack: Attack) => Promise<void>][] = [
      ["schedule bomb", "bomb", (attack) => scheduleBomb(attack, params, result)],
      ["schedule hoard", "hoard", (attack) => scheduleHoard(attack, params, result)],
      ["resume storm", "resume", (attack) => resumeStorm(attack, params, result)],
    ];
    for (const [name, key, run] of phases) {
      const data = `${dir}/${key}.db`;
      if (key === "resume") {
        context.progress(`${label}: storing ${params.resumeEvents} events in the data file`);
        const started = performance.now();
        // Synchronous, and no attack is running: not a lag to count.
        loopLag.pause();
        prefill(data, params.resumeEvents);
        loopLag.resume();
        result.metrics.resumePrefillS = (performance.now() - started) / 1000;
      }
      context.progress(`${label}: ${name}`);
      const lap = await underAttack(context, key, data, params, result, honestDropped, run);
      attacks.merge(lap.toSparse());
    }
    const m = result.metrics;
    Object.assign(m, latencyFigures(attacks), {
      liveP99Ms: Math.max(m.bombP99Ms, m.hoardP99Ms, m.resumeP99Ms),
      honestDropped: honestDropped.size,
      generatorCpuPct: 100 * m.coordinatorCpuS / m.attackS,
      generatorLoopLagP99Ms: loopLag.histogram.quantile(0.99) / 1000,
      generatorLoopLagMaxMs: loopLag.histogram.max / 1000,
      otherCores: m.otherCpuS / m.attackS,
    });
    if (m.otherCores > 0.2) {
      result.notes.push(
        `outside the server and the bench the machine used ${m.otherCores.toFixed(2)} cores ` +
          "while the attacks ran: other processes were running; figures are noisier",
      );
    }
    for (const nick of honestDropped) result.problems.push(`honest member ${nick} was dropped`);
  } finally {
    loopLag.stop();
    await Deno.remove(dir, { recursive: true });
  }
  return result;
}

/** One attack's server, honest chat and RSS watch, as the attack sees them. */
interface Attack {
  server: ServerProcess;
  live: LiveChat;
  rss: RssWatch;
  /** Bytes of the data file and its WAL now. */
  dataBytes: () => number;
}

/**
 * Starts a server on `data`, the honest chat and an RSS watch; runs the
 * attack; stops them all. Resolves to the live latencies recorded while the
 * attack ran (it calls `live.lap()` where its measured window starts).
 */
async function underAttack(
  context: BenchContext,
  key: string,
  data: string,
  params: AbuseParams,
  result: RunResult,
  honestDropped: Set<string>,
  run: (attack: Attack) => Promise<void>,
): Promise<Histogram> {
  const prefix = "honest";
  let watching = true;
  const server = await ServerProcess.start(context.server, {
    data,
    args: [
      ...["--max-schedules", String(params.maxSchedules)],
      // Lifted: one address stands in for many, and only the room-wide cap holds.
      ...["--max-schedules-per-address", String(NO_ADDRESS_CAP)],
      ...["--schedule-bytes-per-minute", String(NO_MINUTE_CAP)],
    ],
    onLog: (line) => {
      // `disconnect id=7 nick=honest2 reason="Too slow: ..."`: the server dropped someone.
      if (!watching || !/ disconnect /.test(line)) return;
      const nick = / nick=(\S+)/.exec(line)?.[1] ?? "";
      if (nick.startsWith(prefix)) honestDropped.add(nick);
      if (line.includes("Too slow")) result.metrics.tooSlow = (result.metrics.tooSlow ?? 0) + 1;
    },
  });
  const rss = new RssWatch(server.pid);
  let live: LiveChat | null = null;
  try {
    live = await LiveChat.start({
      port: server.port,
      members: params.honest,
      rate: params.liveRate,
      prefix,
      maxDurationMs: LIVE_CHAT_LIMIT_MS,
    });
    const dataBytes = () => fileBytes(data) + fileBytes(`${data}-wal`);
    const cpu0 = cpuNow(server.pid);
    await run({ server, live, rss, dataBytes });
    const lap = live.lap();
    const cpu1 = cpuNow(server.pid);
    const m = result.metrics;
    const add = (name: string, value: number) => m[name] = (m[name] ?? 0) + value;
    const serverCpu = cpu1.server - cpu0.server;
    const coordinatorCpu = cpu1.coordinator - cpu0.coordinator;
    m[`${key}P99Ms`] = lap.quantile(0.99) / 1000;
    m[`${key}LiveSamples`] = lap.total;
    m[`${key}ServerCpuS`] = serverCpu;
    add("serverCpuS", serverCpu);
    add("coordinatorCpuS", coordinatorCpu);
    add("otherCpuS", cpu1.machine - cpu0.machine - serverCpu - coordinatorCpu);
    add("attackS", (cpu1.at - cpu0.at) / 1000);
    for (const drop of live.dropped()) honestDropped.add(drop.slice(0, drop.indexOf(":")));
    watching = false;
    const outcome = await live.stop();
    live = null;
    if (outcome.lost > 0) {
      result.problems.push(`${outcome.lost} honest lines never reached another honest member`);
    }
    result.metrics.liveLost = (result.metrics.liveLost ?? 0) + outcome.lost;
    result.metrics.liveSent = (result.metrics.liveSent ?? 0) + outcome.sent;
    const peak = (readProc(server.pid)?.hwmBytes ?? 0) / MB;
    result.metrics.serverRssPeakMB = Math.max(result.metrics.serverRssPeakMB ?? 0, peak);
    if (server.exited !== null) {
      result.problems.push(`the server died during the run (exit ${server.exited.code})`);
    }
    return lap;
  } finally {
    watching = false;
    await live?.stop(0);
    rss.stop();
    await server.stop();
  }
}

/** Throwaway nicknames schedule the same instant, then quit; it all falls due while honest members chat. */
async function scheduleBomb(
  attack: Attack,
  params: AbuseParams,
  result: RunResult,
): Promise<void> {
  const { server, live, rss } = attack;
  await sleep(params.calmS * 1000);
  const calm = live.lap();
  const m = result.metrics;
  m.calmP99Ms = calm.quantile(0.99) / 1000;
  const before = rss.resetPeak();
  const dueAt = Date.now() + params.bombLeadS * 1000;
  const due = new Date(dueAt).toISOString();
  const text = "b".repeat(params.bombBytes);
  let accepted = 0;
  const refusals = new Set<string>();
  for (let first = 0; first < params.bombNicks; first += BOMB_CONCURRENCY) {
    const wave = Array.from(
      { length: Math.min(BOMB_CONCURRENCY, params.bombNicks - first) },
      (_, index) => first + index,
    );
    const outcomes = await Promise.all(wave.map((nick) =>
      attacker(
        server.port,
        `bomb${nick}`,
        Array.from(
          { length: params.bombPerNick },
          (_, index) => `/schedule ${due} ${nick}.${index} ${text}`,
        ),
      )
    ));
    for (const outcome of outcomes) {
      accepted += outcome.accepted;
      for (const refusal of outcome.refusals) refusals.add(refusal);
    }
  }
  const readyAt = Date.now();
  if (readyAt > dueAt) {
    result.notes.push(
      `schedule bomb: the bombers finished ${readyAt - dueAt} ms after the instant they chose`,
    );
  }
  for (const refusal of refusals) result.notes.push(`schedule bomb: refused with "${refusal}"`);
  await sleep(dueAt - Date.now());
  live.lap();
  // Paced at 32 KiB per 100 ms, the bomb takes bytes / 320 KB/s; allow 3 times that and more.
  const drainMs = 20_000 + 3 * accepted * params.bombBytes / 320;
  const deadline = performance.now() + drainMs;
  // An honest member the server dropped would never catch up: stop waiting then.
  while (
    live.scheduledReceived < accepted && performance.now() < deadline &&
    server.exited === null && live.dropped().length === 0
  ) {
    await sleep(20);
  }
  const drainedAt = Date.now();
  if (live.scheduledReceived < accepted) {
    result.problems.push(
      `schedule bomb: an honest member received ${live.scheduledReceived} of the ${accepted} ` +
        `scheduled messages within ${(drainMs / 1000).toFixed(0)} s`,
    );
  }
  // A little more chat after the last one, so the lap covers the whole tail.
  await sleep(500);
  Object.assign(m, {
    bombAccepted: accepted,
    bombRefused: params.bombNicks * params.bombPerNick - accepted,
    bombMB: accepted * params.bombBytes / MB,
    bombDrainS: (drainedAt - dueAt) / 1000,
    bombRssBeforeMB: before / MB,
    bombRssPeakMB: rss.peak / MB,
    bombRssGrowthMB: (rss.peak - before) / MB,
  });
}

/** Nicknames in turn add long schedules until the room refuses one. */
async function scheduleHoard(
  attack: Attack,
  params: AbuseParams,
  result: RunResult,
): Promise<void> {
  const { server, live, rss } = attack;
  await sleep(300);
  live.lap();
  const before = rss.resetPeak();
  const dataBefore = attack.dataBytes();
  const text = "h".repeat(params.hoardBytes);
  const started = performance.now();
  const deadline = started + HOARD_TIMEOUT_MS;
  const maxNicks = Math.ceil(params.maxSchedules / params.hoardPerNick) + 2;
  let accepted = 0;
  let refusal: string | null = null;
  let nicks = 0;
  // Due times spread over the coming week, a minute apart, so none falls due during the bench.
  const week = 7 * 24 * 60 - 20;
  while (refusal === null && nicks < maxNicks && performance.now() < deadline) {
    const lines = Array.from({ length: params.hoardPerNick }, (_, index) => {
      const minute = 10 + (nicks * params.hoardPerNick + index) % week;
      return `/schedule +${minute}m ${nicks}.${index} ${text}`;
    });
    const outcome = await attacker(server.port, `hoard${nicks}`, lines);
    accepted += outcome.accepted;
    refusal = outcome.refusals[0] ?? null;
    nicks++;
  }
  const seconds = (performance.now() - started) / 1000;
  await sleep(300);
  const after = readProc(server.pid)?.rssBytes ?? 0;
  if (refusal === null) {
    result.problems.push(`schedule hoard: nothing was refused after ${accepted} schedules`);
  } else {
    result.notes.push(`schedule hoard: refused with "${refusal}"`);
  }
  if (accepted > params.maxSchedules) {
    result.problems.push(
      `schedule hoard: ${accepted} schedules accepted, over --max-schedules ${params.maxSchedules}`,
    );
  }
  Object.assign(result.metrics, {
    hoardAccepted: accepted,
    hoardNicks: nicks,
    hoardS: seconds,
    hoardRssBeforeMB: before / MB,
    hoardRssPeakMB: rss.peak / MB,
    hoardRssGrowthMB: (after - before) / MB,
    hoardRssPeakGrowthMB: (rss.peak - before) / MB,
    hoardDataMB: attack.dataBytes() / MB,
    hoardDataGrowthMB: (attack.dataBytes() - dataBefore) / MB,
  });
}

/** What one resumer saw of its replay. */
interface Replay {
  welcomeSeq: number;
  resumed: boolean;
  gap: number | null;
  /** The gap came after the first replayed event. */
  gapLate: boolean;
  /** Replayed events the room had before the resume (seq up to the welcome's). */
  backlog: number;
  /** Replayed events said while the replay ran (they are marked as history too). */
  caughtUp: number;
  done: boolean;
}

/** Resumers join, drop and resume asking for everything; someone else asks `/user` meanwhile. */
async function resumeStorm(
  attack: Attack,
  params: AbuseParams,
  result: RunResult,
): Promise<void> {
  const { server, live, rss } = attack;
  const port = server.port;
  const tokens: string[] = [];
  for (let index = 0; index < params.resumers; index++) {
    const client = await ChatClient.connect(port);
    try {
      const welcome = await client.join(`resumer${index}`);
      tokens.push(welcome.resume ?? "");
    } finally {
      // Closed without /quit: the room holds the nickname for a resume.
      await client.close();
    }
  }
  const bystander = await ChatClient.connect(port);
  const resumers: ChatClient[] = [];
  let loopLag: LoopLag | null = null;
  try {
    await bystander.join("bystander");
    for (let index = 0; index < params.resumers; index++) {
      resumers.push(await ChatClient.connect(port));
    }
    await sleep(300);
    live.lap();
    const before = rss.resetPeak();
    loopLag = new LoopLag();
    const replays: Replay[] = resumers.map((client, index) => {
      const replay: Replay = {
        welcomeSeq: -1,
        resumed: false,
        gap: null,
        gapLate: false,
        backlog: 0,
        caughtUp: 0,
        done: false,
      };
      client.listen((event) => tally(replay, event));
      client.send({ type: "nick", nick: `resumer${index}`, resume: tokens[index], lastSeq: 0 });
      return replay;
    });
    const started = performance.now();
    const deadline = started + RESUME_TIMEOUT_MS;
    const userMs: number[] = [];
    // `/user` again and again until every replay is done: at least once, each after the last answer.
    while (
      (userMs.length === 0 || replays.some((replay) => !replay.done)) &&
      performance.now() < deadline && server.exited === null
    ) {
      const asked = performance.now();
      const answer = bystander.waitFor((event) => event.type === "users", 10_000);
      bystander.say("/user");
      try {
        await answer;
        userMs.push(performance.now() - asked);
      } catch {
        result.problems.push("resume storm: /user was not answered within 10 s");
        break;
      }
      await sleep(10);
    }
    const replayS = (performance.now() - started) / 1000;
    loopLag.stop();
    // Anything more that is still coming would show as too many replayed events.
    await sleep(500);
    checkReplays(replays, result);
    Object.assign(result.metrics, {
      resumeReplayS: replayS,
      resumeRssBeforeMB: before / MB,
      resumeRssPeakMB: rss.peak / MB,
      resumeRssGrowthMB: (rss.peak - before) / MB,
      userMs: userMs.length > 0 ? Math.max(...userMs) : NaN,
      userFirstMs: userMs[0] ?? NaN,
      userAsks: userMs.length,
      // How late the bench's own loop ran meanwhile: it reads the replays and times /user.
      resumeLoopLagMaxMs: loopLag.histogram.max / 1000,
      resumeGaps: replays.filter((replay) => replay.gap !== null).length,
      resumeReplayedMax: Math.max(...replays.map((replay) => replay.backlog)),
      resumeCaughtUpMax: Math.max(...replays.map((replay) => replay.caughtUp)),
    });
  } finally {
    loopLag?.stop();
    await Promise.all([bystander, ...resumers].map((client) => client.close()));
  }
}

/** Counts one event a resumer received into its replay. */
function tally(replay: Replay, event: ServerEvent): void {
  if (event.type === "welcome") {
    replay.welcomeSeq = event.seq;
    replay.resumed = event.resumed === true;
    return;
  }
  if (event.type === "gap") {
    replay.gap = event.count;
    replay.gapLate = replay.backlog > 0;
    return;
  }
  if (!("seq" in event) || event.seq === 0) return;
  if ("history" in event && event.history === true) {
    if (event.seq <= replay.welcomeSeq) replay.backlog++;
    else replay.caughtUp++;
    if (event.seq >= replay.welcomeSeq) replay.done = true;
  } else {
    // A live event: the replay has ended and the resumer is back in the room.
    replay.done = true;
  }
}

/** Each resumer must get a gap first, then the latest events up to 1000, no more. */
function checkReplays(replays: Replay[], result: RunResult): void {
  replays.forEach((replay, index) => {
    const who = `resume storm: resumer${index}`;
    if (!replay.resumed) {
      result.problems.push(`${who} was not resumed`);
      return;
    }
    if (!replay.done) result.problems.push(`${who}'s replay did not finish`);
    const expected = Math.min(MAX_REPLAY, replay.welcomeSeq);
    if (replay.backlog > MAX_REPLAY) {
      result.problems.push(`${who} was replayed ${replay.backlog} events (at most ${MAX_REPLAY})`);
    } else if (replay.backlog < expected) {
      result.problems.push(`${who} was replayed ${replay.backlog} of the latest ${expected}`);
    }
    if (replay.welcomeSeq > MAX_REPLAY) {
      if (replay.gap === null) result.problems.push(`${who} got no gap event`);
      else if (replay.gapLate) result.problems.push(`${who} got its gap after replayed events`);
      else if (replay.gap + replay.backlog !== replay.welcomeSeq) {
        result.problems.push(
          `${who}: gap ${replay.gap} + ${replay.backlog} replayed ≠ ${replay.welcomeSeq} missed`,
        );
      }
    }
  });
}

/**
 * Sends `lines` as one member that then quits: resolves to how many the
 * server accepted as schedules and the refusals it gave.
 */
async function attacker(
  port: number,
  nick: string,
  lines: string[],
): Promise<{ accepted: number; refusals: string[] }> {
  const client = await ChatClient.connect(port);
  let accepted = 0;
  const refusals: string[] = [];
  try {
    await client.join(nick);
    let answered!: () => void;
    const all = new Promise<void>((resolve) => answered = resolve);
    client.listen((event) => {
      if (event.type === "schedule_ok") accepted++;
      else if (event.type === "error") refusals.push(event.text);
      else return;
      if (accepted + refusals.length >= lines.length) answered();
    });
    for (const line of lines) client.say(line);
    if (!await within(all, REPLY_TIMEOUT_MS)) {
      throw new Error(`${nick} got ${accepted + refusals.length} of ${lines.length} replies`);
    }
    // The room says "Goodbye!" and closes the connection.
    client.say("/quit");
    await within(client.ended, 2000);
  } finally {
    await client.close();
  }
  return { accepted, refusals };
}

/** Fills a fresh data file with `count` messages, as a long-lived room's would be. */
function prefill(path: string, count: number): void {
  const store = new SqliteStore(path);
  try {
    const filler = "a message from long ago, about as long as people write when they explain ";
    const text = filler.repeat(4);
    const at = Date.now() - 86_400_000;
    for (let seq = 1; seq <= count; seq++) {
      store.appendEvent({
        type: "message",
        seq,
        at: at + seq,
        from: "earlier",
        text: `${seq} ${text}`,
      });
    }
  } finally {
    store.close();
  }
}

/** Resolves true if `promise` settles within `ms`, false if not. */
async function within(promise: Promise<unknown>, ms: number): Promise<boolean> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<boolean>((resolve) => timer = setTimeout(() => resolve(false), ms));
  try {
    return await Promise.race([promise.then(() => true), timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** CPU seconds so far of the server, of this process (the bench), and of the whole machine. */
function cpuNow(pid: number): { at: number; server: number; coordinator: number; machine: number } {
  return {
    at: performance.now(),
    server: readProc(pid)?.cpuSeconds ?? NaN,
    coordinator: readProc(Deno.pid)?.cpuSeconds ?? NaN,
    machine: readMachineBusy().busy,
  };
}

function fileBytes(path: string): number {
  try {
    return Deno.statSync(path).size;
  } catch {
    return 0;
  }
}

/** How late a 10 ms timer fires in this process: the bench's own delays. */
class LoopLag {
  readonly histogram = new Histogram();
  #timer: ReturnType<typeof setInterval>;
  #last = performance.now();
  #paused = false;

  constructor(everyMs = 10) {
    this.#timer = setInterval(() => {
      const now = performance.now();
      if (!this.#paused) this.histogram.record(Math.max(0, now - this.#last - everyMs) * 1000);
      this.#last = now;
    }, everyMs);
  }

  /** Stops counting until `resume()`, for a stretch the bench blocks on purpose. */
  pause(): void {
    this.#paused = true;
  }

  resume(): void {
    this.#paused = false;
    this.#last = performance.now();
  }

  stop(): void {
    clearInterval(this.#timer);
  }
}

/** The server's RSS, sampled every 20 ms: the peak since the last reset. */
class RssWatch {
  peak = 0;
  #pid: number;
  #running = true;

  constructor(pid: number) {
    this.#pid = pid;
    this.#loop();
  }

  /** RSS now, in bytes; the peak starts again from it. */
  resetPeak(): number {
    const now = readProc(this.#pid)?.rssBytes ?? 0;
    this.peak = now;
    return now;
  }

  stop(): void {
    this.#running = false;
  }

  async #loop(): Promise<void> {
    while (this.#running) {
      const sample = readProc(this.#pid);
      if (sample === null) return;
      this.peak = Math.max(this.peak, sample.rssBytes);
      await sleep(20);
    }
  }
}
