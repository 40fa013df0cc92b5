// y = W·x for every input row, whatever the weight format (format.ts):
// one dispatch so the forward pass in model.ts reads the same for all.

import * as L from "./layout";
import { FORMAT_F32, FORMAT_F16, FORMAT_Q4, FORMAT_Q8, GROUP, groupsOf, scaleIndex, scalesOf } from "./format";
import { gemm_f16, gemm_f32, gemv_f16, gemv_f32 } from "./matmul";
import { gemm_q4, gemm_q8, gemv_q4, gemv_q8, quantize_rows_i16 } from "./quant";
import { f16_to_f32 } from "./convert";

/**
 * Rows [start, end) of out = matrix · x for one input vector, whose
 * quantized form (q8/q4) is already in the shared activation buffer's
 * first row; `start` is a multiple of 4 (scales come in quads of rows).
 */
export function gemvRows(out: usize, x: usize, matrix: usize, rows: i32, cols: i32, format: i32, start: i32, end: i32): void {
  const count = end - start;
  if (count <= 0) return;
  const dst = out + (<usize>start << 2);
  if (format == FORMAT_F32) {
    gemv_f32(dst, matrix + <usize>start * (<usize>cols << 2), x, count, cols);
    return;
  }
  if (format == FORMAT_F16) {
    gemv_f16(dst, matrix + <usize>start * (<usize>cols << 1), x, count, cols);
    return;
  }
  const groups = groupsOf(cols);
  const rowB = <usize>groups * (format == FORMAT_Q8 ? GROUP : GROUP / 2);
  const scales = scalesOf(format, matrix, rows, cols) + (<usize>((start >> 2) * groups) << 4);
  if (format == FORMAT_Q8) gemv_q8(dst, matrix + <usize>start * rowB, scales, L.actQ, L.actScales, count, groups);
  else gemv_q4(dst, matrix + <usize>start * rowB, scales, L.actQ, L.actScales, count, groups);
}

/** Quantize one input vector into the shared activation buffer's first row (q8/q4 only). */
export function quantizeVector(x: usize, cols: i32, format: i32): void {
  if (format == FORMAT_Q8 || format == FORMAT_Q4) quantize_rows_i16(L.actQ, L.actScales, x, 1, cols);
}

/**
 * out [n][rows] = x [n][cols] · matrix [rows][cols]ᵀ, matrix in `format`.
 * `firstRow` places these rows' quantized activations in the shared buffer
 * and `thread` picks the scratch, when threads split a product by rows.
 */
export function linear(out: usize, x: usize, n: i32, matrix: usize, rows: i32, cols: i32, format: i32, firstRow: i32 = 0, thread: i32 = 0): void {
  if (n == 1 && firstRow == 0) {
    quantizeVector(x, cols, format);
    gemvRows(out, x, matrix, rows, cols, format, 0, rows);
    return;
  }
  if (format == FORMAT_F32) {
    if (n == 1) gemv_f32(out, matrix, x, rows, cols);
    else gemm_f32(out, x, matrix, n, rows, cols);
    return;
  }
  if (format == FORMAT_F16) {
    if (n == 1) gemv_f16(out, matrix, x, rows, cols);
    else gemm_f16(out, x, matrix, n, rows, cols, L.f16Block + <usize>thread * L.f16BlockStride);
    return;
  }
  const groups = groupsOf(cols);
  const scales = scalesOf(format, matrix, rows, cols);
  const xq = L.actQ + (<usize>(firstRow * groups * GROUP) << 1);
  const xs = L.actScales + (<usize>(firstRow * groups) << 2);
  quantize_rows_i16(xq, xs, x, n, cols);
  if (format == FORMAT_Q8) {
    if (n == 1) gemv_q8(out, matrix, scales, xq, xs, rows, groups);
    else gemm_q8(out, xq, xs, matrix, scales, n, rows, groups);
  } else {
    if (n == 1) gemv_q4(out, matrix, scales, xq, xs, rows, groups);
    else gemm_q4(out, xq, xs, matrix, scales, n, rows, groups);
  }
}

/** dst[0..cols) = scale · row r of matrix [rows][cols] (an embedding lookup), any format. */
export function matrixRow(dst: usize, matrix: usize, rows: i32, cols: i32, r: i32, scale: f32, format: i32): void {
  if (format == FORMAT_F32) {
    const row = matrix + (<usize>(r * cols) << 2);
    for (let i = 0; i < cols; i++) store<f32>(dst + (<usize>i << 2), load<f32>(row + (<usize>i << 2)) * scale);
    return;
  }
  if (format == FORMAT_F16) {
    const row = matrix + (<usize>(r * cols) << 1);
    for (let i = 0; i < cols; i++) store<f32>(dst + (<usize>i << 2), f16_to_f32(<u32>load<u16>(row + (<usize>i << 1))) * scale);
    return;
  }
  const groups = groupsOf(cols);
  const scales = scalesOf(format, matrix, rows, cols);
  for (let i = 0; i < cols; i++) {
    const g = i >> 5;
    let q: i32;
    if (format == FORMAT_Q8) {
      q = <i32>load<i8>(matrix + <usize>(r * groups * 32 + i));
    } else {
      const byte = <i32>load<u8>(matrix + <usize>(r * groups * 16 + g * 16 + (i & 15)));
      q = ((i & 31) < 16 ? byte & 15 : byte >> 4) - 8;
    }
    store<f32>(dst + (<usize>i << 2), <f32>q * load<f32>(scales + (<usize>scaleIndex(r, g, groups) << 2)) * scale);
  }
}
