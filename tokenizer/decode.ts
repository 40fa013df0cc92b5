import { InputError } from "../lib/errors.ts";
import { PieceType } from "./model.ts";
import { SPACE_SYMBOL } from "./normalize.ts";
import { decodeUtf8Lenient } from "./utf8.ts";
import type { Vocab } from "./vocab.ts";

/** What decoding needs from the model besides the pieces. */
export interface DecodeRules {
  addDummyPrefix: boolean;
  removeExtraWhitespaces: boolean;
  /** TrainerSpec.unk_surface, default " \u2047 ". */
  unkSurface: string;
}

/**
 * SentencePieceProcessor::Decode (sentencepiece_processor.cc) as 0.1.97
 * behaves (checked against it by tests/tokenizer-diff.test.ts):
 * - control pieces decode to nothing, the unknown piece to `unk_surface`;
 * - consecutive byte pieces are joined and decoded as UTF-8, each invalid
 *   byte as U+FFFD;
 * - other pieces decode to their text with "▁" as " ";
 * - while the output is still empty, one leading "▁" is removed from each
 *   piece (only if add_dummy_prefix or remove_extra_whitespaces); with
 *   remove_extra_whitespaces this goes on until some piece yields text,
 *   without it it stops after the first removal.
 */
export class Decoder {
  private bytes = new Uint8Array(64);
  /** Per id: its text when not a byte piece ("▁" as " "; "" for control, unk_surface for unknown). Built on first use. */
  private surfaces: string[] | null = null;

  constructor(
    private readonly vocab: Vocab,
    private readonly rules: DecodeRules,
  ) {}

  decode(ids: ArrayLike<number>): string {
    if (ids === null || typeof ids !== "object" || typeof ids.length !== "number") {
      throw new InputError("BAD_IDS", `decode takes an array of token ids, got ${ids === null ? "null" : typeof ids}`);
    }
    const { vocab } = this;
    // SentencePiece classifies a piece by PieceToId(IdToPiece(id)).
    const classId = vocab.outId;
    const { types, pieces, byteOfId } = vocab;
    const surfaces = (this.surfaces ??= this.buildSurfaces());
    const stripLeading = this.rules.addDummyPrefix || this.rules.removeExtraWhitespaces;
    const parts: string[] = [];
    let hasText = false;
    let isBosWs = true; // still expecting the dummy-prefix "▁" to remove
    let byteCount = 0;

    for (let k = 0; k < ids.length; k++) {
      const id = ids[k]!;
      if (!Number.isInteger(id) || id < 0 || id >= vocab.size) {
        throw new InputError("ID_OUT_OF_RANGE", `tokenizer: decode: id ${String(id)} at index ${k} is not an integer in [0, ${vocab.size})`);
      }
      const cls = classId[id]!;
      if (types[cls] === PieceType.BYTE) {
        if (byteCount === this.bytes.length) this.growBytes();
        this.bytes[byteCount++] = byteOfId[cls]!;
        continue;
      }
      if (byteCount > 0) {
        parts.push(decodeUtf8Lenient(this.bytes, byteCount));
        byteCount = 0;
        hasText = true;
      }
      let surface = surfaces[cls]!;
      if (isBosWs) {
        if (hasText) isBosWs = false;
        else {
          let consumedBosWs = false;
          if (stripLeading && types[cls] !== PieceType.CONTROL && types[cls] !== PieceType.UNKNOWN && pieces[cls]!.startsWith(SPACE_SYMBOL)) {
            surface = surface.slice(1); // the "▁" became one " "
            consumedBosWs = !this.rules.removeExtraWhitespaces;
          }
          if (surface.length > 0 || consumedBosWs) isBosWs = false;
        }
      }
      if (surface.length > 0) {
        parts.push(surface);
        hasText = true;
      }
    }
    if (byteCount > 0) parts.push(decodeUtf8Lenient(this.bytes, byteCount));
    return parts.join("");
  }

  private buildSurfaces(): string[] {
    const { pieces, types } = this.vocab;
    return pieces.map((piece, id) => {
      const type = types[id];
      if (type === PieceType.CONTROL || type === PieceType.BYTE) return "";
      if (type === PieceType.UNKNOWN) return this.rules.unkSurface;
      return piece.replaceAll(SPACE_SYMBOL, " ");
    });
  }

  private growBytes(): void {
    const bigger = new Uint8Array(this.bytes.length * 2);
    bigger.set(this.bytes);
    this.bytes = bigger;
  }
}
