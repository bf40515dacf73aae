/**
 * What all the members of one load worker have received, kept in flat
 * counters so that counting a line costs a few array writes.
 */
import type { BenchFields } from "./bench_line.ts";
import { nowMicros } from "./clock.ts";
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

  /**
   * Counts one bench message a member received: in order, a gap, or a
   * duplicate, by the member's last sequence per sender (`lastSeq`), and its
   * latency. A sender number out of range counts as another line.
   */
  countBench(lastSeq: Int32Array, fields: BenchFields): void {
    const sender = fields.sender;
    if (sender >= lastSeq.length) {
      this.otherLines++;
      return;
    }
    const last = lastSeq[sender];
    if (fields.seq > last) {
      if (fields.seq > last + 1) this.gaps += fields.seq - last - 1;
      lastSeq[sender] = fields.seq;
      this.received++;
      this.receivedBySender[sender]++;
    } else {
      this.disordered++;
    }
    const now = nowMicros();
    this.latency.record(now - fields.sentMicros);
    this.lastReceiveMicros = now;
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
