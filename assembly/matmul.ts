// Matrix products with f32 and f16 weights stored [rows][cols] (layout.ts).
//   gemv_*: one input vector (a decode step).
//   gemm_*: n input rows (prefill), tiled 2 inputs × 4 weight rows so every
//           loaded vector feeds several multiply-adds.
// f16 weights are widened to f32 exactly: in the GEMV lane by lane as they
// stream in, in the GEMM four rows at a time into a scratch block that then
// serves every input row.

import { f16_to_f32 } from "./convert";

@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

@inline function at(base: usize, i: i32): usize {
  return base + (<usize>i << 2);
}

/** Scalar dot product of a and b over [from, to). */
@inline function dotTail(a: usize, b: usize, from: i32, to: i32): f32 {
  let s: f32 = 0;
  for (let i = from; i < to; i++) s += load<f32>(at(a, i)) * load<f32>(at(b, i));
  return s;
}

/** dot(a[0..n), b[0..n)) */
export function dot_f32(a: usize, b: usize, n: i32): f32 {
  const n4 = n & ~3;
  let acc0 = f32x4.splat(0);
  let acc1 = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n4; i += 8) {
    acc0 = f32x4.add(acc0, f32x4.mul(v128.load(at(a, i)), v128.load(at(b, i))));
    acc1 = f32x4.add(acc1, f32x4.mul(v128.load(at(a, i), 16), v128.load(at(b, i), 16)));
  }
  for (; i < n4; i += 4) acc0 = f32x4.add(acc0, f32x4.mul(v128.load(at(a, i)), v128.load(at(b, i))));
  return hsum(f32x4.add(acc0, acc1)) + dotTail(a, b, n4, n);
}

/** dst[0..4) = dot(x, w_k) for the four rows w_k = w + k*rowStride bytes. */
@inline function tile1x4(dst: usize, x: usize, w: usize, rowStride: usize, cols: i32): void {
  const n4 = cols & ~3;
  const w1 = w + rowStride, w2 = w1 + rowStride, w3 = w2 + rowStride;
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  for (let i = 0; i < n4; i += 4) {
    const xv = v128.load(at(x, i));
    a0 = f32x4.add(a0, f32x4.mul(v128.load(at(w, i)), xv));
    a1 = f32x4.add(a1, f32x4.mul(v128.load(at(w1, i)), xv));
    a2 = f32x4.add(a2, f32x4.mul(v128.load(at(w2, i)), xv));
    a3 = f32x4.add(a3, f32x4.mul(v128.load(at(w3, i)), xv));
  }
  store<f32>(dst, hsum(a0) + dotTail(w, x, n4, cols));
  store<f32>(dst, hsum(a1) + dotTail(w1, x, n4, cols), 4);
  store<f32>(dst, hsum(a2) + dotTail(w2, x, n4, cols), 8);
  store<f32>(dst, hsum(a3) + dotTail(w3, x, n4, cols), 12);
}

/** da[0..4), db[0..4) = dots of inputs xa, xb with the four rows at w (rowStride bytes apart). */
@inline export function tile2x4(da: usize, db: usize, xa: usize, xb: usize, w: usize, rowStride: usize, cols: i32): void {
  const n4 = cols & ~3;
  const w1 = w + rowStride, w2 = w1 + rowStride, w3 = w2 + rowStride;
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
  for (let i = 0; i < n4; i += 4) {
    const xva = v128.load(at(xa, i));
    const xvb = v128.load(at(xb, i));
    const wv0 = v128.load(at(w, i));
    const wv1 = v128.load(at(w1, i));
    const wv2 = v128.load(at(w2, i));
    const wv3 = v128.load(at(w3, i));
    a0 = f32x4.add(a0, f32x4.mul(xva, wv0));
    a1 = f32x4.add(a1, f32x4.mul(xva, wv1));
    a2 = f32x4.add(a2, f32x4.mul(xva, wv2));
    a3 = f32x4.add(a3, f32x4.mul(xva, wv3));
    b0 = f32x4.add(b0, f32x4.mul(xvb, wv0));
    b1 = f32x4.add(b1, f32x4.mul(xvb, wv1));
    b2 = f32x4.add(b2, f32x4.mul(xvb, wv2));
    b3 = f32x4.add(b3, f32x4.mul(xvb, wv3));
  }
  store<f32>(da, hsum(a0) + dotTail(xa, w, n4, cols));
  store<f32>(da, hsum(a1) + dotTail(xa, w1, n4, cols), 4);
  store<f32>(da, hsum(a2) + dotTail(xa, w2, n4, cols), 8);
  store<f32>(da, hsum(a3) + dotTail(xa, w3, n4, cols), 12);
  store<f32>(db, hsum(b0) + dotTail(xb, w, n4, cols));
  store<f32>(db, hsum(b1) + dotTail(xb, w1, n4, cols), 4);
  store<f32>(db, hsum(b2) + dotTail(xb, w2, n4, cols), 8);
  store<f32>(db, hsum(b3) + dotTail(xb, w3, n4, cols), 12);
}

/** out[r] = dot(w[r][0..cols), x[0..cols)) for r < rows. */
export function gemv_f32(out: usize, w: usize, x: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  let r = 0;
  for (; r + 4 <= rows; r += 4) tile1x4(at(out, r), x, w + <usize>r * rowBytes, rowBytes, cols);
  for (; r < rows; r++) store<f32>(at(out, r), dot_f32(w + <usize>r * rowBytes, x, cols));
}

/** Rows [r, r+4) of an n-row product against the 4 weight rows at w (rowStride bytes apart). */
function columnBlock(out: usize, outRows: i32, r: i32, x: usize, n: i32, w: usize, rowStride: usize, cols: i32): void {
  const xBytes = <usize>cols << 2;
  const outBytes = <usize>outRows << 2;
  let t = 0;
  for (; t + 2 <= n; t += 2) {
    const da = at(out + <usize>t * outBytes, r);
    tile2x4(da, da + outBytes, x + <usize>t * xBytes, x + <usize>(t + 1) * xBytes, w, rowStride, cols);
  }
  if (t < n) tile1x4(at(out + <usize>t * outBytes, r), x + <usize>t * xBytes, w, rowStride, cols);
}

/** out[t][r] = dot(x[t][0..cols), w[r][0..cols)) for t < n, r < rows; out rows are `rows` wide. */
export function gemm_f32(out: usize, x: usize, w: usize, n: i32, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 2;
  const xBytes = rowBytes;
  const outBytes = <usize>rows << 2;
  let r = 0;
  for (; r + 4 <= rows; r += 4) columnBlock(out, rows, r, x, n, w + <usize>r * rowBytes, rowBytes, cols);
  for (; r < rows; r++) {
    const wr = w + <usize>r * rowBytes;
    for (let t = 0; t < n; t++) store<f32>(at(out + <usize>t * outBytes, r), dot_f32(x + <usize>t * xBytes, wr, cols));
  }
}

// ---------------------------------------------------------------- f16

const TWO_POW_112: f32 = 5.192296858534828e33;

/** Four halves (u16 lanes widened to u32) to f32, exactly, for finite values. */
@inline function halvesToF32(u: v128): v128 {
  const magnitude = f32x4.mul(i32x4.shl(v128.and(u, i32x4.splat(0x7fff)), 13), f32x4.splat(TWO_POW_112));
  return v128.or(magnitude, i32x4.shl(v128.and(u, i32x4.splat(0x8000)), 16));
}

@inline function half(w: usize, i: i32): f32 {
  return f16_to_f32(<u32>load<u16>(w + (<usize>i << 1)));
}

/** out[r] = dot(w[r] (f16), x) for r < rows. */
export function gemv_f16(out: usize, w: usize, x: usize, rows: i32, cols: i32): void {
  const rowBytes = <usize>cols << 1;
  const n8 = cols & ~7;
  for (let r = 0; r < rows; r++) {
    const wr = w + <usize>r * rowBytes;
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0);
    for (let i = 0; i < n8; i += 8) {
      const h = v128.load(wr + (<usize>i << 1));
      a0 = f32x4.add(a0, f32x4.mul(halvesToF32(i32x4.extend_low_i16x8_u(h)), v128.load(at(x, i))));
      a1 = f32x4.add(a1, f32x4.mul(halvesToF32(i32x4.extend_high_i16x8_u(h)), v128.load(at(x, i), 16)));
    }
    let s = hsum(f32x4.add(a0, a1));
    for (let i = n8; i < cols; i++) s += half(wr, i) * load<f32>(at(x, i));
    store<f32>(at(out, r), s);
  }
}

/** Widen `count` f16 rows (cols each) at w into f32 rows at dst. */
function widenRows(dst: usize, w: usize, count: i32, cols: i32): void {
  const n = count * cols;
  const n8 = n & ~7;
  for (let i = 0; i < n8; i += 8) {
    const h = v128.load(w + (<usize>i << 1));
    v128.store(at(dst, i), halvesToF32(i32x4.extend_low_i16x8_u(h)));
    v128.store(at(dst, i), halvesToF32(i32x4.extend_high_i16x8_u(h)), 16);
  }
  for (let i = n8; i < n; i++) store<f32>(at(dst, i), half(w, i));
}

/** gemm_f32 with f16 weights; `block` is scratch for 4 widened rows ([4][cols] f32). */
export function gemm_f16(out: usize, x: usize, w: usize, n: i32, rows: i32, cols: i32, block: usize): void {
  const rowBytes = <usize>cols << 1;
  const blockStride = <usize>cols << 2;
  let r = 0;
  for (; r < rows; r += 4) {
    const count = rows - r < 4 ? rows - r : 4;
    widenRows(block, w + <usize>r * rowBytes, count, cols);
    if (count == 4) {
      columnBlock(out, rows, r, x, n, block, blockStride, cols);
    } else {
      for (let k = 0; k < count; k++) {
        for (let t = 0; t < n; t++) {
          store<f32>(at(out + (<usize>(t * rows) << 2), r + k), dot_f32(x + (<usize>(t * cols) << 2), block + <usize>k * blockStride, cols));
        }
      }
    }
  }
}
