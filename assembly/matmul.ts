// Matrix products with f32 and f16 weights (format.ts).
//   gemv_*: one input vector (a decode step).
//   gemm_*: n input rows (prefill), tiled 2 inputs × 4 weight rows so every
//           loaded vector feeds several multiply-adds.
// f32 matrices come in quads of rows interleaved by 4-column chunks, so a
// tile of four rows reads one stream. f16 matrices are plain rows, widened
// to f32 exactly: in the GEMV lane by lane as they stream in, in the GEMM a
// quad at a time into a scratch block (laid out as an f32 quad) that then
// serves every input row.
//
// A tile's rows are addressed by two strides: row k's columns 4c..4c+3 sit at
// w + k·rowStride + c·chunkStride bytes (an f32 quad: 16 and 64; rows of a
// plain matrix, such as attention keys: the row's bytes and 16).

import { f16_to_f32 } from "./tensor_import";
import { FORMAT_F32, quadBytes } from "./format";

@inline export function hsum(v: v128): f32 {
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

/** Σ over the tail columns [n4, cols) of x · row k of a tile (its last, partial chunk). */
@inline function tileTail(x: usize, w: usize, chunkStride: usize, n4: i32, cols: i32): f32 {
  return dotTail(x, w + <usize>(n4 >> 2) * chunkStride - (<usize>n4 << 2), n4, cols);
}

/** Store the first `valid` of four sums at dst. */
@inline function store4(dst: usize, s0: f32, s1: f32, s2: f32, s3: f32, valid: i32): void {
  store<f32>(dst, s0);
  if (valid > 1) store<f32>(dst, s1, 4);
  if (valid > 2) store<f32>(dst, s2, 8);
  if (valid > 3) store<f32>(dst, s3, 12);
}

/** dst[0..valid) = dots of x with the four rows of a tile at w (strides above). */
@inline function tile1x4(dst: usize, x: usize, w: usize, rowStride: usize, chunkStride: usize, cols: i32, valid: i32): void {
  const n4 = cols & ~3;
  const w1 = w + rowStride, w2 = w1 + rowStride, w3 = w2 + rowStride;
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let c: usize = 0;
  for (let i = 0; i < n4; i += 4) {
    const xv = v128.load(at(x, i));
    a0 = f32x4.add(a0, f32x4.mul(v128.load(w + c), xv));
    a1 = f32x4.add(a1, f32x4.mul(v128.load(w1 + c), xv));
    a2 = f32x4.add(a2, f32x4.mul(v128.load(w2 + c), xv));
    a3 = f32x4.add(a3, f32x4.mul(v128.load(w3 + c), xv));
    c += chunkStride;
  }
  store4(dst,
    hsum(a0) + tileTail(x, w, chunkStride, n4, cols), hsum(a1) + tileTail(x, w1, chunkStride, n4, cols),
    hsum(a2) + tileTail(x, w2, chunkStride, n4, cols), hsum(a3) + tileTail(x, w3, chunkStride, n4, cols), valid);
}

/** da[0..valid), db[0..valid) = dots of inputs xa, xb with the four rows of a tile at w (strides above). */
@inline export function tile2x4(da: usize, db: usize, xa: usize, xb: usize, w: usize, rowStride: usize, chunkStride: usize, cols: i32, valid: i32): void {
  const n4 = cols & ~3;
  const w1 = w + rowStride, w2 = w1 + rowStride, w3 = w2 + rowStride;
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let b0 = f32x4.splat(0), b1 = f32x4.splat(0), b2 = f32x4.splat(0), b3 = f32x4.splat(0);
  let c: usize = 0;
  for (let i = 0; i < n4; i += 4) {
    const xva = v128.load(at(xa, i));
    const xvb = v128.load(at(xb, i));
    const wv0 = v128.load(w + c);
    const wv1 = v128.load(w1 + c);
    const wv2 = v128.load(w2 + c);
    const wv3 = v128.load(w3 + c);
    a0 = f32x4.add(a0, f32x4.mul(xva, wv0));
    a1 = f32x4.add(a1, f32x4.mul(xva, wv1));
    a2 = f32x4.add(a2, f32x4.mul(xva, wv2));
    a3 = f32x4.add(a3, f32x4.mul(xva, wv3));
    b0 = f32x4.add(b0, f32x4.mul(xvb, wv0));
    b1 = f32x4.add(b1, f32x4.mul(xvb, wv1));
    b2 = f32x4.add(b2, f32x4.mul(xvb, wv2));
    b3 = f32x4.add(b3, f32x4.mul(xvb, wv3));
    c += chunkStride;
  }
  store4(da,
    hsum(a0) + tileTail(xa, w, chunkStride, n4, cols), hsum(a1) + tileTail(xa, w1, chunkStride, n4, cols),
    hsum(a2) + tileTail(xa, w2, chunkStride, n4, cols), hsum(a3) + tileTail(xa, w3, chunkStride, n4, cols), valid);
  store4(db,
    hsum(b0) + tileTail(xb, w, chunkStride, n4, cols), hsum(b1) + tileTail(xb, w1, chunkStride, n4, cols),
    hsum(b2) + tileTail(xb, w2, chunkStride, n4, cols), hsum(b3) + tileTail(xb, w3, chunkStride, n4, cols), valid);
}

/** out[r] = dot(w[r][0..cols), x[0..cols)) for r < rows; w an f32 matrix. */
export function gemv_f32(out: usize, x: usize, w: usize, rows: i32, cols: i32): void {
  const quadB = quadBytes(FORMAT_F32, cols);
  for (let r = 0; r < rows; r += 4) tile1x4(at(out, r), x, w + <usize>(r >> 2) * quadB, 16, 64, cols, rows - r);
}

/** Rows [r, r+valid) of an n-row product against the quad at w. */
function quadBlock(out: usize, outRows: i32, r: i32, x: usize, n: i32, w: usize, cols: i32, valid: i32): void {
  const xBytes = <usize>cols << 2;
  const outBytes = <usize>outRows << 2;
  let t = 0;
  for (; t + 2 <= n; t += 2) {
    const da = at(out + <usize>t * outBytes, r);
    tile2x4(da, da + outBytes, x + <usize>t * xBytes, x + <usize>(t + 1) * xBytes, w, 16, 64, cols, valid);
  }
  if (t < n) tile1x4(at(out + <usize>t * outBytes, r), x + <usize>t * xBytes, w, 16, 64, cols, valid);
}

/** out[t][r] = dot(x[t][0..cols), w[r][0..cols)) for t < n, r < rows; out rows are `rows` wide. */
export function gemm_f32(out: usize, x: usize, w: usize, n: i32, rows: i32, cols: i32): void {
  const quadB = quadBytes(FORMAT_F32, cols);
  for (let r = 0; r < rows; r += 4) quadBlock(out, rows, r, x, n, w + <usize>(r >> 2) * quadB, cols, rows - r);
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
export function gemv_f16(out: usize, x: usize, w: usize, rows: i32, cols: i32): void {
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

/** Widen `count` (≤ 4) f16 rows (cols each) at w into an f32 quad at dst (its other rows zero). */
function widenQuad(dst: usize, w: usize, count: i32, cols: i32): void {
  memory.fill(dst, 0, quadBytes(FORMAT_F32, cols));
  const n8 = cols & ~7;
  for (let k = 0; k < count; k++) {
    const row = w + <usize>(k * cols) * 2;
    const dk = dst + (<usize>k << 4);
    for (let i = 0; i < n8; i += 8) {
      const h = v128.load(row + (<usize>i << 1));
      const c = <usize>(i >> 2) << 6;
      v128.store(dk + c, halvesToF32(i32x4.extend_low_i16x8_u(h)));
      v128.store(dk + c, halvesToF32(i32x4.extend_high_i16x8_u(h)), 64);
    }
    for (let i = n8; i < cols; i++) store<f32>(dk + (<usize>(i >> 2) << 6) + (<usize>(i & 3) << 2), half(row, i));
  }
}

/** gemm_f32 with f16 weights (plain rows); `block` is scratch for one widened quad. */
export function gemm_f16(out: usize, x: usize, w: usize, n: i32, rows: i32, cols: i32, block: usize): void {
  const rowBytes = <usize>cols << 1;
  for (let r = 0; r < rows; r += 4) {
    const valid = rows - r < 4 ? rows - r : 4;
    widenQuad(block, w + <usize>r * rowBytes, valid, cols);
    quadBlock(out, rows, r, x, n, block, cols, valid);
  }
}
