// The Wasm engine: its exports as a typed record, and a small hand-written
// instantiate (the module imports nothing; lib/engine/wasm-module.ts finds it).

import { engineModule } from "./wasm-module.ts";

/** Exports of build/needle.wasm and build/needle-mt.wasm (see assembly/index.ts; tests/abi.test.ts checks the two against this). Pointers are byte offsets. */
export interface EngineExports {
  readonly memory: WebAssembly.Memory;
  /** Lay out the model whose shape record (assembly/abi.ts, lib/engine/shape.ts) is at `shape`; the bytes in use, 0 if memory could not grow. */
  configure(shape: number): number;
  /** A worker's configure over shared memory: the same layout, memory untouched. */
  attach(shape: number): number;
  shape_ptr(): number;
  worker_loop(index: number, threads: number, generation: number): void;
  set_active_threads(count: number, mayWait: number): void;
  job_generation(): number;
  import_tensor(kind: number, layer: number, src: number, srcF16: number): number;
  encode(n: number): void;
  decode_step(token: number, pos: number): void;
  embed_text(n: number): void;
  argmax_f32(x: number, n: number): number;
  logsumexp_f32(x: number, n: number): number;
  heap_base(): number;
  layout_version(): number;
  set_gemv_wide(on: number): void;
  gemv_wide(): number;
  staging_ptr(): number;
  staging_bytes(): number;
  weights_ptr(): number;
  weights_bytes(): number;
  enc_ids_ptr(): number;
  encoder_out_ptr(): number;
  logits_ptr(): number;
  embedding_out_ptr(): number;
  // Kernels (tests check each against a TypeScript twin).
  dot_f32(a: number, b: number, n: number): number;
  gemv_f32(out: number, x: number, w: number, rows: number, cols: number): void;
  gemm_f32(out: number, x: number, w: number, n: number, rows: number, cols: number): void;
  gemv_f16(out: number, x: number, w: number, rows: number, cols: number): void;
  gemm_f16(out: number, x: number, w: number, n: number, rows: number, cols: number, block: number): void;
  quantize_rows_i16(x16: number, xs: number, x: number, n: number, cols: number): void;
  gemv_q8(out: number, x16: number, xs: number, w: number, rows: number, groups: number): void;
  gemv_q8_wide(out: number, x16: number, xs: number, w: number, rows: number, groups: number): void;
  gemm_q8(out: number, x16: number, xs: number, w: number, n: number, rows: number, groups: number): void;
  gemv_q4(out: number, x16: number, xs: number, w: number, rows: number, groups: number): void;
  gemm_q4(out: number, x16: number, xs: number, w: number, n: number, rows: number, groups: number): void;
  import_matrix(format: number, matrix: number, rowStart: number, cols: number, outRows: number,
    src: number, srcF16: number, transposed: number, rowBuffer: number): number;
  matrix_row(dst: number, matrix: number, cols: number, r: number, scale: number, format: number): void;
  rmsnorm_zc_f32(out: number, x: number, gain: number, n: number): void;
  rmsnorm_zc_rows_f32(out: number, x: number, gain: number, rows: number, n: number): void;
  rmsnorm_zc_heads_f32(x: number, gain: number, rows: number, stride: number, heads: number, headDim: number): void;
  rope_tables_f32(cos: number, sin: number, maxPos: number, headDim: number, theta: number): void;
  rope_half_f32(x: number, heads: number, headDim: number, cosRow: number, sinRow: number): void;
  softmax_f32(x: number, n: number): void;
  attend_f32(out: number, outStride: number, q: number, qStride: number, nQ: number, k: number, v: number, kvStride: number, kvHeadStride: number,
    nKeys: number, keyIds: number, padId: number, nHeads: number, nKvHeads: number, headDim: number, scores: number): void;
  attend_q16(out: number, outStride: number, q: number, qStride: number, nQ: number, kv: number, reserved: number, nKeys: number,
    keyIds: number, padId: number, nHeads: number, nKvHeads: number, headDim: number, scratch: number): void;
  store_kv_q16(dst: number, reserved: number, src: number, srcStride: number, n: number, pos: number, nKvHeads: number, headDim: number): void;
  exp_f32(x: number, n: number): void;
  gated_add_f32(x: number, y: number, gate: number, n: number): void;
  ffn_act_f32(h: number, rows: number, dFF: number, kind: number): void;
}

/** A fresh engine instance with its own linear memory. */
export async function instantiateEngine(supplied?: WebAssembly.Module): Promise<EngineExports> {
  const module = await engineModule(supplied);
  const instance = await WebAssembly.instantiate(module, {});
  return instance.exports as unknown as EngineExports;
}
