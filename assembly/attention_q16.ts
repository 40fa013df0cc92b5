// Attention with keys and values held as int16, for the quantized weight
// formats (q8, q4): the score and weighted-sum dot products then run on
// i32x4.dot_i16x8_s (eight multiply-adds per instruction, half the bytes
// of f32), while softmax stays f32. The f32 and f16 formats use attend_f32.
//
// Keys and values of one kv head for `reserved` positions (R2 = reserved
// rounded up to even, hd8 = headDim rounded up to a multiple of 8, zeros
// past headDim):
//
//   K   [R2][hd8] i16           key j = K[j] · kScale[j]
//   V   [R2/2][hd8][2] i16      value j, dim e at V[j/2][e][j%2], · vScale[j]
//   kScale [R2] f32, vScale [R2] f32
//
// Query and key rows are scaled by their L2 norm / 32767: by Cauchy-Schwarz
// no dot product of two such rows (nor any partial sum) leaves ±32767²,
// so the i32 sums cannot overflow. Value rows are scaled by their own
// max|x| / 32767. Values come in pairs of positions so that one
// dot_i16x8_s against a pair of (already scaled) probabilities splatted
// adds both positions' contributions to four dims.
// The probabilities p_j · vScale[j] of a query are scaled by their sum /
// 32767, so the i32 sums never overflow (Σ|p16| ≤ 32767, |v16| ≤ 32767).
//
// Scratch (`scratch`): two query vectors as i16 [2][hd8], two score rows
// [2][nKeys] f32 and two probability rows [2][R2] i16 (see scratchBytes).

import { hsum } from "./matmul";
import { I16_MAX, round_i32x4 } from "./quant";
import { exp_f32x4 } from "./softmax";

const MASKED: f32 = -3.4028234663852886e38;

@inline function hd8Of(hd: i32): i32 {
  return (hd + 7) & ~7;
}

@inline function evenOf(n: i32): i32 {
  return (n + 1) & ~1;
}

/** Bytes of one kv head's block for `reserved` positions. */
export function kvHeadBytes(reserved: i32, hd: i32): usize {
  const r2 = <usize>evenOf(reserved);
  return r2 * <usize>hd8Of(hd) * 4 + r2 * 8;
}

/** Bytes of attend_q16's scratch. */
export function scratchBytes(nKeys: i32, hd: i32): usize {
  return ((<usize>hd8Of(hd) * 4 + 15) & ~(<usize>15)) + <usize>nKeys * 8 + <usize>evenOf(nKeys) * 4 + 16;
}

@inline function kOf(head: usize): usize {
  return head;
}

@inline function vOf(head: usize, r2: i32, hd8: i32): usize {
  return head + <usize>(r2 * hd8) * 2;
}

@inline function kScaleOf(head: usize, r2: i32, hd8: i32): usize {
  return head + <usize>(r2 * hd8) * 4;
}

@inline function vScaleOf(head: usize, r2: i32, hd8: i32): usize {
  return kScaleOf(head, r2, hd8) + (<usize>r2 << 2);
}

@inline function hmax(v: v128): f32 {
  return Mathf.max(Mathf.max(f32x4.extract_lane(v, 0), f32x4.extract_lane(v, 1)), Mathf.max(f32x4.extract_lane(v, 2), f32x4.extract_lane(v, 3)));
}

/** max|x[0..n)| */
function maxAbs(x: usize, n: i32): f32 {
  let mv = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) mv = f32x4.max(mv, f32x4.abs(v128.load(x + (<usize>i << 2))));
  let m = hmax(mv);
  for (; i < n; i++) m = Mathf.max(m, Mathf.abs(load<f32>(x + (<usize>i << 2))));
  return m;
}

/** ||x[0..n)||₂, rounded up a little so that every |x[i]| / norm · 32767 stays within ±32767. */
function norm2(x: usize, n: i32): f32 {
  let sv = f32x4.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    sv = f32x4.add(sv, f32x4.mul(v, v));
  }
  let s = hsum(sv);
  for (; i < n; i++) s += load<f32>(x + (<usize>i << 2)) * load<f32>(x + (<usize>i << 2));
  return Mathf.sqrt(s) * <f32>(1 + 1e-6);
}

/** Dims e..e+7 of x (hd f32) times inv, rounded, as i16x8; dims past hd are 0. */
@inline function quantize8(x: usize, e: i32, hd: i32, inv: f32): v128 {
  const src = x + (<usize>e << 2);
  const iv = f32x4.splat(inv);
  if (e + 8 <= hd) return i16x8.narrow_i32x4_s(round_i32x4(v128.load(src), iv), round_i32x4(v128.load(src, 16), iv));
  let v = i16x8.splat(0);
  for (let l = 0; l < hd - e; l++) v = setLane(v, l, <i16>nearest<f32>(load<f32>(src + (<usize>l << 2)) * inv));
  return v;
}

@inline function setLane(v: v128, l: i32, x: i16): v128 {
  switch (l) {
    case 0: return i16x8.replace_lane(v, 0, x);
    case 1: return i16x8.replace_lane(v, 1, x);
    case 2: return i16x8.replace_lane(v, 2, x);
    case 3: return i16x8.replace_lane(v, 3, x);
    case 4: return i16x8.replace_lane(v, 4, x);
    case 5: return i16x8.replace_lane(v, 5, x);
    case 6: return i16x8.replace_lane(v, 6, x);
    default: return i16x8.replace_lane(v, 7, x);
  }
}

/** Store the eight i16 lanes of v at p, p + 4, …, p + 28 (every other i16: one slot of a value pair). */
@inline function storePairSlots(p: usize, v: v128): void {
  store<i16>(p, i16x8.extract_lane_s(v, 0));
  store<i16>(p, i16x8.extract_lane_s(v, 1), 4);
  store<i16>(p, i16x8.extract_lane_s(v, 2), 8);
  store<i16>(p, i16x8.extract_lane_s(v, 3), 12);
  store<i16>(p, i16x8.extract_lane_s(v, 4), 16);
  store<i16>(p, i16x8.extract_lane_s(v, 5), 20);
  store<i16>(p, i16x8.extract_lane_s(v, 6), 24);
  store<i16>(p, i16x8.extract_lane_s(v, 7), 28);
}

/**
 * Store positions [pos, pos + n) of every kv head: src row t (srcStride
 * floats apart) holds the kv heads' keys side by side, then their values.
 * dst holds nKvHeads head blocks of kvHeadBytes(reserved, hd) each.
 */
export function store_kv_q16(dst: usize, reserved: i32, src: usize, srcStride: i32, n: i32, pos: i32, nKvHeads: i32, hd: i32): void {
  const hd8 = hd8Of(hd);
  const r2 = evenOf(reserved);
  const headB = kvHeadBytes(reserved, hd);
  for (let t = 0; t < n; t++) {
    const j = pos + t;
    const row = src + (<usize>(t * srcStride) << 2);
    for (let g = 0; g < nKvHeads; g++) {
      const head = dst + <usize>g * headB;
      const key = row + (<usize>(g * hd) << 2);
      const value = row + (<usize>((nKvHeads + g) * hd) << 2);
      const mk = norm2(key, hd);
      const mv = maxAbs(value, hd);
      store<f32>(kScaleOf(head, r2, hd8) + (<usize>j << 2), mk / I16_MAX);
      store<f32>(vScaleOf(head, r2, hd8) + (<usize>j << 2), mv / I16_MAX);
      const ik: f32 = mk > 0 ? I16_MAX / mk : 0;
      const iv: f32 = mv > 0 ? I16_MAX / mv : 0;
      const kRow = kOf(head) + (<usize>(j * hd8) << 1);
      const vPair = vOf(head, r2, hd8) + (<usize>((j >> 1) * hd8 * 2 + (j & 1)) << 1);
      for (let e = 0; e < hd8; e += 8) {
        v128.store(kRow + (<usize>e << 1), quantize8(key, e, hd, ik));
        storePairSlots(vPair + (<usize>e << 2), quantize8(value, e, hd, iv));
      }
    }
  }
}

/** Quantize a query vector (hd f32) into q16 [hd8] i16 by its L2 norm; returns its scale. */
function quantizeQuery(q16: usize, q: usize, hd: i32, hd8: i32): f32 {
  const m = norm2(q, hd);
  const inv: f32 = m > 0 ? I16_MAX / m : 0;
  for (let e = 0; e < hd8; e += 8) v128.store(q16 + (<usize>e << 1), quantize8(q, e, hd, inv));
  return m / I16_MAX;
}

/** [Σa, Σb, Σc, Σd]: the lane sums of four i32x4 vectors in one vector. */
@inline function transposeAdd(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = i32x4.add(i32x4.shuffle(a, b, 0, 4, 1, 5), i32x4.shuffle(a, b, 2, 6, 3, 7));
  const cd = i32x4.add(i32x4.shuffle(c, d, 0, 4, 1, 5), i32x4.shuffle(c, d, 2, 6, 3, 7));
  return i32x4.add(i32x4.shuffle(ab, cd, 0, 1, 4, 5), i32x4.shuffle(ab, cd, 2, 3, 6, 7));
}

@inline function hsumI32(v: v128): i32 {
  return i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3);
}

/** Scores of query vectors qa, qb (i16, scales sa, sb) against keys [0, nKeys) into rows da, db (scaled by `scale`). */
function scoreRows(da: usize, db: usize, qa: usize, qb: usize, sa: f32, sb: f32, scale: f32, head: usize, r2: i32, hd8: i32, nKeys: i32): void {
  const keys = kOf(head);
  const kScales = kScaleOf(head, r2, hd8);
  const rowB = <usize>hd8 << 1;
  const fa = f32x4.splat(sa * scale), fb = f32x4.splat(sb * scale);
  let j = 0;
  for (; j + 4 <= nKeys; j += 4) {
    const k0 = keys + <usize>j * rowB, k1 = k0 + rowB, k2 = k1 + rowB, k3 = k2 + rowB;
    let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
    let b0 = i32x4.splat(0), b1 = i32x4.splat(0), b2 = i32x4.splat(0), b3 = i32x4.splat(0);
    for (let e: usize = 0; e < rowB; e += 16) {
      const xa = v128.load(qa + e), xb = v128.load(qb + e);
      const w0 = v128.load(k0 + e), w1 = v128.load(k1 + e), w2 = v128.load(k2 + e), w3 = v128.load(k3 + e);
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(xa, w0));
      a1 = i32x4.add(a1, i32x4.dot_i16x8_s(xa, w1));
      a2 = i32x4.add(a2, i32x4.dot_i16x8_s(xa, w2));
      a3 = i32x4.add(a3, i32x4.dot_i16x8_s(xa, w3));
      b0 = i32x4.add(b0, i32x4.dot_i16x8_s(xb, w0));
      b1 = i32x4.add(b1, i32x4.dot_i16x8_s(xb, w1));
      b2 = i32x4.add(b2, i32x4.dot_i16x8_s(xb, w2));
      b3 = i32x4.add(b3, i32x4.dot_i16x8_s(xb, w3));
    }
    const ks = v128.load(kScales + (<usize>j << 2));
    v128.store(da + (<usize>j << 2), f32x4.mul(f32x4.mul(f32x4.convert_i32x4_s(transposeAdd(a0, a1, a2, a3)), ks), fa));
    v128.store(db + (<usize>j << 2), f32x4.mul(f32x4.mul(f32x4.convert_i32x4_s(transposeAdd(b0, b1, b2, b3)), ks), fb));
  }
  for (; j < nKeys; j++) {
    const k = keys + <usize>j * rowB;
    let a = i32x4.splat(0), b = i32x4.splat(0);
    for (let e: usize = 0; e < rowB; e += 16) {
      const w = v128.load(k + e);
      a = i32x4.add(a, i32x4.dot_i16x8_s(v128.load(qa + e), w));
      b = i32x4.add(b, i32x4.dot_i16x8_s(v128.load(qb + e), w));
    }
    const ks = load<f32>(kScales + (<usize>j << 2));
    store<f32>(da + (<usize>j << 2), <f32>hsumI32(a) * ks * sa * scale);
    store<f32>(db + (<usize>j << 2), <f32>hsumI32(b) * ks * sb * scale);
  }
}

/**
 * The probabilities of a (scaled, masked) scores row times the value
 * scales, as i16 pairs scaled by their sum / 32767 (the last odd slot 0);
 * returns the factor that turns Σ p16 · v16 into the attention output.
 * Softmax's own normalisation cancels out: with e = exp(s − max) and
 * w = e · vScale, p16 = w · 32767 / Σw and the factor is Σw / (32767 · Σe).
 * The row is overwritten with w.
 */
function probabilities16(p16: usize, s: usize, vScales: usize, nKeys: i32): f32 {
  const n4 = nKeys & ~3;
  let mv = f32x4.splat(-Infinity);
  for (let j = 0; j < n4; j += 4) mv = f32x4.pmax(mv, v128.load(s + (<usize>j << 2)));
  let m = hmax(mv);
  for (let j = n4; j < nKeys; j++) m = Mathf.max(m, load<f32>(s + (<usize>j << 2)));
  const mSplat = f32x4.splat(m);
  let ev = f32x4.splat(0), wv = f32x4.splat(0);
  for (let j = 0; j < n4; j += 4) {
    const p = s + (<usize>j << 2);
    const e = exp_f32x4(f32x4.sub(v128.load(p), mSplat));
    const w = f32x4.mul(e, v128.load(vScales + (<usize>j << 2)));
    v128.store(p, w);
    ev = f32x4.add(ev, e);
    wv = f32x4.add(wv, w);
  }
  let eSum = hsum(ev), wSum = hsum(wv);
  for (let j = n4; j < nKeys; j++) {
    const p = s + (<usize>j << 2);
    const e = f32x4.extract_lane(exp_f32x4(f32x4.splat(load<f32>(p) - m)), 0);
    const w = e * load<f32>(vScales + (<usize>j << 2));
    store<f32>(p, w);
    eSum += e;
    wSum += w;
  }
  const inv: f32 = wSum > 0 ? I16_MAX / wSum : 0;
  const iv = f32x4.splat(inv);
  const n8 = nKeys & ~7;
  for (let j = 0; j < n8; j += 8) {
    const p = s + (<usize>j << 2);
    v128.store(p16 + (<usize>j << 1), i16x8.narrow_i32x4_s(round_i32x4(v128.load(p), iv), round_i32x4(v128.load(p, 16), iv)));
  }
  for (let j = n8; j < nKeys; j++) store<i16>(p16 + (<usize>j << 1), <i16>nearest<f32>(load<f32>(s + (<usize>j << 2)) * inv));
  if (nKeys & 1) store<i16>(p16 + (<usize>nKeys << 1), 0);
  return wSum / (I16_MAX * eSum);
}

/** out[e..e+8) = lanes of lo, hi, those below hd. */
@inline function storeDims(out: usize, e: i32, hd: i32, lo: v128, hi: v128): void {
  const dst = out + (<usize>e << 2);
  if (e + 8 <= hd) {
    v128.store(dst, lo);
    v128.store(dst, hi, 16);
    return;
  }
  const n = hd - e;
  if (n > 0) store<f32>(dst, f32x4.extract_lane(lo, 0));
  if (n > 1) store<f32>(dst, f32x4.extract_lane(lo, 1), 4);
  if (n > 2) store<f32>(dst, f32x4.extract_lane(lo, 2), 8);
  if (n > 3) store<f32>(dst, f32x4.extract_lane(lo, 3), 12);
  if (n > 4) store<f32>(dst, f32x4.extract_lane(hi, 0), 16);
  if (n > 5) store<f32>(dst, f32x4.extract_lane(hi, 1), 20);
  if (n > 6) store<f32>(dst, f32x4.extract_lane(hi, 2), 24);
}

/** outA/outB [hd] = scale · Σ_pairs p16 · V for two probability rows (i16 pairs), 16 dims per pass
 *  (each probability splat feeds four products; measured faster than 8 dims per pass), then 8. */
function weightedSums(outA: usize, outB: usize, pa: usize, pb: usize, sa: f32, sb: f32, head: usize, r2: i32, hd: i32, hd8: i32, nKeys: i32): void {
  const values = vOf(head, r2, hd8);
  const pairs = evenOf(nKeys) >> 1;
  const pairB = <usize>hd8 << 2;
  const fa = f32x4.splat(sa), fb = f32x4.splat(sb);
  let e = 0;
  for (; e + 16 <= hd8; e += 16) {
    let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
    let b0 = i32x4.splat(0), b1 = i32x4.splat(0), b2 = i32x4.splat(0), b3 = i32x4.splat(0);
    let v = values + (<usize>e << 2);
    let ppa = pa, ppb = pb;
    for (let i = 0; i < pairs; i++) {
      const xa = v128.load32_splat(ppa);
      const xb = v128.load32_splat(ppb);
      const v0 = v128.load(v), v1 = v128.load(v, 16), v2 = v128.load(v, 32), v3 = v128.load(v, 48);
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(xa, v0));
      a1 = i32x4.add(a1, i32x4.dot_i16x8_s(xa, v1));
      a2 = i32x4.add(a2, i32x4.dot_i16x8_s(xa, v2));
      a3 = i32x4.add(a3, i32x4.dot_i16x8_s(xa, v3));
      b0 = i32x4.add(b0, i32x4.dot_i16x8_s(xb, v0));
      b1 = i32x4.add(b1, i32x4.dot_i16x8_s(xb, v1));
      b2 = i32x4.add(b2, i32x4.dot_i16x8_s(xb, v2));
      b3 = i32x4.add(b3, i32x4.dot_i16x8_s(xb, v3));
      ppa += 4; ppb += 4;
      v += pairB;
    }
    storeDims(outA, e, hd, f32x4.mul(f32x4.convert_i32x4_s(a0), fa), f32x4.mul(f32x4.convert_i32x4_s(a1), fa));
    storeDims(outA, e + 8, hd, f32x4.mul(f32x4.convert_i32x4_s(a2), fa), f32x4.mul(f32x4.convert_i32x4_s(a3), fa));
    storeDims(outB, e, hd, f32x4.mul(f32x4.convert_i32x4_s(b0), fb), f32x4.mul(f32x4.convert_i32x4_s(b1), fb));
    storeDims(outB, e + 8, hd, f32x4.mul(f32x4.convert_i32x4_s(b2), fb), f32x4.mul(f32x4.convert_i32x4_s(b3), fb));
  }
  if (e < hd8) {
    let a0 = i32x4.splat(0), a1 = i32x4.splat(0), b0 = i32x4.splat(0), b1 = i32x4.splat(0);
    let v = values + (<usize>e << 2);
    for (let i = 0; i < pairs; i++) {
      const ppa = v128.load32_splat(pa + (<usize>i << 2));
      const ppb = v128.load32_splat(pb + (<usize>i << 2));
      const v0 = v128.load(v), v1 = v128.load(v, 16);
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(ppa, v0));
      a1 = i32x4.add(a1, i32x4.dot_i16x8_s(ppa, v1));
      b0 = i32x4.add(b0, i32x4.dot_i16x8_s(ppb, v0));
      b1 = i32x4.add(b1, i32x4.dot_i16x8_s(ppb, v1));
      v += pairB;
    }
    storeDims(outA, e, hd, f32x4.mul(f32x4.convert_i32x4_s(a0), fa), f32x4.mul(f32x4.convert_i32x4_s(a1), fa));
    storeDims(outB, e, hd, f32x4.mul(f32x4.convert_i32x4_s(b0), fb), f32x4.mul(f32x4.convert_i32x4_s(b1), fb));
  }
}

/**
 * attend_f32's computation (same q and out layout, grouped-query heads,
 * padding mask) against int16 keys and values stored by store_kv_q16:
 * kv holds nKvHeads head blocks for `reserved` positions, of which the
 * first nKeys are attended. Query vectors of a kv head go two at a time.
 */
export function attend_q16(
  out: usize, outStride: i32, q: usize, qStride: i32, nQ: i32,
  kv: usize, reserved: i32, nKeys: i32, keyIds: usize, padId: i32,
  nHeads: i32, nKvHeads: i32, hd: i32, scratch: usize,
): void {
  const group = nHeads / nKvHeads;
  const hd8 = hd8Of(hd);
  const r2 = evenOf(reserved);
  const headB = kvHeadBytes(reserved, hd);
  const scale = <f32>(1.0 / Math.sqrt(<f64>hd));
  const q16a = scratch;
  const q16b = scratch + (<usize>hd8 << 1);
  const sA = scratch + ((<usize>hd8 * 4 + 15) & ~(<usize>15));
  const sB = sA + (<usize>nKeys << 2);
  const p16a = sB + (<usize>nKeys << 2);
  const p16b = p16a + (<usize>evenOf(nKeys) << 1);
  let anyPad = false;
  for (let j = 0; j < nKeys; j++) if (load<i32>(keyIds + (<usize>j << 2)) == padId) anyPad = true;
  const nVec = nQ * group;
  for (let g = 0; g < nKvHeads; g++) {
    const head = kv + <usize>g * headB;
    for (let u = 0; u < nVec; u += 2) {
      const two = u + 1 < nVec;
      // Query vector u of this kv head: position u / group, head g*group + u % group.
      const qa = q + (<usize>((u / group) * qStride + (g * group + u % group) * hd) << 2);
      const oa = out + (<usize>((u / group) * outStride + (g * group + u % group) * hd) << 2);
      const v = two ? u + 1 : u;
      const qb = q + (<usize>((v / group) * qStride + (g * group + v % group) * hd) << 2);
      const ob = out + (<usize>((v / group) * outStride + (g * group + v % group) * hd) << 2);
      const sqa = quantizeQuery(q16a, qa, hd, hd8);
      const sqb = two ? quantizeQuery(q16b, qb, hd, hd8) : sqa;
      const qbi = two ? q16b : q16a;
      scoreRows(sA, sB, q16a, qbi, sqa, sqb, scale, head, r2, hd8, nKeys);
      if (anyPad) {
        for (let j = 0; j < nKeys; j++) {
          if (load<i32>(keyIds + (<usize>j << 2)) != padId) continue;
          store<f32>(sA + (<usize>j << 2), MASKED);
          store<f32>(sB + (<usize>j << 2), MASKED);
        }
      }
      const vScales = vScaleOf(head, r2, hd8);
      const spa = probabilities16(p16a, sA, vScales, nKeys);
      const spb = two ? probabilities16(p16b, sB, vScales, nKeys) : spa;
      weightedSums(oa, ob, p16a, two ? p16b : p16a, spa, spb, head, r2, hd, hd8, nKeys);
    }
  }
}
