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
 * SentencePieceProcessor::Decode (sentencepiece_processor.cc, 0.1.97):
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

  constructor(
    private readonly vocab: Vocab,
    private readonly rules: DecodeRules,
  ) {
  }

  decode(ids: ArrayLike<number>): string {
    const { vocab } = this;
    // SentencePiece classifies a piece by PieceToId(IdToPiece(id)).
    const classId = vocab.outId;
    const { types, pieces } = vocab;
    const stripLeading = this.rules.addDummyPrefix || this.rules.removeExtraWhitespaces;
    let text = "";
    let isBosWs = true; // still expecting the dummy-prefix "▁" to remove
    let byteCount = 0;

    for (let k = 0; k < ids.length; k++) {
      const id = ids[k]!;
      if (!Number.isInteger(id) || id < 0 || id >= vocab.size) {
        throw new InputError("ID_OUT_OF_RANGE", `tokenizer: decode: id ${String(id)} at index ${k} is not an integer in [0, ${vocab.size})`);
      }
      const cls = classId[id]!;
      const type = types[cls]!;
      if (type === PieceType.BYTE) {
        if (byteCount === this.bytes.length) this.growBytes();
        this.bytes[byteCount++] = vocab.byteOfId[cls]!;
        continue;
      }
      if (byteCount > 0) {
        text += decodeUtf8Lenient(this.bytes, byteCount);
        byteCount = 0;
      }
      if (isBosWs && text.length > 0) isBosWs = false;

      let surface: string;
      let consumedBosWs = false;
      if (type === PieceType.CONTROL) surface = "";
      else if (type === PieceType.UNKNOWN) surface = this.rules.unkSurface;
      else {
        let piece = pieces[cls]!;
        if (isBosWs && stripLeading && piece.startsWith(SPACE_SYMBOL)) {
          piece = piece.slice(SPACE_SYMBOL.length);
          consumedBosWs = !this.rules.removeExtraWhitespaces;
        }
        surface = piece.replaceAll(SPACE_SYMBOL, " ");
      }
      text += surface;
      if (isBosWs && (surface.length > 0 || consumedBosWs)) isBosWs = false;
    }
    if (byteCount > 0) text += decodeUtf8Lenient(this.bytes, byteCount);
    return text;
  }

  private growBytes(): void {
    const bigger = new Uint8Array(this.bytes.length * 2);
    bigger.set(this.bytes);
    this.bytes = bigger;
  }
}
