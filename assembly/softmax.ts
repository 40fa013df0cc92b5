// Numerically stable softmax in place, x[i] = exp(x[i] − max) / Σ exp(x[j] − max),
// with a vectorised exp; and argmax.

const LOG2E: f32 = 1.44269504088896341;
const LN2_HI: f32 = 0.693359375;
const LN2_LO: f32 = -2.12194440e-4;
const EXP_MAX: f32 = 88.3762626647949;
const EXP_MIN: f32 = -87.3365447504019; // below this, exp underflows to 0
const ROUNDER: f32 = 12582912.0; // 1.5 · 2^23

/**
 * exp of four lanes: Cephes' expf (range reduction by ln 2 to nearest, degree-5
 * polynomial, scaling by 2^n), about 1 ulp; lanes below EXP_MIN give 0, NaN
 * lanes NaN. The clamps are pmin/pmax (one instruction each), not min/max,
 * whose NaN and ±0 rules cost V8 about eight instructions each: NaN still
 * passes through, as pmin(x, c) and pmax(x, c) return x when x is NaN.
 */
@inline export function exp_f32x4(x: v128): v128 {
  const underflow = f32x4.lt(x, f32x4.splat(EXP_MIN));
  x = f32x4.pmax(f32x4.pmin(x, f32x4.splat(EXP_MAX)), f32x4.splat(EXP_MIN));
  // n = round(x / ln 2), via the 1.5·2^23 trick: t's low mantissa bits hold n.
  const t = f32x4.add(f32x4.mul(x, f32x4.splat(LOG2E)), f32x4.splat(ROUNDER));
  const n = f32x4.sub(t, f32x4.splat(ROUNDER));
  x = f32x4.sub(x, f32x4.mul(n, f32x4.splat(LN2_HI)));
  x = f32x4.sub(x, f32x4.mul(n, f32x4.splat(LN2_LO)));
  const z = f32x4.mul(x, x);
  let y = f32x4.splat(1.9875691500e-4);
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(1.3981999507e-3));
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(8.3334519073e-3));
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(4.1665795894e-2));
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(1.6666665459e-1));
  y = f32x4.add(f32x4.mul(y, x), f32x4.splat(5.0000001201e-1));
  y = f32x4.add(f32x4.add(f32x4.mul(y, z), x), f32x4.splat(1));
  // 2^n: (n + 127) << 23, taking n from t's bits (the ROUNDER bits shift out).
  const pow2n = i32x4.shl(i32x4.add(t, i32x4.splat(127)), 23);
  return v128.andnot(f32x4.mul(y, pow2n), underflow);
}

/** exp(x) for every element of x[0..n), in place. */
export function exp_f32(x: usize, n: i32): void {
  const n4 = n & ~3;
  for (let i = 0; i < n4; i += 4) {
    const p = x + (<usize>i << 2);
    v128.store(p, exp_f32x4(v128.load(p)));
  }
  for (let i = n4; i < n; i++) {
    const p = x + (<usize>i << 2);
    store<f32>(p, f32x4.extract_lane(exp_f32x4(f32x4.splat(load<f32>(p))), 0));
  }
}

/** Softmax of x[0..n) in place. */
export function softmax_f32(x: usize, n: i32): void {
  softmax_scaled_f32(x, n, 1);
}

/**
 * Softmax of scale · x[0..n) in place (scale > 0): exp((x[i] − max) · scale)
 * normalised, so attention can apply 1/sqrt(headDim) here.
 */
export function softmax_scaled_f32(x: usize, n: i32, scale: f32): void {
  const n4 = n & ~3;
  let mv = f32x4.splat(-Infinity);
  for (let i = 0; i < n4; i += 4) mv = f32x4.pmax(mv, v128.load(x + (<usize>i << 2)));
  let m = Mathf.max(Mathf.max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), Mathf.max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
  for (let i = n4; i < n; i++) m = Mathf.max(m, load<f32>(x + (<usize>i << 2)));
  const mSplat = f32x4.splat(m);
  const scaleSplat = f32x4.splat(scale);
  let sumV = f32x4.splat(0);
  for (let i = 0; i < n4; i += 4) {
    const p = x + (<usize>i << 2);
    const e = exp_f32x4(f32x4.mul(f32x4.sub(v128.load(p), mSplat), scaleSplat));
    v128.store(p, e);
    sumV = f32x4.add(sumV, e);
  }
  let sum = f32x4.extract_lane(sumV, 0) + f32x4.extract_lane(sumV, 1) + f32x4.extract_lane(sumV, 2) + f32x4.extract_lane(sumV, 3);
  for (let i = n4; i < n; i++) {
    const p = x + (<usize>i << 2);
    const e = f32x4.extract_lane(exp_f32x4(f32x4.splat((load<f32>(p) - m) * scale)), 0);
    store<f32>(p, e);
    sum += e;
  }
  const inv = f32x4.splat(<f32>1 / sum);
  for (let i = 0; i < n4; i += 4) {
    const p = x + (<usize>i << 2);
    v128.store(p, f32x4.mul(v128.load(p), inv));
  }
  for (let i = n4; i < n; i++) {
    const p = x + (<usize>i << 2);
    store<f32>(p, load<f32>(p) * f32x4.extract_lane(inv, 0));
  }
}

/**
 * Index of the first maximum of x[0..n) (numpy.argmax semantics, NaNs
 * skipped except a NaN at 0, which wins): the maximum by SIMD, then the
 * first index holding it.
 */
export function argmax_f32(x: usize, n: i32): i32 {
  const first = load<f32>(x);
  if (first != first) return 0;
  const m = max_f32(x, n);
  for (let i = 0; i < n; i++) if (load<f32>(x + (<usize>i << 2)) == m) return i;
  return 0; // every value is NaN but the first
}

/** The largest of x[0..n) (n ≥ 1), NaNs skipped; -Infinity if there is none. */
@inline function max_f32(x: usize, n: i32): f32 {
  const n4 = n & ~3;
  let mv = f32x4.splat(-Infinity);
  for (let i = 0; i < n4; i += 4) mv = f32x4.pmax(mv, v128.load(x + (<usize>i << 2)));
  let m = Mathf.max(Mathf.max(f32x4.extract_lane(mv, 0), f32x4.extract_lane(mv, 1)), Mathf.max(f32x4.extract_lane(mv, 2), f32x4.extract_lane(mv, 3)));
  for (let i = n4; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    if (v > m) m = v;
  }
  return m;
}

/**
 * log Σ exp(x[i]) over x[0..n) (n ≥ 1), shifted by the maximum so it never
 * overflows: the normaliser of a softmax over logits, without writing them
 * (constrained decoding's confidence reads it every step).
 */
export function logsumexp_f32(x: usize, n: i32): f32 {
  const n4 = n & ~3;
  const m = max_f32(x, n);
  const mSplat = f32x4.splat(m);
  let sumV = f32x4.splat(0);
  for (let i = 0; i < n4; i += 4) sumV = f32x4.add(sumV, exp_f32x4(f32x4.sub(v128.load(x + (<usize>i << 2)), mSplat)));
  let sum = f32x4.extract_lane(sumV, 0) + f32x4.extract_lane(sumV, 1) + f32x4.extract_lane(sumV, 2) + f32x4.extract_lane(sumV, 3);
  for (let i = n4; i < n; i++) sum += f32x4.extract_lane(exp_f32x4(f32x4.splat(load<f32>(x + (<usize>i << 2)) - m)), 0);
  return m + Mathf.log(sum);
}
