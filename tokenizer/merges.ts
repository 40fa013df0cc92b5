import type { Vocab } from "./vocab.ts";

/** Join bits: the code point occurs after / before another one inside a piece. */
const JOINS_LEFT = 1;
const JOINS_RIGHT = 2;
/** Marks a cached pair whose concatenation is not a piece. */
const NO_MERGE = -1;
/** Cache size past which it is emptied rather than grown (bounds memory on adversarial input). */
const MAX_CACHED_PAIRS = 1 << 21;

/**
 * Which two adjacent symbols may merge, looked up by integer keys.
 *
 * SentencePiece (bpe_model.cc) merges two adjacent symbols whenever their
 * concatenated text is a NORMAL, USER_DEFINED or UNUSED piece (its `pieces_`
 * map), whatever the halves are. A symbol is one character or an earlier
 * merge result, which is always such a piece. So every symbol gets a key:
 * a piece's key is its id; a character that is not a piece but begins or
 * ends one gets a key past the vocabulary; any other character can never
 * merge (key -1). `merged(left, right)` answers "is text(left) + text(right)
 * a piece?" with one string lookup per distinct pair, cached in an
 * open-addressing table of integer pairs.
 */
export class MergeTable {
  /** Code point → symbol key, for code points below 0x10000. */
  private readonly bmpKeys = new Int32Array(0x10000).fill(-1);
  /** Symbol keys of astral code points. */
  private readonly astralKeys = new Map<number, number>();
  /** Text of each key past the vocabulary (a character that is not a piece). */
  readonly extraKeyText: string[] = [];
  /**
   * Bit 1: the code point occurs in some piece after its first character (it
   * can end a merge's right side's start); bit 2: it occurs before the last
   * character. Two adjacent characters can only ever end up in one piece if
   * the left one has bit 2 and the right one bit 1; BPE can then run on the
   * stretches between such cuts separately. Astral code points in `astralJoin`.
   */
  private readonly bmpJoin = new Uint8Array(0x10000);
  private readonly astralJoin = new Map<number, number>();

  /** Cached pairs: slots of (left, right, merged id or NO_MERGE); left -1 marks an empty slot. */
  private slots: Int32Array;
  private mask: number;
  private cached = 0;

  constructor(private readonly vocab: Vocab) {
    const { normalIds, size } = vocab;
    for (const [piece, id] of normalIds) {
      if (isOneCodePoint(piece)) this.setCharKey(piece.codePointAt(0)!, id);
    }
    // Characters that start or end a piece without being one still merge.
    const addEdgeChar = (text: string) => {
      const cp = text.codePointAt(0)!;
      if (this.charKey(cp) >= 0) return;
      this.setCharKey(cp, size + this.extraKeyText.length);
      this.extraKeyText.push(String.fromCodePoint(cp));
    };
    for (const piece of normalIds.keys()) {
      addEdgeChar(piece);
      addEdgeChar(lastCodePoint(piece));
      this.markJoins(piece);
    }
    this.slots = new Int32Array(3 * 1024).fill(-1);
    this.mask = 1023;
  }

  /** Symbol key of one code point, or -1 if it never takes part in a merge. */
  charKey(codePoint: number): number {
    return codePoint < 0x10000 ? this.bmpKeys[codePoint]! : (this.astralKeys.get(codePoint) ?? -1);
  }

  /** False when no piece contains code point `left` directly followed by code point `right`'s kind of position. */
  canJoin(left: number, right: number): boolean {
    const l = left < 0x10000 ? this.bmpJoin[left]! : (this.astralJoin.get(left) ?? 0);
    const r = right < 0x10000 ? this.bmpJoin[right]! : (this.astralJoin.get(right) ?? 0);
    return (l & JOINS_RIGHT) !== 0 && (r & JOINS_LEFT) !== 0;
  }

  private markJoins(piece: string): void {
    let first = true;
    for (let i = 0; i < piece.length; ) {
      const cp = piece.codePointAt(i)!;
      i += cp > 0xffff ? 2 : 1;
      const bits = (first ? 0 : JOINS_LEFT) | (i < piece.length ? JOINS_RIGHT : 0);
      first = false;
      if (cp < 0x10000) this.bmpJoin[cp] |= bits;
      else this.astralJoin.set(cp, (this.astralJoin.get(cp) ?? 0) | bits);
    }
  }

  /** Text a key stands for. */
  keyText(key: number): string {
    return key < this.vocab.size ? this.vocab.pieces[key]! : this.extraKeyText[key - this.vocab.size]!;
  }

  /** Id of the piece spelled by text(left) + text(right), or -1. Keys must be >= 0. */
  merged(left: number, right: number): number {
    let slot = hashPair(left, right) & this.mask;
    for (;;) {
      const at = slot * 3;
      const l = this.slots[at]!;
      if (l === -1) break;
      if (l === left && this.slots[at + 1] === right) return this.slots[at + 2]!;
      slot = (slot + 1) & this.mask;
    }
    const merged = this.vocab.normalIds.get(this.keyText(left) + this.keyText(right)) ?? NO_MERGE;
    this.remember(left, right, merged);
    return merged;
  }

  private remember(left: number, right: number, merged: number): void {
    if (this.cached >= MAX_CACHED_PAIRS) {
      this.slots.fill(-1);
      this.cached = 0;
    } else if (2 * (this.cached + 1) > this.mask + 1) {
      this.grow();
    }
    this.insert(left, right, merged);
    this.cached++;
  }

  private insert(left: number, right: number, merged: number): void {
    let slot = hashPair(left, right) & this.mask;
    while (this.slots[slot * 3] !== -1) slot = (slot + 1) & this.mask;
    const at = slot * 3;
    this.slots[at] = left;
    this.slots[at + 1] = right;
    this.slots[at + 2] = merged;
  }

  private grow(): void {
    const old = this.slots;
    const capacity = (this.mask + 1) * 2;
    this.slots = new Int32Array(capacity * 3).fill(-1);
    this.mask = capacity - 1;
    for (let at = 0; at < old.length; at += 3) {
      if (old[at] !== -1) this.insert(old[at]!, old[at + 1]!, old[at + 2]!);
    }
  }

  private setCharKey(codePoint: number, key: number): void {
    if (codePoint < 0x10000) this.bmpKeys[codePoint] = key;
    else this.astralKeys.set(codePoint, key);
  }
}

function hashPair(left: number, right: number): number {
  let h = Math.imul(left, 0x9e3779b1) ^ Math.imul(right + 0x7f4a7c15, 0x85ebca77);
  h ^= h >>> 15;
  return Math.imul(h, 0x2c1b3c6d) >>> 0;
}

function lastCodePoint(text: string): string {
  const n = text.length;
  const last = text.charCodeAt(n - 1);
  return n >= 2 && last >= 0xdc00 && last <= 0xdfff && text.charCodeAt(n - 2) >= 0xd800 && text.charCodeAt(n - 2) <= 0xdbff ? text.slice(n - 2) : text.slice(n - 1);
}

function isOneCodePoint(text: string): boolean {
  if (text.length === 1) return true;
  const c = text.charCodeAt(0);
  return text.length === 2 && c >= 0xd800 && c <= 0xdbff && text.charCodeAt(1) >= 0xdc00 && text.charCodeAt(1) <= 0xdfff;
}
