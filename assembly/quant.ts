// Quantized matrix products (q8, q4 weights; see format.ts). Activations
// are quantized first, per row and group of 32, to int16 (scale = max|x| /
// 32767), so products run on i32x4.dot_i16x8_s: eight multiply-adds per
// instruction, exact in i32 (|x| ≤ 32767, |w| ≤ 127, 32 terms per group).
//
// Weights come in quads of rows, a group block at a time (format.ts): each
// 8 bytes hold one input pair of the quad's four rows, so the dot product
// against that activation pair splatted to all lanes gives the four rows'
// partial sums, one per lane. After each group the quad's i32 sums are
// converted to f32 and scaled by the group's four weight scales (stored
// after its weights) times the activation scale.
//
// The q8 GEMV (decode) comes in two forms with identical results. gemv_q8
// takes one quad at a time, so the weights stream from memory in one
// sequential run; gemv_q8_wide takes four quads side by side (four streams
// 2.3 KB apart at d_model 512), sharing each activation load across them.
// Which is faster depends on the machine, measured: on an AMD EPYC guest
// four streams fall from 28 to 13 GMAC/s once the matrix is out of cache
// while one stream holds about 22 (int8 decode 560-600 vs 710-810 tok/s);
// on an Intel Xeon guest with a 260 MB L3 four streams are faster at every
// size (19.5 vs 15.1 GMAC/s in cache, 17.1 vs 14.5 at 18 MiB; decode 850
// vs 763). The session layer times both on the running machine and keeps
// the faster (lib/engine/gemv-tuner.ts); set_gemv_wide switches.
//
//   x16 [n][groups*32] i16 (zero-padded), xs [n][groups] f32
//   w   the matrix (format.ts); out [n][rows] f32

import { GROUP, Q4_BLOCK, Q8_BLOCK } from "./format";

export const I16_MAX: f32 = 32767;
/** 1.5 · 2^23: adding it rounds an f32 below 2^22 to an integer (half to even), held in the low mantissa bits. */
const ROUNDER: f32 = 12582912.0;
const ROUNDER_BITS: i32 = 0x4b400000;

/** round(x · inv) in i32 lanes, half to even (as `nearest`), for |x · inv| < 2^22. */
@inline export function round_i32x4(x: v128, inv: v128): v128 {
  return i32x4.sub(f32x4.add(f32x4.mul(x, inv), f32x4.splat(ROUNDER)), i32x4.splat(ROUNDER_BITS));
}

/** Quantize n rows of `cols` f32 (x) into x16 / xs. */
export function quantize_rows_i16(x16: usize, xs: usize, x: usize, n: i32, cols: i32): void {
  const groups = (cols + GROUP - 1) / GROUP;
  for (let t = 0; t < n; t++) {
    const row = x + (<usize>(t * cols) << 2);
    const qrow = x16 + (<usize>(t * groups * GROUP) << 1);
    for (let g = 0; g < groups; g++) {
      const from = g * GROUP;
      const to = from + GROUP < cols ? from + GROUP : cols;
      const src = row + (<usize>from << 2);
      const dst = qrow + (<usize>from << 1);
      if (to - from == GROUP) {
        let mv = f32x4.abs(v128.load(src));
        for (let i = 4; i < GROUP; i += 4) mv = f32x4.max(mv, f32x4.abs(v128.load(src + (<usize>i << 2))));
        const m = Mathf.max(Mathf.max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), Mathf.max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
        store<f32>(xs + (<usize>(t * groups + g) << 2), m / I16_MAX);
        const inv = f32x4.splat(m > 0 ? I16_MAX / m : <f32>0);
        for (let i = 0; i < GROUP; i += 8) {
          const a = round_i32x4(v128.load(src + (<usize>i << 2)), inv);
          const b = round_i32x4(v128.load(src + (<usize>i << 2), 16), inv);
          v128.store(dst + (<usize>i << 1), i16x8.narrow_i32x4_s(a, b));
        }
        continue;
      }
      let m: f32 = 0;
      for (let i = from; i < to; i++) m = Mathf.max(m, Mathf.abs(load<f32>(row + (<usize>i << 2))));
      store<f32>(xs + (<usize>(t * groups + g) << 2), m / I16_MAX);
      const inv = m > 0 ? I16_MAX / m : <f32>0;
      for (let i = from; i < from + GROUP; i++) {
        const v = i < to ? nearest<f32>(load<f32>(row + (<usize>i << 2)) * inv) : <f32>0;
        store<i16>(qrow + (<usize>i << 1), <i16>v);
      }
    }
  }
}

/** acc + f32(sums) · quadScales · xScale */
@inline function scaleQuad(acc: v128, sums: v128, quadScales: v128, xScale: f32): v128 {
  return f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(sums), f32x4.mul(quadScales, f32x4.splat(xScale))));
}

/** Store the first `valid` lanes of a quad's four results at out[r..]. */
@inline function storeQuad(out: usize, r: i32, quad: v128, valid: i32): void {
  const dst = out + (<usize>r << 2);
  if (valid >= 4) {
    v128.store(dst, quad);
    return;
  }
  store<f32>(dst, f32x4.extract_lane(quad, 0));
  if (valid > 1) store<f32>(dst, f32x4.extract_lane(quad, 1), 4);
  if (valid > 2) store<f32>(dst, f32x4.extract_lane(quad, 2), 8);
}

// ---------------------------------------------------------------- q8

/** out[r] = Σ_g xs[g]·ws[r][g]·Σ_i x16[g][i]·w[r][g][i] for one activation row, a quad at a time:
 *  the weights are read as one sequential stream, which the hardware prefetcher keeps up with once
 *  the matrix is no longer in cache (as in decode, where every matrix is read once per token).
 *  Four input pairs per loop pass at constant offsets from walking pointers: on the Intel Xeon
 *  guest 6–8 % faster than one pair per step at computed offsets, in cache and out of it (one
 *  pair per pass and a whole group per pass are both slower: V8 then hoists the loads). */
export function gemv_q8(out: usize, x16: usize, xs: usize, w: usize, rows: i32, groups: i32): void {
  let p = w;
  for (let r = 0; r < rows; r += 4) {
    let acc = f32x4.splat(0);
    let x = x16, scale = xs;
    for (let g = 0; g < groups; g++) {
      let s0 = i32x4.splat(0), s1 = i32x4.splat(0);
      for (let k = 0; k < 4; k++) {
        s0 = i32x4.add(s0, i32x4.dot_i16x8_s(v128.load32_splat(x), v128.load8x8_s(p)));
        s1 = i32x4.add(s1, i32x4.dot_i16x8_s(v128.load32_splat(x, 4), v128.load8x8_s(p, 8)));
        s0 = i32x4.add(s0, i32x4.dot_i16x8_s(v128.load32_splat(x, 8), v128.load8x8_s(p, 16)));
        s1 = i32x4.add(s1, i32x4.dot_i16x8_s(v128.load32_splat(x, 12), v128.load8x8_s(p, 24)));
        p += 32; x += 16;
      }
      // p is at the group's four weight scales now
      acc = scaleQuad(acc, i32x4.add(s0, s1), v128.load(p), load<f32>(scale));
      p += 16; scale += 4;
    }
    storeQuad(out, r, acc, rows - r);
  }
}

/** gemv_q8 taken four quads (16 rows) side by side, each activation load shared by the four weight
 *  streams (two input pairs per loop pass at constant offsets from walking pointers); rows past the
 *  last multiple of 16 go through gemv_q8. Same sums in the same order: results equal gemv_q8's. */
export function gemv_q8_wide(out: usize, x16: usize, xs: usize, w: usize, rows: i32, groups: i32): void {
  const quadB = <usize>groups * Q8_BLOCK;
  let pa = w;
  let r = 0;
  for (; r + 16 <= rows; r += 16) {
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    let pb = pa + quadB, pc = pa + 2 * quadB, pd = pa + 3 * quadB;
    let x = x16, scale = xs;
    for (let g = 0; g < groups; g++) {
      let s0 = i32x4.splat(0), s1 = i32x4.splat(0), s2 = i32x4.splat(0), s3 = i32x4.splat(0);
      for (let k = 0; k < 8; k++) {
        let xk = v128.load32_splat(x);
        s0 = i32x4.add(s0, i32x4.dot_i16x8_s(xk, v128.load8x8_s(pa)));
        s1 = i32x4.add(s1, i32x4.dot_i16x8_s(xk, v128.load8x8_s(pb)));
        s2 = i32x4.add(s2, i32x4.dot_i16x8_s(xk, v128.load8x8_s(pc)));
        s3 = i32x4.add(s3, i32x4.dot_i16x8_s(xk, v128.load8x8_s(pd)));
        xk = v128.load32_splat(x, 4);
        s0 = i32x4.add(s0, i32x4.dot_i16x8_s(xk, v128.load8x8_s(pa, 8)));
        s1 = i32x4.add(s1, i32x4.dot_i16x8_s(xk, v128.load8x8_s(pb, 8)));
        s2 = i32x4.add(s2, i32x4.dot_i16x8_s(xk, v128.load8x8_s(pc, 8)));
        s3 = i32x4.add(s3, i32x4.dot_i16x8_s(xk, v128.load8x8_s(pd, 8)));
        pa += 16; pb += 16; pc += 16; pd += 16; x += 8;
      }
      // each pointer is at its quad's four weight scales of the group now
      const xScale = load<f32>(scale);
      a0 = scaleQuad(a0, s0, v128.load(pa), xScale);
      a1 = scaleQuad(a1, s1, v128.load(pb), xScale);
      a2 = scaleQuad(a2, s2, v128.load(pc), xScale);
      a3 = scaleQuad(a3, s3, v128.load(pd), xScale);
      pa += 16; pb += 16; pc += 16; pd += 16; scale += 4;
    }
    const dst = out + (<usize>r << 2);
    v128.store(dst, a0);
    v128.store(dst, a1, 16);
    v128.store(dst, a2, 32);
    v128.store(dst, a3, 48);
    pa = pd;
  }
  if (r < rows) gemv_q8(out + (<usize>r << 2), x16, xs, pa, rows - r, groups);
}

/** out[t][r..r+4) for the four activation rows at x (xRowB apart; scales xs, scaleB apart) against
 *  the quad at p; o rows outB apart. Two input pairs per loop pass at constant offsets from walking
 *  pointers (measured: four or more pairs per pass are slower, as V8 then hoists the loads and spills). */
@inline function quadTile4(o: usize, outB: usize, x: usize, xRowB: usize, xs: usize, scaleB: usize, p: usize, groups: i32, r: i32, valid: i32): void {
  let f0 = f32x4.splat(0), f1 = f32x4.splat(0), f2 = f32x4.splat(0), f3 = f32x4.splat(0);
  let xa = x, xb = x + xRowB, xc = x + 2 * xRowB, xd = x + 3 * xRowB;
  for (let g = 0; g < groups; g++) {
    let s0 = i32x4.splat(0), s1 = i32x4.splat(0), s2 = i32x4.splat(0), s3 = i32x4.splat(0);
    for (let k = 0; k < 8; k++) {
      let wk = v128.load8x8_s(p);
      s0 = i32x4.add(s0, i32x4.dot_i16x8_s(v128.load32_splat(xa), wk));
      s1 = i32x4.add(s1, i32x4.dot_i16x8_s(v128.load32_splat(xb), wk));
      s2 = i32x4.add(s2, i32x4.dot_i16x8_s(v128.load32_splat(xc), wk));
      s3 = i32x4.add(s3, i32x4.dot_i16x8_s(v128.load32_splat(xd), wk));
      wk = v128.load8x8_s(p, 8);
      s0 = i32x4.add(s0, i32x4.dot_i16x8_s(v128.load32_splat(xa, 4), wk));
      s1 = i32x4.add(s1, i32x4.dot_i16x8_s(v128.load32_splat(xb, 4), wk));
      s2 = i32x4.add(s2, i32x4.dot_i16x8_s(v128.load32_splat(xc, 4), wk));
      s3 = i32x4.add(s3, i32x4.dot_i16x8_s(v128.load32_splat(xd, 4), wk));
      p += 16;
      xa += 8; xb += 8; xc += 8; xd += 8;
    }
    // p is at the group's four weight scales now
    const scales = v128.load(p);
    const xsg = xs + (<usize>g << 2);
    f0 = scaleQuad(f0, s0, scales, load<f32>(xsg));
    f1 = scaleQuad(f1, s1, scales, load<f32>(xsg + scaleB));
    f2 = scaleQuad(f2, s2, scales, load<f32>(xsg + 2 * scaleB));
    f3 = scaleQuad(f3, s3, scales, load<f32>(xsg + 3 * scaleB));
    p += 16;
  }
  storeQuad(o, r, f0, valid);
  storeQuad(o + outB, r, f1, valid);
  storeQuad(o + 2 * outB, r, f2, valid);
  storeQuad(o + 3 * outB, r, f3, valid);
}

/** quadTile4 for two neighbouring quads at once (pa, pb = pa + one quad; rows r..r+8, the second
 *  quad's `validB` of them valid): each activation load feeds both quads, two weight streams.
 *  Measured on 256 inputs × 512 columns: 10–12 % faster than one quad per pass, and one input pair
 *  per loop pass suits it best (V8 unrolls it by two itself without spilling the eight sums). */
@inline function quadPairTile4(o: usize, outB: usize, x: usize, xRowB: usize, xs: usize, scaleB: usize, pa: usize, pb: usize, groups: i32, r: i32, validB: i32): void {
  let f0 = f32x4.splat(0), f1 = f32x4.splat(0), f2 = f32x4.splat(0), f3 = f32x4.splat(0);
  let f4 = f32x4.splat(0), f5 = f32x4.splat(0), f6 = f32x4.splat(0), f7 = f32x4.splat(0);
  let xa = x, xb = x + xRowB, xc = x + 2 * xRowB, xd = x + 3 * xRowB;
  for (let g = 0; g < groups; g++) {
    let s0 = i32x4.splat(0), s1 = i32x4.splat(0), s2 = i32x4.splat(0), s3 = i32x4.splat(0);
    let s4 = i32x4.splat(0), s5 = i32x4.splat(0), s6 = i32x4.splat(0), s7 = i32x4.splat(0);
    for (let k = 0; k < 16; k++) {
      const wa = v128.load8x8_s(pa);
      const wb = v128.load8x8_s(pb);
      let xv = v128.load32_splat(xa);
      s0 = i32x4.add(s0, i32x4.dot_i16x8_s(xv, wa));
      s4 = i32x4.add(s4, i32x4.dot_i16x8_s(xv, wb));
      xv = v128.load32_splat(xb);
      s1 = i32x4.add(s1, i32x4.dot_i16x8_s(xv, wa));
      s5 = i32x4.add(s5, i32x4.dot_i16x8_s(xv, wb));
      xv = v128.load32_splat(xc);
      s2 = i32x4.add(s2, i32x4.dot_i16x8_s(xv, wa));
      s6 = i32x4.add(s6, i32x4.dot_i16x8_s(xv, wb));
      xv = v128.load32_splat(xd);
      s3 = i32x4.add(s3, i32x4.dot_i16x8_s(xv, wa));
      s7 = i32x4.add(s7, i32x4.dot_i16x8_s(xv, wb));
      pa += 8; pb += 8;
      xa += 4; xb += 4; xc += 4; xd += 4;
    }
    const scalesA = v128.load(pa), scalesB = v128.load(pb);
    const xsg = xs + (<usize>g << 2);
    const x0 = load<f32>(xsg), x1 = load<f32>(xsg + scaleB), x2 = load<f32>(xsg + 2 * scaleB), x3 = load<f32>(xsg + 3 * scaleB);
    f0 = scaleQuad(f0, s0, scalesA, x0);
    f1 = scaleQuad(f1, s1, scalesA, x1);
    f2 = scaleQuad(f2, s2, scalesA, x2);
    f3 = scaleQuad(f3, s3, scalesA, x3);
    f4 = scaleQuad(f4, s4, scalesB, x0);
    f5 = scaleQuad(f5, s5, scalesB, x1);
    f6 = scaleQuad(f6, s6, scalesB, x2);
    f7 = scaleQuad(f7, s7, scalesB, x3);
    pa += 16; pb += 16;
  }
  storeQuad(o, r, f0, 4);
  storeQuad(o + outB, r, f1, 4);
  storeQuad(o + 2 * outB, r, f2, 4);
  storeQuad(o + 3 * outB, r, f3, 4);
  storeQuad(o, r + 4, f4, validB);
  storeQuad(o + outB, r + 4, f5, validB);
  storeQuad(o + 2 * outB, r + 4, f6, validB);
  storeQuad(o + 3 * outB, r + 4, f7, validB);
}

/** gemv_q8 for n activation rows: four at a time against two quads (then one, if the count is odd),
 *  sharing each weight load across the four rows and each activation load across the quads;
 *  out rows are `rows` wide. */
export function gemm_q8(out: usize, x16: usize, xs: usize, w: usize, n: i32, rows: i32, groups: i32): void {
  const xRowB = <usize>groups * GROUP * 2;
  const scaleB = <usize>groups << 2;
  const outB = <usize>rows << 2;
  const quadB = <usize>groups * Q8_BLOCK;
  let t = 0;
  for (; t + 4 <= n; t += 4) {
    const x0 = x16 + <usize>t * xRowB;
    const xs0 = xs + <usize>t * scaleB;
    const o0 = out + <usize>t * outB;
    let r = 0;
    for (; r + 4 < rows; r += 8) {
      const pa = w + <usize>(r >> 2) * quadB;
      quadPairTile4(o0, outB, x0, xRowB, xs0, scaleB, pa, pa + quadB, groups, r, rows - r - 4);
    }
    if (r < rows) quadTile4(o0, outB, x0, xRowB, xs0, scaleB, w + <usize>(r >> 2) * quadB, groups, r, rows - r);
  }
  for (; t < n; t++) gemv_q8(out + <usize>t * outB, x16 + <usize>t * xRowB, xs + <usize>t * scaleB, w, rows, groups);
}

// ---------------------------------------------------------------- q4

/** Low nibbles of a q4 chunk as i8x16 values (q): pairs 4c and 4c + 1. */
@inline function unpackLow(packed: v128): v128 {
  return i8x16.sub(v128.and(packed, i8x16.splat(0x0f)), i8x16.splat(8));
}

/** High nibbles of a q4 chunk as i8x16 values (q): pairs 4c + 2 and 4c + 3. */
@inline function unpackHigh(packed: v128): v128 {
  return i8x16.sub(v128.and(i16x8.shr_u(packed, 4), i8x16.splat(0x0f)), i8x16.splat(8));
}

/** Sums of one q4 group block (w) against one activation group (x: 32 i16). */
@inline function groupQ4(x: usize, w: usize): v128 {
  let s = i32x4.splat(0);
  for (let c: usize = 0; c < 4; c++) {
    const packed = v128.load(w + (c << 4));
    const low = unpackLow(packed), high = unpackHigh(packed);
    const xc = x + (c << 4);
    s = i32x4.add(s, i32x4.dot_i16x8_s(v128.load32_splat(xc), i16x8.extend_low_i8x16_s(low)));
    s = i32x4.add(s, i32x4.dot_i16x8_s(v128.load32_splat(xc, 4), i16x8.extend_high_i8x16_s(low)));
    s = i32x4.add(s, i32x4.dot_i16x8_s(v128.load32_splat(xc, 8), i16x8.extend_low_i8x16_s(high)));
    s = i32x4.add(s, i32x4.dot_i16x8_s(v128.load32_splat(xc, 12), i16x8.extend_high_i8x16_s(high)));
  }
  return s;
}

/** gemv_q8 for q4 weights, a quad at a time (one sequential weight stream). */
export function gemv_q4(out: usize, x16: usize, xs: usize, w: usize, rows: i32, groups: i32): void {
  let p = w;
  for (let r = 0; r < rows; r += 4) {
    let acc = f32x4.splat(0);
    for (let g = 0; g < groups; g++) {
      acc = scaleQuad(acc, groupQ4(x16 + (<usize>g << 6), p), v128.load(p, 64), load<f32>(xs + (<usize>g << 2)));
      p += Q4_BLOCK;
    }
    storeQuad(out, r, acc, rows - r);
  }
}

/** Two input pairs' contribution (weights c0, c1 widened) for activation row x at chunk offset. */
@inline function pairs2(s: v128, x: usize, c0: v128, c1: v128): v128 {
  s = i32x4.add(s, i32x4.dot_i16x8_s(v128.load32_splat(x), c0));
  return i32x4.add(s, i32x4.dot_i16x8_s(v128.load32_splat(x, 4), c1));
}

/** gemv_q4 for n activation rows, four at a time so each unpacked chunk feeds all four. */
export function gemm_q4(out: usize, x16: usize, xs: usize, w: usize, n: i32, rows: i32, groups: i32): void {
  const xRowB = <usize>groups * GROUP * 2;
  const scaleB = <usize>groups << 2;
  const outB = <usize>rows << 2;
  let t = 0;
  for (; t + 4 <= n; t += 4) {
    const x0 = x16 + <usize>t * xRowB;
    const xs0 = xs + <usize>t * scaleB;
    const o0 = out + <usize>t * outB;
    let p = w;
    for (let r = 0; r < rows; r += 4) {
      let f0 = f32x4.splat(0), f1 = f32x4.splat(0), f2 = f32x4.splat(0), f3 = f32x4.splat(0);
      for (let g = 0; g < groups; g++) {
        const xg = x0 + (<usize>g << 6);
        let s0 = i32x4.splat(0), s1 = i32x4.splat(0), s2 = i32x4.splat(0), s3 = i32x4.splat(0);
        for (let c: usize = 0; c < 4; c++) {
          const packed = v128.load(p + (c << 4));
          const low = unpackLow(packed), high = unpackHigh(packed);
          const lo0 = i16x8.extend_low_i8x16_s(low), lo1 = i16x8.extend_high_i8x16_s(low);
          const xc = xg + (c << 4);
          s0 = pairs2(s0, xc, lo0, lo1);
          s1 = pairs2(s1, xc + xRowB, lo0, lo1);
          s2 = pairs2(s2, xc + 2 * xRowB, lo0, lo1);
          s3 = pairs2(s3, xc + 3 * xRowB, lo0, lo1);
          const hi0 = i16x8.extend_low_i8x16_s(high), hi1 = i16x8.extend_high_i8x16_s(high);
          s0 = pairs2(s0, xc + 8, hi0, hi1);
          s1 = pairs2(s1, xc + xRowB + 8, hi0, hi1);
          s2 = pairs2(s2, xc + 2 * xRowB + 8, hi0, hi1);
          s3 = pairs2(s3, xc + 3 * xRowB + 8, hi0, hi1);
        }
        const scales = v128.load(p, 64);
        const xsg = xs0 + (<usize>g << 2);
        f0 = scaleQuad(f0, s0, scales, load<f32>(xsg));
        f1 = scaleQuad(f1, s1, scales, load<f32>(xsg + scaleB));
        f2 = scaleQuad(f2, s2, scales, load<f32>(xsg + 2 * scaleB));
        f3 = scaleQuad(f3, s3, scales, load<f32>(xsg + 3 * scaleB));
        p += Q4_BLOCK;
      }
      const valid = rows - r;
      storeQuad(o0, r, f0, valid);
      storeQuad(o0 + outB, r, f1, valid);
      storeQuad(o0 + 2 * outB, r, f2, valid);
      storeQuad(o0 + 3 * outB, r, f3, valid);
    }
  }
  for (; t < n; t++) gemv_q4(out + <usize>t * outB, x16 + <usize>t * xRowB, xs + <usize>t * scaleB, w, rows, groups);
}
