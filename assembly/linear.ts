// y = W·x for every input row, whatever the weight format (format.ts):
// one dispatch so the forward pass in model.ts reads the same for all.

import * as L from "./layout";
import { FORMAT_F32, FORMAT_F16, FORMAT_Q8, GROUP, Q4_BLOCK, Q8_BLOCK, groupsOf, isQuantized, q4Byte, q4High, q8Byte, quadBytes } from "./format";
import { gemm_f16, gemm_f32, gemv_f16, gemv_f32 } from "./matmul";
import { gemm_q4, gemm_q8, gemv_q4, gemv_q8, gemv_q8_wide, quantize_rows_i16 } from "./quant";
import { f16_to_f32 } from "./tensor_import";

/**
 * Rows [start, end) of out = matrix · x for one input vector, whose
 * quantized form (q8/q4) is already in the shared activation buffer's
 * first row; `start` is a multiple of 4 (f32, q8 and q4 matrices come in quads of rows).
 */
export function gemvRows(out: usize, x: usize, matrix: usize, cols: i32, format: i32, start: i32, end: i32): void {
  const count = end - start;
  if (count <= 0) return;
  const dst = out + (<usize>start << 2);
  if (format == FORMAT_F32) {
    gemv_f32(dst, x, matrix + <usize>(start >> 2) * quadBytes(format, cols), count, cols);
    return;
  }
  if (format == FORMAT_F16) {
    gemv_f16(dst, x, matrix + <usize>start * (<usize>cols << 1), count, cols);
    return;
  }
  const start4 = matrix + <usize>(start >> 2) * quadBytes(format, cols);
  if (format == FORMAT_Q8) {
    if (load<i32>(L.gemvWide)) gemv_q8_wide(dst, L.actQ, L.actScales, start4, count, groupsOf(cols));
    else gemv_q8(dst, L.actQ, L.actScales, start4, count, groupsOf(cols));
  } else gemv_q4(dst, L.actQ, L.actScales, start4, count, groupsOf(cols));
}

/** Quantize one input vector into the shared activation buffer's first row (q8/q4 only). */
export function quantizeVector(x: usize, cols: i32, format: i32): void {
  if (isQuantized(format)) quantize_rows_i16(L.actQ, L.actScales, x, 1, cols);
}

/**
 * out [n][rows] = x [n][cols] · matrix [rows][cols]ᵀ, matrix in `format`.
 * `firstRow` places these rows' quantized activations in the shared buffer
 * and `thread` picks the scratch, when threads split a product by rows.
 */
export function linear(out: usize, x: usize, n: i32, matrix: usize, rows: i32, cols: i32, format: i32, firstRow: i32 = 0, thread: i32 = 0): void {
  if (n == 1 && firstRow == 0) {
    quantizeVector(x, cols, format);
    gemvRows(out, x, matrix, cols, format, 0, rows);
    return;
  }
  // A thread's share of a GEMM may be one row: the GEMMs take it the way
  // they take the last row of an odd count, so any split gives the same bits.
  if (format == FORMAT_F32) {
    gemm_f32(out, x, matrix, n, rows, cols);
    return;
  }
  if (format == FORMAT_F16) {
    gemm_f16(out, x, matrix, n, rows, cols, L.f16Block + <usize>thread * L.f16BlockStride);
    return;
  }
  const groups = groupsOf(cols);
  const xq = L.actQ + (<usize>(firstRow * groups * GROUP) << 1);
  const xs = L.actScales + (<usize>(firstRow * groups) << 2);
  quantize_rows_i16(xq, xs, x, n, cols);
  if (format == FORMAT_Q8) gemm_q8(out, xq, xs, matrix, n, rows, groups);
  else gemm_q4(out, xq, xs, matrix, n, rows, groups);
}

/** dst[0..cols) = scale · row r of matrix [rows][cols] (an embedding lookup), any format. */
export function matrixRow(dst: usize, matrix: usize, cols: i32, r: i32, scale: f32, format: i32): void {
  if (format == FORMAT_F32) {
    const row = matrix + <usize>(r >> 2) * quadBytes(format, cols) + (<usize>(r & 3) << 4);
    for (let i = 0; i < cols; i++) store<f32>(dst + (<usize>i << 2), load<f32>(row + (<usize>(i >> 2) << 6) + (<usize>(i & 3) << 2)) * scale);
    return;
  }
  if (format == FORMAT_F16) {
    const row = matrix + (<usize>(r * cols) << 1);
    for (let i = 0; i < cols; i++) store<f32>(dst + (<usize>i << 2), f16_to_f32(<u32>load<u16>(row + (<usize>i << 1))) * scale);
    return;
  }
  const q8 = format == FORMAT_Q8;
  const j = r & 3;
  const quad = matrix + <usize>(r >> 2) * quadBytes(format, cols);
  for (let i = 0; i < cols; i++) {
    const block = quad + <usize>(i >> 5) * (q8 ? Q8_BLOCK : Q4_BLOCK);
    const k = i & 31;
    let q: i32;
    if (q8) {
      q = <i32>load<i8>(block + q8Byte(j, k));
    } else {
      const byte = <i32>load<u8>(block + q4Byte(j, k));
      q = (q4High(k) ? byte >> 4 : byte & 15) - 8;
    }
    const groupScale = load<f32>(block + (q8 ? 4 * GROUP : 2 * GROUP) + (<usize>j << 2));
    store<f32>(dst + (<usize>i << 2), <f32>q * groupScale * scale);
  }
}
