/**
 * The outbox of a cluster node's copy of the room. Every node runs the same
 * room and asks the same outbox for the same deliveries; the fan-out beneath
 * delivers those for connections this node holds and ignores the rest.
 *
 * One thing needs more than that: `stream()`. A replay (history on join,
 * what a resuming member missed) is read out as its connection takes it, and
 * the room's `done` runs when it is over. On one server that may be later,
 * and it does not matter. In a cluster, `done` changes the room (a resuming
 * owner takes its powers back, missed whispers are cleared), so every node
 * must run it at the same point of the log. So `done` runs at once, on
 * every node; on the node that holds the connection, what `done` (and
 * anything after it) sends to that member is held until the replay has been
 * delivered, then sent in order. Broadcasts meanwhile reach the member through
 * the replay, which reads the store until it has caught up.
 */
import type { ServerEvent } from "../protocol/events.ts";
import type { MemberId, Outbox } from "./room.ts";

export class ReplicaOutbox implements Outbox {
  #inner: Outbox;
  #holds: (id: MemberId) => boolean;
  /** Deliveries to members whose replay is still being read out, in order. */
  #held = new Map<MemberId, (() => void)[]>();

  /** `holds` says whether this node holds a member's connection. */
  constructor(inner: Outbox, holds: (id: MemberId) => boolean) {
    this.#inner = inner;
    this.#holds = holds;
  }

  send(to: MemberId, event: ServerEvent): void {
    const held = this.#held.get(to);
    if (held) held.push(() => this.#inner.send(to, event));
    else this.#inner.send(to, event);
  }

  broadcast(event: ServerEvent, except?: ReadonlySet<MemberId>): void {
    this.#inner.broadcast(event, except);
  }

  admit(id: MemberId): void {
    const held = this.#held.get(id);
    if (held) held.push(() => this.#inner.admit(id));
    else this.#inner.admit(id);
  }

  close(id: MemberId): void {
    this.#held.delete(id);
    this.#inner.close(id);
  }

  stream(to: MemberId, next: () => ServerEvent[] | null, done: () => void): void {
    if (!this.#holds(to)) {
      done();
      return;
    }
    let reading = true;
    let readOut = false;
    this.#inner.stream(to, next, () => {
      if (reading) {
        readOut = true;
        return;
      }
      const held = this.#held.get(to) ?? [];
      this.#held.delete(to);
      for (const deliver of held) deliver();
    });
    reading = false;
    if (!readOut) this.#held.set(to, []);
    done();
  }

  /** The connection has ended: nothing held for it will be sent. */
  forget(id: MemberId): void {
    this.#held.delete(id);
  }
}
