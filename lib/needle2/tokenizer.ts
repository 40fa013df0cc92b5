// Needle 2's tokenizer from the `.cact` RAW blob (export.py _tokenizer_blob /
// parse_tokenizer_blob / RefTokenizer): a SentencePiece BPE dump, encoded and
// decoded exactly as RefTokenizer does.
//
//   blob: u32 n_pieces, u32 pad, eos, bos, unk ids, u8 add_dummy_prefix,
//         u8 byte_fallback, u16 pad; then per id: f32 score, u8 type,
//         u16 length, UTF-8 piece.

import { CactError, InputError } from "../errors.ts";
import { PairHeap } from "../../tokenizer/pair-heap.ts";
import { toWellFormed } from "../../tokenizer/utf8.ts";

export const PIECE_NORMAL = 0;
export const PIECE_UNKNOWN = 1;
export const PIECE_CONTROL = 2;
export const PIECE_USER_DEFINED = 3;
export const PIECE_BYTE = 4;

const SPACE = "\u2581";
const HEADER_BYTES = 24;
const RECORD_BYTES = 7;
const BYTE_PIECE = /^<0x([0-9A-F]{2})>$/;

export interface TokenizerBlob {
  pieces: string[];
  scores: Float32Array;
  types: Uint8Array;
  padId: number;
  eosId: number;
  bosId: number;
  unkId: number;
  addDummyPrefix: boolean;
  byteFallback: boolean;
}

function fail(message: string): never {
  throw new CactError("cact_tokenizer", `.cact tokenizer: ${message}`);
}

/** Parses and checks the RAW tokenizer blob; `vocab` is the header's vocabulary size. */
export function parseTokenizerBlob(blob: Uint8Array, vocab: number): TokenizerBlob {
  if (blob.length < HEADER_BYTES) fail(`blob is ${blob.length} bytes, shorter than its ${HEADER_BYTES}-byte header`);
  const view = new DataView(blob.buffer, blob.byteOffset, blob.byteLength);
  const n = view.getUint32(0, true);
  if (n !== vocab) fail(`${n} pieces, the header's vocabulary is ${vocab}`);
  if (n * RECORD_BYTES > blob.length - HEADER_BYTES) fail(`${n} pieces cannot fit in ${blob.length} bytes`);
  const ids = [4, 8, 12, 16].map((at) => view.getUint32(at, true));
  for (const id of ids) if (id >= n) fail(`special id ${id} out of range for ${n} pieces`);
  const addDummy = view.getUint8(20);
  const byteFallback = view.getUint8(21);
  if (addDummy > 1 || byteFallback > 1 || view.getUint16(22, true) !== 0) fail("flags other than 0/1 or nonzero padding in the header");
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const pieces: string[] = new Array(n);
  const scores = new Float32Array(n);
  const types = new Uint8Array(n);
  let at = HEADER_BYTES;
  for (let i = 0; i < n; i++) {
    if (at + RECORD_BYTES > blob.length) fail(`piece ${i} runs past the blob's ${blob.length} bytes`);
    scores[i] = view.getFloat32(at, true);
    types[i] = view.getUint8(at + 4);
    const len = view.getUint16(at + 5, true);
    at += RECORD_BYTES;
    if (at + len > blob.length) fail(`piece ${i} runs past the blob's ${blob.length} bytes`);
    if (!Number.isFinite(scores[i]!)) fail(`piece ${i} has a non-finite score`);
    if (types[i]! > PIECE_BYTE) fail(`piece ${i} has type ${types[i]}, expected 0..4`);
    try {
      pieces[i] = decoder.decode(blob.subarray(at, at + len));
    } catch {
      fail(`piece ${i} is not valid UTF-8`);
    }
    if (len === 0 && types[i] !== PIECE_CONTROL && types[i] !== PIECE_UNKNOWN) fail(`piece ${i} is empty`);
    if (types[i] === PIECE_BYTE && !BYTE_PIECE.test(pieces[i]!)) fail(`byte piece ${i} is ${JSON.stringify(pieces[i])}, expected <0xXX>`);
    at += len;
  }
  if (at !== blob.length) fail(`${blob.length - at} bytes after the last piece`);
  return {
    pieces,
    scores,
    types,
    padId: ids[0]!,
    eosId: ids[1]!,
    bosId: ids[2]!,
    unkId: ids[3]!,
    addDummyPrefix: addDummy === 1,
    byteFallback: byteFallback === 1,
  };
}

/**
 * Encodes and decodes as RefTokenizer: markers (USER_DEFINED pieces) found
 * longest-first left to right; the text between them BPE'd from single code
 * points, always merging the adjacent pair whose concatenation is a piece of
 * highest score (leftmost on ties); unknown symbols become byte pieces (or
 * unk). A heap of candidate pairs makes it O(n log n); the order of merges is
 * the reference's.
 */
export class Needle2Tokenizer {
  readonly vocabSize: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;
  readonly unkId: number;
  private readonly blob: TokenizerBlob;
  private readonly ids = new Map<string, number>();
  private readonly byteIds = new Int32Array(256).fill(-1);
  /** Markers by first UTF-16 unit, longest (in code points) first. */
  private readonly markers = new Map<number, { text: string; id: number }[]>();
  private readonly heap = new PairHeap();
  private readonly utf8 = new TextEncoder();
  private readonly utf8Decoder = new TextDecoder();

  constructor(blob: TokenizerBlob) {
    this.blob = blob;
    this.vocabSize = blob.pieces.length;
    this.bosId = blob.bosId;
    this.eosId = blob.eosId;
    this.padId = blob.padId;
    this.unkId = blob.unkId;
    const marks: { text: string; id: number; len: number }[] = [];
    blob.pieces.forEach((p, i) => {
      this.ids.set(p, i);
      if (blob.types[i] === PIECE_BYTE) this.byteIds[parseInt(p.slice(3, 5), 16)] = i;
      if (blob.types[i] === PIECE_USER_DEFINED && p.length > 0) marks.push({ text: p, id: i, len: [...p].length });
    });
    // Python's sorted(key=len, reverse=True) is stable: equal lengths keep id order.
    marks.sort((a, b) => b.len - a.len);
    for (const m of marks) {
      const first = m.text.charCodeAt(0);
      const list = this.markers.get(first) ?? [];
      list.push(m);
      this.markers.set(first, list);
    }
    // p2id maps a duplicated piece to its last id; markers use that id too.
    for (const list of this.markers.values()) for (const m of list) m.id = this.ids.get(m.text)!;
  }

  /** Ids of `text` (no BOS/EOS), as RefTokenizer.encode. */
  encode(text: string): number[] {
    if (text.length === 0) return [];
    let esc = toWellFormed(text).replaceAll(" ", SPACE);
    if (this.blob.addDummyPrefix) esc = SPACE + esc;
    const out: number[] = [];
    let segStart = 0;
    let i = 0;
    while (i < esc.length) {
      const marker = this.markerAt(esc, i);
      if (marker) {
        this.bpe(esc.slice(segStart, i), out);
        out.push(marker.id);
        i += marker.text.length;
        segStart = i;
      } else {
        i++;
      }
    }
    this.bpe(esc.slice(segStart), out);
    return out;
  }

  private markerAt(text: string, at: number): { text: string; id: number } | undefined {
    const list = this.markers.get(text.charCodeAt(at));
    return list?.find((m) => text.startsWith(m.text, at));
  }

  private bpe(seg: string, out: number[]): void {
    if (seg.length === 0) return;
    // Symbols: UTF-16 ranges [start, end); merged-away symbols have end = -1.
    const start: number[] = [];
    const end: number[] = [];
    for (let i = 0; i < seg.length; ) {
      const c = seg.codePointAt(i)!;
      const w = c > 0xffff ? 2 : 1;
      start.push(i);
      end.push(i + w);
      i += w;
    }
    const count = start.length;
    const next = Array.from({ length: count }, (_, k) => (k + 1 < count ? k + 1 : -1));
    const prev = Array.from({ length: count }, (_, k) => k - 1);
    const heap = this.heap;
    heap.clear();
    const offer = (left: number): void => {
      if (left < 0) return;
      const right = next[left]!;
      if (right < 0) return;
      const id = this.ids.get(seg.slice(start[left]!, end[right]!));
      if (id !== undefined) heap.push(this.blob.scores[id]!, left, end[right]! - start[left]!, id);
    };
    for (let k = 0; k + 1 < count; k++) offer(k);
    while (heap.size > 0) {
      heap.pop();
      const left = heap.topLeft;
      const right = next[left]!;
      if (end[left] === -1 || right < 0 || end[right]! - start[left]! !== heap.topLength) continue;
      end[left] = end[right]!;
      end[right] = -1;
      next[left] = next[right]!;
      if (next[left]! >= 0) prev[next[left]!] = left;
      offer(prev[left]!);
      offer(left);
    }
    heap.release(1 << 16);
    for (let k = 0; k >= 0; k = next[k]!) {
      const sym = seg.slice(start[k]!, end[k]!);
      const id = this.ids.get(sym);
      if (id !== undefined) {
        out.push(id);
      } else if (this.blob.byteFallback) {
        for (const b of this.utf8.encode(sym)) out.push(this.byteIds[b]! >= 0 ? this.byteIds[b]! : this.unkId);
      } else {
        out.push(this.unkId);
      }
    }
  }

  /** Text of `ids`, as RefTokenizer.decode. */
  decode(ids: ArrayLike<number>): string {
    const parts: Uint8Array[] = [];
    let total = 0;
    const bytes: number[] = [];
    const flush = (): void => {
      if (bytes.length) {
        parts.push(Uint8Array.from(bytes));
        total += bytes.length;
        bytes.length = 0;
      }
    };
    for (let k = 0; k < ids.length; k++) {
      const id = ids[k]!;
      if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) throw new InputError("TOKEN_ID_RANGE", `decode: id ${id} is not in 0..${this.vocabSize - 1}`);
      const type = this.blob.types[id];
      const piece = this.blob.pieces[id]!;
      if (type === PIECE_BYTE) bytes.push(parseInt(piece.slice(3, 5), 16));
      else if (type === PIECE_CONTROL || type === PIECE_UNKNOWN) continue;
      else {
        flush();
        const enc = this.utf8.encode(piece);
        parts.push(enc);
        total += enc.length;
      }
    }
    flush();
    const all = new Uint8Array(total);
    let at = 0;
    for (const p of parts) {
      all.set(p, at);
      at += p.length;
    }
    let text = this.utf8Decoder.decode(all).replaceAll(SPACE, " ");
    if (this.blob.addDummyPrefix && text.startsWith(" ")) text = text.slice(1);
    return text;
  }

  /** The piece text of one id. */
  idToPiece(id: number): string {
    return this.blob.pieces[id] ?? "";
  }

  /** The id of a piece (its last id where the piece is duplicated, as p2id), or -1. */
  pieceToId(piece: string): number {
    return this.ids.get(piece) ?? -1;
  }

  /** The piece's type (PIECE_NORMAL … PIECE_BYTE) of one id. */
  pieceType(id: number): number {
    return this.blob.types[id]!;
  }
}
