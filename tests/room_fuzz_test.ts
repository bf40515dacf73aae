/**
 * Fuzzes the pure room core: thousands of random joins, lines, commands,
 * leaves, drops, resumes and clock ticks across ten connection slots, with
 * the room's invariants checked after every step. Seeded, so a failure
 * replays with CHAT_SEED=<seed>.
 */
import { handleLine } from "../server/commands.ts";
import type { ServerEvent } from "../protocol/events.ts";
import { isConversationEvent, readServerEvent } from "../protocol/events.ts";
import { nicknameKey, nicknameProblem, sanitizeText } from "../protocol/text.ts";
import { lookalikeKeys, lookalikeProblem } from "../protocol/nickname_safety.ts";
import { type MemberId, type Outbox, Room } from "../server/room.ts";
import { prng } from "./support/prng.ts";
import { withSeed } from "./support/seed.ts";

const SLOTS = 10;
const STEPS = 4000;
const RUNS = 3;

/** Checks what the room emits as it emits it. */
class CheckingOutbox implements Outbox {
  admitted = new Set<MemberId>();
  /** Connections the room asked to close; the edge then reports them dropped. */
  closing = new Set<MemberId>();
  lastSeq = 0;
  problems: string[] = [];

  send(_to: MemberId, event: ServerEvent): void {
    this.#check(event);
  }

  broadcast(event: ServerEvent): void {
    this.#check(event);
    if (isConversationEvent(event)) {
      const seq = event.seq;
      if (!(seq > this.lastSeq)) this.problems.push(`seq ${seq} after ${this.lastSeq}`);
      this.lastSeq = seq;
    }
  }

  admit(id: MemberId): void {
    this.admitted.add(id);
  }

  close(id: MemberId): void {
    this.admitted.delete(id);
    this.closing.add(id);
  }

  stream(to: MemberId, next: () => ServerEvent[] | null, done: () => void): void {
    for (let page = next(); page !== null; page = next()) {
      for (const event of page) this.send(to, event);
    }
    done();
  }

  #check(event: ServerEvent): void {
    // What chat join would make of it: every event the room sends must read as valid.
    const reading = readServerEvent(JSON.parse(JSON.stringify(event)));
    if (reading.kind !== "event") {
      this.problems.push(
        `a client would skip ${JSON.stringify(event)}: ${JSON.stringify(reading)}`,
      );
    }
    if (event.type === "message" || event.type === "whisper" || event.type === "scheduled") {
      if (sanitizeText(event.text) !== event.text) {
        this.problems.push(`unsafe text reached an outbox: ${JSON.stringify(event.text)}`);
      }
    }
  }
}

const ODD_TEXT = [
  "",
  " ",
  "hello",
  "Alice",
  "ａｌｉｃｅ",
  "김철수",
  "é",
  "e\u0301",
  "😀",
  "\ud800",
  "\u202e",
  "\x1b[31m",
  "\t",
  "\x00",
  "\u0085",
  "#",
  "-1",
  "0",
  "1e3",
  "99999999999999999999",
  "10:45",
  "23:59",
  "24:00",
  "+10m",
  "+0s",
  "+99999h",
  "2026-01-15T11:00:00Z",
  "2099-01-01T00:00:00Z",
  "/",
  "//",
  "__proto__",
  "constructor",
  "x".repeat(40),
  "аlice",
  "alice\u034f",
  "bob\u3164",
  "\u0301\u0301",
  "Дмитрий",
];
const COMMAND_WORDS = [
  "/whisper",
  "/kick",
  "/schedule",
  "/schedules",
  "/unschedule",
  "/user",
  "/rename",
  "/help",
  "/quit",
  "/WHISPER",
  "/Rename",
  "/me",
  "/msg",
  "/r",
  "/away",
  "/back",
  "/ignore",
  "/unignore",
  "/ignored",
  "/topic",
  "/history",
  "/names",
  "//",
  "/nope",
  "/",
];

function runFuzz(seed: number): void {
  const random = prng(seed);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)];
  const clock = { time: Date.UTC(2026, 0, 15, 10, 30), now: () => clock.time };
  const outbox = new CheckingOutbox();
  let tokens = 0;
  const room = new Room(outbox, {
    clock,
    historySize: 5,
    resumeGraceMs: 30_000,
    newToken: () => `token-${++tokens}`,
  });
  /** The connection id currently in each slot; ids are never reused, as on the real edge. */
  const slots: MemberId[] = Array.from({ length: SLOTS }, (_, i) => i + 1);
  let nextId = SLOTS + 1;
  /** Resume tokens a slot has seen, with the nickname they belong to. */
  const tokensBySlot = new Map<number, { nick: string; token: string }>();

  const oddText = (): string => {
    const parts = Math.floor(random() * 4);
    let text = "";
    for (let i = 0; i < parts; i++) text += `${pick(ODD_TEXT)}${random() < 0.5 ? " " : ""}`;
    return text;
  };
  const someNick = (): string => {
    const members = room.members;
    if (members.length > 0 && random() < 0.6) {
      const nick = pick(members).nick;
      return random() < 0.2 ? nick.toUpperCase() : nick;
    }
    return random() < 0.5 ? pick(["alice", "Alice", "bob", "김철수", "ａｌｉｃｅ"]) : oddText();
  };
  const randomLine = (): string => {
    const roll = random();
    if (roll < 0.05) return "y".repeat(Math.floor(random() * 20_000));
    if (roll < 0.1) return "";
    if (roll < 0.35) return oddText();
    const command = pick(COMMAND_WORDS);
    const args = [someNick(), oddText(), oddText()].slice(0, Math.floor(random() * 4));
    return [command, ...args].join(random() < 0.8 ? " " : "  ");
  };
  const reconnect = (slot: number) => {
    room.drop(slots[slot]);
    outbox.closing.delete(slots[slot]);
    slots[slot] = nextId++;
  };

  for (let step = 0; step < STEPS; step++) {
    const slot = Math.floor(random() * SLOTS);
    const id = slots[slot];
    const roll = random();
    let action = "";
    try {
      if (outbox.closing.has(id)) {
        action = "edge reports the closed connection dropped";
        reconnect(slot);
      } else if (!room.member(id)) {
        const saved = tokensBySlot.get(slot);
        if (saved && random() < 0.3) {
          action = `resume ${saved.nick}`;
          room.join(id, saved.nick, { resumable: true, resume: saved.token, lastSeq: 0 });
        } else {
          const nick = someNick();
          const resumable = random() < 0.3;
          action = `join ${JSON.stringify(nick)}${resumable ? " (resumable)" : ""}`;
          room.join(id, nick, { resumable });
          const member = room.member(id);
          if (member?.resumeToken) {
            tokensBySlot.set(slot, { nick: member.nick, token: member.resumeToken });
          }
        }
      } else if (roll < 0.65) {
        const line = randomLine();
        action = `say ${JSON.stringify(line.slice(0, 80))}`;
        handleLine(room, id, line);
      } else if (roll < 0.72) {
        action = "leave";
        room.leave(id, "quit");
        reconnect(slot);
      } else if (roll < 0.8) {
        action = "drop";
        reconnect(slot);
      } else if (roll < 0.85 && room.owner) {
        const target = pick(room.members);
        action = `owner kicks ${target.nick}`;
        handleLine(room, room.owner.id, `/kick ${target.nick}`);
      } else {
        const advance = random() < 0.1 ? random() * 86_400_000 : random() * 600_000;
        action = `tick +${Math.round(advance)} ms`;
        clock.time += Math.round(advance);
        room.tick();
      }
      checkInvariants(room, outbox);
    } catch (error) {
      throw new Error(
        `Room fuzz failed at step ${step} (${action}): ${(error as Error).stack}`,
      );
    }
  }
}

function checkInvariants(room: Room, outbox: CheckingOutbox): void {
  const members = room.members;
  const attached = members.filter((member) => member.detachedAt === undefined);
  const owner = room.owner;
  if (attached.length === 0) {
    if (owner !== null && owner.detachedAt !== undefined) {
      throw new Error(`The owner ${owner.nick} is reconnecting, yet holds the powers.`);
    }
  } else {
    // Someone who is here can always kick: the owner, or its stand-in.
    if (!owner || room.member(owner.id) !== owner || owner.detachedAt !== undefined) {
      throw new Error(`Nobody attached holds the owner's powers (${owner?.nick}).`);
    }
  }
  const keys = new Set<string>();
  const lookalikes = new Map<string, string>();
  for (const member of members) {
    if (lookalikeProblem(member.nick)) throw new Error(`Look-alike nickname ${member.nick}.`);
    for (const key of lookalikeKeys(member.nick)) {
      const other = lookalikes.get(key);
      if (other !== undefined && other !== member.nick) {
        throw new Error(`${member.nick} and ${other} look alike.`);
      }
      lookalikes.set(key, member.nick);
    }
    const key = nicknameKey(member.nick);
    if (keys.has(key)) throw new Error(`Two members share the nickname key ${key}.`);
    keys.add(key);
    if (nicknameProblem(member.nick)) throw new Error(`Invalid nickname ${member.nick}.`);
    if (room.findByNick(member.nick) !== member) {
      throw new Error(`findByNick(${member.nick}) does not find its member.`);
    }
  }
  if (outbox.problems.length > 0) throw new Error(outbox.problems.join("; "));
}

Deno.test("room fuzz: thousands of random steps keep every invariant", async () => {
  const runs = Deno.env.get("CHAT_SEED") ? 1 : RUNS;
  for (let run = 0; run < runs; run++) {
    await withSeed("room fuzz", (_random, seed) => runFuzz(seed));
  }
});

Deno.test("room fuzz: the invariant checks catch a broken room", () => {
  const outbox = new CheckingOutbox();
  const room = new Room(outbox);
  room.join(1, "alice");
  room.join(2, "bob");
  outbox.broadcast({ type: "message", seq: 1, at: 0, from: "x", text: "stale seq" });
  let caught = false;
  try {
    checkInvariants(room, outbox);
  } catch {
    caught = true;
  }
  if (!caught) throw new Error("A repeated seq went unnoticed.");
});
