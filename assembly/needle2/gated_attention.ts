// Needle 2's gated attention (architecture.py MultiHeadAttention, decode.py
// _attn_cached) for m consecutive positions: h → [q | k | v | gate] in one
// product; q and k zero-centred-RMS-normed per head, rotated (rope.ts); k, v
// appended to the cache; each position's causal softmax attention over the
// keys up to itself (attention.ts), the last kvWindow of them when a window
// is set (decode.py kv_window, no sinks); o ⊙ σ(gate); then the output projection.

import * as N from "./layout";
import { rmsnorm_zc_heads_f32 } from "../norm";
import { rope_half_f32 } from "../rope";
import { attend_f32 } from "../attention";
import { n2Linear } from "./linear";

@inline function at(base: usize, i: i32): usize {
  return base + (<usize>i << 2);
}

/** o[0..n) ⊙= σ(g[0..n)). */
export function sigmoid_gate_f32(o: usize, g: usize, n: i32): void {
  for (let i = 0; i < n; i++) store<f32>(at(o, i), load<f32>(at(o, i)) / (<f32>1 + Mathf.exp(-load<f32>(at(g, i)))));
}

/** out [m][d] = attention of layer l at positions p0..p0+m-1 for the normed inputs h [m][d]. */
export function gated_attention_f32(out: usize, h: usize, l: i32, p0: i32, m: i32): void {
  const w = N.layer(l);
  const hd = N.headDim;
  const width = N.qkvgDim;
  n2Linear(N.qkvg, h, m, w + N.QKVG, width, N.dModel);
  // Cache: [2][kvHeads][maxSeq][hd].
  const kc = N.kvCache + <usize>l * N.kvLayerBytes;
  const vc = kc + N.f32s(N.nKvHeads * N.maxSeq * hd);
  for (let t = 0; t < m; t++) {
    const pos = p0 + t;
    const q = at(N.qkvg, t * width);
    const k = q + N.f32s(N.attnDim);
    const v = k + N.f32s(N.kvDim);
    rmsnorm_zc_heads_f32(q, w + N.Q_NORM, 1, 0, N.nHeads, hd);
    rmsnorm_zc_heads_f32(k, w + N.K_NORM, 1, 0, N.nKvHeads, hd);
    const cosRow = at(N.ropeCos, pos * (hd >> 1));
    const sinRow = at(N.ropeSin, pos * (hd >> 1));
    rope_half_f32(q, N.nHeads, hd, cosRow, sinRow);
    rope_half_f32(k, N.nKvHeads, hd, cosRow, sinRow);
    for (let g = 0; g < N.nKvHeads; g++) {
      memory.copy(at(kc, (g * N.maxSeq + pos) * hd), at(k, g * hd), N.f32s(hd));
      memory.copy(at(vc, (g * N.maxSeq + pos) * hd), at(v, g * hd), N.f32s(hd));
    }
  }
  for (let t = 0; t < m; t++) {
    const q = at(N.qkvg, t * width);
    const gate = q + N.f32s(N.attnDim + 2 * N.kvDim);
    const o = at(N.attnOut, t * N.attnDim);
    const keys = p0 + t + 1;
    const first = N.kvWindow > 0 && keys > N.kvWindow ? keys - N.kvWindow : 0;
    const skip = N.f32s(first * hd);
    attend_f32(o, N.attnDim, q, N.attnDim, 1, kc + skip, vc + skip, hd, N.maxSeq * hd, keys - first, N.zeroKeys, -1, N.nHeads, N.nKvHeads, hd, N.scores);
    sigmoid_gate_f32(o, gate, N.attnDim);
  }
  n2Linear(out, N.attnOut, m, w + N.OUT, N.dModel, N.attnDim);
}
