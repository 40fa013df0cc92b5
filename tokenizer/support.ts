import { TokenizerError } from "../lib/errors.ts";
import { ModelType, modelTypeName, type ModelProto } from "./model.ts";

/**
 * Rejects models this tokenizer would encode differently from SentencePiece:
 * - any model type but BPE (a missing model_type means UNIGRAM, the .proto default);
 * - a normalizer with compiled rules (non-empty precompiled_charsmap, e.g.
 *   nmt_nfkc): we implement only identity normalization. The rule name alone
 *   changes nothing in SentencePiece, so it is not checked;
 * - a denormalizer with compiled rules (applied by SentencePiece after decoding).
 * Trainer options that only steer training (split_digits, split_by_*,
 * allow_whitespace_only_pieces, max_sentencepiece_length, …) do not affect
 * BPE encoding and are ignored; treat_whitespace_as_suffix and byte_fallback
 * are implemented. tests/tokenizer-diff.test.ts checks all of these against
 * SentencePiece on models trained with them.
 */
export function assertSupported(proto: ModelProto): void {
  const { modelType } = proto.trainerSpec;
  if (modelType !== ModelType.BPE) {
    throw new TokenizerError(
      "UNSUPPORTED_MODEL_TYPE",
      `tokenizer: model type ${modelTypeName(modelType)} is not supported; only SentencePiece BPE models (model_type=bpe) are`,
    );
  }
  const norm = proto.normalizerSpec;
  if (norm.precompiledCharsmapLength > 0) {
    throw new TokenizerError(
      "UNSUPPORTED_NORMALIZER",
      `tokenizer: the model's normalizer${norm.name ? ` "${norm.name}"` : ""} has compiled rules (${norm.precompiledCharsmapLength} bytes); only the identity normalizer (normalization_rule_name=identity) is supported`,
    );
  }
  const denorm = proto.denormalizerSpec;
  if (denorm !== null && denorm.precompiledCharsmapLength > 0) {
    throw new TokenizerError(
      "UNSUPPORTED_DENORMALIZER",
      `tokenizer: the model has a denormalizer with compiled rules (${denorm.precompiledCharsmapLength} bytes), which is not supported`,
    );
  }
}
