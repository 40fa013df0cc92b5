// Which engine slot each checkpoint tensor fills. The numbers are the kinds
// of assembly/weights.ts; layout and orientation are decided there.

const GLOBAL_KINDS: Record<string, number> = {
  "embedding/embedding": 0,
  "encoder/final_norm/scale": 1,
  "decoder/ZCRMSNorm_0/scale": 2,
  "contrastive_hidden/kernel": 3,
  "contrastive_hidden/bias": 4,
  "contrastive_proj/kernel": 5,
};

const ENCODER_LAYER = "encoder/layers/EncoderBlock_0/";
const ENCODER_LAYER_KINDS: Record<string, number> = {
  attn_gate: 10,
  "ZCRMSNorm_0/scale": 11,
  "self_attn/q_proj/kernel": 12,
  "self_attn/k_proj/kernel": 13,
  "self_attn/v_proj/kernel": 14,
  "self_attn/q_norm/scale": 15,
  "self_attn/k_norm/scale": 16,
  "self_attn/out_proj/kernel": 17,
  ffn_gate: 18,
  "ZCRMSNorm_1/scale": 19,
  "FeedForward_0/gate_proj/kernel": 20,
  "FeedForward_0/up_proj/kernel": 21,
  "FeedForward_0/down_proj/kernel": 22,
};

const DECODER_LAYER = "decoder/layers/DecoderBlock_0/";
const DECODER_LAYER_KINDS: Record<string, number> = {
  self_attn_gate: 30,
  "ZCRMSNorm_0/scale": 31,
  "self_attn/q_proj/kernel": 32,
  "self_attn/k_proj/kernel": 33,
  "self_attn/v_proj/kernel": 34,
  "self_attn/q_norm/scale": 35,
  "self_attn/k_norm/scale": 36,
  "self_attn/out_proj/kernel": 37,
  cross_attn_gate: 38,
  "ZCRMSNorm_1/scale": 39,
  "cross_attn/q_proj/kernel": 40,
  "cross_attn/k_proj/kernel": 41,
  "cross_attn/v_proj/kernel": 42,
  "cross_attn/q_norm/scale": 43,
  "cross_attn/k_norm/scale": 44,
  "cross_attn/out_proj/kernel": 45,
  ffn_gate: 46,
  "ZCRMSNorm_2/scale": 47,
  "FeedForward_0/gate_proj/kernel": 48,
  "FeedForward_0/up_proj/kernel": 49,
  "FeedForward_0/down_proj/kernel": 50,
};

/** Tensors inference does not use (the contrastive loss temperature). */
const UNUSED = new Set(["log_temp"]);

export interface TensorSlot {
  /** The kind import_tensor takes. */
  readonly kind: number;
  /** True when the tensor is stacked on a leading layer axis. */
  readonly perLayer: boolean;
}

/** The slot a flax tensor name fills, null for tensors inference ignores, undefined if unknown. */
export function tensorSlot(name: string): TensorSlot | null | undefined {
  if (UNUSED.has(name)) return null;
  if (Object.hasOwn(GLOBAL_KINDS, name)) return { kind: GLOBAL_KINDS[name]!, perLayer: false };
  for (const [prefix, kinds] of [[ENCODER_LAYER, ENCODER_LAYER_KINDS], [DECODER_LAYER, DECODER_LAYER_KINDS]] as const) {
    if (name.startsWith(prefix)) {
      const rest = name.slice(prefix.length);
      if (Object.hasOwn(kinds, rest)) return { kind: kinds[rest]!, perLayer: true };
    }
  }
  return undefined;
}
