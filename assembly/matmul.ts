// Matrix products over f32, weights stored [rows][cols] (see layout.ts).
//   gemv_f32: one input vector (a decode step).
//   gemm_f32: n input rows (prefill), tiled 2 inputs × 4 weight rows so
//             every loaded vector feeds several multiply-adds.

@inline function hsum(v: v128): f32 {
  return f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1) + f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3);
}

/** Scalar dot product of a and b over [from, to). */
@inline function dotTail(a: usize, b: usize, from: i32, to: i32): f32 {
  let s: f32 = 0;
  for (let i = from; i < to; i++) s += load<f32>(a + (<usize>i << 2)) * load<f32>(b + (<usize>i << 2));
  return s;
}

/** dot(a[0..n), b[0..n)) */
export function dot_f32(a: usize, b: usize, n: i32): f32 {
  const n4 = n & ~3;
  let acc0 = f32x4.splat(0);
  let acc1 = f32x4.splat(0);
  let i = 0;
  for (; i + 8 <= n4; i += 8) {
    const o = <usize>i << 2;
    acc0 = f32x4.add(acc0, f32x4.mul(v128.load(a + o), v128.load(b + o)));
    acc1 = f32x4.add(acc1, f32x4.mul(v128.load(a + o, 16), v128.load(b + o, 16)));
  }
  for (; i < n4; i += 4) {
    const o = <usize>i << 2;
    acc0 = f32x4.add(acc0, f32x4.mul(v128.load(a + o), v128.load(b + o)));
  }
  return hsum(f32x4.add(acc0, acc1)) + dotTail(a, b, n4, n);
}

/** out[r] = dot(w[r][0..cols), x[0..cols)) for r < rows. */
export function gemv_f32(out: usize, w: usize, x: usize, rows: i32, cols: i32): void {
  const n4 = cols & ~3;
  const rowBytes = <usize>cols << 2;
  let r = 0;
  for (; r + 4 <= rows; r += 4) {
    const w0 = w + <usize>r * rowBytes;
    const w1 = w0 + rowBytes;
    const w2 = w1 + rowBytes;
    const w3 = w2 + rowBytes;
    let a0 = f32x4.splat(0);
    let a1 = f32x4.splat(0);
    let a2 = f32x4.splat(0);
    let a3 = f32x4.splat(0);
    for (let i = 0; i < n4; i += 4) {
      const o = <usize>i << 2;
      const xv = v128.load(x + o);
      a0 = f32x4.add(a0, f32x4.mul(v128.load(w0 + o), xv));
      a1 = f32x4.add(a1, f32x4.mul(v128.load(w1 + o), xv));
      a2 = f32x4.add(a2, f32x4.mul(v128.load(w2 + o), xv));
      a3 = f32x4.add(a3, f32x4.mul(v128.load(w3 + o), xv));
    }
    const dst = out + (<usize>r << 2);
    store<f32>(dst, hsum(a0) + dotTail(w0, x, n4, cols));
    store<f32>(dst, hsum(a1) + dotTail(w1, x, n4, cols), 4);
    store<f32>(dst, hsum(a2) + dotTail(w2, x, n4, cols), 8);
    store<f32>(dst, hsum(a3) + dotTail(w3, x, n4, cols), 12);
  }
  for (; r < rows; r++) {
    store<f32>(out + (<usize>r << 2), dot_f32(w + <usize>r * rowBytes, x, cols));
  }
}

/** out[t][r] = dot(x[t][0..cols), w[r][0..cols)) for t < n, r < rows; out rows are `rows` wide. */
export function gemm_f32(out: usize, x: usize, w: usize, n: i32, rows: i32, cols: i32): void {
  const n4 = cols & ~3;
  const rowBytes = <usize>cols << 2;
  const outBytes = <usize>rows << 2;
  let t = 0;
  for (; t + 2 <= n; t += 2) {
    const x0 = x + <usize>t * rowBytes;
    const x1 = x0 + rowBytes;
    const out0 = out + <usize>t * outBytes;
    const out1 = out0 + outBytes;
    let r = 0;
    for (; r + 4 <= rows; r += 4) {
      const w0 = w + <usize>r * rowBytes;
      const w1 = w0 + rowBytes;
      const w2 = w1 + rowBytes;
      const w3 = w2 + rowBytes;
      let a00 = f32x4.splat(0), a01 = f32x4.splat(0), a02 = f32x4.splat(0), a03 = f32x4.splat(0);
      let a10 = f32x4.splat(0), a11 = f32x4.splat(0), a12 = f32x4.splat(0), a13 = f32x4.splat(0);
      for (let i = 0; i < n4; i += 4) {
        const o = <usize>i << 2;
        const xv0 = v128.load(x0 + o);
        const xv1 = v128.load(x1 + o);
        const wv0 = v128.load(w0 + o);
        const wv1 = v128.load(w1 + o);
        const wv2 = v128.load(w2 + o);
        const wv3 = v128.load(w3 + o);
        a00 = f32x4.add(a00, f32x4.mul(xv0, wv0));
        a01 = f32x4.add(a01, f32x4.mul(xv0, wv1));
        a02 = f32x4.add(a02, f32x4.mul(xv0, wv2));
        a03 = f32x4.add(a03, f32x4.mul(xv0, wv3));
        a10 = f32x4.add(a10, f32x4.mul(xv1, wv0));
        a11 = f32x4.add(a11, f32x4.mul(xv1, wv1));
        a12 = f32x4.add(a12, f32x4.mul(xv1, wv2));
        a13 = f32x4.add(a13, f32x4.mul(xv1, wv3));
      }
      const d0 = out0 + (<usize>r << 2);
      const d1 = out1 + (<usize>r << 2);
      store<f32>(d0, hsum(a00) + dotTail(x0, w0, n4, cols));
      store<f32>(d0, hsum(a01) + dotTail(x0, w1, n4, cols), 4);
      store<f32>(d0, hsum(a02) + dotTail(x0, w2, n4, cols), 8);
      store<f32>(d0, hsum(a03) + dotTail(x0, w3, n4, cols), 12);
      store<f32>(d1, hsum(a10) + dotTail(x1, w0, n4, cols));
      store<f32>(d1, hsum(a11) + dotTail(x1, w1, n4, cols), 4);
      store<f32>(d1, hsum(a12) + dotTail(x1, w2, n4, cols), 8);
      store<f32>(d1, hsum(a13) + dotTail(x1, w3, n4, cols), 12);
    }
    for (; r < rows; r++) {
      const wr = w + <usize>r * rowBytes;
      store<f32>(out0 + (<usize>r << 2), dot_f32(x0, wr, cols));
      store<f32>(out1 + (<usize>r << 2), dot_f32(x1, wr, cols));
    }
  }
  for (; t < n; t++) gemv_f32(out + <usize>t * outBytes, w, x + <usize>t * rowBytes, rows, cols);
}
