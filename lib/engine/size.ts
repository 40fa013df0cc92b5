// The engine's memory layout (assembly/layout.ts `layOut`) re-computed in
// safe integers, before the engine is asked to reserve it. The Wasm side
// computes addresses in 32 bits, where a hostile config (a bundle header, a
// checkpoint's config) wraps around: 4.3 GB of weights became 39 MB. So the
// loader checks this count against the engine's memory limit first, and
// after configure() that the engine's own count agrees (any drift between
// the two is a bug, reported as LAYOUT_MISMATCH).

import type { NeedleConfig } from "../load/config.ts";
import * as abi from "../../assembly/abi.ts";

/** Largest linear memory of the single-threaded engine: 65,535 pages (the last page is unusable as a 32-bit end address). */
export const MAX_ENGINE_BYTES = 65535 * 65536;
/** Largest shared memory of the threaded engine (build/needle-mt.wasm declares 16,384 pages: 1 GiB). */
export const MAX_THREADED_ENGINE_BYTES = 16384 * 65536;

export interface EngineShape {
  config: NeedleConfig;
  /** Engine weight format code (FORMAT_* of assembly/abi.ts; lib/engine/model.ts WEIGHT_FORMATS). */
  format: number;
  maxEnc: number;
  maxDec: number;
  threads: number;
}

export interface EngineSize {
  /** Bytes of the weight image (what a bundle's weights section holds). */
  weightsBytes: number;
  /** End of everything the engine reserves, as configure() returns it. */
  memoryEnd: number;
}

const { FORMAT_F32: F32, FORMAT_F16: F16, FORMAT_Q8: Q8, QUANT_GROUP: GROUP } = abi;

const align = (n: number, to: number) => Math.ceil(n / to) * to;
const f32s = (n: number) => 4 * n;
const groupsOf = (cols: number) => Math.ceil(cols / GROUP);
const even = (n: number) => align(n, 2);

/** matrixBytes of assembly/format.ts. */
function matrixBytes(format: number, rows: number, cols: number): number {
  if (format === F16) return align(rows * cols * 2, 16);
  const quad = format === F32 ? Math.ceil(cols / 4) * 64 : groupsOf(cols) * (format === Q8 ? 4 * GROUP + 16 : 2 * GROUP + 16);
  return Math.ceil(rows / 4) * quad;
}

/** kvHeadBytes and scratchBytes of assembly/attention_q16.ts. */
const kvHeadBytes = (reserved: number, hd: number) => even(reserved) * align(hd, 8) * 4 + even(reserved) * 8;
const scratchBytes = (nKeys: number, hd: number) => align(align(hd, 8) * 4, 16) + nKeys * 8 + even(nKeys) * 4 + 16;

/** The layout of assembly/layout.ts for a model shape, every figure a safe integer (`heapBase`: the module's __heap_base). */
export function engineSize(shape: EngineShape, heapBase = 0): EngineSize {
  const { config: c, format, maxEnc, maxDec, threads } = shape;
  const d = c.d_model;
  const hd = d / c.num_heads;
  const kvDim = c.num_kv_heads * hd;
  const qkv = d + 2 * kvDim;
  const ffn = !c.no_feedforward;
  const dFF = c.d_ff;
  const conHidden = Math.trunc(d / 4);
  const maxCols = ffn && dFF > d ? dFF : d;
  const quantized = format >= Q8;
  const mat = (rows: number, cols: number) => matrixBytes(format, rows, cols);
  let cursor = align(heapBase, 64);
  const take = (bytes: number) => {
    cursor = align(cursor + bytes, 64);
  };
  take(abi.SHAPE_BYTES); // the shape record configure reads
  const block = (sizes: number[]) => sizes.reduce((sum, n) => sum + align(n, 64), 0);

  const weightsStart = cursor;
  [mat(c.vocab_size, d), f32s(d), f32s(d), matrixBytes(F32, conHidden, d), f32s(conHidden), matrixBytes(F32, c.contrastive_dim, conHidden)].forEach(take);
  const ffnMats = ffn ? [mat(2 * dFF, d), mat(d, dFF)] : [0, 0];
  cursor += c.num_encoder_layers * block([4, 4, f32s(d), f32s(d), f32s(hd), f32s(hd), mat(qkv, d), mat(d, d), ...ffnMats]);
  cursor += c.num_decoder_layers * block([4, 4, 4, f32s(d), f32s(d), f32s(d), f32s(hd), f32s(hd), f32s(hd), f32s(hd),
    mat(qkv, d), mat(d, d), mat(d, d), mat(2 * kvDim, d), mat(d, d), ...ffnMats]);
  const weightsBytes = cursor - weightsStart;

  const maxPos = Math.max(maxEnc, maxDec);
  const crossLayerBytes = quantized ? c.num_kv_heads * kvHeadBytes(maxEnc, hd) : f32s(maxEnc * 2 * kvDim);
  [f32s(maxPos * (hd >> 1)), f32s(maxPos * (hd >> 1)), f32s(maxEnc), f32s(maxDec), c.num_decoder_layers * crossLayerBytes,
    f32s(c.num_decoder_layers * maxDec * 2 * kvDim), f32s(maxEnc * d)].forEach(take);
  const scratchStart = cursor;
  [f32s(maxEnc * d), f32s(maxEnc * qkv), quantized ? c.num_kv_heads * kvHeadBytes(maxEnc, hd) : 0, f32s(maxEnc * d), f32s(maxEnc * d),
    ffn ? f32s(maxEnc * 2 * dFF) : 0].forEach(take);
  take(threads * align(Math.max(f32s(4 * maxPos), quantized ? scratchBytes(maxPos, hd) : 0), 64));
  const largest = Math.max(f32s(c.vocab_size * d), f32s(d * d), f32s(d * dFF), f32s(c.contrastive_dim * conHidden));
  cursor = Math.max(cursor, align(scratchStart + largest, 64));
  [f32s(d), f32s(d), f32s(qkv), f32s(d), f32s(d), ffn ? f32s(2 * dFF) : 0, f32s(c.vocab_size), f32s(d), f32s(conHidden), f32s(c.contrastive_dim),
    f32s(maxCols), threads * (format === F16 ? align(f32s(4 * maxCols), 64) : 0), 64, 16,
    quantized ? maxEnc * groupsOf(maxCols) * GROUP * 2 : 0, quantized ? f32s(maxEnc * groupsOf(maxCols)) : 0].forEach(take);
  return { weightsBytes, memoryEnd: cursor };
}
