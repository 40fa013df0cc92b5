import { PieceType } from "./model.ts";
import type { Vocab } from "./vocab.ts";

/**
 * Every BPE merge a model allows, as integer pairs.
 *
 * SentencePiece (bpe_model.cc) merges two adjacent symbols whenever their
 * concatenated text is a NORMAL, USER_DEFINED or UNUSED piece, whatever the
 * two halves are. A symbol is either one character or an earlier merge
 * result (always such a piece), so the merges are exactly the splits of
 * those pieces into (left, right) at character boundaries where each half is
 * a piece or a single character. Each possible symbol text gets a key: a
 * piece's key is its id; a single character that is not a piece gets a key
 * past the vocabulary. Looking up (left key, right key) then replaces
 * SentencePiece's string-hash lookup of the concatenation.
 */
export class MergeTable {
  /** Code point → symbol key, for code points below 0x10000; -1 when the character can never merge. */
  readonly bmpKeys = new Int32Array(0x10000).fill(-1);
  /** Symbol keys of astral code points. */
  readonly astralKeys = new Map<number, number>();
  /** Number of keys: vocabulary size plus the single characters that are not pieces. */
  readonly keyCount: number;
  /** Text of each key past the vocabulary (a character that is not a piece). */
  readonly extraKeyText: string[] = [];

  /** Open-addressing hash of (left, right) → merged piece id; slots hold left, right, merged. */
  private readonly slots: Int32Array;
  private readonly mask: number;

  constructor(vocab: Vocab) {
    const { pieces, types, size } = vocab;
    const mergeable = (id: number) => {
      const t = types[id]!;
      return t === PieceType.NORMAL || t === PieceType.USER_DEFINED || t === PieceType.UNUSED;
    };
    const extraKeys = new Map<string, number>();
    const keyOf = (text: string): number => {
      const id = vocab.normalIds.get(text);
      if (id !== undefined) return id;
      if (!isOneCodePoint(text)) return -1; // can never be a symbol
      let key = extraKeys.get(text);
      if (key === undefined) {
        key = size + extraKeys.size;
        extraKeys.set(text, key);
        this.extraKeyText.push(text);
      }
      return key;
    };

    // Single-character pieces are symbols as they are.
    for (let id = 0; id < size; id++) {
      if (mergeable(id) && isOneCodePoint(pieces[id]!)) this.setCharKey(pieces[id]!.codePointAt(0)!, id);
    }

    const triples: number[] = [];
    for (let id = 0; id < size; id++) {
      if (!mergeable(id)) continue;
      const piece = pieces[id]!;
      for (let cut = 1; cut < piece.length; cut++) {
        if (isLowSurrogate(piece.charCodeAt(cut))) continue; // not a character boundary
        const left = keyOf(piece.slice(0, cut));
        const right = keyOf(piece.slice(cut));
        if (left >= 0 && right >= 0) triples.push(left, right, id);
      }
    }
    for (const [text, key] of extraKeys) this.setCharKey(text.codePointAt(0)!, key);
    this.keyCount = size + extraKeys.size;

    let capacity = 16;
    while (capacity < (triples.length / 3) * 2) capacity *= 2;
    this.mask = capacity - 1;
    this.slots = new Int32Array(capacity * 3).fill(-1);
    for (let i = 0; i < triples.length; i += 3) this.insert(triples[i]!, triples[i + 1]!, triples[i + 2]!);
  }

  /** Symbol key of one code point, or -1 if it never takes part in a merge. */
  charKey(codePoint: number): number {
    return codePoint < 0x10000 ? this.bmpKeys[codePoint]! : (this.astralKeys.get(codePoint) ?? -1);
  }

  /** Id of the piece `left` + `right` spell, or -1. */
  merged(left: number, right: number): number {
    let slot = hashPair(left, right) & this.mask;
    for (;;) {
      const at = slot * 3;
      const l = this.slots[at]!;
      if (l === -1) return -1;
      if (l === left && this.slots[at + 1] === right) return this.slots[at + 2]!;
      slot = (slot + 1) & this.mask;
    }
  }

  private insert(left: number, right: number, merged: number): void {
    let slot = hashPair(left, right) & this.mask;
    while (this.slots[slot * 3] !== -1) slot = (slot + 1) & this.mask;
    const at = slot * 3;
    this.slots[at] = left;
    this.slots[at + 1] = right;
    this.slots[at + 2] = merged;
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

function isLowSurrogate(unit: number): boolean {
  return unit >= 0xdc00 && unit <= 0xdfff;
}

export function isOneCodePoint(text: string): boolean {
  if (text.length === 1) return true;
  return text.length === 2 && text.charCodeAt(0) >= 0xd800 && text.charCodeAt(0) <= 0xdbff && isLowSurrogate(text.charCodeAt(1));
}
