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

Deno.test("a private line waits behind the broadcasts queued before it, though they are not flushed yet", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const client = await LineClient.connect(listener.addr.port);
  await using _ = client;
  const socket = await listener.accept();
  const pacer = new HeldPacer();
  const connection = new Connection(1, socket, {
    limitBytes: 1 << 20,
    pacer,
    onOverflow: () => {},
  });
  const fanout = new Fanout(pacer, () => {});
  fanout.add(connection);
  fanout.admit(1);
  const message = (seq: number, text: string): ServerEvent => ({
    type: "message",
    seq,
    at: 0,
    from: "ana",
    text,
  });
  fanout.broadcast(message(1, "first"));
  fanout.send(1, { type: "error", at: 0, text: "private" });
  fanout.broadcast(message(2, "second"));
  pacer.release();
  const lines = [];
  for (let i = 0; i < 3; i++) lines.push((await client.readLine()).replace(/^\[\d\d:\d\d\] /, ""));
  assertEquals(lines, ["ana: first", "private", "ana: second"]);
  connection.close();
});

Deno.test("a stream is paged as its member reads it, never queued whole", async () => {
  using listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const client = await LineClient.connect(listener.addr.port);
  await using _ = client;
  const socket = await listener.accept();
  const pacer = new WritePacer();
  const connection = new Connection(1, socket, {
    limitBytes: 1 << 20,
    pacer,
    onOverflow: () => {},
  });
  const fanout = new Fanout(pacer, () => {});
  fanout.add(connection);
  fanout.admit(1);
  const pad = "x".repeat(2000);
  let pages = 0;
  let finished = false;
  const nextPage = (): ServerEvent[] | null =>
    pages === 200
      ? null
      : [{ type: "message", seq: ++pages, at: 0, from: "ana", text: `${pages} ${pad}` }];
  fanout.stream(1, nextPage, () => finished = true);
  // 400 KB in all; before the member has read a byte, only about 64 KB of it is taken.
  assert(pages <= 40, `${pages} pages of 2 KB queued before the member read any`);
  for (let seq = 1; seq <= 200; seq++) {
    const line = (await client.readLine()).replace(/^\[\d\d:\d\d\] /, "");
    assertEquals(line, `ana: ${seq} ${pad}`);
  }
  assert(finished, "the stream's done() ran");
  connection.close();
});
