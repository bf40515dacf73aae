import { assertEquals } from "./support/assert.ts";
import type { Key } from "../client/key_decoder.ts";
import { type EditResult, LineEditor } from "../client/line_editor.ts";

const text = (value: string): Key => ({ type: "text", text: value });
const key = (type: Exclude<Key["type"], "text">): Key => ({ type } as Key);

/** Applies keys in order and returns the result of each. */
function applyAll(editor: LineEditor, keys: Key[]): EditResult[] {
  return keys.map((each) => editor.apply(each));
}

Deno.test("LineEditor inserts typed text at the cursor", () => {
  const editor = new LineEditor();
  applyAll(editor, [text("helo"), key("left"), text("l")]);
  assertEquals(editor.text, "hello");
  assertEquals(editor.cursor, 4);
});

Deno.test("LineEditor moves over a Hangul syllable or a joined emoji in one step", () => {
  const editor = new LineEditor();
  editor.apply(text("a한👨‍👩‍👧"));
  assertEquals(editor.cursor, 3);
  editor.apply(key("backspace"));
  assertEquals(editor.text, "a한");
  editor.apply(key("left"));
  editor.apply(key("delete"));
  assertEquals(editor.text, "a");
});

Deno.test("LineEditor joins a combining mark typed after its letter into one character", () => {
  const editor = new LineEditor();
  applyAll(editor, [text("e"), text("\u0301")]);
  assertEquals(editor.state.graphemes, ["e\u0301"]);
  assertEquals(editor.cursor, 1);
});

Deno.test("LineEditor submits the line on Enter and starts a fresh one", () => {
  const editor = new LineEditor();
  editor.apply(text("hi there"));
  assertEquals(editor.apply(key("enter")), { submit: "hi there" });
  assertEquals(editor.text, "");
  assertEquals(editor.cursor, 0);
});

Deno.test("LineEditor does not submit a blank line", () => {
  const editor = new LineEditor();
  assertEquals(editor.apply(key("enter")), null);
  editor.apply(text("   "));
  assertEquals(editor.apply(key("enter")), { redraw: true });
  assertEquals(editor.text, "");
});

Deno.test("LineEditor reports a redraw for changes and null when nothing changed", () => {
  const editor = new LineEditor();
  assertEquals(editor.apply(key("left")), null);
  assertEquals(editor.apply(key("backspace")), null);
  assertEquals(editor.apply(key("delete")), null);
  assertEquals(editor.apply(text("x")), { redraw: true });
  assertEquals(editor.apply(key("right")), null);
  assertEquals(editor.apply(key("home")), { redraw: true });
});

Deno.test("LineEditor moves to the start and end of the line", () => {
  const editor = new LineEditor();
  editor.apply(text("abc"));
  editor.apply(key("home"));
  assertEquals(editor.cursor, 0);
  editor.apply(key("end"));
  assertEquals(editor.cursor, 3);
});

Deno.test("LineEditor kills to the start, to the end, and the word before the cursor", () => {
  const editor = new LineEditor();
  editor.apply(text("one two  three"));
  editor.apply(key("kill-word"));
  assertEquals(editor.text, "one two  ");
  editor.apply(key("kill-word"));
  assertEquals(editor.text, "one ");
  editor.setText("hello world");
  applyAll(editor, [key("home"), key("right"), key("right"), key("kill-to-end")]);
  assertEquals(editor.text, "he");
  editor.setText("hello world");
  applyAll(editor, [key("word-left"), key("kill-to-start")]);
  assertEquals(editor.text, "world");
  assertEquals(editor.cursor, 0);
});

Deno.test("LineEditor moves by words", () => {
  const editor = new LineEditor();
  editor.apply(text("alpha beta gamma"));
  editor.apply(key("word-left"));
  assertEquals(editor.cursor, 11);
  editor.apply(key("word-left"));
  assertEquals(editor.cursor, 6);
  editor.apply(key("word-right"));
  assertEquals(editor.cursor, 10);
});

Deno.test("LineEditor quits on Ctrl-C whatever the line holds", () => {
  const editor = new LineEditor();
  editor.apply(text("half typed"));
  assertEquals(editor.apply(key("interrupt")), { quit: true });
});

Deno.test("LineEditor quits on Ctrl-D only when the line is empty", () => {
  const editor = new LineEditor();
  editor.apply(text("ab"));
  editor.apply(key("home"));
  assertEquals(editor.apply(key("eof")), { redraw: true });
  assertEquals(editor.text, "b", "Ctrl-D on a non-empty line deletes forward");
  editor.apply(key("eof"));
  assertEquals(editor.apply(key("eof")), { quit: true });
});

Deno.test("LineEditor asks for a cleared screen on Ctrl-L", () => {
  assertEquals(new LineEditor().apply(key("redraw")), { redraw: true, clearScreen: true });
});

Deno.test("LineEditor recalls submitted lines with Up and returns to the draft with Down", () => {
  const editor = new LineEditor();
  applyAll(editor, [text("first"), key("enter"), text("second"), key("enter"), text("dra")]);
  editor.apply(key("up"));
  assertEquals(editor.text, "second");
  assertEquals(editor.cursor, 6);
  editor.apply(key("up"));
  assertEquals(editor.text, "first");
  assertEquals(editor.apply(key("up")), null, "no older entry");
  editor.apply(key("down"));
  assertEquals(editor.text, "second");
  editor.apply(key("down"));
  assertEquals(editor.text, "dra");
  assertEquals(editor.apply(key("down")), null, "no newer entry");
});

Deno.test("LineEditor submits a recalled line and keeps repeated lines once", () => {
  const editor = new LineEditor();
  applyAll(editor, [text("again"), key("enter"), key("up")]);
  assertEquals(editor.apply(key("enter")), { submit: "again" });
  assertEquals(editor.history, ["again"]);
});

Deno.test("LineEditor keeps only the newest history entries", () => {
  const editor = new LineEditor({ historySize: 2 });
  for (const line of ["a", "b", "c"]) applyAll(editor, [text(line), key("enter")]);
  assertEquals(editor.history, ["b", "c"]);
});

Deno.test("LineEditor submits each line of a paste in order", () => {
  const editor = new LineEditor();
  const results = applyAll(editor, [
    text("one"),
    key("enter"),
    text("two"),
    key("enter"),
    text("three"),
  ]);
  const submitted = results.flatMap((result) =>
    result && "submit" in result ? [result.submit] : []
  );
  assertEquals(submitted, ["one", "two"]);
  assertEquals(editor.text, "three", "the last unterminated line stays to be edited");
});

Deno.test("LineEditor cuts input at the byte limit without splitting a character", () => {
  const editor = new LineEditor({ maxBytes: 7 });
  editor.apply(text("ab한글"));
  assertEquals(editor.text, "ab한", "글 would need bytes 6 to 8");
  editor.apply(text("xyz"));
  assertEquals(editor.text, "ab한xy");
  assertEquals(editor.apply(text("z")), null, "a full line takes nothing more");
});

Deno.test("LineEditor state is a snapshot that later edits leave alone", () => {
  const editor = new LineEditor();
  editor.apply(text("abc"));
  const state = editor.state;
  editor.apply(key("backspace"));
  assertEquals(state, { graphemes: ["a", "b", "c"], cursor: 3 });
});
