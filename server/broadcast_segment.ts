/**
 * The bytes broadcast to one framing's members between two flushes, kept in
 * one append-only buffer. At a flush every member is handed a view of the
 * same buffer, so a line costs one append however many members it reaches,
 * and no member's output is copied.
 */

const INITIAL_CAPACITY = 4096;

export class BroadcastSegment {
  #bytes = new Uint8Array(INITIAL_CAPACITY);
  #length = 0;

  get length(): number {
    return this.#length;
  }

  append(chunk: Uint8Array): void {
    const needed = this.#length + chunk.length;
    if (needed > this.#bytes.length) {
      // Views handed out earlier keep the old buffer, whose bytes never change.
      let capacity = this.#bytes.length * 2;
      while (capacity < needed) capacity *= 2;
      const grown = new Uint8Array(capacity);
      grown.set(this.#bytes.subarray(0, this.#length));
      this.#bytes = grown;
    }
    this.#bytes.set(chunk, this.#length);
    this.#length = needed;
  }

  /** The bytes from `start` to the current end; never changed by later appends. */
  view(start: number): Uint8Array {
    return this.#bytes.subarray(start, this.#length);
  }
}
