// The engine's exports: numbers and pointers only, their meanings named in
// abi.ts. lib/engine/instance.ts is the one caller. Kernels are exported too,
// so tests can check each against a plain TypeScript twin.

import * as L from "./layout";
import { rope_tables_f32 } from "./rope";

export { import_tensor } from "./weights";
export { encode, decodeStep as decode_step, embedText as embed_text } from "./model";
export { argmax_f32, logsumexp_f32 } from "./softmax";

// Kernels, for tests.
export { dot_f32, gemv_f32, gemm_f32, gemv_f16, gemm_f16 } from "./matmul";
export { quantize_rows_i16, gemv_q8, gemv_q8_wide, gemm_q8, gemv_q4, gemm_q4 } from "./quant";
export { import_matrix } from "./tensor_import";
export { matrixRow as matrix_row } from "./linear";
export { rmsnorm_zc_f32, rmsnorm_zc_rows_f32, rmsnorm_zc_heads_f32 } from "./norm";
export { rope_tables_f32, rope_half_f32 } from "./rope";
export { softmax_f32, exp_f32 } from "./softmax";
export { attend_f32 } from "./attention";
export { attend_q16, store_kv_q16 } from "./attention_q16";
export { gated_add_f32 } from "./residual";
export { ffn_act_f32 } from "./ffn";

/**
 * Lay out the model whose shape record (abi.ts) is at `shape` (shape_ptr()),
 * grow memory and fill the RoPE tables. Returns the bytes in use, or 0 if
 * memory could not grow.
 */
export function configure(shape: usize): usize {
  const end = L.configure(shape);
  if (end == 0) return 0;
  store<i32>(L.gemvWide, 0);
  rope_tables_f32(L.ropeCos, L.ropeSin, L.maxEnc > L.maxDec ? L.maxEnc : L.maxDec, L.headDim, L.ropeTheta);
  return end;
}

/**
 * A worker of the threaded build: lay out the same model as the main thread
 * did from the record it left at `shape` (memory is shared and already
 * grown), without touching memory. Returns the bytes the layout uses.
 */
export function attach(shape: usize): usize {
  return L.layOut(shape);
}

/** Where lib/engine/shape.ts writes the shape record (abi.ts) before configure / attach. */
export function shape_ptr(): usize { return L.shapeRecord(); }

export { workerLoop as worker_loop, setActiveThreads as set_active_threads, jobGeneration as job_generation } from "./parallel";

export function heap_base(): usize { return __heap_base; }
export function layout_version(): i32 { return L.LAYOUT_VERSION; }
/** The form of the q8 decode GEMV (quant.ts): 1 four quads side by side, 0 one quad at a time. */
export function set_gemv_wide(on: i32): void { store<i32>(L.gemvWide, on != 0 ? 1 : 0); }
export function gemv_wide(): i32 { return load<i32>(L.gemvWide); }
export function staging_ptr(): usize { return L.staging; }
export function staging_bytes(): usize { return L.stagingBytes; }
export function weights_ptr(): usize { return L.weightsStart; }
export function weights_bytes(): usize { return L.weightsEnd - L.weightsStart; }
export function enc_ids_ptr(): usize { return L.encIds; }
export function encoder_out_ptr(): usize { return L.encoderOut; }
export function logits_ptr(): usize { return L.logits; }
export function embedding_out_ptr(): usize { return L.embeddingOut; }

// ---------------------------------------------------------------- Needle 2 (assembly/needle2/)

import * as N2 from "./needle2/layout";
export { n2_import_cq, n2_import_vector } from "./needle2/weights";
export { n2Forward as n2_forward } from "./needle2/model";
export { fwht_f32, hadamard_mlp_f32 } from "./needle2/hadamard";
export { sinkhorn_f32, rms_unit_f32 } from "./needle2/mhc";
export { engram_slot } from "./needle2/engram";
export { cq_decode_row } from "./needle2/cq";
export { n2_pool_begin, n2_pool_end } from "./needle2/probes";

/**
 * Lay out a Needle 2 model (needle2/layout.ts) with its matrices in `format`
 * (format.ts: f32, q8 or q4), grow memory and fill the RoPE
 * tables. Returns the bytes in use, or 0 if memory could not grow.
 */
export function n2_configure(
  vocab: i32, d: i32, heads: i32, kvHeads: i32, headDim: i32, layers: i32, hadaN: i32, lanes: i32,
  slots: i32, subDim: i32, tables: i32, dilation: i32, nOrders: i32, orders: i32, nSites: i32, sites: i32,
  maxSeq: i32, ropeTheta: f64, format: i32,
): usize {
  const end = N2.n2Configure(vocab, d, heads, kvHeads, headDim, layers, hadaN, lanes, slots, subDim, tables, dilation, nOrders, orders, nSites, sites, maxSeq, format);
  if (end == 0) return 0;
  rope_tables_f32(N2.ropeCos, N2.ropeSin, maxSeq, headDim, ropeTheta);
  return end;
}
export function n2_staging_ptr(): usize { return N2.staging; }
export function n2_staging_bytes(): usize { return N2.stagingBytes; }
export function n2_codebook_ptr(): usize { return N2.codebook; }
export function n2_tokens_ptr(): usize { return N2.tokens; }
export function n2_logits_ptr(): usize { return N2.logits; }
export function n2_weights_bytes(): usize { return N2.weightsEnd - N2.weightsStart; }
export function n2_probes_ptr(): usize { return N2.probes; }
export function n2_set_kv_window(window: i32): void { N2.setKvWindow(window); }
export function n2_pooled_ptr(): usize { return N2.poolAcc; }
