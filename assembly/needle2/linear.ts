// y = W·x for Needle 2's matrices in the model's format (layout.ts `format`),
// over Needle 1's kernels: f32 quads (matmul.ts) or q8 group blocks with
// int16 activations (quant.ts). One input row takes the GEMV, several the GEMM.
// (Needle 1's q4 is not offered: requantising the decoded CQ rows to uniform
// 4-bit groups lost the argmax at a quarter to a half of the fixtures' positions.)

import * as N from "./layout";
import { FORMAT_F32, groupsOf } from "../format";
import { gemm_f32, gemv_f32 } from "../matmul";
import { gemm_q8, gemv_q8, quantize_rows_i16 } from "../quant";

/** out [n][rows] = x [n][cols] · W [rows][cols]ᵀ, n ≤ CHUNK. */
export function n2Linear(out: usize, x: usize, n: i32, w: usize, rows: i32, cols: i32): void {
  const format = N.format;
  if (format == FORMAT_F32) {
    if (n == 1) gemv_f32(out, x, w, rows, cols);
    else gemm_f32(out, x, w, n, rows, cols);
    return;
  }
  const groups = groupsOf(cols);
  quantize_rows_i16(N.actQ, N.actScales, x, n, cols);
  if (n == 1) gemv_q8(out, N.actQ, N.actScales, w, rows, groups);
  else gemm_q8(out, N.actQ, N.actScales, w, n, rows, groups);
}
