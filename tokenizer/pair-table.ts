/** What PairTable.get returns for a pair it does not hold. */
export const ABSENT = -2;

/**
 * Open-addressing hash map from a pair of non-negative int32 keys to an
 * int32 value, in one Int32Array (slots of left, right, value; left -1 marks
 * an empty slot), with linear probing and doubling at half load.
 */
export class PairTable {
  size = 0;
  private slots: Int32Array;
  private mask: number;

  constructor(capacity = 1024) {
    let c = 16;
    while (c < capacity) c *= 2;
    this.slots = new Int32Array(c * 3).fill(-1);
    this.mask = c - 1;
  }

  get(left: number, right: number): number {
    const slots = this.slots;
    let slot = hashPair(left, right) & this.mask;
    for (;;) {
      const at = slot * 3;
      const l = slots[at]!;
      if (l === -1) return ABSENT;
      if (l === left && slots[at + 1] === right) return slots[at + 2]!;
      slot = (slot + 1) & this.mask;
    }
  }

  /** Sets the value of a pair (adding it if absent). */
  set(left: number, right: number, value: number): void {
    if (2 * (this.size + 1) > this.mask + 1) this.grow();
    const slots = this.slots;
    let slot = hashPair(left, right) & this.mask;
    for (;;) {
      const at = slot * 3;
      const l = slots[at]!;
      if (l === -1) {
        slots[at] = left;
        slots[at + 1] = right;
        slots[at + 2] = value;
        this.size++;
        return;
      }
      if (l === left && slots[at + 1] === right) {
        slots[at + 2] = value;
        return;
      }
      slot = (slot + 1) & this.mask;
    }
  }

  clear(): void {
    this.slots.fill(-1);
    this.size = 0;
  }

  private grow(): void {
    const old = this.slots;
    const capacity = (this.mask + 1) * 2;
    this.slots = new Int32Array(capacity * 3).fill(-1);
    this.mask = capacity - 1;
    this.size = 0;
    for (let at = 0; at < old.length; at += 3) {
      if (old[at] !== -1) this.set(old[at]!, old[at + 1]!, old[at + 2]!);
    }
  }
}

function hashPair(left: number, right: number): number {
  let h = Math.imul(left, 0x9e3779b1) ^ Math.imul(right + 0x7f4a7c15, 0x85ebca77);
  h ^= h >>> 15;
  return Math.imul(h, 0x2c1b3c6d) >>> 0;
}
