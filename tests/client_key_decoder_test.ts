import { assert, assertEquals } from "./support/assert.ts";
import { type Key, KeyDecoder } from "../client/key_decoder.ts";

const encoder = new TextEncoder();

/** Feeds each string as one chunk and returns every key, in order. */
function decode(...chunks: (string | Uint8Array)[]): Key[] {
  const decoder = new KeyDecoder();
  return chunks.flatMap((chunk) =>
    decoder.push(typeof chunk === "string" ? encoder.encode(chunk) : chunk)
  );
}

Deno.test("KeyDecoder turns printable bytes into one text key", () => {
  assertEquals(decode("hello"), [{ type: "text", text: "hello" }]);
});

Deno.test("KeyDecoder decodes Korean and emoji", () => {
  assertEquals(decode("안녕 😀"), [{ type: "text", text: "안녕 😀" }]);
});

Deno.test("KeyDecoder joins a multi-byte character split across two chunks", () => {
  const bytes = encoder.encode("한");
  assertEquals(bytes.length, 3);
  assertEquals(decode(bytes.subarray(0, 1), bytes.subarray(1)), [{ type: "text", text: "한" }]);
  const emoji = encoder.encode("😀");
  assertEquals(decode(emoji.subarray(0, 2), emoji.subarray(2, 3), emoji.subarray(3)), [
    { type: "text", text: "😀" },
  ]);
});

Deno.test("KeyDecoder reads CR, LF and CR LF each as one Enter", () => {
  assertEquals(decode("a\r"), [{ type: "text", text: "a" }, { type: "enter" }]);
  assertEquals(decode("a\n"), [{ type: "text", text: "a" }, { type: "enter" }]);
  assertEquals(decode("a\r\nb"), [
    { type: "text", text: "a" },
    { type: "enter" },
    { type: "text", text: "b" },
  ]);
  assertEquals(decode("a\r", "\nb"), [
    { type: "text", text: "a" },
    { type: "enter" },
    { type: "text", text: "b" },
  ]);
  assertEquals(decode("\r\r"), [{ type: "enter" }, { type: "enter" }]);
});

Deno.test("KeyDecoder reads DEL and Ctrl-H as Backspace and ESC[3~ as Delete", () => {
  assertEquals(decode("\x7f\x08\x1b[3~"), [
    { type: "backspace" },
    { type: "backspace" },
    { type: "delete" },
  ]);
});

Deno.test("KeyDecoder reads arrow keys in both CSI and SS3 form", () => {
  const expected = [{ type: "up" }, { type: "down" }, { type: "right" }, { type: "left" }];
  assertEquals(decode("\x1b[A\x1b[B\x1b[C\x1b[D"), expected);
  assertEquals(decode("\x1bOA\x1bOB\x1bOC\x1bOD"), expected);
});

Deno.test("KeyDecoder reads every form of Home and End", () => {
  const homes = decode("\x1b[H\x1b[1~\x1bOH\x1b[7~");
  assertEquals(homes, Array(4).fill({ type: "home" }));
  const ends = decode("\x1b[F\x1b[4~\x1bOF\x1b[8~");
  assertEquals(ends, Array(4).fill({ type: "end" }));
});

Deno.test("KeyDecoder maps the Ctrl keys of line editing", () => {
  assertEquals(decode("\x01\x05\x02\x06\x15\x0b\x17\x0c\x03\x04"), [
    { type: "home" },
    { type: "end" },
    { type: "left" },
    { type: "right" },
    { type: "kill-to-start" },
    { type: "kill-to-end" },
    { type: "kill-word" },
    { type: "redraw" },
    { type: "interrupt" },
    { type: "eof" },
  ]);
});

Deno.test("KeyDecoder inserts a space for Tab", () => {
  assertEquals(decode("a\tb"), [{ type: "text", text: "a b" }]);
});

Deno.test("KeyDecoder reads Ctrl-Left and Ctrl-Right as word moves", () => {
  assertEquals(decode("\x1b[1;5D\x1b[1;5C"), [{ type: "word-left" }, { type: "word-right" }]);
});

Deno.test("KeyDecoder keeps an escape sequence split across chunks whole", () => {
  assertEquals(decode("x\x1b", "[", "A"), [{ type: "text", text: "x" }, { type: "up" }]);
  assertEquals(decode("\x1b[3", "~"), [{ type: "delete" }]);
});

Deno.test("KeyDecoder swallows unknown escape sequences whole", () => {
  // F5, a mouse-free focus report, F1 in SS3 form, Alt-x, and a private-mode reply.
  assertEquals(decode("a\x1b[15~b\x1b[Ic\x1bOPd\x1bxe\x1b[?1;2cf"), [
    { type: "text", text: "abcdef" },
  ]);
});

Deno.test("KeyDecoder keeps a control key that interrupts a broken sequence", () => {
  assertEquals(decode("\x1b[1\x03"), [{ type: "interrupt" }]);
  assertEquals(decode("\x1b\r"), [{ type: "enter" }]);
});

Deno.test("KeyDecoder drops an escape sequence that never ends instead of growing", () => {
  const junk = "\x1b[" + "1;".repeat(100) + "Ahi";
  const keys = decode(junk);
  assertEquals(keys.at(-1)?.type, "text");
  assert(keys.every((key) => key.type !== "text" || !key.text.includes("\x1b")));
});

Deno.test("KeyDecoder turns each line break of a bracketed paste into a newline key, never Enter", () => {
  assertEquals(decode("\x1b[200~first line\r\nsecond\nthird\x1b[201~"), [
    { type: "text", text: "first line" },
    { type: "newline" },
    { type: "text", text: "second" },
    { type: "newline" },
    { type: "text", text: "third" },
  ]);
});

Deno.test("KeyDecoder treats control keys inside a paste as text, not commands", () => {
  // Ctrl-C and an escape sequence pasted must neither quit nor move the cursor.
  assertEquals(decode("\x1b[200~a\x03b\x1b[Ac\tx\x1b[201~"), [
    { type: "text", text: "ab[Ac x" },
  ]);
});

Deno.test("KeyDecoder finds the paste end marker split across chunks", () => {
  const decoder = new KeyDecoder();
  const keys = [
    ...decoder.push(encoder.encode("\x1b[200~one\r")),
    ...decoder.push(encoder.encode("\ntwo\x1b[2")),
  ];
  assertEquals(decoder.inPaste, true);
  keys.push(...decoder.push(encoder.encode("01~\x1b[D")));
  assertEquals(decoder.inPaste, false);
  assertEquals(keys, [
    { type: "text", text: "one" },
    { type: "newline" },
    { type: "text", text: "two" },
    { type: "left" },
  ]);
});

Deno.test("KeyDecoder keeps pasted text that only starts like the end marker", () => {
  assertEquals(decode("\x1b[200~a\x1b[20x\x1b[201~"), [{ type: "text", text: "a[20x" }]);
});

Deno.test("KeyDecoder strips C1 controls and bidi overrides from typed text", () => {
  assertEquals(decode("a\u0085b\u202ec"), [{ type: "text", text: "abc" }]);
});

Deno.test("KeyDecoder still types the character after a lone Escape key press", () => {
  assertEquals(decode("\x1b", "h"), [{ type: "text", text: "h" }]);
  assertEquals(decode("\x1b", "\x1b[D"), [{ type: "left" }]);
  assertEquals(decode("\x1bh"), [], "ESC h in one chunk is Alt-H, swallowed");
});

Deno.test("KeyDecoder reads the terminal's cursor position report", () => {
  assertEquals(decode("\x1b[24;17R"), [{ type: "cursor-report", row: 24, column: 17 }]);
  assertEquals(decode("a\x1b[3;1Rb"), [
    { type: "text", text: "a" },
    { type: "cursor-report", row: 3, column: 1 },
    { type: "text", text: "b" },
  ]);
});
