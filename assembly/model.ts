// Needle's forward pass, top to bottom.
//
// encode(n):        encIds[0..n) → 12 encoder layers → encoderOut [n][d];
//                   then crossKV (K and V per kv head) for every decoder layer, once.
// decodeStep(t, p): one decoder token at position p → 8 decoder layers with
//                   kvCache → logits [vocab].
// embedText(n):     encoder over encIds[0..n) → mean over non-pad rows →
//                   contrastive head → embeddingOut [conDim], L2-normalised.

import * as L from "./layout";
import { gemv_f32, dot_f32 } from "./matmul";
import { matrixRow } from "./linear";
import { parallelAttend, parallelLinear } from "./parallel";
import { rmsnorm_zc_f32, rmsnorm_zc_rows_f32, rmsnorm_zc_heads_f32 } from "./norm";
import { rope_half_f32 } from "./rope";
import { KV_F32, KV_Q16, attendKV, storeKV, weightsKVFormat } from "./kv";
import { gated_add_f32 } from "./residual";
import { ffn_act_f32 } from "./ffn";

/** Encoder positions of the current query (set by encode). */
let nEnc: i32 = 0;

@inline function f32s(n: i32): usize {
  return <usize>n << 2;
}

@inline function ropeRow(table: usize, pos: i32): usize {
  return table + f32s(pos * (L.headDim >> 1));
}

/** dst[t] = embedding[ids[t]] · sqrt(d) for t < n. */
function embedRows(dst: usize, ids: usize, n: i32): void {
  const d = L.dModel;
  const scale = <f32>Math.sqrt(<f64>d);
  for (let t = 0; t < n; t++) matrixRow(dst + f32s(t * d), L.embedding, d, load<i32>(ids + f32s(t)), scale, L.weightFormat);
}

/** out [n][rows] = x [n][cols] · W [rows][cols]ᵀ in the model's weight format (shared among threads). */
@inline function project(out: usize, x: usize, n: i32, w: usize, rows: i32, cols: i32): void {
  parallelLinear(out, x, n, w, rows, cols, L.weightFormat);
}

/** x += sigmoid(ffn_gate) · FFN(ZCRMSNorm(x)) over n rows. */
function feedForwardRows(x: usize, n: i32, gain: usize, gateUp: usize, down: usize, gate: f32, normed: usize, hidden: usize, proj: usize): void {
  const d = L.dModel;
  rmsnorm_zc_rows_f32(normed, x, gain, n, d);
  project(hidden, normed, n, gateUp, 2 * L.dFF, d);
  ffn_act_f32(hidden, n, L.dFF, L.ffnKind);
  project(proj, hidden, n, down, d, L.dFF);
  gated_add_f32(x, proj, gate, n * d);
}

/** The encoder over encIds[0..n): encoderOut = final_norm(layers(embed(ids))). */
function runEncoder(n: i32): void {
  const d = L.dModel;
  const hd = L.headDim;
  const qkvDim = L.qkvDim;
  const x = L.encoderOut; // [n][d] residual stream
  embedRows(x, L.encIds, n);
  for (let l = 0; l < L.encLayers; l++) {
    const w = L.encLayer(l);
    // Self-attention, bidirectional, padding mask only.
    const q = L.encQKV; // rows [n][q: d | k: kvDim | v: kvDim], qkvDim apart
    const k = q + f32s(d);
    const v = k + f32s(L.kvDim);
    rmsnorm_zc_rows_f32(L.encNormed, x, w + L.E_NORM0, n, d);
    project(q, L.encNormed, n, w + L.E_QKV, qkvDim, d);
    rmsnorm_zc_heads_f32(q, w + L.E_QNORM, n, qkvDim, L.nHeads, hd);
    rmsnorm_zc_heads_f32(k, w + L.E_KNORM, n, qkvDim, L.nKvHeads, hd);
    for (let t = 0; t < n; t++) {
      const row = f32s(t * qkvDim);
      rope_half_f32(q + row, L.nHeads, hd, ropeRow(L.ropeCos, t), ropeRow(L.ropeSin, t));
      rope_half_f32(k + row, L.nKvHeads, hd, ropeRow(L.ropeCos, t), ropeRow(L.ropeSin, t));
    }
    // Query positions in blocks that give four query vectors per kv head.
    const block = max(1, 4 / (L.nHeads / L.nKvHeads));
    if (weightsKVFormat() == KV_Q16) {
      storeKV(KV_Q16, L.encKV16, L.maxEnc, k, qkvDim, n, 0);
      parallelAttend(L.encAttn, d, q, qkvDim, n, L.encKV16, 0, L.maxEnc, n, L.encIds, block);
    } else {
      parallelAttend(L.encAttn, d, q, qkvDim, n, k, v, qkvDim, n, L.encIds, block); // K and V read in place
    }
    project(L.encProj, L.encAttn, n, w + L.E_OUT, d, d);
    gated_add_f32(x, L.encProj, load<f32>(w + L.E_ATTN_GATE), n * d);
    if (L.ffnKind) {
      feedForwardRows(x, n, w + L.E_NORM1, w + L.E_FF_GATE_UP, w + L.E_FF_DOWN, load<f32>(w + L.E_FFN_GATE), L.encNormed, L.encFFN, L.encProj);
    }
  }
  rmsnorm_zc_rows_f32(x, x, L.encFinalNorm, n, d);
}

/** Run the encoder, then project every decoder layer's cross-attention K/V once. */
export function encode(n: i32): void {
  nEnc = n;
  runEncoder(n);
  const kvRow = 2 * L.kvDim;
  const crossRows = L.encQKV; // scratch rows [n][K | V]
  for (let l = 0; l < L.decLayers; l++) {
    const w = L.decLayer(l);
    project(crossRows, L.encoderOut, n, w + L.D_CROSS_KV, kvRow, L.dModel);
    rmsnorm_zc_heads_f32(crossRows, w + L.D_CROSS_KNORM, n, kvRow, L.nKvHeads, L.headDim);
    storeKV(weightsKVFormat(), L.crossLayer(l), L.maxEnc, crossRows, kvRow, n, 0);
  }
}

/** One decoder step: token at position pos (0 = the start token) → logits. */
export function decodeStep(token: i32, pos: i32): void {
  const d = L.dModel;
  const hd = L.headDim;
  const kvRow = 2 * L.kvDim;
  const x = L.decX; // [d] residual stream
  const q = L.decQKV; // [q: d | k: kvDim | v: kvDim]
  const k = q + f32s(d);
  store<i32>(L.decTokens + f32s(pos), token);
  embedRows(x, L.decTokens + f32s(pos), 1);
  for (let l = 0; l < L.decLayers; l++) {
    const w = L.decLayer(l);

    // Causal self-attention with RoPE over kvCache[l][0..pos].
    rmsnorm_zc_f32(L.decNormed, x, w + L.D_NORM0, d);
    project(q, L.decNormed, 1, w + L.D_SELF_QKV, L.qkvDim, d);
    rmsnorm_zc_heads_f32(q, w + L.D_SELF_QNORM, 1, 0, L.nHeads, hd);
    rmsnorm_zc_heads_f32(k, w + L.D_SELF_KNORM, 1, 0, L.nKvHeads, hd);
    rope_half_f32(q, L.nHeads, hd, ropeRow(L.ropeCos, pos), ropeRow(L.ropeSin, pos));
    rope_half_f32(k, L.nKvHeads, hd, ropeRow(L.ropeCos, pos), ropeRow(L.ropeSin, pos));
    const kvCache = L.kvCache + f32s(l * L.maxDec * kvRow); // this layer's [2][kvHeads][maxDec][hd]
    storeKV(KV_F32, kvCache, L.maxDec, k, 0, 1, pos);
    attendKV(KV_F32, L.decAttn, q, L.qkvDim, 1, kvCache, L.maxDec, pos + 1, L.decTokens);
    project(L.decProj, L.decAttn, 1, w + L.D_SELF_OUT, d, d);
    gated_add_f32(x, L.decProj, load<f32>(w + L.D_SELF_GATE), d);

    // Cross-attention to the encoder output, no RoPE, encoder padding mask.
    rmsnorm_zc_f32(L.decNormed, x, w + L.D_NORM1, d);
    project(q, L.decNormed, 1, w + L.D_CROSS_Q, d, d); // [q: d]
    rmsnorm_zc_heads_f32(q, w + L.D_CROSS_QNORM, 1, 0, L.nHeads, hd);
    attendKV(weightsKVFormat(), L.decAttn, q, d, 1, L.crossLayer(l), L.maxEnc, nEnc, L.encIds);
    project(L.decProj, L.decAttn, 1, w + L.D_CROSS_OUT, d, d);
    gated_add_f32(x, L.decProj, load<f32>(w + L.D_CROSS_GATE), d);

    if (L.ffnKind) {
      feedForwardRows(x, 1, w + L.D_NORM2, w + L.D_FF_GATE_UP, w + L.D_FF_DOWN, load<f32>(w + L.D_FFN_GATE), L.decNormed, L.decFFN, L.decProj);
    }
  }
  rmsnorm_zc_f32(L.decNormed, x, L.decFinalNorm, d);
  project(L.logits, L.decNormed, 1, L.embedding, L.vocab, d); // tied output projection
}

/** The contrastive retrieval vector of encIds[0..n) (n may be 0). */
export function embedText(n: i32): void {
  const d = L.dModel;
  runEncoder(n);
  // Mean over non-pad positions, count clamped to 1.
  memory.fill(L.pooled, 0, f32s(d));
  let count = 0;
  for (let t = 0; t < n; t++) {
    if (load<i32>(L.encIds + f32s(t)) == L.padId) continue;
    gated_add_f32(L.pooled, L.encoderOut + f32s(t * d), 1, d);
    count++;
  }
  const inv = <f32>1 / <f32>max(count, 1);
  for (let i = 0; i < d; i++) store<f32>(L.pooled + f32s(i), load<f32>(L.pooled + f32s(i)) * inv);
  // relu(pooled · W1 + b1) → · W2 → L2 normalise.
  gemv_f32(L.conHiddenOut, L.pooled, L.conHiddenW, L.conHidden, d); // the contrastive head stays f32
  for (let i = 0; i < L.conHidden; i++) {
    const p = L.conHiddenOut + f32s(i);
    store<f32>(p, Mathf.max(load<f32>(p) + load<f32>(L.conHiddenB + f32s(i)), 0));
  }
  gemv_f32(L.embeddingOut, L.conHiddenOut, L.conProjW, L.conDim, L.conHidden);
  const norm = <f32>(1.0 / Math.sqrt(<f64>dot_f32(L.embeddingOut, L.embeddingOut, L.conDim) + 1e-12));
  for (let i = 0; i < L.conDim; i++) store<f32>(L.embeddingOut + f32s(i), load<f32>(L.embeddingOut + f32s(i)) * norm);
}
