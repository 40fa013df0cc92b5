/**
 * Max-heap of candidate merges, ordered as bpe_model.cc's agenda: higher
 * score first, and on equal scores the leftmost pair first. Entries live in
 * parallel typed arrays that grow by doubling and are reused between calls.
 */
export class PairHeap {
  size = 0;
  // Per entry: score of the merged piece, left symbol index, combined length, merged piece id.
  private score = new Float32Array(64);
  private left = new Int32Array(64);
  private length = new Int32Array(64);
  private merged = new Int32Array(64);

  /** The entry popped last. */
  topScore = 0;
  topLeft = 0;
  topLength = 0;
  topMerged = 0;

  clear(): void {
    this.size = 0;
  }

  push(score: number, left: number, length: number, merged: number): void {
    if (this.size === this.score.length) this.grow();
    let i = this.size++;
    // Sift up: move parents that rank below the new entry down one level.
    while (i > 0) {
      const parent = (i - 1) >> 1;
      const ps = this.score[parent]!;
      if (ps > score || (ps === score && this.left[parent]! <= left)) break;
      this.move(parent, i);
      i = parent;
    }
    this.set(i, score, left, length, merged);
  }

  /** Removes the best entry into topScore/topLeft/topLength/topMerged. */
  pop(): void {
    this.topScore = this.score[0]!;
    this.topLeft = this.left[0]!;
    this.topLength = this.length[0]!;
    this.topMerged = this.merged[0]!;
    const last = --this.size;
    if (last === 0) return;
    const score = this.score[last]!;
    const left = this.left[last]!;
    const length = this.length[last]!;
    const merged = this.merged[last]!;
    let i = 0;
    for (;;) {
      let child = 2 * i + 1;
      if (child >= last) break;
      if (child + 1 < last && this.ranksAbove(child + 1, child)) child++;
      const cs = this.score[child]!;
      if (score > cs || (score === cs && left <= this.left[child]!)) break;
      this.move(child, i);
      i = child;
    }
    this.set(i, score, left, length, merged);
  }

  private ranksAbove(a: number, b: number): boolean {
    const sa = this.score[a]!;
    const sb = this.score[b]!;
    return sa > sb || (sa === sb && this.left[a]! < this.left[b]!);
  }

  private move(from: number, to: number): void {
    this.score[to] = this.score[from]!;
    this.left[to] = this.left[from]!;
    this.length[to] = this.length[from]!;
    this.merged[to] = this.merged[from]!;
  }

  private set(i: number, score: number, left: number, length: number, merged: number): void {
    this.score[i] = score;
    this.left[i] = left;
    this.length[i] = length;
    this.merged[i] = merged;
  }

  private grow(): void {
    const n = this.score.length * 2;
    const score = new Float32Array(n);
    score.set(this.score);
    const left = new Int32Array(n);
    left.set(this.left);
    const length = new Int32Array(n);
    length.set(this.length);
    const merged = new Int32Array(n);
    merged.set(this.merged);
    this.score = score;
    this.left = left;
    this.length = length;
    this.merged = merged;
  }
}
