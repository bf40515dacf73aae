/**
 * The real `chat join` against a deliberately hostile room: a loopback
 * listener that registers it, then sends every kind of poisoned string and
 * malformed event (tests/support/hostile_lines.ts), each followed by a valid
 * marker message. Nothing the room sends may reach the terminal as a control
 * character, no bad event may stop the client, and every marker must show.
 * Color is off (NO_COLOR), so the client itself writes no escape at all and
 * any control byte in its output came from the room.
 */
import { assert, assertEquals } from "./support/assert.ts";
import { type FakeConnection, FakeRoom } from "./support/fake_room.ts";
import { EVIL, type HostileLine, hostileLines, SKIP } from "./support/hostile_lines.ts";
import { JoinProcess } from "./support/join_process.ts";

/** Any control character (C0 but "\n", DEL, C1) or bidi control, once stdout is decoded. */
const CONTROL = /[\x00-\x09\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]/;
/** The bytes that start terminal controls: ESC, BEL, 8-bit CSI, OSC, DCS and ST. */
const CONTROL_BYTES = [0x1b, 0x07, 0x9b, 0x9d, 0x90, 0x9c, 0x0d, 0x08, 0x00];

const MARKER = /marker-(\d+)$/;

interface HostileRun {
  client: JoinProcess;
  lines: HostileLine[];
  markers: number;
}

/**
 * Runs `chat join --nick ana` against the hostile room until it has shown
 * the last marker, typed a line the room receives intact, and left with
 * /quit; `check` then looks at what it printed.
 */
async function withHostileRoom(
  env: Record<string, string>,
  check: (run: HostileRun) => Promise<void>,
): Promise<void> {
  const at = Date.now();
  let lastSeq = 0;
  const lines = hostileLines(at, () => ++lastSeq);
  let markers = 0;
  // Markers are notices: they carry no seq, so none can be taken for a repeat.
  const marker = () => ({ type: "notice", at, text: `marker-${++markers}` });

  const script = async (connection: FakeConnection) => {
    // The greeting comes before the handshake, as from a real room; this one is poisoned.
    await connection.sendLine(`Welcome to chat!${EVIL} shown-greeting`);
    assertEquals(await connection.readLine(), "CHAT/2 json");
    // A challenge whose nonce is not a string is skipped; the next one is signed.
    await connection.send({ type: "challenge", at, nonce: 42 });
    await connection.send({ type: "challenge", at, nonce: "n" });
    const nick = await connection.readMessage();
    assertEquals(nick.nick, "ana");
    assert(typeof (nick.key as { signature?: unknown })?.signature === "string", "signed");
    // A refusal whose wait is not a number, then one the client should act on.
    await connection.send({ type: "nick_refused", at, nick: "ana", reason: SKIP, wait: EVIL });
    await connection.send({
      type: "nick_refused",
      at,
      nick: `ana${EVIL}`,
      reason: `shown-refused${EVIL}`,
      wait: 0.01,
    });
    assertEquals((await connection.readMessage()).nick, "ana");
    await connection.send({
      type: "welcome",
      at,
      nick: `ana${EVIL}`,
      owner: false,
      seq: 0,
      resume: "t1",
      limits: { maxLineBytes: 4096, maxPasteBytes: 16384 },
    });
    await connection.send(marker());
    for (const { line } of lines) {
      await connection.sendLine(line);
      await connection.send(marker());
    }
    // The client still sends what is typed, and leaves when asked.
    assertEquals(await connection.readMessage(20_000), { type: "say", text: "still here" });
    assertEquals(await connection.readMessage(), { type: "say", text: "/quit" });
    await connection.send({ type: "bye", at, reason: `shown-bye${EVIL}` });
  };

  await using room = new FakeRoom([script]);
  await using client = new JoinProcess(
    [`127.0.0.1:${room.port}`, "--nick", "ana", "--retry", "0"],
    env,
  );
  const total = lines.length + 1;
  await client.waitFor(`marker-${total}`, 20_000);
  await client.type("still here");
  await client.type("/quit");
  await client.waitFor("shown-bye");
  assertEquals(await client.exitCode(), 0, await client.stderr());
  assertEquals(room.errors, []);
  await check({ client, lines, markers: total });
}

/** What the client wrote, checked to hold no control character from the room. */
function assertNoControls(bytes: Uint8Array, what: string): string {
  for (const byte of CONTROL_BYTES) {
    const at = bytes.indexOf(byte);
    assert(at === -1, `${what} holds byte 0x${byte.toString(16)} at ${at}`);
  }
  const text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  const found = CONTROL.exec(text);
  if (found !== null) {
    const around = text.slice(Math.max(0, found.index - 40), found.index + 40);
    throw new Error(`${what} holds ${JSON.stringify(found[0])} in ${JSON.stringify(around)}`);
  }
  return text;
}

Deno.test("chat join shows no control character a hostile room sends, skips what is malformed, and keeps going", async () => {
  await withHostileRoom({}, async ({ client, lines, markers }) => {
    const stdout = assertNoControls(client.rawOutput, "stdout");
    const printed = stdout.split("\n");
    // Every marker, once each and in order: no bad event swallowed a good one.
    const shownMarkers = printed.filter((line) => MARKER.test(line))
      .map((line) => Number(MARKER.exec(line)![1]));
    assertEquals(shownMarkers, Array.from({ length: markers }, (_, index) => index + 1));
    for (const expected of ["shown-greeting", "shown-refused", "Welcome, ana", "shown-bye"]) {
      assert(printed.some((line) => line.includes(expected)), `${expected} was not shown`);
    }
    for (const line of lines.filter((line) => line.expect === "shown")) {
      assert(
        printed.some((printedLine) => printedLine.includes(line.shows!)),
        `${line.name}: "${line.shows}" was not shown:\n${stdout}`,
      );
    }
    const leaked = printed.filter((line) => line.includes(SKIP));
    assertEquals(leaked, [], "a line that should have been skipped was shown");
    // Without CHAT_DEBUG, nothing on stderr: no uncaught error, no note.
    assertEquals(await client.stderr(), "");
  });
});

Deno.test("with CHAT_DEBUG=1, chat join notes each malformed event it skips on stderr, safely", async () => {
  await withHostileRoom({ CHAT_DEBUG: "1" }, async ({ client, lines }) => {
    const stderr = assertNoControls(new TextEncoder().encode(await client.stderr()), "stderr");
    const notes = stderr.split("\n").filter((line) => line !== "");
    // The malformed ones after the welcome, the challenge whose nonce was not a string, and
    // the refusal whose wait was not a number.
    const malformed = lines.filter((line) => line.expect === "malformed").length + 2;
    assertEquals(notes.length, malformed, stderr);
    for (const note of notes) assert(note.startsWith("chat join: skipped "), note);
    assert(!stderr.includes(SKIP), "a note repeats what the room sent");
  });
});

Deno.test("chat join skips an event type it does not know without a word, and shows an event with extra fields as usual", async () => {
  const at = Date.now();
  await using room = new FakeRoom([async (connection) => {
    assertEquals(await connection.readLine(), "CHAT/2 json");
    await connection.send({ type: "challenge", at: Date.now(), nonce: "n" });
    await connection.readMessage();
    await connection.send({ type: "welcome", at, nick: "ana", owner: true, seq: 0 });
    await connection.send({ type: "poll", at, question: "lunch?", options: ["yes", "no"] });
    await connection.send({ type: "reaction", seq: 1, to: 1, emoji: "+1" });
    await connection.send({
      type: "message",
      seq: 1,
      at,
      from: "bob",
      text: "hello",
      edited: true,
      reactions: { "+1": ["ana"] },
      thread: { id: 9, replies: [1, 2] },
    });
    await connection.send({ type: "notice", at, text: "done", level: "info" });
    while ((await connection.readLine(10_000)) !== null) { /* until the client leaves */ }
  }]);
  await using client = new JoinProcess(
    [`127.0.0.1:${room.port}`, "--nick", "ana", "--retry", "0"],
    { CHAT_DEBUG: "1" },
  );
  await client.waitFor("done");
  await client.closeStdin();
  assertEquals(await client.exitCode(), 0);
  const words = client.output.map((line) => line.replace(/^\[\d\d:\d\d\] /, ""));
  assertEquals(words, [
    "Welcome, ana! You are the room owner. Type /help for commands.",
    "bob: hello",
    "done",
  ]);
  assertEquals(await client.stderr(), "", "an unknown type is not worth a note");
  assertEquals(room.errors, []);
});
