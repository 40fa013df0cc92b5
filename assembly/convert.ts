// Conversions used once, while a checkpoint's tensors are copied into place:
// float16/float32 source values (flax orientation) to the f32 layout of
// layout.ts. Each returns how many source values were not finite, so the
// loader can refuse a corrupt checkpoint.

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

@inline function readValue(src: usize, i: usize, srcF16: bool): f32 {
  return srcF16 ? f16_to_f32(<u32>load<u16>(src + (i << 1))) : load<f32>(src + (i << 2));
}

@inline function finite(x: f32): bool {
  return x - x == 0;
}

/** dst[i] = src[i] for i < n. */
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

/**
 * A flax kernel slice src [inDim][outDim] into dst rows [outDim][inDim]
 * (transposed, in 16×16 tiles to keep both sides in cache).
 */
export function import_transposed(dst: usize, src: usize, srcF16: bool, inDim: i32, outDim: i32): i32 {
  let bad = 0;
  for (let i0 = 0; i0 < inDim; i0 += 16) {
    const i1 = i0 + 16 < inDim ? i0 + 16 : inDim;
    for (let o0 = 0; o0 < outDim; o0 += 16) {
      const o1 = o0 + 16 < outDim ? o0 + 16 : outDim;
      for (let i = i0; i < i1; i++) {
        for (let o = o0; o < o1; o++) {
          const x = readValue(src, <usize>i * <usize>outDim + <usize>o, srcF16);
          if (!finite(x)) bad++;
          store<f32>(dst + ((<usize>o * <usize>inDim + <usize>i) << 2), x);
        }
      }
    }
  }
  return bad;
}
