// ZCRMSNorm (Needle's zero-centred RMSNorm):
//   out[i] = gain[i] * x[i] / sqrt(mean(x²) + 1e-6),  gain = 1 + scale.

const EPS: f32 = 1e-6;

/** Normalise one vector of n values; out may alias x. */
export function rmsnorm_zc_f32(out: usize, x: usize, gain: usize, n: i32): void {
  const n4 = n & ~3;
  let acc = f32x4.splat(0);
  for (let i = 0; i < n4; i += 4) {
    const v = v128.load(x + (<usize>i << 2));
    acc = f32x4.add(acc, f32x4.mul(v, v));
  }
  let sumSq = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (let i = n4; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    sumSq += v * v;
  }
  const inv = <f32>1 / Mathf.sqrt(sumSq / <f32>n + EPS);
  const invV = f32x4.splat(inv);
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(out + o, f32x4.mul(f32x4.mul(v128.load(x + o), invV), v128.load(gain + o)));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(x + o) * inv * load<f32>(gain + o));
  }
}

/** Normalise `rows` consecutive vectors of n values each. */
export function rmsnorm_zc_rows_f32(out: usize, x: usize, gain: usize, rows: i32, n: i32): void {
  const bytes = <usize>n << 2;
  for (let r = 0; r < rows; r++) rmsnorm_zc_f32(out + <usize>r * bytes, x + <usize>r * bytes, gain, n);
}

/**
 * Per-head norm (q_norm / k_norm): in each of `rows` rows that are `stride`
 * floats apart, normalise `heads` head vectors of headDim values in place.
 */
export function rmsnorm_zc_heads_f32(x: usize, gain: usize, rows: i32, stride: i32, heads: i32, headDim: i32): void {
  for (let r = 0; r < rows; r++) {
    const row = x + (<usize>(r * stride) << 2);
    for (let h = 0; h < heads; h++) {
      const v = row + (<usize>(h * headDim) << 2);
      rmsnorm_zc_f32(v, v, gain, headDim);
    }
  }
}
