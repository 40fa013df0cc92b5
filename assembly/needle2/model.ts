// Needle 2's forward pass (decode.py _forward_cached), one position at a
// time with the KV cache and the engram value ring, so a generated token
// costs one step and a prompt of n tokens n steps:
//
//   x0 = E[tok]·sqrt(d);  per site: engram k, v' (engram.ts);  X = n copies of x0
//   per layer: mix = rms_unit(X)·phi;  u = pre-mix;  bx = u (+ engram at a site)
//              y = Block(bx) - u;  X = R·X + hpost ⊗ y           (mhc.ts)
//   Block(x):  x += σ(g)·zcrms(attn(zcrms(x)));  x += HadamardMLP(zcrms(x))
//   logits = E · zcrms(mean_l X[l])

import * as N from "./layout";
import { gemv_f32 } from "../matmul";
import { matrixRow } from "../linear";
import { rmsnorm_zc_f32 } from "../norm";
import { gated_add_f32 } from "../residual";
import { FORMAT_F32 } from "../format";
import { engram_conv_f32, engram_gather_f32, engram_inject_f32 } from "./engram";
import { mhc_post_f32, mhc_pre_f32, rms_unit_f32 } from "./mhc";
import { hadamard_mlp_f32 } from "./hadamard";
import { gated_attention_f32 } from "./gated_attention";

@inline function at(base: usize, i: i32): usize {
  return base + (<usize>i << 2);
}

/** Engram keys and convolved values of every site at position p (tokens[0..p] known). */
function engramStep(p: i32): void {
  const d = N.dModel;
  for (let s = 0; s < N.nSites; s++) {
    const w = N.site(s);
    engram_gather_f32(N.engramE, w + N.TABLES, N.tokens, p, N.nTables, N.slots, N.subDim, N.orders, N.nOrders);
    gemv_f32(N.engramKV, w + N.KV, N.engramE, 2 * d, N.engramDim);
    memory.copy(at(N.engramK, s * d), N.engramKV, N.f32s(d));
    const ring = N.engramRing + <usize>s * N.f32s(N.ring * d);
    memory.copy(at(ring, (p % N.ring) * d), at(N.engramKV, d), N.f32s(d));
    engram_conv_f32(at(N.engramV, s * d), ring, w + N.TAPS, p, N.dilation, N.ring, d);
  }
}

/** The engram site index at layer l, or -1. */
function siteAt(l: i32): i32 {
  for (let s = 0; s < N.nSites; s++) if (load<i32>(at(N.sites, s)) == l) return s;
  return -1;
}

/** y [d] = Block(x) - u for layer l at position pos (x is bx, u the pre-engram input). */
function block(y: usize, x: usize, u: usize, l: i32, pos: i32): void {
  const d = N.dModel;
  const w = N.layer(l);
  const x1 = N.blockX;
  memory.copy(x1, x, N.f32s(d));
  rmsnorm_zc_f32(N.normed, x1, w + N.NORM_IN, d);
  gated_attention_f32(N.proj, N.normed, l, pos);
  rmsnorm_zc_f32(N.proj, N.proj, w + N.POST_NORM, d);
  gated_add_f32(x1, N.proj, load<f32>(w + N.ATTN_GATE), d);
  rmsnorm_zc_f32(N.normed, x1, w + N.PRE_HADA, d);
  hadamard_mlp_f32(N.proj, N.normed, d, N.hada, N.hadaN, w + N.D1, w + N.D2, w + N.D3);
  for (let c = 0; c < d; c++) store<f32>(at(y, c), load<f32>(at(x1, c)) + load<f32>(at(N.proj, c)) - load<f32>(at(u, c)));
}

/** One position: tokens[pos] through every layer; logits after it when `wantLogits`. */
function step(pos: i32, wantLogits: bool): void {
  const d = N.dModel;
  const n = N.lanes;
  const token = load<i32>(at(N.tokens, pos));
  matrixRow(N.lanesX, N.embedding, d, token, <f32>Math.sqrt(<f64>d), FORMAT_F32);
  for (let l = 1; l < n; l++) memory.copy(at(N.lanesX, l * d), N.lanesX, N.f32s(d));
  engramStep(pos);
  for (let l = 0; l < N.nLayers; l++) {
    const w = N.layer(l);
    const lane = l % n;
    rms_unit_f32(N.normedLanes, N.lanesX, n * d);
    gemv_f32(N.mixOut, w + N.MIX, N.normedLanes, N.mixDim, n * d);
    mhc_pre_f32(N.u, N.lanesX, N.mixOut, load<f32>(w + N.A_PRE), w + N.B_PRE, lane, n, d);
    const s = siteAt(l);
    if (s >= 0) engram_inject_f32(N.bx, N.u, at(N.engramK, s * d), at(N.engramV, s * d), d);
    else memory.copy(N.bx, N.u, N.f32s(d));
    block(N.scratchA, N.bx, N.u, l, pos);
    mhc_post_f32(N.lanesNext, N.lanesX, N.scratchA, N.mixOut, load<f32>(w + N.A_POST), w + N.B_POST, load<f32>(w + N.A_RES), w + N.B_RES, lane, n, d, N.mixR);
    memory.copy(N.lanesX, N.lanesNext, N.f32s(n * d));
  }
  if (!wantLogits) return;
  const mean = N.scratchB;
  memory.fill(mean, 0, N.f32s(d));
  const inv = <f32>1 / <f32>n;
  for (let l = 0; l < n; l++) for (let c = 0; c < d; c++) store<f32>(at(mean, c), load<f32>(at(mean, c)) + load<f32>(at(N.lanesX, l * d + c)) * inv);
  rmsnorm_zc_f32(mean, mean, N.finalNorm, d);
  gemv_f32(N.logits, N.embedding, mean, N.vocab, d);
}

/**
 * Positions [from, to) of tokens[] (from = the cached length), logits after
 * the last. The caller keeps 0 ≤ from < to ≤ maxSeq.
 */
export function n2Forward(from: i32, to: i32): void {
  for (let p = from; p < to; p++) step(p, p == to - 1);
}
