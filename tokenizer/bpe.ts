import { TokenizerError } from "../lib/errors.ts";
import { PieceType } from "./model.ts";
import type { MergeTable } from "./merges.ts";
import type { PrefixMatcher } from "./matcher.ts";
import { PairHeap } from "./pair-heap.ts";
import { utf8Encode } from "./utf8.ts";
import type { Vocab } from "./vocab.ts";

/** Inputs shorter than this (UTF-16 units) skip the stretch memo: too little repetition to pay for it. */
const MEMO_MIN_TEXT = 256;
/** Longest stretch remembered. */
const MEMO_MAX_STRETCH = 64;
/** Symbols per block (a block runs on to the next cut). */
const BLOCK = 1 << 13;
/** Scratch buffers above this many entries are dropped after the call instead of kept. */
const KEEP_SCRATCH = 1 << 16;

/**
 * BPE segmentation of normalized text, after SentencePiece's bpe::Model::Encode
 * (bpe_model.cc) and the id post-processing of
 * SentencePieceProcessor::PopulateSentencePieceText:
 *
 * 1. Split the text into characters; a user-defined symbol found by the
 *    prefix matcher is one frozen symbol that never merges.
 * 2. Queue every adjacent pair whose concatenation is a piece, by that
 *    piece's score (ties: leftmost first). Pop the best pair; skip it if
 *    either side has changed since it was queued; else merge the two symbols
 *    in the doubly linked list and queue the new pairs with its neighbours.
 *    O(n log n): each merge queues at most two pairs.
 * 3. A final symbol that is an UNUSED piece is split back into the two
 *    symbols that formed it (resegmentation).
 * 4. Ids: PieceToId of each symbol's text. An unknown symbol becomes its
 *    UTF-8 bytes as `<0xXX>` pieces with byte fallback; without it, a run of
 *    unknown symbols becomes one unknown id. A symbol whose text is a control
 *    piece (only in hand-edited models) is an error, as in SentencePiece.
 */
export class BpeEncoder {
  // Per symbol (index = position in the initial split); grown as needed and reused.
  // start/end: UTF-16 offsets of the symbol's text; end === start once merged away.
  private start = new Int32Array(0);
  private end = new Int32Array(0);
  private prev = new Int32Array(0);
  private next = new Int32Array(0);
  /** Merge-table key of the symbol's text, -1 if it cannot merge. */
  private key = new Int32Array(0);
  /** Output id of a frozen user-defined symbol, -1 for ordinary symbols. */
  private frozenId = new Int32Array(0);
  /** 1 where no merge can span this symbol and the one before it. */
  private cutBefore = new Uint8Array(0);
  private readonly heap = new PairHeap();
  /** Symbol range being merged. */
  private from = 0;
  private to = 0;

  /** Per extra key (characters that are not pieces): PieceToId of the character. */
  private readonly outIdOfExtra: Int32Array;
  /** Reserved pieces that are a single character, by code point (usually empty). */
  private readonly reservedChars = new Map<number, number>();
  /** UNUSED merged text → the texts of the two symbols last queued to form it. */
  private readonly revMerge = new Map<string, [string, string]>();
  private prevWasUnknown = false;
  /** Results of the stretches merged so far in this call, by text. */
  private readonly memo = new Map<string, Int32Array>();
  /** Output ids of the call in progress. */
  private ids = new Int32Array(1024);
  private idCount = 0;
  /** UTF-8 of one unknown symbol (normally one character). */
  private utf8 = new Uint8Array(64);

  constructor(
    private readonly vocab: Vocab,
    private readonly merges: MergeTable,
    private readonly matcher: PrefixMatcher | null,
  ) {
    this.outIdOfExtra = Int32Array.from(merges.extraKeyText, (t) => vocab.pieceToId(t));
    for (const [text, id] of vocab.reservedIds) {
      const cp = text.codePointAt(0)!;
      if (text.length === (cp > 0xffff ? 2 : 1)) this.reservedChars.set(cp, id);
    }
  }

  /**
   * The ids of `text` (already normalized). The text is processed in blocks
   * of about BLOCK symbols ending at a cut, so the per-symbol scratch stays
   * small whatever the input size (except for a model with UNUSED pieces,
   * which is processed whole).
   */
  encode(text: string): number[] {
    const n = text.length;
    if (n === 0) return [];
    this.idCount = 0; // a previous call may have thrown midway
    this.prevWasUnknown = false;
    this.revMerge.clear();
    const whole = this.vocab.hasUnused;
    const memo = !whole && n >= MEMO_MIN_TEXT ? this.memo : null;
    try {
      for (let pos = 0; pos < n; ) pos = this.encodeBlock(text, pos, whole, memo);
    } finally {
      memo?.clear();
    }
    // Ids collect in a reused typed array (growing a JS array by push is
    // slow for millions of ids); copy them out once at the exact size.
    const idCount = this.idCount;
    this.idCount = 0;
    const out = new Array<number>(idCount);
    for (let k = 0; k < idCount; k++) out[k] = this.ids[k]!;
    if (this.start.length > KEEP_SCRATCH) this.reserve(0, true);
    if (this.ids.length > KEEP_SCRATCH) this.ids = new Int32Array(1024);
    this.heap.release(KEEP_SCRATCH);
    return out;
  }

  /** Splits, merges and emits the symbols from `pos` to the first cut after BLOCK symbols (or the end); returns where it stopped. */
  private encodeBlock(text: string, pos: number, whole: boolean, memo: Map<string, Int32Array> | null): number {
    const n = text.length;
    const { merges, matcher } = this;

    // 1. Initial symbols: characters, or frozen user-defined symbols. cutBefore[i]:
    // no merge can span symbols i-1 and i (see MergeTable.canJoin).
    let count = 0;
    while (pos < n) {
      let len = matcher === null ? 0 : matcher.match(text, pos);
      let symbolKey = -1;
      let frozen = -1;
      if (len > 0) frozen = matcher!.lastValue;
      else {
        let cp = text.charCodeAt(pos);
        len = 1;
        if (cp >= 0xd800 && cp <= 0xdbff && pos + 1 < n) {
          const low = text.charCodeAt(pos + 1);
          if (low >= 0xdc00 && low <= 0xdfff) {
            cp = ((cp - 0xd800) << 10) + (low - 0xdc00) + 0x10000;
            len = 2;
          }
        }
        symbolKey = merges.charKey(cp);
      }
      const before = count === 0 ? -1 : this.key[count - 1]!;
      const cut = count === 0 || before < 0 || symbolKey < 0 || !merges.canJoin(before, symbolKey);
      if (cut && count >= BLOCK && !whole) break;
      if (count === this.start.length) this.reserve(count + 1);
      this.start[count] = pos;
      this.end[count] = pos + len;
      this.prev[count] = count - 1;
      this.next[count] = count + 1;
      this.key[count] = symbolKey;
      this.frozenId[count] = frozen;
      this.cutBefore[count] = cut ? 1 : 0;
      count++;
      pos += len;
    }
    const { start, end, next, frozenId, cutBefore } = this;
    next[count - 1] = -1;

    // 2. Merge. No pair across a cut can ever merge, so each stretch between
    // cuts is merged on its own, with a small heap; the result is the same as
    // one pass over the whole text. Not with UNUSED pieces, whose
    // resegmentation depends on the global queue order. A stretch's result
    // depends only on its text, so in long inputs repeated stretches (words,
    // JSON keys) reuse the first one's result (`memo`, for this call only).
    if (whole) {
      this.mergeRange(text, 0, count);
    } else {
      let from = 0;
      for (let i = 1; i <= count; i++) {
        if (i < count && cutBefore[i] === 0) continue;
        if (i - from > 1) {
          const stretch = memo !== null && end[i - 1]! - start[from]! <= MEMO_MAX_STRETCH ? text.slice(start[from], end[i - 1]) : null;
          const known = stretch === null ? undefined : memo!.get(stretch);
          if (known !== undefined) this.replay(from, i, count, known);
          else {
            this.mergeRange(text, from, i);
            if (stretch !== null) memo!.set(stretch, this.record(from, i));
          }
        }
        from = i;
      }
    }

    // 3–4. Ids.
    const types = this.vocab.types;
    for (let i = 0; i !== -1; i = next[i]!) {
      const id = frozenId[i]! >= 0 ? frozenId[i]! : this.outIdOfSymbol(text, i);
      const type = types[id];
      if (type === PieceType.NORMAL || type === PieceType.USER_DEFINED) {
        this.pushId(id);
        this.prevWasUnknown = false;
      } else if (type === PieceType.UNUSED) this.resegment(text.slice(start[i], end[i]));
      else this.emit(id, text, start[i]!, end[i]!);
    }
    return pos;
  }

  private pushId(id: number): void {
    if (this.idCount === this.ids.length) {
      const bigger = new Int32Array(this.ids.length * 2);
      bigger.set(this.ids);
      this.ids = bigger;
    }
    this.ids[this.idCount++] = id;
  }

  /**
   * The BPE loop over symbols [from, to): pop the best pair; skip it if
   * stale (its left symbol was merged away or a side grew since it was
   * queued); else merge and queue the new pairs with both neighbours.
   */
  private mergeRange(text: string, from: number, to: number): void {
    const { start, end, prev, next, key, heap } = this;
    heap.clear();
    this.from = from;
    this.to = to;
    for (let i = from + 1; i < to; i++) this.queuePair(text, i - 1, i, true);
    heap.heapify();
    while (heap.size > 0) {
      heap.pop();
      const left = heap.topLeft;
      const right = next[left]!;
      if (right < 0 || end[left] === start[left]) continue;
      if (end[right]! - start[left]! !== heap.topLength) continue;
      end[left] = end[right]!;
      key[left] = heap.topMerged;
      next[left] = next[right]!;
      if (next[right]! >= 0) prev[next[right]!] = left;
      end[right] = start[right]!;
      this.queuePair(text, prev[left]!, left);
      this.queuePair(text, left, next[left]!);
    }
  }

  /** The merged symbols of [from, to) as (length, key) pairs. */
  private record(from: number, to: number): Int32Array {
    const { start, end, key, next } = this;
    let n = 0;
    for (let i = from; i >= 0 && i < to; i = next[i]!) n++;
    const result = new Int32Array(2 * n);
    let k = 0;
    for (let i = from; i >= 0 && i < to; i = next[i]!) {
      result[k++] = end[i]! - start[i]!;
      result[k++] = key[i]!;
    }
    return result;
  }

  /** Lays out a recorded result over the unmerged symbols [from, to) of `count`. */
  private replay(from: number, to: number, count: number, result: Int32Array): void {
    const { start, end, key, prev, next } = this;
    let pos = start[from]!;
    const last = from + result.length / 2 - 1;
    for (let k = 0, i = from; i <= last; k += 2, i++) {
      start[i] = pos;
      pos += result[k]!;
      end[i] = pos;
      key[i] = result[k + 1]!;
      if (i > from) prev[i] = i - 1;
      next[i] = i < last ? i + 1 : to < count ? to : -1;
    }
    if (to < count) prev[to] = last;
  }

  /** SentencePiece's MaybeAddNewSymbolPair, for symbols inside the range being merged. */
  private queuePair(text: string, left: number, right: number, initial = false): void {
    if (left < this.from || right < 0 || right >= this.to) return;
    const { key, frozenId } = this;
    if (frozenId[left]! >= 0 || frozenId[right]! >= 0) return;
    const kl = key[left]!;
    const kr = key[right]!;
    if (kl < 0 || kr < 0) return;
    const merged = this.merges.merged(kl, kr);
    if (merged < 0) return;
    const { start, end } = this;
    // Since `left` and `right` are adjacent, the merged length is end[right] - start[left].
    const score = this.vocab.scores[merged]!;
    if (initial) this.heap.append(score, left, end[right]! - start[left]!, merged);
    else this.heap.push(score, left, end[right]! - start[left]!, merged);
    if (this.vocab.hasUnused && this.vocab.types[merged] === PieceType.UNUSED) {
      this.revMerge.set(text.slice(start[left], end[right]), [text.slice(start[left], end[left]), text.slice(start[right], end[right])]);
    }
  }

  private outIdOfSymbol(text: string, i: number): number {
    const k = this.key[i]!;
    const size = this.vocab.size;
    if (k >= size) return this.outIdOfExtra[k - size]!;
    if (k >= 0) return this.vocab.outId[k]!;
    if (this.reservedChars.size === 0) return this.vocab.unkId;
    return this.reservedChars.get(text.codePointAt(this.start[i]!)!) ?? this.vocab.unkId;
  }

  private resegment(piece: string): void {
    const id = this.vocab.pieceToId(piece);
    const parts = this.vocab.types[id] === PieceType.UNUSED ? this.revMerge.get(piece) : undefined;
    if (parts === undefined) {
      this.emit(id, piece, 0, piece.length);
      return;
    }
    this.resegment(parts[0]);
    this.resegment(parts[1]);
  }

  private emit(id: number, text: string, start: number, end: number): void {
    const type = this.vocab.types[id];
    if (type === PieceType.CONTROL) {
      // SentencePiece gives control pieces no surface, then finds the text not fully
      // consumed and fails (PopulateSentencePieceText); its Python binding returns [].
      throw new TokenizerError(
        "CONTROL_PIECE_IN_TEXT",
        `tokenizer: encode: ${JSON.stringify(text.slice(start, end))} is the text of control piece ${id} in this model, which SentencePiece refuses to encode`,
      );
    }
    if (type !== PieceType.UNKNOWN) {
      this.pushId(id);
      this.prevWasUnknown = false;
      return;
    }
    if (this.vocab.byteFallback) {
      const byteIds = this.vocab.byteIds;
      if (3 * (end - start) > this.utf8.length) this.utf8 = new Uint8Array(3 * (end - start));
      const bytes = this.utf8;
      const n = utf8Encode(text, start, end, bytes);
      for (let k = 0; k < n; k++) this.pushId(byteIds[bytes[k]!]!);
    } else if (!this.prevWasUnknown) this.pushId(id);
    this.prevWasUnknown = true;
  }

  /** Makes room for `n` symbols, keeping the current ones (or, with `shrink`, drops the buffers). */
  private reserve(n: number, shrink = false): void {
    if (this.start.length >= n && !shrink) return;
    const size = shrink ? 0 : Math.max(n, this.start.length * 2, 1024);
    const grown = (old: Int32Array) => {
      const a = new Int32Array(size);
      if (!shrink) a.set(old);
      return a;
    };
    this.start = grown(this.start);
    this.end = grown(this.end);
    this.prev = grown(this.prev);
    this.next = grown(this.next);
    this.key = grown(this.key);
    this.frozenId = grown(this.frozenId);
    const cut = new Uint8Array(size);
    if (!shrink) cut.set(this.cutBefore);
    this.cutBefore = cut;
  }
}
