// Manifold hyper-connections (architecture.py _ScanBody / decode.py
// _forward_cached): the residual stream is n lanes X [n][d]. Per layer i,
// with nx = rms_unit(X flattened) and mix = nx · [phi_pre | phi_post | phi_res]
// (one GEMV, rows [n | n | n²]) and lane = i mod n:
//   hpre[l]  = σ(aPre·mix[l] + bPre[l] + (l == lane ? 4 : -4));   u = Σ_l hpre[l] X[l]
//   hpost[a] = 2 σ(aPost·mix[n+a] + bPost[a] - (a == lane ? 0 : 4))
//   R        = sinkhorn(aRes·mix[2n..] as [n][n] + bRes)
//   X'[a]    = Σ_b R[a][b] X[b] + hpost[a] · y,   y = Block(u) - u.

const EPS: f32 = 1e-6;
const SINKHORN_ITERS = 20;

@inline function at(base: usize, i: i32): usize {
  return base + (<usize>i << 2);
}

@inline function sigmoid(x: f32): f32 {
  return <f32>1 / (<f32>1 + Mathf.exp(-x));
}

/** 1 / sqrt(mean(x²) + 1e-6) over x[0..n). */
export function inv_rms_f32(x: usize, n: i32): f32 {
  const n4 = n & ~3;
  let acc = f32x4.splat(0);
  for (let i = 0; i < n4; i += 4) {
    const v = v128.load(at(x, i));
    acc = f32x4.add(acc, f32x4.mul(v, v));
  }
  let s = f32x4.extract_lane(acc, 0) + f32x4.extract_lane(acc, 1) + f32x4.extract_lane(acc, 2) + f32x4.extract_lane(acc, 3);
  for (let i = n4; i < n; i++) s += load<f32>(at(x, i)) * load<f32>(at(x, i));
  return <f32>1 / Mathf.sqrt(s / <f32>n + EPS);
}

/** out[0..n) = x / rms(x) (rms_unit); out may alias x. */
export function rms_unit_f32(out: usize, x: usize, n: i32): void {
  const inv = inv_rms_f32(x, n);
  for (let i = 0; i < n; i++) store<f32>(at(out, i), load<f32>(at(x, i)) * inv);
}

/** u[0..d) = Σ_l hpre[l] X[l] (the layer's input from the lanes). */
export function mhc_pre_f32(u: usize, X: usize, mix: usize, aPre: f32, bPre: usize, lane: i32, n: i32, d: i32): void {
  memory.fill(u, 0, <usize>d << 2);
  for (let l = 0; l < n; l++) {
    const h = sigmoid(aPre * load<f32>(at(mix, l)) + load<f32>(at(bPre, l)) + (l == lane ? <f32>4 : <f32>-4));
    const hv = f32x4.splat(h);
    const row = at(X, l * d);
    const d4 = d & ~3;
    for (let c = 0; c < d4; c += 4) v128.store(at(u, c), f32x4.add(v128.load(at(u, c)), f32x4.mul(hv, v128.load(at(row, c)))));
    for (let c = d4; c < d; c++) store<f32>(at(u, c), load<f32>(at(u, c)) + h * load<f32>(at(row, c)));
  }
}

/** out [d] = the mean of the n lanes of X [n][d]. */
export function lane_mean_f32(out: usize, X: usize, n: i32, d: i32): void {
  const inv = <f32>1 / <f32>n;
  memory.fill(out, 0, <usize>d << 2);
  for (let l = 0; l < n; l++) for (let c = 0; c < d; c++) store<f32>(at(out, c), load<f32>(at(out, c)) + load<f32>(at(X, l * d + c)) * inv);
}

/** Sinkhorn in log space over m [n][n] in place: 20 × (rows, then columns) normalised, then exp. */
export function sinkhorn_f32(m: usize, n: i32): void {
  for (let it = 0; it < SINKHORN_ITERS; it++) {
    for (let pass = 0; pass < 2; pass++) {
      // pass 0: each row a (stride 1); pass 1: each column b (stride n).
      const step = pass == 0 ? 1 : n;
      const next = pass == 0 ? n : 1;
      for (let a = 0; a < n; a++) {
        const base = a * next;
        let mx: f64 = -Infinity;
        for (let j = 0; j < n; j++) mx = Math.max(mx, <f64>load<f32>(at(m, base + j * step)));
        let s: f64 = 0;
        for (let j = 0; j < n; j++) s += Math.exp(<f64>load<f32>(at(m, base + j * step)) - mx);
        const lse = mx + Math.log(s);
        for (let j = 0; j < n; j++) store<f32>(at(m, base + j * step), <f32>(<f64>load<f32>(at(m, base + j * step)) - lse));
      }
    }
  }
  for (let k = 0; k < n * n; k++) store<f32>(at(m, k), Mathf.exp(load<f32>(at(m, k))));
}

/**
 * next [n][d] = R·X + hpost ⊗ y, with R [n][n] scratch (filled here from
 * mix[2n..]) and hpost from mix[n..2n).
 */
export function mhc_post_f32(
  next: usize, X: usize, y: usize, mix: usize, aPost: f32, bPost: usize, aRes: f32, bRes: usize, lane: i32, n: i32, d: i32, R: usize,
): void {
  for (let k = 0; k < n * n; k++) store<f32>(at(R, k), aRes * load<f32>(at(mix, 2 * n + k)) + load<f32>(at(bRes, k)));
  sinkhorn_f32(R, n);
  const d4 = d & ~3;
  for (let a = 0; a < n; a++) {
    const hp = <f32>2 * sigmoid(aPost * load<f32>(at(mix, n + a)) + load<f32>(at(bPost, a)) - (a == lane ? <f32>0 : <f32>4));
    const out = at(next, a * d);
    const hv = f32x4.splat(hp);
    for (let c = 0; c < d4; c += 4) v128.store(at(out, c), f32x4.mul(hv, v128.load(at(y, c))));
    for (let c = d4; c < d; c++) store<f32>(at(out, c), hp * load<f32>(at(y, c)));
    for (let b = 0; b < n; b++) {
      const r = load<f32>(at(R, a * n + b));
      const rv = f32x4.splat(r);
      const row = at(X, b * d);
      for (let c = 0; c < d4; c += 4) v128.store(at(out, c), f32x4.add(v128.load(at(out, c)), f32x4.mul(rv, v128.load(at(row, c)))));
      for (let c = d4; c < d; c++) store<f32>(at(out, c), load<f32>(at(out, c)) + r * load<f32>(at(row, c)));
    }
  }
}
