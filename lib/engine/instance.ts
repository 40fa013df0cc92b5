// The Wasm engine: its exports as a typed record, and a small hand-written
// instantiate (the module imports nothing; lib/engine/wasm-module.ts finds it).

import { NeedleError } from "../errors.ts";
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

type Arity<F> = F extends (...args: infer A) => unknown ? A["length"] : never;
/** What each export of EngineExports must be: the memory, or a function of that many parameters. */
export type ExportShape = { readonly [K in keyof EngineExports]-?: EngineExports[K] extends WebAssembly.Memory ? "memory" : Arity<EngineExports[K]> };

/**
 * EngineExports as a table (typed against the interface, so the compiler
 * keeps the two equal): checked against every module instantiated, and by
 * tests/abi.test.ts against the built ones.
 */
export const ENGINE_EXPORTS: ExportShape = {
  memory: "memory",
  configure: 1, attach: 1, shape_ptr: 0,
  worker_loop: 3, set_active_threads: 2, job_generation: 0,
  import_tensor: 4, encode: 1, decode_step: 2, embed_text: 1, argmax_f32: 2, logsumexp_f32: 2,
  heap_base: 0, layout_version: 0, set_gemv_wide: 1, gemv_wide: 0,
  staging_ptr: 0, staging_bytes: 0, weights_ptr: 0, weights_bytes: 0,
  enc_ids_ptr: 0, encoder_out_ptr: 0, logits_ptr: 0, embedding_out_ptr: 0,
  dot_f32: 3, gemv_f32: 5, gemm_f32: 6, gemv_f16: 5, gemm_f16: 7,
  quantize_rows_i16: 5, gemv_q8: 6, gemv_q8_wide: 6, gemm_q8: 7, gemv_q4: 6, gemm_q4: 7,
  import_matrix: 9, matrix_row: 6,
  rmsnorm_zc_f32: 4, rmsnorm_zc_rows_f32: 5, rmsnorm_zc_heads_f32: 6,
  rope_tables_f32: 5, rope_half_f32: 5, softmax_f32: 2, exp_f32: 2,
  attend_f32: 16, attend_q16: 14, store_kv_q16: 8, gated_add_f32: 4, ffn_act_f32: 4,
};

/** The members of ENGINE_EXPORTS that `exports` lacks or has in another form. */
export function mismatchedExports(exports: Record<string, unknown>): string[] {
  return Object.entries(ENGINE_EXPORTS).flatMap(([name, shape]) => {
    const value = exports[name];
    const fits = shape === "memory" ? value instanceof WebAssembly.Memory : typeof value === "function" && value.length === shape;
    return fits ? [] : [name];
  });
}

/** Throw WASM_MISMATCH unless `exports` are this package's engine (a module from another version, or another module). */
export function checkEngineExports(exports: Record<string, unknown>): void {
  const wrong = mismatchedExports(exports);
  if (wrong.length > 0) {
    const shown = wrong.slice(0, 5).join(", ") + (wrong.length > 5 ? `, … (${wrong.length} in all)` : "");
    throw new NeedleError("WASM_MISMATCH", `the WebAssembly module is not this version's build/needle.wasm: ${shown} missing or of another arity; use the .wasm that ships with this package`);
  }
}

/** A fresh engine instance with its own linear memory. */
export async function instantiateEngine(supplied?: WebAssembly.Module): Promise<EngineExports> {
  const module = await engineModule(supplied);
  const instance = await WebAssembly.instantiate(module, {});
  checkEngineExports(instance.exports);
  return instance.exports as unknown as EngineExports;
}
