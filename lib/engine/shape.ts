// The model shape as the engine takes it: one record in linear memory
// (assembly/abi.ts names its offsets), written here at shape_ptr() before
// configure(ptr). Workers of the threaded engine share that memory and
// attach(ptr) to the same record, so this is the only writer.

import * as abi from "../../assembly/abi.ts";
import type { Activation, NeedleConfig } from "../load/config.ts";
import type { EngineExports } from "./instance.ts";
import type { EngineShape } from "./size.ts";

const FFN_KINDS: Readonly<Record<Activation, number>> = { drelu: abi.FFN_DRELU, swiglu: abi.FFN_SWIGLU, geglu: abi.FFN_GEGLU };

/** The engine's FFN kind for a config (FFN_NONE without a feed-forward). */
export function ffnKind(config: NeedleConfig): number {
  return config.no_feedforward ? abi.FFN_NONE : FFN_KINDS[config.activation];
}

/** Write `shape` as the engine's shape record at its shape_ptr(); returns that pointer, for configure / attach. */
export function writeEngineShape(wasm: Pick<EngineExports, "memory" | "shape_ptr">, shape: EngineShape): number {
  const { config: c } = shape;
  const ptr = wasm.shape_ptr();
  const record = new DataView(wasm.memory.buffer, ptr, abi.SHAPE_BYTES);
  const i32 = (offset: number, value: number) => record.setInt32(offset, value, true);
  i32(abi.SHAPE_VOCAB, c.vocab_size);
  i32(abi.SHAPE_D_MODEL, c.d_model);
  i32(abi.SHAPE_HEADS, c.num_heads);
  i32(abi.SHAPE_KV_HEADS, c.num_kv_heads);
  i32(abi.SHAPE_ENC_LAYERS, c.num_encoder_layers);
  i32(abi.SHAPE_DEC_LAYERS, c.num_decoder_layers);
  i32(abi.SHAPE_D_FF, c.d_ff);
  i32(abi.SHAPE_FFN_KIND, ffnKind(c));
  i32(abi.SHAPE_CONTRASTIVE_DIM, c.contrastive_dim);
  i32(abi.SHAPE_PAD_ID, c.pad_token_id);
  record.setFloat64(abi.SHAPE_ROPE_THETA, c.rope_theta, true);
  i32(abi.SHAPE_MAX_ENC, shape.maxEnc);
  i32(abi.SHAPE_MAX_DEC, shape.maxDec);
  i32(abi.SHAPE_FORMAT, shape.format);
  i32(abi.SHAPE_THREADS, shape.threads);
  return ptr;
}
