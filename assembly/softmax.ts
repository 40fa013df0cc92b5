// Numerically stable softmax in place: x[i] = exp(x[i] − max) / Σ exp(x[j] − max).

export function softmax_f32(x: usize, n: i32): void {
  let m = load<f32>(x);
  for (let i = 1; i < n; i++) m = Mathf.max(m, load<f32>(x + (<usize>i << 2)));
  let sum: f32 = 0;
  for (let i = 0; i < n; i++) {
    const p = x + (<usize>i << 2);
    const e = Mathf.exp(load<f32>(p) - m);
    store<f32>(p, e);
    sum += e;
  }
  const inv = <f32>1 / sum;
  const n4 = n & ~3;
  const invV = f32x4.splat(inv);
  for (let i = 0; i < n4; i += 4) {
    const p = x + (<usize>i << 2);
    v128.store(p, f32x4.mul(v128.load(p), invV));
  }
  for (let i = n4; i < n; i++) {
    const p = x + (<usize>i << 2);
    store<f32>(p, load<f32>(p) * inv);
  }
}

/** Index of the first maximum of x[0..n) (numpy.argmax semantics). */
export function argmax_f32(x: usize, n: i32): i32 {
  let best = 0;
  let bestValue = load<f32>(x);
  for (let i = 1; i < n; i++) {
    const v = load<f32>(x + (<usize>i << 2));
    if (v > bestValue) {
      bestValue = v;
      best = i;
    }
  }
  return best;
}
