// Needle 2's forward pass (decode.py _forward_cached) over the KV cache and
// the engram value ring, CHUNK positions per step (layout.ts): a prompt's
// positions share each weight product (a GEMM), a generated token is a step
// of one (a GEMV). Per position:
//
//   x0 = E[tok]·sqrt(d);  per site: engram k, v' (engram.ts);  X = n copies of x0
//   per layer: mix = rms_unit(X)·phi;  u = pre-mix;  bx = u (+ engram at a site)
//              y = Block(bx) - u;  X = R·X + hpost ⊗ y           (mhc.ts)
//   Block(x):  x += σ(g)·zcrms(attn(zcrms(x)));  x += HadamardMLP(zcrms(x))
//   logits = E · zcrms(mean_l X[l])   (after the last position only)
// While a probe head pools (probes.ts), each position's x0 and lane means go to it.

import * as N from "./layout";
import { matrixRow } from "../linear";
import { rmsnorm_zc_f32, rmsnorm_zc_rows_f32 } from "../norm";
import { gated_add_f32 } from "../residual";
import { engram_conv_f32, engram_gather_f32, engram_inject_f32 } from "./engram";
import { lane_mean_f32, mhc_post_f32, mhc_pre_f32, rms_unit_f32 } from "./mhc";
import { pool_cell_f32, pool_lanes_f32 } from "./probes";
import { hadamard_mlp_f32 } from "./hadamard";
import { gated_attention_f32 } from "./gated_attention";
import { n2Linear } from "./linear";

@inline function at(base: usize, i: i32): usize {
  return base + (<usize>i << 2);
}

/** Engram keys and convolved values of every site at positions p0..p0+m-1 (tokens up to them known). */
function engramStep(p0: i32, m: i32): void {
  const d = N.dModel;
  const sitesD = N.nSites * d;
  for (let s = 0; s < N.nSites; s++) {
    const w = N.site(s);
    for (let t = 0; t < m; t++) {
      engram_gather_f32(at(N.engramE, t * N.engramDim), w + N.TABLES, N.tokens, p0 + t, N.nTables, N.slots, N.subDim, N.orders, N.nOrders);
    }
    n2Linear(N.engramKV, N.engramE, m, w + N.KV, 2 * d, N.engramDim);
    const ring = N.engramRing + <usize>s * N.f32s(N.ring * d);
    for (let t = 0; t < m; t++) {
      const kv = at(N.engramKV, t * 2 * d);
      memory.copy(at(N.engramK, t * sitesD + s * d), kv, N.f32s(d));
      memory.copy(at(ring, ((p0 + t) % N.ring) * d), at(kv, d), N.f32s(d));
    }
    // Every value this chunk's convolutions read is in the ring now.
    for (let t = 0; t < m; t++) engram_conv_f32(at(N.engramV, t * sitesD + s * d), ring, w + N.TAPS, p0 + t, N.dilation, N.ring, d);
  }
}

/** The engram site index at layer l, or -1. */
function siteAt(l: i32): i32 {
  for (let s = 0; s < N.nSites; s++) if (load<i32>(at(N.sites, s)) == l) return s;
  return -1;
}

/** y [m][d] = Block(x) - u for layer l at positions p0.. (x is bx, u the pre-engram input). */
function block(y: usize, x: usize, u: usize, l: i32, p0: i32, m: i32): void {
  const d = N.dModel;
  const w = N.layer(l);
  const x1 = N.blockX;
  memory.copy(x1, x, N.f32s(m * d));
  rmsnorm_zc_rows_f32(N.normed, x1, w + N.NORM_IN, m, d);
  gated_attention_f32(N.proj, N.normed, l, p0, m);
  rmsnorm_zc_rows_f32(N.proj, N.proj, w + N.POST_NORM, m, d);
  gated_add_f32(x1, N.proj, load<f32>(w + N.ATTN_GATE), m * d);
  rmsnorm_zc_rows_f32(N.normed, x1, w + N.PRE_HADA, m, d);
  for (let t = 0; t < m; t++) hadamard_mlp_f32(at(N.proj, t * d), at(N.normed, t * d), d, N.hada, N.hadaN, w + N.D1, w + N.D2, w + N.D3);
  for (let c = 0; c < m * d; c++) store<f32>(at(y, c), load<f32>(at(x1, c)) + load<f32>(at(N.proj, c)) - load<f32>(at(u, c)));
}

/** Whether position p's cells go to the probes being pooled (probes.ts). */
@inline function pooled(p: i32): bool {
  return N.poolCount > 0 && load<i32>(at(N.tokens, p)) != N.poolPad;
}

/** Positions p0..p0+m-1 (m ≤ CHUNK) through every layer; logits after the last when `wantLogits`. */
function step(p0: i32, m: i32, wantLogits: bool): void {
  const d = N.dModel;
  const n = N.lanes;
  const nd = n * d;
  const sitesD = N.nSites * d;
  for (let t = 0; t < m; t++) {
    const x = at(N.lanesX, t * nd);
    matrixRow(x, N.embedding, d, load<i32>(at(N.tokens, p0 + t)), <f32>Math.sqrt(<f64>d), N.format);
    for (let l = 1; l < n; l++) memory.copy(at(x, l * d), x, N.f32s(d));
    if (pooled(p0 + t)) pool_cell_f32(x);
  }
  engramStep(p0, m);
  for (let l = 0; l < N.nLayers; l++) {
    const w = N.layer(l);
    const lane = l % n;
    for (let t = 0; t < m; t++) rms_unit_f32(at(N.normedLanes, t * nd), at(N.lanesX, t * nd), nd);
    n2Linear(N.mixOut, N.normedLanes, m, w + N.MIX, N.mixDim, nd);
    const aPre = load<f32>(w + N.A_PRE);
    for (let t = 0; t < m; t++) mhc_pre_f32(at(N.u, t * d), at(N.lanesX, t * nd), at(N.mixOut, t * N.mixDim), aPre, w + N.B_PRE, lane, n, d);
    const s = siteAt(l);
    if (s >= 0) {
      for (let t = 0; t < m; t++) engram_inject_f32(at(N.bx, t * d), at(N.u, t * d), at(N.engramK, t * sitesD + s * d), at(N.engramV, t * sitesD + s * d), d);
    } else {
      memory.copy(N.bx, N.u, N.f32s(m * d));
    }
    block(N.scratchA, N.bx, N.u, l, p0, m);
    const aPost = load<f32>(w + N.A_POST);
    const aRes = load<f32>(w + N.A_RES);
    for (let t = 0; t < m; t++) {
      mhc_post_f32(at(N.lanesNext, t * nd), at(N.lanesX, t * nd), at(N.scratchA, t * d), at(N.mixOut, t * N.mixDim), aPost, w + N.B_POST, aRes, w + N.B_RES, lane, n, d, N.mixR);
    }
    memory.copy(N.lanesX, N.lanesNext, N.f32s(m * nd));
    for (let t = 0; t < m; t++) if (pooled(p0 + t)) pool_lanes_f32(at(N.lanesX, t * nd));
  }
  if (!wantLogits) return;
  const mean = N.scratchB;
  lane_mean_f32(mean, at(N.lanesX, (m - 1) * nd), n, d);
  rmsnorm_zc_f32(mean, mean, N.finalNorm, d);
  n2Linear(N.logits, mean, 1, N.embedding, N.vocab, d);
}

/**
 * Positions [from, to) of tokens[] (from = the cached length), CHUNK at a
 * time, logits after the last. The caller keeps 0 ≤ from < to ≤ maxSeq.
 */
export function n2Forward(from: i32, to: i32): void {
  for (let p = from; p < to; p += N.CHUNK) {
    const m = to - p < N.CHUNK ? to - p : N.CHUNK;
    step(p, m, p + m == to);
  }
}
