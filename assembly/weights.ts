// Copying one checkpoint tensor (one layer's slice of it) into the layout.
// The loader stages the slice's raw bytes at `staging` and calls
// import_tensor with the tensor's kind (abi.ts); lib/load/tensor-slots.ts maps flax names
// to these kinds. Shapes were validated against the config before this runs.

import * as L from "./layout";
import { import_copy, import_gain, import_gate, import_matrix } from "./tensor_import";
import { FORMAT_F32 } from "./format";
import * as K from "./abi";

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
    case K.EMBEDDING: return import_matrix(L.weightFormat, L.embedding, 0, d, L.vocab, src, srcF16, false, L.rowBuffer);
    case K.ENC_FINAL_NORM: return import_gain(L.encFinalNorm, src, srcF16, d);
    case K.DEC_FINAL_NORM: return import_gain(L.decFinalNorm, src, srcF16, d);
    case K.CON_HIDDEN_W: return import_matrix(FORMAT_F32, L.conHiddenW, 0, d, L.conHidden, src, srcF16, true, L.rowBuffer);
    case K.CON_HIDDEN_B: return import_copy(L.conHiddenB, src, srcF16, L.conHidden);
    case K.CON_PROJ_W: return import_matrix(FORMAT_F32, L.conProjW, 0, L.conHidden, L.conDim, src, srcF16, true, L.rowBuffer);

    case K.ENC_ATTN_GATE: return import_gate(e + L.E_ATTN_GATE, src, srcF16);
    case K.ENC_NORM0: return import_gain(e + L.E_NORM0, src, srcF16, d);
    case K.ENC_Q: return kernel(e + L.E_QKV, qkv, 0, d, d, src, srcF16);
    case K.ENC_K: return kernel(e + L.E_QKV, qkv, d, d, kv, src, srcF16);
    case K.ENC_V: return kernel(e + L.E_QKV, qkv, d + kv, d, kv, src, srcF16);
    case K.ENC_Q_NORM: return import_gain(e + L.E_QNORM, src, srcF16, L.headDim);
    case K.ENC_K_NORM: return import_gain(e + L.E_KNORM, src, srcF16, L.headDim);
    case K.ENC_OUT: return kernel(e + L.E_OUT, d, 0, d, d, src, srcF16);
    case K.ENC_FFN_GATE: return import_gate(e + L.E_FFN_GATE, src, srcF16);
    case K.ENC_NORM1: return import_gain(e + L.E_NORM1, src, srcF16, d);
    case K.ENC_FF_GATE: return kernel(e + L.E_FF_GATE_UP, 2 * ff, 0, d, ff, src, srcF16);
    case K.ENC_FF_UP: return kernel(e + L.E_FF_GATE_UP, 2 * ff, ff, d, ff, src, srcF16);
    case K.ENC_FF_DOWN: return kernel(e + L.E_FF_DOWN, d, 0, ff, d, src, srcF16);

    case K.DEC_SELF_GATE: return import_gate(c + L.D_SELF_GATE, src, srcF16);
    case K.DEC_NORM0: return import_gain(c + L.D_NORM0, src, srcF16, d);
    case K.DEC_SELF_Q: return kernel(c + L.D_SELF_QKV, qkv, 0, d, d, src, srcF16);
    case K.DEC_SELF_K: return kernel(c + L.D_SELF_QKV, qkv, d, d, kv, src, srcF16);
    case K.DEC_SELF_V: return kernel(c + L.D_SELF_QKV, qkv, d + kv, d, kv, src, srcF16);
    case K.DEC_SELF_Q_NORM: return import_gain(c + L.D_SELF_QNORM, src, srcF16, L.headDim);
    case K.DEC_SELF_K_NORM: return import_gain(c + L.D_SELF_KNORM, src, srcF16, L.headDim);
    case K.DEC_SELF_OUT: return kernel(c + L.D_SELF_OUT, d, 0, d, d, src, srcF16);
    case K.DEC_CROSS_GATE: return import_gate(c + L.D_CROSS_GATE, src, srcF16);
    case K.DEC_NORM1: return import_gain(c + L.D_NORM1, src, srcF16, d);
    case K.DEC_CROSS_Q: return kernel(c + L.D_CROSS_Q, d, 0, d, d, src, srcF16);
    case K.DEC_CROSS_K: return kernel(c + L.D_CROSS_KV, 2 * kv, 0, d, kv, src, srcF16);
    case K.DEC_CROSS_V: return kernel(c + L.D_CROSS_KV, 2 * kv, kv, d, kv, src, srcF16);
    case K.DEC_CROSS_Q_NORM: return import_gain(c + L.D_CROSS_QNORM, src, srcF16, L.headDim);
    case K.DEC_CROSS_K_NORM: return import_gain(c + L.D_CROSS_KNORM, src, srcF16, L.headDim);
    case K.DEC_CROSS_OUT: return kernel(c + L.D_CROSS_OUT, d, 0, d, d, src, srcF16);
    case K.DEC_FFN_GATE: return import_gate(c + L.D_FFN_GATE, src, srcF16);
    case K.DEC_NORM2: return import_gain(c + L.D_NORM2, src, srcF16, d);
    case K.DEC_FF_GATE: return kernel(c + L.D_FF_GATE_UP, 2 * ff, 0, d, ff, src, srcF16);
    case K.DEC_FF_UP: return kernel(c + L.D_FF_GATE_UP, 2 * ff, ff, d, ff, src, srcF16);
    case K.DEC_FF_DOWN: return kernel(c + L.D_FF_DOWN, d, 0, ff, d, src, srcF16);
  }
  return -1;
}
