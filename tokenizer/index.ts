import { InputError, TokenizerError } from "../lib/errors.ts";
import { readSource, type Source, type SourceOptions } from "../lib/load/source.ts";
import { BpeEncoder } from "./bpe.ts";
import { Decoder } from "./decode.ts";
import { PrefixMatcher } from "./matcher.ts";
import { MergeTable } from "./merges.ts";
import { parseModelProto, PieceType } from "./model.ts";
import { normalize, SPACE_SYMBOL, type WhitespaceRules } from "./normalize.ts";
import { assertSupported } from "./support.ts";
import { toWellFormed } from "./utf8.ts";
import { Vocab } from "./vocab.ts";

export { PieceType } from "./model.ts";

const DEFAULT_UNK_SURFACE = " \u2047 ";

/**
 * A SentencePiece BPE tokenizer read from a `.model` file, encoding and
 * decoding exactly as SentencePiece 0.1.97 does for models with identity
 * normalization (Needle's `needle.model`). No runtime dependencies.
 *
 * ```ts
 * const tok = await Tokenizer.load("needle.model");
 * tok.encode("What is the weather in Paris?"); // number[], no BOS/EOS
 * tok.decode(ids);
 * ```
 */
export class Tokenizer {
  /** Number of pieces; ids are 0 … vocabSize - 1. */
  readonly vocabSize: number;
  /** Ids of the pieces the trainer spec names (`<unk>`, `<s>`, `</s>`, `<pad>` by default), or -1. */
  readonly unkId: number;
  readonly bosId: number;
  readonly eosId: number;
  readonly padId: number;

  private readonly vocab: Vocab;
  private readonly rules: WhitespaceRules;
  private readonly matcher: PrefixMatcher | null;
  /** True when a user-defined symbol contains U+0020, which needs the unit-by-unit normalizer. */
  private readonly symbolsHaveSpaces: boolean;
  private readonly encoder: BpeEncoder;
  private readonly decoder: Decoder;
  private tokenStringTable: readonly string[] | null = null;

  private constructor(bytes: Uint8Array) {
    if (bytes.length === 0) throw new TokenizerError("EMPTY_MODEL", "tokenizer: the model file is empty");
    const proto = parseModelProto(bytes);
    assertSupported(proto);
    const vocab = new Vocab(proto);
    this.vocab = vocab;
    this.vocabSize = vocab.size;
    const norm = proto.normalizerSpec;
    const trainer = proto.trainerSpec;
    this.rules = {
      addDummyPrefix: norm.addDummyPrefix,
      removeExtraWhitespaces: norm.removeExtraWhitespaces,
      escapeWhitespaces: norm.escapeWhitespaces,
      treatWhitespaceAsSuffix: trainer.treatWhitespaceAsSuffix,
    };
    this.matcher = vocab.userDefined.length === 0 ? null : new PrefixMatcher(vocab.userDefined, vocab.userDefined.map((p) => vocab.pieceToId(p)));
    this.symbolsHaveSpaces = vocab.userDefined.some((p) => p.includes(" "));
    this.encoder = new BpeEncoder(vocab, new MergeTable(vocab), this.matcher);
    this.decoder = new Decoder(vocab, {
      addDummyPrefix: norm.addDummyPrefix,
      removeExtraWhitespaces: norm.removeExtraWhitespaces,
      unkSurface: trainer.unkSurface ?? DEFAULT_UNK_SURFACE,
    });
    // As SentencePieceProcessor::unk_id()/bos_id()/…: the id of the named piece, if it has the right type.
    const idOfNamed = (name: string, fallback: string, type: number) => {
      const id = vocab.pieceToId(name || fallback);
      return vocab.types[id] === type ? id : -1;
    };
    this.unkId = idOfNamed(trainer.unkPiece, "<unk>", PieceType.UNKNOWN);
    this.bosId = idOfNamed(trainer.bosPiece, "<s>", PieceType.CONTROL);
    this.eosId = idOfNamed(trainer.eosPiece, "</s>", PieceType.CONTROL);
    this.padId = idOfNamed(trainer.padPiece, "<pad>", PieceType.CONTROL);
  }

  /**
   * Reads a `.model` file from any source `readSource` accepts (path, URL,
   * ArrayBuffer, Uint8Array, Response, …); `options` go to `readSource`
   * (progress events, caching).
   */
  static async load(source: Source, options: SourceOptions = {}): Promise<Tokenizer> {
    return new Tokenizer(await readSource(source, "tokenizer", options));
  }

  /** Parses the bytes of a `.model` file (a serialized SentencePiece ModelProto). */
  static fromBytes(bytes: Uint8Array | ArrayBuffer | ArrayBufferView): Tokenizer {
    if (bytes instanceof Uint8Array) return new Tokenizer(bytes);
    if (bytes instanceof ArrayBuffer) return new Tokenizer(new Uint8Array(bytes));
    if (ArrayBuffer.isView(bytes)) return new Tokenizer(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    throw new InputError("BAD_SOURCE", "tokenizer: fromBytes expects a Uint8Array, ArrayBuffer or typed array");
  }

  /**
   * Ids of `text`, as SentencePiece's `encode(text)`: no BOS/EOS. Lone
   * surrogates are read as U+FFFD (the UTF-8 that TextEncoder would write).
   */
  encode(text: string): number[] {
    if (typeof text !== "string") throw new InputError("BAD_TEXT", `tokenizer: encode expects a string, got ${typeof text}`);
    return this.encoder.encode(normalize(toWellFormed(text), this.rules, this.matcher, this.symbolsHaveSpaces));
  }

  /** Text of `ids`, as SentencePiece's `decode(ids)`. Throws InputError for an id out of range. */
  decode(ids: ArrayLike<number>): string {
    return this.decoder.decode(ids);
  }

  /** The piece text of an id (byte pieces as `<0xXX>`, spaces as "▁"). */
  idToPiece(id: number): string {
    return this.vocab.pieces[this.checkId(id, "idToPiece")]!;
  }

  /** The id of a piece text; like SentencePiece, the unknown id when there is no such piece. */
  pieceToId(piece: string): number {
    return this.vocab.pieceToId(piece);
  }

  /** True when `piece` is in the vocabulary (pieceToId would not fall back to the unknown id). */
  hasPiece(piece: string): boolean {
    return this.vocab.normalIds.has(piece) || this.vocab.reservedIds.has(piece);
  }

  /** The score recorded for a piece (merge priority for BPE). */
  score(id: number): number {
    return this.vocab.scores[this.checkId(id, "score")]!;
  }

  isControl(id: number): boolean {
    return this.typeOf(id, "isControl") === PieceType.CONTROL;
  }

  isUnknown(id: number): boolean {
    return this.typeOf(id, "isUnknown") === PieceType.UNKNOWN;
  }

  isByte(id: number): boolean {
    return this.typeOf(id, "isByte") === PieceType.BYTE;
  }

  isUserDefined(id: number): boolean {
    return this.typeOf(id, "isUserDefined") === PieceType.USER_DEFINED;
  }

  isUnused(id: number): boolean {
    return this.typeOf(id, "isUnused") === PieceType.UNUSED;
  }

  /**
   * The text each id contributes to the output, for constrained decoding:
   * "▁" → " ", a byte piece → the one character whose code point is that
   * byte (as Python's chr(byte)), control and unknown pieces → "".
   */
  tokenStrings(): readonly string[] {
    if (this.tokenStringTable === null) {
      const { pieces, types, byteOfId } = this.vocab;
      this.tokenStringTable = Object.freeze(
        pieces.map((piece, id) => {
          const type = types[id];
          if (type === PieceType.CONTROL || type === PieceType.UNKNOWN) return "";
          if (type === PieceType.BYTE) return String.fromCharCode(byteOfId[id]!);
          return piece.replaceAll(SPACE_SYMBOL, " ");
        }),
      );
    }
    return this.tokenStringTable;
  }

  private typeOf(id: number, what: string): number {
    return this.vocab.types[this.checkId(id, what)]!;
  }

  private checkId(id: number, what: string): number {
    if (!Number.isInteger(id) || id < 0 || id >= this.vocabSize) {
      throw new InputError("ID_OUT_OF_RANGE", `tokenizer: ${what}: id ${String(id)} is not an integer in [0, ${this.vocabSize})`);
    }
    return id;
  }
}
