/**
 * Max-heap of candidate merges, ordered as bpe_model.cc's agenda: higher
 * score first, and on equal scores the leftmost pair first.
 *
 * Entry layout, 4 × 32 bits per entry in one buffer so a heap level touches
 * one cache line: [score (float32), left symbol, merged length, merged id].
 * The buffer grows by doubling and is reused between calls.
 */
const STRIDE = 4;

export class PairHeap {
  size = 0;
  private ints = new Int32Array(64 * STRIDE);
  private floats = new Float32Array(this.ints.buffer);

  /** The entry popped last. */
  topLeft = 0;
  topLength = 0;
  topMerged = 0;

  clear(): void {
    this.size = 0;
  }

  /** Empties the heap and gives back its memory if it holds room for more than `keep` entries. */
  release(keep: number): void {
    this.size = 0;
    if (this.ints.length > keep * STRIDE) {
      this.ints = new Int32Array(64 * STRIDE);
      this.floats = new Float32Array(this.ints.buffer);
    }
  }

  /** Adds an entry without restoring heap order; call heapify() before pop(). */
  append(score: number, left: number, length: number, merged: number): void {
    if (this.size * STRIDE === this.ints.length) this.grow();
    const at = this.size++ * STRIDE;
    this.floats[at] = score;
    this.ints[at + 1] = left;
    this.ints[at + 2] = length;
    this.ints[at + 3] = merged;
  }

  /** Restores heap order after append() calls (Floyd's bottom-up construction, O(n)). */
  heapify(): void {
    for (let i = (this.size >> 1) - 1; i >= 0; i--) this.siftDown(i);
  }

  push(score: number, left: number, length: number, merged: number): void {
    this.append(score, left, length, merged);
    const { ints, floats } = this;
    let i = this.size - 1;
    // Sift up: move parents that rank below the new entry down one level.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const p = parent * STRIDE;
      const ps = floats[p]!;
      if (ps > score || (ps === score && ints[p + 1]! <= left)) break;
      this.copy(p, i * STRIDE);
      i = parent;
    }
    const at = i * STRIDE;
    floats[at] = score;
    ints[at + 1] = left;
    ints[at + 2] = length;
    ints[at + 3] = merged;
  }

  /** Removes the best entry into topLeft/topLength/topMerged. */
  pop(): void {
    const { ints } = this;
    this.topLeft = ints[1]!;
    this.topLength = ints[2]!;
    this.topMerged = ints[3]!;
    const last = --this.size;
    if (last === 0) return;
    this.copy(last * STRIDE, 0);
    this.siftDown(0);
  }

  private siftDown(i: number): void {
    const { ints, floats, size } = this;
    const at0 = i * STRIDE;
    const score = floats[at0]!;
    const left = ints[at0 + 1]!;
    const length = ints[at0 + 2]!;
    const merged = ints[at0 + 3]!;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= size) break;
      let c = child * STRIDE;
      if (child + 1 < size) {
        const d = c + STRIDE;
        const cs = floats[c]!;
        const ds = floats[d]!;
        if (ds > cs || (ds === cs && ints[d + 1]! < ints[c + 1]!)) {
          child++;
          c = d;
        }
      }
      const cs = floats[c]!;
      if (score > cs || (score === cs && left <= ints[c + 1]!)) break;
      this.copy(c, i * STRIDE);
      i = child;
    }
    const at = i * STRIDE;
    floats[at] = score;
    ints[at + 1] = left;
    ints[at + 2] = length;
    ints[at + 3] = merged;
  }

  /** Copies the entry at int offset `from` to int offset `to`. */
  private copy(from: number, to: number): void {
    const { ints } = this;
    ints[to] = ints[from]!; // score bits, copied as an int
    ints[to + 1] = ints[from + 1]!;
    ints[to + 2] = ints[from + 2]!;
    ints[to + 3] = ints[from + 3]!;
  }

  private grow(): void {
    const ints = new Int32Array(this.ints.length * 2);
    ints.set(this.ints);
    this.ints = ints;
    this.floats = new Float32Array(ints.buffer);
  }
}
