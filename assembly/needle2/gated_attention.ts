// Needle 2's gated attention (architecture.py MultiHeadAttention, decode.py
// _attn_cached) for one position: h → [q | k | v | gate] in one GEMV; q and k
// zero-centred-RMS-normed per head, rotated (rope.ts); k, v appended to the
// cache; causal softmax attention over every cached key (attention.ts);
// o ⊙ σ(gate); then the output projection.

import * as N from "./layout";
import { gemv_f32 } from "../matmul";
import { rmsnorm_zc_heads_f32 } from "../norm";
import { rope_half_f32 } from "../rope";
import { attend_f32 } from "../attention";

@inline function at(base: usize, i: i32): usize {
  return base + (<usize>i << 2);
}

/** o[0..n) ⊙= σ(g[0..n)). */
export function sigmoid_gate_f32(o: usize, g: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(at(o, i), load<f32>(at(o, i)) / (<f32>1 + Mathf.exp(-load<f32>(at(g, i)))));
}

/** out [d] = attention of layer l over positions 0..pos for the normed input h [d]. */
export function gated_attention_f32(out: usize, h: usize, l: i32, pos: i32): void {
  const w = N.layer(l);
  const hd = N.headDim;
  const q = N.qkvg;
  const k = q + N.f32s(N.attnDim);
  const v = k + N.f32s(N.kvDim);
  const gate = v + N.f32s(N.kvDim);
  gemv_f32(q, w + N.QKVG, h, N.qkvgDim, N.dModel);
  rmsnorm_zc_heads_f32(q, w + N.Q_NORM, 1, 0, N.nHeads, hd);
  rmsnorm_zc_heads_f32(k, w + N.K_NORM, 1, 0, N.nKvHeads, hd);
  const cosRow = at(N.ropeCos, pos * (hd >> 1));
  const sinRow = at(N.ropeSin, pos * (hd >> 1));
  rope_half_f32(q, N.nHeads, hd, cosRow, sinRow);
  rope_half_f32(k, N.nKvHeads, hd, cosRow, sinRow);
  // Cache: [2][kvHeads][maxSeq][hd].
  const kc = N.kvCache + <usize>l * N.kvLayerBytes;
  const vc = kc + N.f32s(N.nKvHeads * N.maxSeq * hd);
  for (let g = 0; g < N.nKvHeads; g++) {
    memory.copy(at(kc, (g * N.maxSeq + pos) * hd), at(k, g * hd), N.f32s(hd));
    memory.copy(at(vc, (g * N.maxSeq + pos) * hd), at(v, g * hd), N.f32s(hd));
  }
  attend_f32(N.attnOut, N.attnDim, q, N.attnDim, 1, kc, vc, hd, N.maxSeq * hd, pos + 1, N.zeroKeys, -1, N.nHeads, N.nKvHeads, hd, N.scores);
  sigmoid_gate_f32(N.attnOut, gate, N.attnDim);
  gemv_f32(out, w + N.OUT, N.attnOut, N.dModel, N.attnDim);
}
