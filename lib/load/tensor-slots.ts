// Which engine slot each checkpoint tensor fills: the tensor kinds of
// assembly/abi.ts, which assembly/weights.ts imports; layout and orientation
// are decided there.

import * as abi from "../../assembly/abi.ts";

const GLOBAL_KINDS: Record<string, number> = {
  "embedding/embedding": abi.EMBEDDING,
  "encoder/final_norm/scale": abi.ENC_FINAL_NORM,
  "decoder/ZCRMSNorm_0/scale": abi.DEC_FINAL_NORM,
  "contrastive_hidden/kernel": abi.CON_HIDDEN_W,
  "contrastive_hidden/bias": abi.CON_HIDDEN_B,
  "contrastive_proj/kernel": abi.CON_PROJ_W,
};

const ENCODER_LAYER = "encoder/layers/EncoderBlock_0/";
const ENCODER_LAYER_KINDS: Record<string, number> = {
  attn_gate: abi.ENC_ATTN_GATE,
  "ZCRMSNorm_0/scale": abi.ENC_NORM0,
  "self_attn/q_proj/kernel": abi.ENC_Q,
  "self_attn/k_proj/kernel": abi.ENC_K,
  "self_attn/v_proj/kernel": abi.ENC_V,
  "self_attn/q_norm/scale": abi.ENC_Q_NORM,
  "self_attn/k_norm/scale": abi.ENC_K_NORM,
  "self_attn/out_proj/kernel": abi.ENC_OUT,
  ffn_gate: abi.ENC_FFN_GATE,
  "ZCRMSNorm_1/scale": abi.ENC_NORM1,
  "FeedForward_0/gate_proj/kernel": abi.ENC_FF_GATE,
  "FeedForward_0/up_proj/kernel": abi.ENC_FF_UP,
  "FeedForward_0/down_proj/kernel": abi.ENC_FF_DOWN,
};

const DECODER_LAYER = "decoder/layers/DecoderBlock_0/";
const DECODER_LAYER_KINDS: Record<string, number> = {
  self_attn_gate: abi.DEC_SELF_GATE,
  "ZCRMSNorm_0/scale": abi.DEC_NORM0,
  "self_attn/q_proj/kernel": abi.DEC_SELF_Q,
  "self_attn/k_proj/kernel": abi.DEC_SELF_K,
  "self_attn/v_proj/kernel": abi.DEC_SELF_V,
  "self_attn/q_norm/scale": abi.DEC_SELF_Q_NORM,
  "self_attn/k_norm/scale": abi.DEC_SELF_K_NORM,
  "self_attn/out_proj/kernel": abi.DEC_SELF_OUT,
  cross_attn_gate: abi.DEC_CROSS_GATE,
  "ZCRMSNorm_1/scale": abi.DEC_NORM1,
  "cross_attn/q_proj/kernel": abi.DEC_CROSS_Q,
  "cross_attn/k_proj/kernel": abi.DEC_CROSS_K,
  "cross_attn/v_proj/kernel": abi.DEC_CROSS_V,
  "cross_attn/q_norm/scale": abi.DEC_CROSS_Q_NORM,
  "cross_attn/k_norm/scale": abi.DEC_CROSS_K_NORM,
  "cross_attn/out_proj/kernel": abi.DEC_CROSS_OUT,
  ffn_gate: abi.DEC_FFN_GATE,
  "ZCRMSNorm_2/scale": abi.DEC_NORM2,
  "FeedForward_0/gate_proj/kernel": abi.DEC_FF_GATE,
  "FeedForward_0/up_proj/kernel": abi.DEC_FF_UP,
  "FeedForward_0/down_proj/kernel": abi.DEC_FF_DOWN,
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
