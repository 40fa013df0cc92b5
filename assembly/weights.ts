// Copying one checkpoint tensor (one layer's slice of it) into the layout.
// The loader stages the slice's raw bytes at `staging` and calls
// import_tensor with the tensor's kind; lib/weights.ts maps flax names to
// these kinds. Shapes were validated against the config before this runs.

import * as L from "./layout";
import { import_copy, import_gain, import_gate, import_transposed } from "./convert";

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

@inline function rowsAt(matrix: usize, row: i32, cols: i32): usize {
  return matrix + (<usize>(row * cols) << 2);
}

/**
 * Import one tensor slice from `src` (float16 when srcF16, else float32).
 * Returns the number of non-finite values, or -1 for an unknown kind.
 */
export function import_tensor(kind: i32, layer: i32, src: usize, srcF16: bool): i32 {
  const d = L.dModel;
  const kv = L.kvDim;
  const ff = L.dFF;
  const e = L.encLayer(layer);
  const c = L.decLayer(layer);
  switch (kind) {
    case EMBEDDING: return import_copy(L.embedding, src, srcF16, L.vocab * d);
    case ENC_FINAL_NORM: return import_gain(L.encFinalNorm, src, srcF16, d);
    case DEC_FINAL_NORM: return import_gain(L.decFinalNorm, src, srcF16, d);
    case CON_HIDDEN_W: return import_transposed(L.conHiddenW, src, srcF16, d, L.conHidden);
    case CON_HIDDEN_B: return import_copy(L.conHiddenB, src, srcF16, L.conHidden);
    case CON_PROJ_W: return import_transposed(L.conProjW, src, srcF16, L.conHidden, L.conDim);

    case ENC_ATTN_GATE: return import_gate(e + L.E_ATTN_GATE, src, srcF16);
    case ENC_NORM0: return import_gain(e + L.E_NORM0, src, srcF16, d);
    case ENC_Q: return import_transposed(rowsAt(e + L.E_QKV, 0, d), src, srcF16, d, d);
    case ENC_K: return import_transposed(rowsAt(e + L.E_QKV, d, d), src, srcF16, d, kv);
    case ENC_V: return import_transposed(rowsAt(e + L.E_QKV, d + kv, d), src, srcF16, d, kv);
    case ENC_Q_NORM: return import_gain(e + L.E_QNORM, src, srcF16, L.headDim);
    case ENC_K_NORM: return import_gain(e + L.E_KNORM, src, srcF16, L.headDim);
    case ENC_OUT: return import_transposed(e + L.E_OUT, src, srcF16, d, d);
    case ENC_FFN_GATE: return import_gate(e + L.E_FFN_GATE, src, srcF16);
    case ENC_NORM1: return import_gain(e + L.E_NORM1, src, srcF16, d);
    case ENC_FF_GATE: return import_transposed(rowsAt(e + L.E_FF_GATE_UP, 0, d), src, srcF16, d, ff);
    case ENC_FF_UP: return import_transposed(rowsAt(e + L.E_FF_GATE_UP, ff, d), src, srcF16, d, ff);
    case ENC_FF_DOWN: return import_transposed(e + L.E_FF_DOWN, src, srcF16, ff, d);

    case DEC_SELF_GATE: return import_gate(c + L.D_SELF_GATE, src, srcF16);
    case DEC_NORM0: return import_gain(c + L.D_NORM0, src, srcF16, d);
    case DEC_SELF_Q: return import_transposed(rowsAt(c + L.D_SELF_QKV, 0, d), src, srcF16, d, d);
    case DEC_SELF_K: return import_transposed(rowsAt(c + L.D_SELF_QKV, d, d), src, srcF16, d, kv);
    case DEC_SELF_V: return import_transposed(rowsAt(c + L.D_SELF_QKV, d + kv, d), src, srcF16, d, kv);
    case DEC_SELF_Q_NORM: return import_gain(c + L.D_SELF_QNORM, src, srcF16, L.headDim);
    case DEC_SELF_K_NORM: return import_gain(c + L.D_SELF_KNORM, src, srcF16, L.headDim);
    case DEC_SELF_OUT: return import_transposed(c + L.D_SELF_OUT, src, srcF16, d, d);
    case DEC_CROSS_GATE: return import_gate(c + L.D_CROSS_GATE, src, srcF16);
    case DEC_NORM1: return import_gain(c + L.D_NORM1, src, srcF16, d);
    case DEC_CROSS_Q: return import_transposed(c + L.D_CROSS_Q, src, srcF16, d, d);
    case DEC_CROSS_K: return import_transposed(rowsAt(c + L.D_CROSS_KV, 0, d), src, srcF16, d, kv);
    case DEC_CROSS_V: return import_transposed(rowsAt(c + L.D_CROSS_KV, kv, d), src, srcF16, d, kv);
    case DEC_CROSS_Q_NORM: return import_gain(c + L.D_CROSS_QNORM, src, srcF16, L.headDim);
    case DEC_CROSS_K_NORM: return import_gain(c + L.D_CROSS_KNORM, src, srcF16, L.headDim);
    case DEC_CROSS_OUT: return import_transposed(c + L.D_CROSS_OUT, src, srcF16, d, d);
    case DEC_FFN_GATE: return import_gate(c + L.D_FFN_GATE, src, srcF16);
    case DEC_NORM2: return import_gain(c + L.D_NORM2, src, srcF16, d);
    case DEC_FF_GATE: return import_transposed(rowsAt(c + L.D_FF_GATE_UP, 0, d), src, srcF16, d, ff);
    case DEC_FF_UP: return import_transposed(rowsAt(c + L.D_FF_GATE_UP, ff, d), src, srcF16, d, ff);
    case DEC_FF_DOWN: return import_transposed(c + L.D_FF_DOWN, src, srcF16, ff, d);
  }
  return -1;
}
