// Import of a .cact's tensors into the layout (layout.ts), once, at load. The
// host puts a tensor's bytes (or a chunk of its rows) in the staging area and
// names its slot; CQ rows are decoded here (cq.ts) and stored in the model's
// format (format.ts: f32 quads, or q8 groups of 32 requantised from them), FP16 vectors as the f32 the kernels want.

import * as N from "./layout";
import { f16_to_f32, storeRow } from "../tensor_import";
import { cq_decode_row } from "./cq";

// Matrix slots (CQ tensors).
export const SLOT_EMBEDDING = 0;
export const SLOT_Q = 1;
export const SLOT_K = 2;
export const SLOT_V = 3;
export const SLOT_GATE = 4;
export const SLOT_OUT = 5;
export const SLOT_PHI_PRE = 6;
export const SLOT_PHI_POST = 7;
export const SLOT_PHI_RES = 8;
export const SLOT_TABLES = 9;
export const SLOT_KEY = 10;
export const SLOT_VALUE = 11;

// Vector slots (FP16 tensors).
export const VEC_FINAL_NORM = 0;
export const VEC_NORM_IN = 1;
export const VEC_Q_NORM = 2;
export const VEC_K_NORM = 3;
export const VEC_POST_NORM = 4;
export const VEC_ATTN_GATE = 5;
export const VEC_PRE_HADA = 6;
export const VEC_D1 = 7;
export const VEC_D2 = 8;
export const VEC_D3 = 9;
export const VEC_A_PRE = 10;
export const VEC_A_POST = 11;
export const VEC_A_RES = 12;
export const VEC_B_PRE = 13;
export const VEC_B_POST = 14;
export const VEC_B_RES = 15;
export const VEC_TAPS = 16;

@inline function at(base: usize, i: i32): usize {
  return base + (<usize>i << 2);
}

/** Store decoded row r (global, of a tensor in `slot`, `index` = layer or site) where the layout keeps it. */
function placeRow(slot: i32, index: i32, r: i32, values: usize, cols: i32): void {
  const d = N.dModel;
  const n = N.lanes;
  if (slot == SLOT_EMBEDDING) storeRow(N.format, N.embedding, r, values, cols);
  else if (slot == SLOT_Q) storeRow(N.format, N.layer(index) + N.QKVG, r, values, cols);
  else if (slot == SLOT_K) storeRow(N.format, N.layer(index) + N.QKVG, N.attnDim + r, values, cols);
  else if (slot == SLOT_V) storeRow(N.format, N.layer(index) + N.QKVG, N.attnDim + N.kvDim + r, values, cols);
  else if (slot == SLOT_GATE) storeRow(N.format, N.layer(index) + N.QKVG, N.attnDim + 2 * N.kvDim + r, values, cols);
  else if (slot == SLOT_OUT) storeRow(N.format, N.layer(index) + N.OUT, r, values, cols);
  // phi_* are stacked over layers: row i·k + j is row j of layer i's block.
  else if (slot == SLOT_PHI_PRE) storeRow(N.format, N.layer(r / n) + N.MIX, r % n, values, cols);
  else if (slot == SLOT_PHI_POST) storeRow(N.format, N.layer(r / n) + N.MIX, n + r % n, values, cols);
  else if (slot == SLOT_PHI_RES) storeRow(N.format, N.layer(r / (n * n)) + N.MIX, 2 * n + r % (n * n), values, cols);
  else if (slot == SLOT_TABLES) memory.copy(N.site(index) + N.TABLES + N.f32s(r * cols), values, N.f32s(cols));
  else if (slot == SLOT_KEY) storeRow(N.format, N.site(index) + N.KV, r, values, cols);
  else if (slot == SLOT_VALUE) storeRow(N.format, N.site(index) + N.KV, d + r, values, cols);
}

/**
 * Decode rows [row0, row0 + rows) of a CQ tensor from the staging area:
 * packed codes for those rows first, then their f16 norms; the tensor's
 * codebook is at N.codebook. Returns the rows with an invalid ternary crumb.
 */
export function n2_import_cq(slot: i32, index: i32, row0: i32, rows: i32, cols: i32, group: i32, bits: i32): i32 {
  const inPad = (cols + group - 1) / group * group;
  const rowBytes = <usize>(inPad * (bits == 5 ? 2 : bits)) >> 3;
  const normBytes = <usize>(inPad / group) << 1;
  const norms = N.staging + <usize>rows * rowBytes;
  let bad = 0;
  for (let k = 0; k < rows; k++) {
    bad += cq_decode_row(N.rowBuffer, N.staging + <usize>k * rowBytes, norms + <usize>k * normBytes, cols, group, bits, N.codebook, N.groupScratch);
    placeRow(slot, index, row0 + k, N.rowBuffer, cols);
  }
  return bad;
}

/** An FP16 vector of `count` values from the staging area into its slot (`index` = layer or site). */
export function n2_import_vector(slot: i32, index: i32, count: i32): void {
  const src = N.staging;
  const w = N.layer(index);
  const scale = <f32>(1.0 / Math.sqrt(<f64>N.hadaN));
  let dst: usize = 0;
  let add: f32 = 0;
  let mul: f32 = 1;
  if (slot == VEC_FINAL_NORM) { dst = N.finalNorm; add = 1; }
  else if (slot == VEC_NORM_IN) { dst = w + N.NORM_IN; add = 1; }
  else if (slot == VEC_Q_NORM) { dst = w + N.Q_NORM; add = 1; }
  else if (slot == VEC_K_NORM) { dst = w + N.K_NORM; add = 1; }
  else if (slot == VEC_POST_NORM) { dst = w + N.POST_NORM; add = 1; }
  else if (slot == VEC_PRE_HADA) { dst = w + N.PRE_HADA; add = 1; }
  else if (slot == VEC_D1) dst = w + N.D1;
  else if (slot == VEC_D2) { dst = w + N.D2; mul = scale; }
  else if (slot == VEC_D3) { dst = w + N.D3; mul = scale; }
  else if (slot == VEC_TAPS) dst = N.site(index) + N.TAPS;
  if (slot == VEC_ATTN_GATE) {
    const g = <f64>f16_to_f32(<u32>load<u16>(src));
    store<f32>(w + N.ATTN_GATE, <f32>(1.0 / (1.0 + Math.exp(-g))));
    return;
  }
  if (dst != 0) {
    for (let i = 0; i < count; i++) store<f32>(at(dst, i), (f16_to_f32(<u32>load<u16>(src + (<usize>i << 1))) + add) * mul);
    return;
  }
  // mHC coefficients, stacked over layers: (L,), (L, n), (L, n, n).
  const per = slot == VEC_B_PRE || slot == VEC_B_POST ? N.lanes : slot == VEC_B_RES ? N.lanes * N.lanes : 1;
  const off = slot == VEC_A_PRE ? N.A_PRE : slot == VEC_A_POST ? N.A_POST : slot == VEC_A_RES ? N.A_RES
    : slot == VEC_B_PRE ? N.B_PRE : slot == VEC_B_POST ? N.B_POST : N.B_RES;
  for (let i = 0; i < count; i++) store<f32>(N.layer(i / per) + off + N.f32s(i % per), f16_to_f32(<u32>load<u16>(src + (<usize>i << 1))));
}
