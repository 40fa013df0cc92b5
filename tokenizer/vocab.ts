import { TokenizerError } from "../lib/errors.ts";
import { PieceType, type ModelProto } from "./model.ts";

/** SentencePiece's byte piece names: "<0x00>" … "<0xFF>", upper-case hex (model_interface.cc ByteToPiece). */
export function byteToPiece(byte: number): string {
  return `<0x${byte.toString(16).toUpperCase().padStart(2, "0")}>`;
}

const BYTE_PIECE = /^<0x([0-9A-F]{2})>$/;

/** The byte a piece name stands for, or -1 (model_interface.cc PieceToByte). */
export function pieceToByte(piece: string): number {
  const m = BYTE_PIECE.exec(piece);
  return m ? parseInt(m[1]!, 16) : -1;
}

/**
 * The piece table with SentencePiece's lookups, built and checked the way
 * model_interface.cc InitializePieces does: NORMAL, USER_DEFINED and UNUSED
 * pieces go in one map, CONTROL, UNKNOWN and BYTE pieces in a reserved map
 * that PieceToId consults first; exactly one UNKNOWN piece; byte pieces only
 * with byte_fallback, and then all 256 of them.
 */
export class Vocab {
  readonly size: number;
  readonly pieces: readonly string[];
  readonly scores: Float32Array;
  readonly types: Uint8Array;
  /** NORMAL, USER_DEFINED and UNUSED pieces by text (SentencePiece's `pieces_`). */
  readonly normalIds = new Map<string, number>();
  /** CONTROL, UNKNOWN and BYTE pieces by text (SentencePiece's `reserved_id_map_`). */
  readonly reservedIds = new Map<string, number>();
  /** Id of the one UNKNOWN piece. */
  readonly unkId: number;
  readonly byteFallback: boolean;
  /** byte → id of its `<0xXX>` piece, or -1 without byte fallback. */
  readonly byteIds = new Int32Array(256).fill(-1);
  /** id → the byte a BYTE piece stands for, or -1. */
  readonly byteOfId: Int16Array;
  /** USER_DEFINED piece texts, matched whole before BPE. */
  readonly userDefined: string[] = [];
  readonly hasUnused: boolean;
  /**
   * id → PieceToId(IdToPiece(id)). Equal to id unless a reserved piece has
   * the same text as a normal one; SentencePiece then reports the reserved
   * id when encoding and classifies by it when decoding.
   */
  readonly outId: Int32Array;

  constructor(proto: ModelProto) {
    const { pieces, types } = proto;
    this.size = pieces.length;
    this.pieces = pieces;
    this.scores = proto.scores;
    this.types = types;
    this.byteFallback = proto.trainerSpec.byteFallback;
    this.byteOfId = new Int16Array(this.size).fill(-1);
    let unkId = -1;
    let hasUnused = false;
    let bytesFound = 0;

    for (let id = 0; id < this.size; id++) {
      const piece = pieces[id]!;
      const type = types[id]!;
      if (piece.length === 0) throw new TokenizerError("EMPTY_PIECE", `tokenizer: piece ${id} is empty`);
      if (piece.includes("\0")) throw new TokenizerError("NUL_IN_PIECE", `tokenizer: piece ${id} contains a NUL character`);
      const isNormal = type === PieceType.NORMAL || type === PieceType.USER_DEFINED || type === PieceType.UNUSED;
      const map = isNormal ? this.normalIds : this.reservedIds;
      const sizeBefore = map.size;
      map.set(piece, id);
      if (map.size === sizeBefore) {
        throw new TokenizerError("DUPLICATE_PIECE", `tokenizer: piece ${id} ${JSON.stringify(piece)} is already defined by an earlier piece`);
      }
      if (type === PieceType.USER_DEFINED) this.userDefined.push(piece);
      if (type === PieceType.UNUSED) hasUnused = true;
      if (type === PieceType.UNKNOWN) {
        if (unkId >= 0) throw new TokenizerError("DUPLICATE_UNKNOWN", `tokenizer: pieces ${unkId} and ${id} are both of type UNKNOWN`);
        unkId = id;
      }
      if (type === PieceType.BYTE) {
        if (!this.byteFallback) {
          throw new TokenizerError("BYTE_PIECE_WITHOUT_FALLBACK", `tokenizer: byte piece ${piece} (id ${id}) found although byte_fallback is false`);
        }
        const byte = pieceToByte(piece);
        if (byte < 0) throw new TokenizerError("BAD_BYTE_PIECE", `tokenizer: piece ${id} has type BYTE but ${JSON.stringify(piece)} is not <0xXX>`);
        this.byteOfId[id] = byte;
        bytesFound++;
      }
    }
    if (unkId < 0) throw new TokenizerError("NO_UNKNOWN_PIECE", "tokenizer: the model has no piece of type UNKNOWN");
    this.unkId = unkId;
    this.hasUnused = hasUnused;
    if (this.byteFallback) {
      // Duplicates were rejected above, so 256 byte pieces means every byte has one.
      if (bytesFound !== 256) {
        throw new TokenizerError("MISSING_BYTE_PIECES", `tokenizer: byte_fallback is on but the model has ${bytesFound} byte pieces, not 256`);
      }
      for (let b = 0; b < 256; b++) this.byteIds[b] = this.pieceToId(byteToPiece(b));
    }
    this.outId = new Int32Array(this.size);
    for (let id = 0; id < this.size; id++) this.outId[id] = id;
    for (const [piece, reservedId] of this.reservedIds) {
      const normalId = this.normalIds.get(piece);
      if (normalId !== undefined) this.outId[normalId] = reservedId;
    }
  }

  /** SentencePiece's PieceToId: reserved pieces first, then normal ones, else the unknown id. */
  pieceToId(piece: string): number {
    return this.reservedIds.get(piece) ?? this.normalIds.get(piece) ?? this.unkId;
  }
}
