import type { Tokenizer } from "../../../tokenizer/index.ts";
import { PIECE_BYTE, PIECE_NORMAL, type Needle2Tokenizer } from "../../needle2/tokenizer.ts";

/**
 * Every token's bytes as decode() writes them: a byte-fallback piece is its
 * one byte, "▁" a space, another piece its UTF-8; control, unknown and
 * unused pieces (and Needle 2's markers, such as `<tool_call>`) are empty
 * (the grammar never allows them). Built once per tokenizer and shared by
 * every call.
 */
export class TokenBytes {
  static readonly #cache = new WeakMap<Tokenizer | Needle2Tokenizer, TokenBytes>();
  readonly size: number;
  /** Bytes of token id i are data[start[i] .. start[i + 1]). */
  readonly start: Int32Array;
  readonly data: Uint8Array;
  /** The ids that write bytes, grouped by first byte: those starting with byte b are byFirst[firstStart[b] .. firstStart[b + 1]), ascending. */
  readonly byFirst: Int32Array;
  readonly firstStart: Int32Array;
  /** Whether every printable ASCII byte is some token's whole text, so any answer can be finished one byte per token. */
  readonly bytewise: boolean;

  /** Needle 1's tokenizer. */
  static for(tokenizer: Tokenizer): TokenBytes {
    return TokenBytes.#cached(tokenizer, () => {
      const utf8 = new TextEncoder();
      return tokenizer.tokenStrings().map((text, id) => {
        if (tokenizer.isControl(id) || tokenizer.isUnknown(id) || tokenizer.isUnused(id)) return new Uint8Array(0);
        return tokenizer.isByte(id) ? Uint8Array.of(text.charCodeAt(0)) : utf8.encode(text);
      });
    });
  }

  /** Needle 2's tokenizer: its markers (user-defined pieces) write nothing the grammar may take. */
  static forNeedle2(tokenizer: Needle2Tokenizer): TokenBytes {
    return TokenBytes.#cached(tokenizer, () => {
      const utf8 = new TextEncoder();
      return Array.from({ length: tokenizer.vocabSize }, (_, id) => {
        const type = tokenizer.pieceType(id);
        const piece = tokenizer.idToPiece(id);
        if (type === PIECE_BYTE) return Uint8Array.of(parseInt(piece.slice(3, 5), 16));
        return type === PIECE_NORMAL ? utf8.encode(piece.replaceAll("\u2581", " ")) : new Uint8Array(0);
      });
    });
  }

  static #cached(tokenizer: Tokenizer | Needle2Tokenizer, pieces: () => Uint8Array[]): TokenBytes {
    let table = TokenBytes.#cache.get(tokenizer);
    if (table === undefined) {
      table = new TokenBytes(pieces());
      TokenBytes.#cache.set(tokenizer, table);
    }
    return table;
  }

  private constructor(parts: readonly Uint8Array[]) {
    this.size = parts.length;
    this.start = new Int32Array(this.size + 1);
    let total = 0;
    parts.forEach((p, i) => {
      this.start[i] = total;
      total += p.length;
    });
    this.start[this.size] = total;
    this.data = new Uint8Array(total);
    parts.forEach((p, i) => this.data.set(p, this.start[i]!));
    const single = new Set(parts.filter((p) => p.length === 1).map((p) => p[0]!));
    let bytewise = true;
    for (let b = 0x20; b < 0x7f; b++) if (!single.has(b)) bytewise = false;
    this.bytewise = bytewise;
    this.firstStart = new Int32Array(257);
    parts.forEach((p) => {
      if (p.length > 0) this.firstStart[p[0]! + 1]!++;
    });
    for (let b = 0; b < 256; b++) this.firstStart[b + 1]! += this.firstStart[b]!;
    this.byFirst = new Int32Array(this.firstStart[256]!);
    const fill = this.firstStart.slice(0, 256);
    parts.forEach((p, id) => {
      if (p.length > 0) this.byFirst[fill[p[0]!]!++] = id;
    });
  }
}
