// Conversions used once, while a checkpoint's tensors are copied into place:
// float16/float32 source values (flax orientation) to the layout and weight
// format of layout.ts / format.ts. Each returns how many source values were
// not finite, so the loader can refuse a corrupt checkpoint.

import { FORMAT_F32, FORMAT_F16, FORMAT_Q8, GROUP, Q4_BLOCK, Q8_BLOCK, groupsOf, q4Byte, q4High, q8Byte, quadBytes } from "./format";

/** IEEE 754 half-precision bits to f32 (exact). */
@inline export function f16_to_f32(h: u32): f32 {
  const sign = (h & 0x8000) << 16;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent == 0) {
    const magnitude = <f32>mantissa * <f32>5.960464477539063e-8; // 2^-24
    return reinterpret<f32>(reinterpret<u32>(magnitude) | sign);
  }
  if (exponent == 31) return reinterpret<f32>(sign | 0x7f800000 | (mantissa << 13));
  return reinterpret<f32>(sign | ((exponent + 112) << 23) | (mantissa << 13));
}

/** f32 to IEEE half bits, rounding to nearest even (finite inputs within half range). */
export function f32_to_f16(x: f32): u16 {
  const bits = reinterpret<u32>(x);
  const sign = (bits >> 16) & 0x8000;
  const exponent = <i32>((bits >> 23) & 0xff) - 127 + 15;
  let mantissa = bits & 0x7fffff;
  if (exponent >= 31) return <u16>(sign | 0x7c00);
  if (exponent <= 0) {
    if (exponent < -10) return <u16>sign;
    mantissa |= 0x800000;
    const shift = <u32>(14 - exponent);
    let half = mantissa >> shift;
    const rest = mantissa & ((1 << shift) - 1);
    const midpoint: u32 = 1 << (shift - 1);
    if (rest > midpoint || (rest == midpoint && (half & 1) != 0)) half++;
    return <u16>(sign | half);
  }
  let half = (<u32>exponent << 10) | (mantissa >> 13);
  const rest = mantissa & 0x1fff;
  if (rest > 0x1000 || (rest == 0x1000 && (half & 1) != 0)) half++;
  return <u16>(sign | half);
}

@inline function readValue(src: usize, i: usize, srcF16: bool): f32 {
  return srcF16 ? f16_to_f32(<u32>load<u16>(src + (i << 1))) : load<f32>(src + (i << 2));
}

@inline function finite(x: f32): bool {
  return x - x == 0;
}

/** dst[i] = src[i] for i < n (f32 vectors: biases). */
export function import_copy(dst: usize, src: usize, srcF16: bool, n: i32): i32 {
  let bad = 0;
  for (let i = 0; i < n; i++) {
    const x = readValue(src, <usize>i, srcF16);
    if (!finite(x)) bad++;
    store<f32>(dst + (<usize>i << 2), x);
  }
  return bad;
}

/** dst[i] = 1 + src[i]: a ZCRMSNorm scale stored as its gain. */
export function import_gain(dst: usize, src: usize, srcF16: bool, n: i32): i32 {
  let bad = 0;
  for (let i = 0; i < n; i++) {
    const x = readValue(src, <usize>i, srcF16);
    if (!finite(x)) bad++;
    store<f32>(dst + (<usize>i << 2), <f32>(1.0 + <f64>x));
  }
  return bad;
}

/** dst = sigmoid(src): a residual gate stored as the factor it applies. */
export function import_gate(dst: usize, src: usize, srcF16: bool): i32 {
  const x = readValue(src, 0, srcF16);
  store<f32>(dst, <f32>(1.0 / (1.0 + Math.exp(-<f64>x))));
  return finite(x) ? 0 : 1;
}

/** Store one row of `cols` f32 values (at `values`) as row `r` of a matrix in `format`. */
export function storeRow(format: i32, matrix: usize, r: i32, values: usize, cols: i32): void {
  if (format == FORMAT_F32) {
    // Row j of its quad, four columns per 64-byte chunk (format.ts).
    const row = matrix + <usize>(r >> 2) * quadBytes(format, cols) + (<usize>(r & 3) << 4);
    for (let i = 0; i < cols; i++) store<f32>(row + (<usize>(i >> 2) << 6) + (<usize>(i & 3) << 2), load<f32>(values + (<usize>i << 2)));
    return;
  }
  if (format == FORMAT_F16) {
    const row = matrix + <usize>r * (<usize>cols << 1);
    for (let i = 0; i < cols; i++) store<u16>(row + (<usize>i << 1), f32_to_f16(load<f32>(values + (<usize>i << 2))));
    return;
  }
  // Row j of its quad, group by group (format.ts).
  const q8 = format == FORMAT_Q8;
  const j = r & 3;
  const quad = matrix + <usize>(r >> 2) * quadBytes(format, cols);
  const levels: f32 = q8 ? 127 : 7;
  for (let g = 0; g < groupsOf(cols); g++) {
    const block = quad + <usize>g * (q8 ? Q8_BLOCK : Q4_BLOCK);
    const from = g * GROUP;
    const to = from + GROUP < cols ? from + GROUP : cols;
    let m: f32 = 0;
    for (let i = from; i < to; i++) m = Mathf.max(m, Mathf.abs(load<f32>(values + (<usize>i << 2))));
    const scale = m / levels;
    store<f32>(block + (q8 ? 4 * GROUP : 2 * GROUP) + (<usize>j << 2), scale);
    for (let i = 0; i < GROUP; i++) {
      const w = from + i < to && scale > 0 ? load<f32>(values + (<usize>(from + i) << 2)) / scale : <f32>0;
      if (q8) {
        store<i8>(block + q8Byte(j, i), <i8>nearest<f32>(w));
      } else {
        const q = <u8>(Mathf.min(Mathf.max(nearest<f32>(w), -8), 7) + 8);
        const at = block + q4Byte(j, i);
        // The low nibble of a byte is written first (q4Byte), so it may overwrite.
        store<u8>(at, q4High(i) ? load<u8>(at) | (q << 4) : q);
      }
    }
  }
}

/**
 * A flax tensor slice into rows [rowStart, rowStart + outRows) of a matrix
 * of `cols` columns in `format`: src is [cols][outRows] (a kernel, stored
 * transposed) when `transposed`, else [outRows][cols]. `rowBuffer` is
 * scratch for one row of f32.
 */
export function import_matrix(
  format: i32, matrix: usize, rowStart: i32, cols: i32, outRows: i32,
  src: usize, srcF16: bool, transposed: bool, rowBuffer: usize,
): i32 {
  let bad = 0;
  for (let o = 0; o < outRows; o++) {
    for (let i = 0; i < cols; i++) {
      const x = readValue(src, transposed ? <usize>i * <usize>outRows + <usize>o : <usize>o * <usize>cols + <usize>i, srcF16);
      if (!finite(x)) bad++;
      store<f32>(rowBuffer + (<usize>i << 2), x);
    }
    storeRow(format, matrix, rowStart + o, rowBuffer, cols);
  }
  return bad;
}
