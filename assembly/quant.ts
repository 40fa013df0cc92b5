// Quantized matrix products (q8, q4 weights; see format.ts). Activations
// are quantized first, per row and group of 32, to int16 (scale = max|x| /
// 32767), so products run on i32x4.dot_i16x8_s: eight multiply-adds per
// instruction, exact in i32 (|x| ≤ 32767, |w| ≤ 127, 32 terms per group).
// Each group's integer sum is scaled by xScale · wScale into f32.
//
//   x16 [n][groups*32] i16 (zero-padded), xs [n][groups] f32
//   w   weight rows (format.ts), ws [rows][groups] f32

import { GROUP } from "./format";

const I16_MAX: f32 = 32767;

@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
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
      let m: f32 = 0;
      for (let i = from; i < to; i++) m = Mathf.max(m, Mathf.abs(load<f32>(row + (<usize>i << 2))));
      const scale = m / I16_MAX;
      const inv = m > 0 ? I16_MAX / m : <f32>0;
      store<f32>(xs + (<usize>(t * groups + g) << 2), scale);
      for (let i = from; i < from + GROUP; i++) {
        const v = i < to ? nearest<f32>(load<f32>(row + (<usize>i << 2)) * inv) : <f32>0;
        store<i16>(qrow + (<usize>i << 1), <i16>v);
      }
    }
  }
}

// ---------------------------------------------------------------- q8

/** One group (32 values) of row w against x: the i32x4 partial sums. */
@inline function dotGroupQ8(x: usize, w: usize): v128 {
  let acc = i32x4.dot_i16x8_s(v128.load(x), v128.load8x8_s(w));
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(v128.load(x, 16), v128.load8x8_s(w, 8)));
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(v128.load(x, 32), v128.load8x8_s(w, 16)));
  return i32x4.add(acc, i32x4.dot_i16x8_s(v128.load(x, 48), v128.load8x8_s(w, 24)));
}

@inline function scaled(acc: v128, isum: v128, scale: f32): v128 {
  return f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(isum), f32x4.splat(scale)));
}

/** out[r] = Σ_g xs[g]·ws[r][g]·Σ_i x16[g][i]·w[r][g][i] for one activation row. */
export function gemv_q8(out: usize, w: usize, ws: usize, x16: usize, xs: usize, rows: i32, groups: i32): void {
  const rowB = <usize>groups * GROUP;
  const scaleB = <usize>groups << 2;
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const w0 = w + <usize>r * rowB;
    const s0 = ws + <usize>r * scaleB;
    let f0 = f32x4.splat(0), f1 = f32x4.splat(0), f2 = f32x4.splat(0), f3 = f32x4.splat(0);
    for (let g = 0; g < groups; g++) {
      const xg = x16 + (<usize>g << 6);
      const wg = w0 + (<usize>g << 5);
      const sx = load<f32>(xs + (<usize>g << 2));
      const sg = s0 + (<usize>g << 2);
      f0 = scaled(f0, dotGroupQ8(xg, wg), sx * load<f32>(sg));
      f1 = scaled(f1, dotGroupQ8(xg, wg + rowB), sx * load<f32>(sg + scaleB));
      f2 = scaled(f2, dotGroupQ8(xg, wg + 2 * rowB), sx * load<f32>(sg + 2 * scaleB));
      f3 = scaled(f3, dotGroupQ8(xg, wg + 3 * rowB), sx * load<f32>(sg + 3 * scaleB));
    }
    const dst = out + (<usize>r << 2);
    store<f32>(dst, hsum(f0));
    store<f32>(dst, hsum(f1), 4);
    store<f32>(dst, hsum(f2), 8);
    store<f32>(dst, hsum(f3), 12);
  }
  for (; r < rows; r++) {
    const wr = w + <usize>r * rowB;
    const sr = ws + <usize>r * scaleB;
    let f = f32x4.splat(0);
    for (let g = 0; g < groups; g++) {
      f = scaled(f, dotGroupQ8(x16 + (<usize>g << 6), wr + (<usize>g << 5)), load<f32>(xs + (<usize>g << 2)) * load<f32>(sr + (<usize>g << 2)));
    }
    store<f32>(out + (<usize>r << 2), hsum(f));
  }
}

/** gemv_q8 for n activation rows; out rows are `rows` wide. Tiled 2 rows × 4 weight rows. */
export function gemm_q8(out: usize, x16: usize, xs: usize, w: usize, ws: usize, n: i32, rows: i32, groups: i32): void {
  const rowB = <usize>groups * GROUP;
  const xRowB = <usize>groups * GROUP * 2;
  const scaleB = <usize>groups << 2;
  const outB = <usize>rows << 2;
  let t = 0;
  for (; t + 2 <= n; t += 2) {
    const xa = x16 + <usize>t * xRowB;
    const xb = xa + xRowB;
    const sa = xs + <usize>t * scaleB;
    const sb = sa + scaleB;
    let r = 0;
    for (; r + 4 <= rows; r += 4) {
      const w0 = w + <usize>r * rowB;
      const s0 = ws + <usize>r * scaleB;
      let fa0 = f32x4.splat(0), fa1 = f32x4.splat(0), fa2 = f32x4.splat(0), fa3 = f32x4.splat(0);
      let fb0 = f32x4.splat(0), fb1 = f32x4.splat(0), fb2 = f32x4.splat(0), fb3 = f32x4.splat(0);
      for (let g = 0; g < groups; g++) {
        const xga = xa + (<usize>g << 6);
        const xgb = xb + (<usize>g << 6);
        const wg = w0 + (<usize>g << 5);
        let ia0 = i32x4.splat(0), ia1 = i32x4.splat(0), ia2 = i32x4.splat(0), ia3 = i32x4.splat(0);
        let ib0 = i32x4.splat(0), ib1 = i32x4.splat(0), ib2 = i32x4.splat(0), ib3 = i32x4.splat(0);
        for (let c = 0; c < 4; c++) {
          const xo = <usize>c << 4;
          const wo = <usize>c << 3;
          const va = v128.load(xga + xo);
          const vb = v128.load(xgb + xo);
          const w0c = v128.load8x8_s(wg + wo);
          ia0 = i32x4.add(ia0, i32x4.dot_i16x8_s(va, w0c));
          ib0 = i32x4.add(ib0, i32x4.dot_i16x8_s(vb, w0c));
          const w1c = v128.load8x8_s(wg + rowB + wo);
          ia1 = i32x4.add(ia1, i32x4.dot_i16x8_s(va, w1c));
          ib1 = i32x4.add(ib1, i32x4.dot_i16x8_s(vb, w1c));
          const w2c = v128.load8x8_s(wg + 2 * rowB + wo);
          ia2 = i32x4.add(ia2, i32x4.dot_i16x8_s(va, w2c));
          ib2 = i32x4.add(ib2, i32x4.dot_i16x8_s(vb, w2c));
          const w3c = v128.load8x8_s(wg + 3 * rowB + wo);
          ia3 = i32x4.add(ia3, i32x4.dot_i16x8_s(va, w3c));
          ib3 = i32x4.add(ib3, i32x4.dot_i16x8_s(vb, w3c));
        }
        const sxa = load<f32>(sa + (<usize>g << 2));
        const sxb = load<f32>(sb + (<usize>g << 2));
        const sg = s0 + (<usize>g << 2);
        const sw0 = load<f32>(sg), sw1 = load<f32>(sg + scaleB), sw2 = load<f32>(sg + 2 * scaleB), sw3 = load<f32>(sg + 3 * scaleB);
        fa0 = scaled(fa0, ia0, sxa * sw0);
        fa1 = scaled(fa1, ia1, sxa * sw1);
        fa2 = scaled(fa2, ia2, sxa * sw2);
        fa3 = scaled(fa3, ia3, sxa * sw3);
        fb0 = scaled(fb0, ib0, sxb * sw0);
        fb1 = scaled(fb1, ib1, sxb * sw1);
        fb2 = scaled(fb2, ib2, sxb * sw2);
        fb3 = scaled(fb3, ib3, sxb * sw3);
      }
      const da = out + <usize>t * outB + (<usize>r << 2);
      const db = da + outB;
      store<f32>(da, hsum(fa0));
      store<f32>(da, hsum(fa1), 4);
      store<f32>(da, hsum(fa2), 8);
      store<f32>(da, hsum(fa3), 12);
      store<f32>(db, hsum(fb0));
      store<f32>(db, hsum(fb1), 4);
      store<f32>(db, hsum(fb2), 8);
      store<f32>(db, hsum(fb3), 12);
    }
    if (r < rows) {
      gemv_q8(out + <usize>t * outB + (<usize>r << 2), w + <usize>r * rowB, ws + <usize>r * scaleB, xa, sa, rows - r, groups);
      gemv_q8(out + <usize>(t + 1) * outB + (<usize>r << 2), w + <usize>r * rowB, ws + <usize>r * scaleB, xb, sb, rows - r, groups);
    }
  }
  for (; t < n; t++) gemv_q8(out + <usize>t * outB, w, ws, x16 + <usize>t * xRowB, xs + <usize>t * scaleB, rows, groups);
}

// ---------------------------------------------------------------- q4

/** One q4 group (16 bytes) of row w against x: the i32x4 partial sums. */
@inline function dotGroupQ4(x: usize, w: usize): v128 {
  const packed = v128.load(w);
  const low = i8x16.sub(v128.and(packed, i8x16.splat(0x0f)), i8x16.splat(8));
  const high = i8x16.sub(v128.and(i16x8.shr_u(packed, 4), i8x16.splat(0x0f)), i8x16.splat(8));
  let acc = i32x4.dot_i16x8_s(v128.load(x), i16x8.extend_low_i8x16_s(low));
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(v128.load(x, 16), i16x8.extend_high_i8x16_s(low)));
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(v128.load(x, 32), i16x8.extend_low_i8x16_s(high)));
  return i32x4.add(acc, i32x4.dot_i16x8_s(v128.load(x, 48), i16x8.extend_high_i8x16_s(high)));
}

export function gemv_q4(out: usize, w: usize, ws: usize, x16: usize, xs: usize, rows: i32, groups: i32): void {
  const rowB = <usize>groups * (GROUP / 2);
  const scaleB = <usize>groups << 2;
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const w0 = w + <usize>r * rowB;
    const s0 = ws + <usize>r * scaleB;
    let f0 = f32x4.splat(0), f1 = f32x4.splat(0), f2 = f32x4.splat(0), f3 = f32x4.splat(0);
    for (let g = 0; g < groups; g++) {
      const xg = x16 + (<usize>g << 6);
      const wg = w0 + (<usize>g << 4);
      const sx = load<f32>(xs + (<usize>g << 2));
      const sg = s0 + (<usize>g << 2);
      f0 = scaled(f0, dotGroupQ4(xg, wg), sx * load<f32>(sg));
      f1 = scaled(f1, dotGroupQ4(xg, wg + rowB), sx * load<f32>(sg + scaleB));
      f2 = scaled(f2, dotGroupQ4(xg, wg + 2 * rowB), sx * load<f32>(sg + 2 * scaleB));
      f3 = scaled(f3, dotGroupQ4(xg, wg + 3 * rowB), sx * load<f32>(sg + 3 * scaleB));
    }
    const dst = out + (<usize>r << 2);
    store<f32>(dst, hsum(f0));
    store<f32>(dst, hsum(f1), 4);
    store<f32>(dst, hsum(f2), 8);
    store<f32>(dst, hsum(f3), 12);
  }
  for (; r < rows; r++) {
    const wr = w + <usize>r * rowB;
    const sr = ws + <usize>r * scaleB;
    let f = f32x4.splat(0);
    for (let g = 0; g < groups; g++) {
      f = scaled(f, dotGroupQ4(x16 + (<usize>g << 6), wr + (<usize>g << 4)), load<f32>(xs + (<usize>g << 2)) * load<f32>(sr + (<usize>g << 2)));
    }
    store<f32>(out + (<usize>r << 2), hsum(f));
  }
}

/** gemv_q4 for n activation rows, two at a time so each unpacked weight group feeds both. */
export function gemm_q4(out: usize, x16: usize, xs: usize, w: usize, ws: usize, n: i32, rows: i32, groups: i32): void {
  const rowB = <usize>groups * (GROUP / 2);
  const xRowB = <usize>groups * GROUP * 2;
  const scaleB = <usize>groups << 2;
  const outB = <usize>rows << 2;
  let t = 0;
  for (; t + 2 <= n; t += 2) {
    const xa = x16 + <usize>t * xRowB;
    const xb = xa + xRowB;
    const sa = xs + <usize>t * scaleB;
    const sb = sa + scaleB;
    for (let r = 0; r < rows; r++) {
      const wr = w + <usize>r * rowB;
      const sr = ws + <usize>r * scaleB;
      let fa = f32x4.splat(0), fb = f32x4.splat(0);
      for (let g = 0; g < groups; g++) {
        const packed = v128.load(wr + (<usize>g << 4));
        const low = i8x16.sub(v128.and(packed, i8x16.splat(0x0f)), i8x16.splat(8));
        const high = i8x16.sub(v128.and(i16x8.shr_u(packed, 4), i8x16.splat(0x0f)), i8x16.splat(8));
        const c0 = i16x8.extend_low_i8x16_s(low);
        const c1 = i16x8.extend_high_i8x16_s(low);
        const c2 = i16x8.extend_low_i8x16_s(high);
        const c3 = i16x8.extend_high_i8x16_s(high);
        const xga = xa + (<usize>g << 6);
        const xgb = xb + (<usize>g << 6);
        let ia = i32x4.dot_i16x8_s(v128.load(xga), c0);
        ia = i32x4.add(ia, i32x4.dot_i16x8_s(v128.load(xga, 16), c1));
        ia = i32x4.add(ia, i32x4.dot_i16x8_s(v128.load(xga, 32), c2));
        ia = i32x4.add(ia, i32x4.dot_i16x8_s(v128.load(xga, 48), c3));
        let ib = i32x4.dot_i16x8_s(v128.load(xgb), c0);
        ib = i32x4.add(ib, i32x4.dot_i16x8_s(v128.load(xgb, 16), c1));
        ib = i32x4.add(ib, i32x4.dot_i16x8_s(v128.load(xgb, 32), c2));
        ib = i32x4.add(ib, i32x4.dot_i16x8_s(v128.load(xgb, 48), c3));
        const sw = load<f32>(sr + (<usize>g << 2));
        fa = scaled(fa, ia, load<f32>(sa + (<usize>g << 2)) * sw);
        fb = scaled(fb, ib, load<f32>(sb + (<usize>g << 2)) * sw);
      }
      store<f32>(out + <usize>t * outB + (<usize>r << 2), hsum(fa));
      store<f32>(out + <usize>(t + 1) * outB + (<usize>r << 2), hsum(fb));
    }
  }
  for (; t < n; t++) gemv_q4(out + <usize>t * outB, w, ws, x16 + <usize>t * xRowB, xs + <usize>t * scaleB, rows, groups);
}
