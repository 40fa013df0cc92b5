import { TokenizerError } from "../lib/errors.ts";
import { WireReader, WireType } from "./proto.ts";
import { decodeUtf8Strict } from "./utf8.ts";

/**
 * SentencePiece's ModelProto (sentencepiece_model.proto, proto2), reduced to
 * the fields that change how text is encoded or decoded. Field numbers and
 * defaults are the .proto's; fields we do not need are skipped unread.
 */

/** ModelProto.SentencePiece.Type */
export const PieceType = {
  NORMAL: 1,
  UNKNOWN: 2,
  CONTROL: 3,
  USER_DEFINED: 4,
  UNUSED: 5,
  BYTE: 6,
} as const;

/** TrainerSpec.ModelType */
export const ModelType = { UNIGRAM: 1, BPE: 2, WORD: 3, CHAR: 4 } as const;

const MODEL_TYPE_NAMES: Record<number, string> = { 1: "UNIGRAM", 2: "BPE", 3: "WORD", 4: "CHAR" };

export function modelTypeName(type: number): string {
  return MODEL_TYPE_NAMES[type] ?? `unknown (${type})`;
}

export interface TrainerSpec {
  /** Default UNIGRAM when the field (or the whole trainer_spec) is absent. */
  modelType: number;
  byteFallback: boolean;
  treatWhitespaceAsSuffix: boolean;
  /** Ids recorded at training time; the tokenizer reports ids found by piece name, as SentencePiece does. */
  unkId: number;
  bosId: number;
  eosId: number;
  padId: number;
  /** Empty means "use the default name" (SentencePiece's RETURN_PIECE). */
  unkPiece: string;
  bosPiece: string;
  eosPiece: string;
  padPiece: string;
  /** What `<unk>` decodes to; null when the field is absent (then " \u2047 "). */
  unkSurface: string | null;
}

export interface NormalizerSpec {
  name: string;
  /** Bytes of the compiled normalization rules; 0 for the identity rule. */
  precompiledCharsmapLength: number;
  addDummyPrefix: boolean;
  removeExtraWhitespaces: boolean;
  escapeWhitespaces: boolean;
}

export interface ModelProto {
  /** Per id: piece text, score, type. */
  pieces: string[];
  scores: Float32Array;
  types: Uint8Array;
  trainerSpec: TrainerSpec;
  normalizerSpec: NormalizerSpec;
  /** Present only when the file has field 5. */
  denormalizerSpec: NormalizerSpec | null;
}

function defaultTrainerSpec(): TrainerSpec {
  return {
    modelType: ModelType.UNIGRAM,
    byteFallback: false,
    treatWhitespaceAsSuffix: false,
    unkId: 0,
    bosId: 1,
    eosId: 2,
    padId: -1,
    unkPiece: "",
    bosPiece: "",
    eosPiece: "",
    padPiece: "",
    unkSurface: null,
  };
}

function defaultNormalizerSpec(): NormalizerSpec {
  return { name: "", precompiledCharsmapLength: 0, addDummyPrefix: true, removeExtraWhitespaces: true, escapeWhitespaces: true };
}

/**
 * A string field, which must be valid UTF-8. (SentencePiece's proto2 parser
 * does not check; a piece that is not UTF-8 could never match text anyway, so
 * such a file is treated as corrupt.)
 */
function readString(r: WireReader, fieldName: string): string {
  r.expect(WireType.LEN, fieldName);
  const [start, end] = r.lengthDelimited();
  const text = decodeUtf8Strict(r.bytes, start, end);
  if (text === null) throw new TokenizerError("BAD_UTF8", `tokenizer: ${r.where}.${fieldName} at byte ${start} is not valid UTF-8`);
  return text;
}

function readInt32(r: WireReader, fieldName: string): number {
  r.expect(WireType.VARINT, fieldName);
  return r.int32();
}

function readBool(r: WireReader, fieldName: string): boolean {
  r.expect(WireType.VARINT, fieldName);
  return r.bool();
}

/** Parses a serialized ModelProto. Repeated occurrences of a message field merge, as in protobuf. */
export function parseModelProto(bytes: Uint8Array): ModelProto {
  const pieces: string[] = [];
  const scores: number[] = [];
  const types: number[] = [];
  const trainerSpec = defaultTrainerSpec();
  const normalizerSpec = defaultNormalizerSpec();
  let denormalizerSpec: NormalizerSpec | null = null;

  const r = new WireReader(bytes);
  while (r.nextTag()) {
    switch (r.field) {
      case 1: // repeated SentencePiece pieces
        r.expect(WireType.LEN, "pieces");
        readPiece(r.message(`ModelProto.pieces[${pieces.length}]`), pieces, scores, types);
        break;
      case 2: // optional TrainerSpec trainer_spec
        r.expect(WireType.LEN, "trainer_spec");
        readTrainerSpec(r.message("ModelProto.trainer_spec"), trainerSpec);
        break;
      case 3: // optional NormalizerSpec normalizer_spec
        r.expect(WireType.LEN, "normalizer_spec");
        readNormalizerSpec(r.message("ModelProto.normalizer_spec"), normalizerSpec);
        break;
      case 5: // optional NormalizerSpec denormalizer_spec
        r.expect(WireType.LEN, "denormalizer_spec");
        denormalizerSpec ??= defaultNormalizerSpec();
        readNormalizerSpec(r.message("ModelProto.denormalizer_spec"), denormalizerSpec);
        break;
      default: // 4 self_test_data, extensions, unknown fields
        r.skip();
    }
  }
  return {
    pieces,
    scores: Float32Array.from(scores),
    types: Uint8Array.from(types),
    trainerSpec,
    normalizerSpec,
    denormalizerSpec,
  };
}

function readPiece(r: WireReader, pieces: string[], scores: number[], types: number[]): void {
  let piece = "";
  let score = 0;
  let type: number = PieceType.NORMAL;
  while (r.nextTag()) {
    switch (r.field) {
      case 1:
        piece = readString(r, "piece");
        break;
      case 2:
        r.expect(WireType.FIXED32, "score");
        score = r.float32();
        break;
      case 3:
        type = readInt32(r, "type");
        if (type < PieceType.NORMAL || type > PieceType.BYTE) {
          throw new TokenizerError("UNSUPPORTED_PIECE_TYPE", `tokenizer: ${r.where} has piece type ${type}, which SentencePiece does not define`);
        }
        break;
      default:
        r.skip();
    }
  }
  pieces.push(piece);
  scores.push(score);
  types.push(type);
}

function readTrainerSpec(r: WireReader, spec: TrainerSpec): void {
  while (r.nextTag()) {
    switch (r.field) {
      case 3:
        spec.modelType = readInt32(r, "model_type");
        break;
      case 24:
        spec.treatWhitespaceAsSuffix = readBool(r, "treat_whitespace_as_suffix");
        break;
      case 35:
        spec.byteFallback = readBool(r, "byte_fallback");
        break;
      case 40:
        spec.unkId = readInt32(r, "unk_id");
        break;
      case 41:
        spec.bosId = readInt32(r, "bos_id");
        break;
      case 42:
        spec.eosId = readInt32(r, "eos_id");
        break;
      case 43:
        spec.padId = readInt32(r, "pad_id");
        break;
      case 44:
        spec.unkSurface = readString(r, "unk_surface");
        break;
      case 45:
        spec.unkPiece = readString(r, "unk_piece");
        break;
      case 46:
        spec.bosPiece = readString(r, "bos_piece");
        break;
      case 47:
        spec.eosPiece = readString(r, "eos_piece");
        break;
      case 48:
        spec.padPiece = readString(r, "pad_piece");
        break;
      default: // training-only options (input, vocab_size, split_*, ...)
        r.skip();
    }
  }
}

function readNormalizerSpec(r: WireReader, spec: NormalizerSpec): void {
  while (r.nextTag()) {
    switch (r.field) {
      case 1:
        spec.name = readString(r, "name");
        break;
      case 2: {
        r.expect(WireType.LEN, "precompiled_charsmap");
        const [start, end] = r.lengthDelimited();
        spec.precompiledCharsmapLength = end - start;
        break;
      }
      case 3:
        spec.addDummyPrefix = readBool(r, "add_dummy_prefix");
        break;
      case 4:
        spec.removeExtraWhitespaces = readBool(r, "remove_extra_whitespaces");
        break;
      case 5:
        spec.escapeWhitespaces = readBool(r, "escape_whitespaces");
        break;
      default: // 6 normalization_rule_tsv (training input only), extensions
        r.skip();
    }
  }
}
