/**
 * What all the members of one load worker have received, kept in flat
 * counters so that counting a line costs a few array writes.
 */
import { Histogram } from "./histogram.ts";
import type { WorkerStats } from "./worker_protocol.ts";

export class ReceiveTally {
  readonly latency = new Histogram();
  readonly loopLag = new Histogram();
  readonly receivedBySender: Float64Array;
  received = 0;
  disordered = 0;
  gaps = 0;
  joins = 0;
  otherLines = 0;
  closed = 0;
  lastReceiveMicros = 0;

  constructor(senders: number) {
    this.receivedBySender = new Float64Array(senders);
  }

  /** The counters as a reply line; `reset` zeroes the latency histogram afterwards. */
  snapshot(members: number, reset: boolean): WorkerStats {
    const stats: WorkerStats = {
      members,
      received: this.received,
      receivedBySender: Array.from(this.receivedBySender),
      disordered: this.disordered,
      gaps: this.gaps,
      joins: this.joins,
      otherLines: this.otherLines,
      closed: this.closed,
      latency: this.latency.toSparse(),
      loopLag: this.loopLag.toSparse(),
      lastReceiveMicros: this.lastReceiveMicros,
    };
    if (reset) {
      this.latency.reset();
      this.loopLag.reset();
    }
    return stats;
  }
}
