/**
 * The fan-out's ordering promise, on real loopback sockets with the flush
 * held back by the test: a private line to a member goes out after the
 * broadcasts queued before it, even when those have not been flushed yet;
 * and a stream (history, a resume's replay) is paged as the member reads.
 */
import type { ServerEvent } from "../protocol/events.ts";
import { Connection } from "../server/connection.ts";
import { Fanout } from "../server/fanout.ts";
import { WritePacer } from "../server/write_pacer.ts";
import { assert, assertEquals } from "./support/assert.ts";
import { LineClient } from "./support/test_server.ts";

/** A pacer whose paced flushes wait until the test runs them, as under load. */
class HeldPacer extends WritePacer {
  held: { flushQueued(): number }[] = [];

  override requestFlush(target: { flushQueued(): number }): void {
    this.held.push(target);
  }

  release(): void {
    for (const target of this.held.splice(0)) target.flushQueued();
  }
}

/** One member's connection on a real loopback socket, behind a fan-out using `pacer`. */
async function oneMember(pacer: WritePacer) {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const client = await LineClient.connect(listener.addr.port);
  const socket = await listener.accept();
  const connection = new Connection(1, socket, {
    limitBytes: 1 << 20,
    pacer,
    onOverflow: () => {},
  });
  const fanout = new Fanout(pacer, () => {});
  fanout.add(connection);
  fanout.admit(1);
  return {
    fanout,
    /** The member's lines as shown, without their [HH:MM] stamps. */
    readLine: async () => (await client.readLine()).replace(/^\[\d\d:\d\d\] /, ""),
    async [Symbol.asyncDispose]() {
      connection.close();
      await client[Symbol.asyncDispose]();
      listener.close();
    },
  };
}

function message(seq: number, text: string): ServerEvent {
  return { type: "message", seq, at: 0, from: "ana", text };
}

Deno.test("a private line waits behind the broadcasts queued before it, though they are not flushed yet", async () => {
  const pacer = new HeldPacer();
  await using member = await oneMember(pacer);
  member.fanout.broadcast(message(1, "first"));
  member.fanout.send(1, { type: "error", at: 0, text: "private" });
  member.fanout.broadcast(message(2, "second"));
  pacer.release();
  const lines = [];
  for (let i = 0; i < 3; i++) lines.push(await member.readLine());
  assertEquals(lines, ["ana: first", "private", "ana: second"]);
});

Deno.test("a stream is paged as its member reads it, never queued whole", async () => {
  await using member = await oneMember(new WritePacer());
  const pad = "x".repeat(2000);
  let pages = 0;
  let finished = false;
  const nextPage = () => pages === 200 ? null : [message(++pages, `${pages} ${pad}`)];
  member.fanout.stream(1, nextPage, () => finished = true);
  // 400 KB in all; before the member has read a byte, only about 64 KB of it is taken.
  assert(pages <= 40, `${pages} pages of 2 KB queued before the member read any`);
  for (let seq = 1; seq <= 200; seq++) assertEquals(await member.readLine(), `ana: ${seq} ${pad}`);
  assert(finished, "the stream's done() ran");
});
