// Copying one checkpoint tensor (one layer's slice of it) into the layout.
// The loader stages the slice's raw bytes at `staging` and calls
// import_tensor with the tensor's kind; lib/load/tensor-slots.ts maps flax names to
// these kinds. Shapes were validated against the config before this runs.

import * as L from "./layout";
import { import_copy, import_gain, import_gate, import_matrix } from "./tensor_import";
import { FORMAT_F32 } from "./format";

// Global tensors.
export const EMBEDDING = 0; //        [vocab, d]
export const ENC_FINAL_NORM = 1; //   [d]
export const DEC_FINAL_NORM = 2; //   [d]
export const CON_HIDDEN_W = 3; //     [d, d/4]
export const CON_HIDDEN_B = 4; //     [d/4]
export const CON_PROJ_W = 5; //       [d/4, conDim]
// Encoder layer tensors (one layer's slice).
export const ENC_ATTN_GATE = 10; //   []
export const ENC_NORM0 = 11; //       [d]
export const ENC_Q = 12; //           [d, d]
export const ENC_K = 13; //           [d, kvDim]
export const ENC_V = 14; //           [d, kvDim]
export const ENC_Q_NORM = 15; //      [headDim]
export const ENC_K_NORM = 16; //      [headDim]
export const ENC_OUT = 17; //         [d, d]
export const ENC_FFN_GATE = 18; //    []
export const ENC_NORM1 = 19; //       [d]
export const ENC_FF_GATE = 20; //     [d, dFF]
export const ENC_FF_UP = 21; //       [d, dFF]
export const ENC_FF_DOWN = 22; //     [dFF, d]
// Decoder layer tensors (one layer's slice).
export const DEC_SELF_GATE = 30;
export const DEC_NORM0 = 31;
export const DEC_SELF_Q = 32;
export const DEC_SELF_K = 33;
export const DEC_SELF_V = 34;
export const DEC_SELF_Q_NORM = 35;
export const DEC_SELF_K_NORM = 36;
export const DEC_SELF_OUT = 37;
export const DEC_CROSS_GATE = 38;
export const DEC_NORM1 = 39;
export const DEC_CROSS_Q = 40;
export const DEC_CROSS_K = 41;
export const DEC_CROSS_V = 42;
export const DEC_CROSS_Q_NORM = 43;
export const DEC_CROSS_K_NORM = 44;
export const DEC_CROSS_OUT = 45;
export const DEC_FFN_GATE = 46;
export const DEC_NORM2 = 47;
export const DEC_FF_GATE = 48;
export const DEC_FF_UP = 49;
export const DEC_FF_DOWN = 50;

/** A flax kernel slice [cols][outRows] into rows [rowStart, rowStart + outRows) of a model matrix. */
@inline function kernel(matrix: usize, rows: i32, rowStart: i32, cols: i32, outRows: i32, src: usize, srcF16: bool): i32 {
  return import_matrix(L.weightFormat, matrix, rowStart, cols, outRows, src, srcF16, true, L.rowBuffer);
}

/**
 * Import one tensor slice from `src` (float16 when srcF16, else float32).
 * Returns the number of non-finite values, or -1 for an unknown kind.
 */
export function import_tensor(kind: i32, layer: i32, src: usize, srcF16: bool): i32 {
  const d = L.dModel;
  const kv = L.kvDim;
  const ff = L.dFF;
  const qkv = L.qkvDim;
  const e = L.encLayer(layer);
  const c = L.decLayer(layer);
  switch (kind) {
    case EMBEDDING: return import_matrix(L.weightFormat, L.embedding, 0, d, L.vocab, src, srcF16, false, L.rowBuffer);
    case ENC_FINAL_NORM: return import_gain(L.encFinalNorm, src, srcF16, d);
    case DEC_FINAL_NORM: return import_gain(L.decFinalNorm, src, srcF16, d);
    case CON_HIDDEN_W: return import_matrix(FORMAT_F32, L.conHiddenW, 0, d, L.conHidden, src, srcF16, true, L.rowBuffer);
    case CON_HIDDEN_B: return import_copy(L.conHiddenB, src, srcF16, L.conHidden);
    case CON_PROJ_W: return import_matrix(FORMAT_F32, L.conProjW, 0, L.conHidden, L.conDim, src, srcF16, true, L.rowBuffer);

    case ENC_ATTN_GATE: return import_gate(e + L.E_ATTN_GATE, src, srcF16);
    case ENC_NORM0: return import_gain(e + L.E_NORM0, src, srcF16, d);
    case ENC_Q: return kernel(e + L.E_QKV, qkv, 0, d, d, src, srcF16);
    case ENC_K: return kernel(e + L.E_QKV, qkv, d, d, kv, src, srcF16);
    case ENC_V: return kernel(e + L.E_QKV, qkv, d + kv, d, kv, src, srcF16);
    case ENC_Q_NORM: return import_gain(e + L.E_QNORM, src, srcF16, L.headDim);
    case ENC_K_NORM: return import_gain(e + L.E_KNORM, src, srcF16, L.headDim);
    case ENC_OUT: return kernel(e + L.E_OUT, d, 0, d, d, src, srcF16);
    case ENC_FFN_GATE: return import_gate(e + L.E_FFN_GATE, src, srcF16);
    case ENC_NORM1: return import_gain(e + L.E_NORM1, src, srcF16, d);
    case ENC_FF_GATE: return kernel(e + L.E_FF_GATE_UP, 2 * ff, 0, d, ff, src, srcF16);
    case ENC_FF_UP: return kernel(e + L.E_FF_GATE_UP, 2 * ff, ff, d, ff, src, srcF16);
    case ENC_FF_DOWN: return kernel(e + L.E_FF_DOWN, d, 0, ff, d, src, srcF16);

    case DEC_SELF_GATE: return import_gate(c + L.D_SELF_GATE, src, srcF16);
    case DEC_NORM0: return import_gain(c + L.D_NORM0, src, srcF16, d);
    case DEC_SELF_Q: return kernel(c + L.D_SELF_QKV, qkv, 0, d, d, src, srcF16);
    case DEC_SELF_K: return kernel(c + L.D_SELF_QKV, qkv, d, d, kv, src, srcF16);
    case DEC_SELF_V: return kernel(c + L.D_SELF_QKV, qkv, d + kv, d, kv, src, srcF16);
    case DEC_SELF_Q_NORM: return import_gain(c + L.D_SELF_QNORM, src, srcF16, L.headDim);
    case DEC_SELF_K_NORM: return import_gain(c + L.D_SELF_KNORM, src, srcF16, L.headDim);
    case DEC_SELF_OUT: return kernel(c + L.D_SELF_OUT, d, 0, d, d, src, srcF16);
    case DEC_CROSS_GATE: return import_gate(c + L.D_CROSS_GATE, src, srcF16);
    case DEC_NORM1: return import_gain(c + L.D_NORM1, src, srcF16, d);
    case DEC_CROSS_Q: return kernel(c + L.D_CROSS_Q, d, 0, d, d, src, srcF16);
    case DEC_CROSS_K: return kernel(c + L.D_CROSS_KV, 2 * kv, 0, d, kv, src, srcF16);
    case DEC_CROSS_V: return kernel(c + L.D_CROSS_KV, 2 * kv, kv, d, kv, src, srcF16);
    case DEC_CROSS_Q_NORM: return import_gain(c + L.D_CROSS_QNORM, src, srcF16, L.headDim);
    case DEC_CROSS_K_NORM: return import_gain(c + L.D_CROSS_KNORM, src, srcF16, L.headDim);
    case DEC_CROSS_OUT: return kernel(c + L.D_CROSS_OUT, d, 0, d, d, src, srcF16);
    case DEC_FFN_GATE: return import_gate(c + L.D_FFN_GATE, src, srcF16);
    case DEC_NORM2: return import_gain(c + L.D_NORM2, src, srcF16, d);
    case DEC_FF_GATE: return kernel(c + L.D_FF_GATE_UP, 2 * ff, 0, d, ff, src, srcF16);
    case DEC_FF_UP: return kernel(c + L.D_FF_GATE_UP, 2 * ff, ff, d, ff, src, srcF16);
    case DEC_FF_DOWN: return kernel(c + L.D_FF_DOWN, d, 0, ff, d, src, srcF16);
  }
  return -1;
}
