// Scaled dot-product attention for a block of query positions that share
// their keys, all heads, grouped-query (query head h reads kv head
// h / (nHeads / nKvHeads)). One query row at a time in the sense that no
// score matrix is kept: at most four query vectors' scores at once.
//
//   q      row t at q + t*qStride floats: [nHeads][headDim]
//   keys   key j of kv head g at k + g*kvHeadStride + j*kvStride floats:
//          rows [nKeys][kvHeads*headDim] (kvHeadStride = headDim) or
//          head-major [kvHeads][…][headDim] (kvStride = headDim)
//   values the same layout from v
//   keyIds [nKeys] i32: a key whose id equals padId is masked, as the
//          reference masks padding (its score becomes the f32 minimum)
//   out    row t at out + t*outStride floats: [nHeads][headDim]
//   scores [4][nKeys] scratch
//
// The query vectors of one kv head (group heads × nQ positions) are taken
// four, two or one at a time, so each key and value row loaded feeds
// several of them.

import { dot_f32, tile2x4 } from "./matmul";
import { softmax_scaled_f32 } from "./softmax";

const MASKED: f32 = -3.4028234663852886e38;

/** Keys per block: a block's key or value rows (64 × headDim floats) stay in L1 while the scores
 *  of a second query pair, or every dimension chunk of the weighted sums, pass over them. */
const KEY_BLOCK = 64;

@inline function at(base: usize, i: i32): usize {
  return base + (<usize>i << 2);
}

// Query vector pointers of the current tile (up to four).
let q0: usize = 0, q1: usize = 0, q2: usize = 0, q3: usize = 0;
let o0: usize = 0, o1: usize = 0, o2: usize = 0, o3: usize = 0;

/** Raw scores of query vectors qa, qb (qb unused when one) against every key, into rows sa, sb. */
function scoreRows(two: bool, sa: usize, sb: usize, qa: usize, qb: usize, k: usize, kvStride: i32, nKeys: i32, hd: i32): void {
  const rowBytes = <usize>kvStride << 2;
  let j = 0;
  if (two) {
    for (; j + 4 <= nKeys; j += 4) tile2x4(at(sa, j), at(sb, j), qa, qb, k + <usize>j * rowBytes, rowBytes, 16, hd, 4);
  }
  for (; j < nKeys; j++) {
    const kj = k + <usize>j * rowBytes;
    store<f32>(at(sa, j), dot_f32(qa, kj, hd));
    if (two) store<f32>(at(sb, j), dot_f32(qb, kj, hd));
  }
}

/** Give padding keys the masked score in a scores row. */
function mask(s: usize, nKeys: i32, keyIds: usize, padId: i32): void {
  for (let j = 0; j < nKeys; j++) if (load<i32>(at(keyIds, j)) == padId) store<f32>(at(s, j), MASKED);
}

/** Raw, masked scores of `m` (1, 2 or 4) query vectors against every key, into rows of `scores`.
 *  Four vectors go as two pairs over each block of KEY_BLOCK keys, so the second pair finds the
 *  block's key rows in L1. */
function scoreTile(m: i32, k: usize, kvStride: i32, nKeys: i32, keyIds: usize, padId: i32, anyPad: bool, hd: i32, scores: usize): void {
  const rowBytes = <usize>nKeys << 2;
  if (m > 2) {
    const keyBytes = <usize>kvStride << 2;
    for (let j0 = 0; j0 < nKeys; j0 += KEY_BLOCK) {
      const n = j0 + KEY_BLOCK < nKeys ? KEY_BLOCK : nKeys - j0;
      const kb = k + <usize>j0 * keyBytes;
      const s = at(scores, j0);
      scoreRows(true, s, s + rowBytes, q0, q1, kb, kvStride, n, hd);
      scoreRows(true, s + 2 * rowBytes, s + 3 * rowBytes, q2, q3, kb, kvStride, n, hd);
    }
  } else {
    scoreRows(m > 1, scores, scores + rowBytes, q0, q1, k, kvStride, nKeys, hd);
  }
  if (anyPad) for (let i = 0; i < m; i++) mask(scores + <usize>i * rowBytes, nKeys, keyIds, padId);
}

/** out_i = Σ_j p_i[j] · v_j for the `m` query vectors of the tile (p = softmaxed scores rows).
 *  Keys go in blocks of KEY_BLOCK; a dimension chunk's sums are stored after each block and reloaded
 *  for the next, so each lane still adds its terms in key order (the same bits as one pass). */
function weightedSumTile(m: i32, v: usize, kvStride: i32, nKeys: i32, hd: i32, scores: usize): void {
  const row = <usize>kvStride << 2;
  const rowBytes = <usize>nKeys << 2;
  // Four vectors: 8 floats of each per pass over the keys; one or two: 16.
  const width = m > 2 ? 8 : 16;
  const main = hd - hd % width;
  for (let j0 = 0; j0 < nKeys; j0 += KEY_BLOCK) {
    const j1 = j0 + KEY_BLOCK < nKeys ? j0 + KEY_BLOCK : nKeys;
    for (let e = 0; e < main; e += width) {
      let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a10 = f32x4.splat(0), a11 = f32x4.splat(0);
      let a20 = f32x4.splat(0), a21 = f32x4.splat(0), a30 = f32x4.splat(0), a31 = f32x4.splat(0);
      if (j0 > 0) {
        a00 = v128.load(at(o0, e));
        a01 = v128.load(at(o0, e), 16);
        if (m > 2) {
          a10 = v128.load(at(o1, e));
          a11 = v128.load(at(o1, e), 16);
          a20 = v128.load(at(o2, e));
          a21 = v128.load(at(o2, e), 16);
          a30 = v128.load(at(o3, e));
          a31 = v128.load(at(o3, e), 16);
        } else {
          a20 = v128.load(at(o0, e), 32);
          a21 = v128.load(at(o0, e), 48);
          if (m > 1) {
            a10 = v128.load(at(o1, e));
            a11 = v128.load(at(o1, e), 16);
            a30 = v128.load(at(o1, e), 32);
            a31 = v128.load(at(o1, e), 48);
          }
        }
      }
      for (let j = j0; j < j1; j++) {
        const vj = at(v + <usize>j * row, e);
        const s = at(scores, j);
        const x0 = v128.load(vj);
        const x1 = v128.load(vj, 16);
        const p0 = v128.load32_splat(s);
        a00 = f32x4.add(a00, f32x4.mul(p0, x0));
        a01 = f32x4.add(a01, f32x4.mul(p0, x1));
        if (m > 2) {
          const p1 = v128.load32_splat(s + rowBytes);
          const p2 = v128.load32_splat(s + 2 * rowBytes);
          const p3 = v128.load32_splat(s + 3 * rowBytes);
          a10 = f32x4.add(a10, f32x4.mul(p1, x0));
          a11 = f32x4.add(a11, f32x4.mul(p1, x1));
          a20 = f32x4.add(a20, f32x4.mul(p2, x0));
          a21 = f32x4.add(a21, f32x4.mul(p2, x1));
          a30 = f32x4.add(a30, f32x4.mul(p3, x0));
          a31 = f32x4.add(a31, f32x4.mul(p3, x1));
        } else {
          // Lanes 8..15 of vector 0 in a2x, of vector 1 in a1x / a3x.
          const x2 = v128.load(vj, 32);
          const x3 = v128.load(vj, 48);
          a20 = f32x4.add(a20, f32x4.mul(p0, x2));
          a21 = f32x4.add(a21, f32x4.mul(p0, x3));
          if (m > 1) {
            const p1 = v128.load32_splat(s + rowBytes);
            a10 = f32x4.add(a10, f32x4.mul(p1, x0));
            a11 = f32x4.add(a11, f32x4.mul(p1, x1));
            a30 = f32x4.add(a30, f32x4.mul(p1, x2));
            a31 = f32x4.add(a31, f32x4.mul(p1, x3));
          }
        }
      }
      v128.store(at(o0, e), a00);
      v128.store(at(o0, e), a01, 16);
      if (m > 2) {
        v128.store(at(o1, e), a10);
        v128.store(at(o1, e), a11, 16);
        v128.store(at(o2, e), a20);
        v128.store(at(o2, e), a21, 16);
        v128.store(at(o3, e), a30);
        v128.store(at(o3, e), a31, 16);
      } else {
        v128.store(at(o0, e), a20, 32);
        v128.store(at(o0, e), a21, 48);
        if (m > 1) {
          v128.store(at(o1, e), a10);
          v128.store(at(o1, e), a11, 16);
          v128.store(at(o1, e), a30, 32);
          v128.store(at(o1, e), a31, 48);
        }
      }
    }
  }
  for (let e = main; e < hd; e++) {
    let s0: f32 = 0, s1: f32 = 0, s2: f32 = 0, s3: f32 = 0;
    for (let j = 0; j < nKeys; j++) {
      const x = load<f32>(at(v + <usize>j * row, e));
      const s = at(scores, j);
      s0 += load<f32>(s) * x;
      if (m > 1) s1 += load<f32>(s + rowBytes) * x;
      if (m > 2) {
        s2 += load<f32>(s + 2 * rowBytes) * x;
        s3 += load<f32>(s + 3 * rowBytes) * x;
      }
    }
    store<f32>(at(o0, e), s0);
    if (m > 1) store<f32>(at(o1, e), s1);
    if (m > 2) {
      store<f32>(at(o2, e), s2);
      store<f32>(at(o3, e), s3);
    }
  }
}

export function attend_f32(
  out: usize, outStride: i32, q: usize, qStride: i32, nQ: i32,
  k: usize, v: usize, kvStride: i32, kvHeadStride: i32, nKeys: i32, keyIds: usize, padId: i32,
  nHeads: i32, nKvHeads: i32, headDim: i32, scores: usize,
): void {
  const group = nHeads / nKvHeads;
  const scale = <f32>(1.0 / Math.sqrt(<f64>headDim));
  const nVec = nQ * group;
  const rowBytes = <usize>nKeys << 2;
  let anyPad = false;
  for (let j = 0; j < nKeys; j++) if (load<i32>(at(keyIds, j)) == padId) anyPad = true;
  for (let g = 0; g < nKvHeads; g++) {
    const kg = at(k, g * kvHeadStride);
    const vg = at(v, g * kvHeadStride);
    for (let u = 0; u < nVec; ) {
      const m = nVec - u >= 4 ? 4 : nVec - u >= 2 ? 2 : 1;
      // Query vector u of this kv head: position u / group, head g*group + u % group.
      q0 = at(q, (u / group) * qStride + (g * group + u % group) * headDim);
      o0 = at(out, (u / group) * outStride + (g * group + u % group) * headDim);
      if (m > 1) {
        q1 = at(q, ((u + 1) / group) * qStride + (g * group + (u + 1) % group) * headDim);
        o1 = at(out, ((u + 1) / group) * outStride + (g * group + (u + 1) % group) * headDim);
      }
      if (m > 2) {
        q2 = at(q, ((u + 2) / group) * qStride + (g * group + (u + 2) % group) * headDim);
        o2 = at(out, ((u + 2) / group) * outStride + (g * group + (u + 2) % group) * headDim);
        q3 = at(q, ((u + 3) / group) * qStride + (g * group + (u + 3) % group) * headDim);
        o3 = at(out, ((u + 3) / group) * outStride + (g * group + (u + 3) % group) * headDim);
      }
      scoreTile(m, kg, kvStride, nKeys, keyIds, padId, anyPad, headDim, scores);
      for (let i = 0; i < m; i++) softmax_scaled_f32(scores + <usize>i * rowBytes, nKeys, scale);
      weightedSumTile(m, vg, kvStride, nKeys, headDim, scores);
      u += m;
    }
  }
}
