// Quantized matrix products (q8, q4 weights; see format.ts). Activations
// are quantized first, per row and group of 32, to int16 (scale = max|x| /
// 32767), so products run on i32x4.dot_i16x8_s: eight multiply-adds per
// instruction, exact in i32 (|x| ≤ 32767, |w| ≤ 127, 32 terms per group).
//
// Weight rows are taken four at a time (a quad). After each group the four
// rows' i32x4 partial sums are transposed and added into one vector
// [row0, row1, row2, row3], converted to f32 and scaled by the quad's four
// group scales (one vector load, format.ts) times the activation scale.
//
//   x16 [n][groups*32] i16 (zero-padded), xs [n][groups] f32
//   w   weight rows (format.ts), ws the matrix's scales

import { GROUP, scaleIndex } from "./format";

const I16_MAX: f32 = 32767;
/** 1.5 · 2^23: adding it rounds an f32 below 2^22 to an integer (half to even), held in the low mantissa bits. */
const ROUNDER: f32 = 12582912.0;
const ROUNDER_BITS: i32 = 0x4b400000;

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
          const a = i32x4.sub(f32x4.add(f32x4.mul(v128.load(src + (<usize>i << 2)), inv), f32x4.splat(ROUNDER)), i32x4.splat(ROUNDER_BITS));
          const b = i32x4.sub(f32x4.add(f32x4.mul(v128.load(src + (<usize>i << 2), 16), inv), f32x4.splat(ROUNDER)), i32x4.splat(ROUNDER_BITS));
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

/** [Σa, Σb, Σc, Σd]: the lane sums of four i32x4 vectors in one vector. */
@inline function transposeAdd(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = i32x4.add(i32x4.shuffle(a, b, 0, 4, 1, 5), i32x4.shuffle(a, b, 2, 6, 3, 7));
  const cd = i32x4.add(i32x4.shuffle(c, d, 0, 4, 1, 5), i32x4.shuffle(c, d, 2, 6, 3, 7));
  return i32x4.add(i32x4.shuffle(ab, cd, 0, 1, 4, 5), i32x4.shuffle(ab, cd, 2, 3, 6, 7));
}

/** acc + f32(sums) · quadScales · xScale */
@inline function scaleQuad(acc: v128, sums: v128, quadScales: v128, xScale: f32): v128 {
  return f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(sums), f32x4.mul(quadScales, f32x4.splat(xScale))));
}

/** Store the first `valid` lanes of a quad's four results at out[r..]. */
@inline function storeQuad(out: usize, r: i32, quad: v128, valid: i32): void {
  const dst = out + (<usize>r << 2);
  if (valid == 4) {
    v128.store(dst, quad);
    return;
  }
  store<f32>(dst, f32x4.extract_lane(quad, 0));
  if (valid > 1) store<f32>(dst, f32x4.extract_lane(quad, 1), 4);
  if (valid > 2) store<f32>(dst, f32x4.extract_lane(quad, 2), 8);
}

/** Address of row r + k of a quad, repeating the last row where the matrix ends. */
@inline function quadRow(w: usize, r: i32, k: i32, rows: i32, rowB: usize): usize {
  return w + <usize>(r + k < rows ? r + k : rows - 1) * rowB;
}

// ---------------------------------------------------------------- q8

/** One group (32 values) of weight row w against the group's activations x0..x3: the i32x4 partial sums. */
@inline function dotGroupQ8(x0: v128, x1: v128, x2: v128, x3: v128, w: usize): v128 {
  let acc = i32x4.dot_i16x8_s(x0, v128.load8x8_s(w));
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(x1, v128.load8x8_s(w, 8)));
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(x2, v128.load8x8_s(w, 16)));
  return i32x4.add(acc, i32x4.dot_i16x8_s(x3, v128.load8x8_s(w, 24)));
}

/** out[r] = Σ_g xs[g]·ws[r][g]·Σ_i x16[g][i]·w[r][g][i] for one activation row. */
export function gemv_q8(out: usize, w: usize, ws: usize, x16: usize, xs: usize, rows: i32, groups: i32): void {
  const rowB = <usize>groups * GROUP;
  for (let r = 0; r < rows; r += 4) {
    const w0 = quadRow(w, r, 0, rows, rowB), w1 = quadRow(w, r, 1, rows, rowB);
    const w2 = quadRow(w, r, 2, rows, rowB), w3 = quadRow(w, r, 3, rows, rowB);
    let acc = f32x4.splat(0);
    for (let g = 0; g < groups; g++) {
      const xg = x16 + (<usize>g << 6);
      const x0 = v128.load(xg), x1 = v128.load(xg, 16), x2 = v128.load(xg, 32), x3 = v128.load(xg, 48);
      const wo = <usize>g << 5;
      const sums = transposeAdd(dotGroupQ8(x0, x1, x2, x3, w0 + wo), dotGroupQ8(x0, x1, x2, x3, w1 + wo), dotGroupQ8(x0, x1, x2, x3, w2 + wo), dotGroupQ8(x0, x1, x2, x3, w3 + wo));
      acc = scaleQuad(acc, sums, v128.load(ws + (<usize>scaleIndex(r, g, groups) << 2)), load<f32>(xs + (<usize>g << 2)));
    }
    storeQuad(out, r, acc, rows - r < 4 ? rows - r : 4);
  }
}

/** gemv_q8 for n activation rows (two at a time, sharing each weight load); out rows are `rows` wide. */
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
    for (let r = 0; r < rows; r += 4) {
      const w0 = quadRow(w, r, 0, rows, rowB), w1 = quadRow(w, r, 1, rows, rowB);
      const w2 = quadRow(w, r, 2, rows, rowB), w3 = quadRow(w, r, 3, rows, rowB);
      let fa = f32x4.splat(0), fb = f32x4.splat(0);
      for (let g = 0; g < groups; g++) {
        const xga = xa + (<usize>g << 6);
        const xgb = xb + (<usize>g << 6);
        const wo = <usize>g << 5;
        let va = v128.load(xga), vb = v128.load(xgb);
        let wv = v128.load8x8_s(w0 + wo);
        let ia0 = i32x4.dot_i16x8_s(va, wv), ib0 = i32x4.dot_i16x8_s(vb, wv);
        wv = v128.load8x8_s(w1 + wo);
        let ia1 = i32x4.dot_i16x8_s(va, wv), ib1 = i32x4.dot_i16x8_s(vb, wv);
        wv = v128.load8x8_s(w2 + wo);
        let ia2 = i32x4.dot_i16x8_s(va, wv), ib2 = i32x4.dot_i16x8_s(vb, wv);
        wv = v128.load8x8_s(w3 + wo);
        let ia3 = i32x4.dot_i16x8_s(va, wv), ib3 = i32x4.dot_i16x8_s(vb, wv);
        for (let c = 1; c < 4; c++) {
          const xo = <usize>c << 4;
          const co = wo + (<usize>c << 3);
          va = v128.load(xga + xo);
          vb = v128.load(xgb + xo);
          wv = v128.load8x8_s(w0 + co);
          ia0 = i32x4.add(ia0, i32x4.dot_i16x8_s(va, wv));
          ib0 = i32x4.add(ib0, i32x4.dot_i16x8_s(vb, wv));
          wv = v128.load8x8_s(w1 + co);
          ia1 = i32x4.add(ia1, i32x4.dot_i16x8_s(va, wv));
          ib1 = i32x4.add(ib1, i32x4.dot_i16x8_s(vb, wv));
          wv = v128.load8x8_s(w2 + co);
          ia2 = i32x4.add(ia2, i32x4.dot_i16x8_s(va, wv));
          ib2 = i32x4.add(ib2, i32x4.dot_i16x8_s(vb, wv));
          wv = v128.load8x8_s(w3 + co);
          ia3 = i32x4.add(ia3, i32x4.dot_i16x8_s(va, wv));
          ib3 = i32x4.add(ib3, i32x4.dot_i16x8_s(vb, wv));
        }
        const quadScales = v128.load(ws + (<usize>scaleIndex(r, g, groups) << 2));
        fa = scaleQuad(fa, transposeAdd(ia0, ia1, ia2, ia3), quadScales, load<f32>(sa + (<usize>g << 2)));
        fb = scaleQuad(fb, transposeAdd(ib0, ib1, ib2, ib3), quadScales, load<f32>(sb + (<usize>g << 2)));
      }
      const valid = rows - r < 4 ? rows - r : 4;
      storeQuad(out + <usize>t * outB, r, fa, valid);
      storeQuad(out + <usize>(t + 1) * outB, r, fb, valid);
    }
  }
  if (t < n) gemv_q8(out + <usize>t * outB, w, ws, x16 + <usize>t * xRowB, xs + <usize>t * scaleB, rows, groups);
}

// ---------------------------------------------------------------- q4

/** Values 0..15 (low nibbles) of a q4 group as i8x16. */
@inline function unpackLow(packed: v128): v128 {
  return i8x16.sub(v128.and(packed, i8x16.splat(0x0f)), i8x16.splat(8));
}

/** Values 16..31 (high nibbles) of a q4 group as i8x16. */
@inline function unpackHigh(packed: v128): v128 {
  return i8x16.sub(v128.and(i16x8.shr_u(packed, 4), i8x16.splat(0x0f)), i8x16.splat(8));
}

/** One q4 group (16 bytes) of weight row w against the group's activations x0..x3: the i32x4 partial sums. */
@inline function dotGroupQ4(x0: v128, x1: v128, x2: v128, x3: v128, w: usize): v128 {
  const packed = v128.load(w);
  const low = unpackLow(packed);
  const high = unpackHigh(packed);
  let acc = i32x4.dot_i16x8_s(x0, i16x8.extend_low_i8x16_s(low));
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(x1, i16x8.extend_high_i8x16_s(low)));
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(x2, i16x8.extend_low_i8x16_s(high)));
  return i32x4.add(acc, i32x4.dot_i16x8_s(x3, i16x8.extend_high_i8x16_s(high)));
}

/** Σ over one group of x (32 i16) times the unpacked weights c0..c3: the i32x4 partial sums. */
@inline function dotUnpacked(x: usize, c0: v128, c1: v128, c2: v128, c3: v128): v128 {
  let acc = i32x4.dot_i16x8_s(v128.load(x), c0);
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(v128.load(x, 16), c1));
  acc = i32x4.add(acc, i32x4.dot_i16x8_s(v128.load(x, 32), c2));
  return i32x4.add(acc, i32x4.dot_i16x8_s(v128.load(x, 48), c3));
}

export function gemv_q4(out: usize, w: usize, ws: usize, x16: usize, xs: usize, rows: i32, groups: i32): void {
  const rowB = <usize>groups * (GROUP / 2);
  for (let r = 0; r < rows; r += 4) {
    const w0 = quadRow(w, r, 0, rows, rowB), w1 = quadRow(w, r, 1, rows, rowB);
    const w2 = quadRow(w, r, 2, rows, rowB), w3 = quadRow(w, r, 3, rows, rowB);
    let acc = f32x4.splat(0);
    for (let g = 0; g < groups; g++) {
      const xg = x16 + (<usize>g << 6);
      const x0 = v128.load(xg), x1 = v128.load(xg, 16), x2 = v128.load(xg, 32), x3 = v128.load(xg, 48);
      const wo = <usize>g << 4;
      const sums = transposeAdd(dotGroupQ4(x0, x1, x2, x3, w0 + wo), dotGroupQ4(x0, x1, x2, x3, w1 + wo), dotGroupQ4(x0, x1, x2, x3, w2 + wo), dotGroupQ4(x0, x1, x2, x3, w3 + wo));
      acc = scaleQuad(acc, sums, v128.load(ws + (<usize>scaleIndex(r, g, groups) << 2)), load<f32>(xs + (<usize>g << 2)));
    }
    storeQuad(out, r, acc, rows - r < 4 ? rows - r : 4);
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
    for (let r = 0; r < rows; r += 4) {
      const w0 = quadRow(w, r, 0, rows, rowB), w1 = quadRow(w, r, 1, rows, rowB);
      const w2 = quadRow(w, r, 2, rows, rowB), w3 = quadRow(w, r, 3, rows, rowB);
      let fa = f32x4.splat(0), fb = f32x4.splat(0);
      for (let g = 0; g < groups; g++) {
        const xga = xa + (<usize>g << 6);
        const xgb = xb + (<usize>g << 6);
        const wo = <usize>g << 4;
        let packed = v128.load(w0 + wo);
        let low = unpackLow(packed), high = unpackHigh(packed);
        let c0 = i16x8.extend_low_i8x16_s(low), c1 = i16x8.extend_high_i8x16_s(low);
        let c2 = i16x8.extend_low_i8x16_s(high), c3 = i16x8.extend_high_i8x16_s(high);
        const ia0 = dotUnpacked(xga, c0, c1, c2, c3), ib0 = dotUnpacked(xgb, c0, c1, c2, c3);
        packed = v128.load(w1 + wo);
        low = unpackLow(packed);
        high = unpackHigh(packed);
        c0 = i16x8.extend_low_i8x16_s(low);
        c1 = i16x8.extend_high_i8x16_s(low);
        c2 = i16x8.extend_low_i8x16_s(high);
        c3 = i16x8.extend_high_i8x16_s(high);
        const ia1 = dotUnpacked(xga, c0, c1, c2, c3), ib1 = dotUnpacked(xgb, c0, c1, c2, c3);
        packed = v128.load(w2 + wo);
        low = unpackLow(packed);
        high = unpackHigh(packed);
        c0 = i16x8.extend_low_i8x16_s(low);
        c1 = i16x8.extend_high_i8x16_s(low);
        c2 = i16x8.extend_low_i8x16_s(high);
        c3 = i16x8.extend_high_i8x16_s(high);
        const ia2 = dotUnpacked(xga, c0, c1, c2, c3), ib2 = dotUnpacked(xgb, c0, c1, c2, c3);
        packed = v128.load(w3 + wo);
        low = unpackLow(packed);
        high = unpackHigh(packed);
        c0 = i16x8.extend_low_i8x16_s(low);
        c1 = i16x8.extend_high_i8x16_s(low);
        c2 = i16x8.extend_low_i8x16_s(high);
        c3 = i16x8.extend_high_i8x16_s(high);
        const ia3 = dotUnpacked(xga, c0, c1, c2, c3), ib3 = dotUnpacked(xgb, c0, c1, c2, c3);
        const quadScales = v128.load(ws + (<usize>scaleIndex(r, g, groups) << 2));
        const sumsA = transposeAdd(ia0, ia1, ia2, ia3);
        const sumsB = transposeAdd(ib0, ib1, ib2, ib3);
        fa = scaleQuad(fa, sumsA, quadScales, load<f32>(sa + (<usize>g << 2)));
        fb = scaleQuad(fb, sumsB, quadScales, load<f32>(sb + (<usize>g << 2)));
      }
      const valid = rows - r < 4 ? rows - r : 4;
      storeQuad(out + <usize>t * outB, r, fa, valid);
      storeQuad(out + <usize>(t + 1) * outB, r, fb, valid);
    }
  }
  if (t < n) gemv_q4(out + <usize>t * outB, w, ws, x16 + <usize>t * xRowB, xs + <usize>t * scaleB, rows, groups);
}
