import { ABSENT, PairTable } from "./pair-table.ts";
import type { Vocab } from "./vocab.ts";

/** Marks a cached pair whose concatenation is not a piece. */
const NO_MERGE = -1;
/** Cache size past which it is emptied rather than grown (bounds memory on adversarial input). */
const MAX_CACHED_PAIRS = 1 << 18;

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
   * Every pair of adjacent characters inside some piece, by their keys;
   * built on first use. Where two adjacent characters are not such
   * a pair, no merge can ever span them, so BPE can run on the stretches
   * between such cuts separately.
   */
  private bigrams: PairTable | null = null;

  /** Cache of merged(): (left key, right key) → merged piece id or NO_MERGE. */
  private readonly cache = new PairTable(1024);

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
    }
  }

  /** Symbol key of one code point, or -1 if it never takes part in a merge. */
  charKey(codePoint: number): number {
    return codePoint < 0x10000 ? this.bmpKeys[codePoint]! : (this.astralKeys.get(codePoint) ?? -1);
  }

  /**
   * Whether characters with keys `left` and `right` (both >= 0) occur next to
   * each other in some piece; if not, no merge ever spans them.
   */
  canJoin(left: number, right: number): boolean {
    this.bigrams ??= this.collectBigrams();
    return this.bigrams.get(left, right) !== ABSENT;
  }

  private collectBigrams(): PairTable {
    const bigrams = new PairTable(4096);
    for (const piece of this.vocab.normalIds.keys()) {
      let prev = -1;
      for (let i = 0; i < piece.length; ) {
        const cp = piece.codePointAt(i)!;
        i += cp > 0xffff ? 2 : 1;
        const key = this.charKey(cp);
        if (prev >= 0 && key >= 0) bigrams.set(prev, key, 1);
        prev = key;
      }
    }
    return bigrams;
  }

  /** Text a key stands for. */
  keyText(key: number): string {
    return key < this.vocab.size ? this.vocab.pieces[key]! : this.extraKeyText[key - this.vocab.size]!;
  }

  /** Id of the piece spelled by text(left) + text(right), or -1. Keys must be >= 0. */
  merged(left: number, right: number): number {
    const cached = this.cache.get(left, right);
    if (cached !== ABSENT) return cached;
    const merged = this.vocab.normalIds.get(this.keyText(left) + this.keyText(right)) ?? NO_MERGE;
    if (this.cache.size >= MAX_CACHED_PAIRS) this.cache.clear();
    this.cache.set(left, right, merged);
    return merged;
  }

  private setCharKey(codePoint: number, key: number): void {
    if (codePoint < 0x10000) this.bmpKeys[codePoint] = key;
    else this.astralKeys.set(codePoint, key);
  }
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
