// Rotary position embedding, half-split ("rotate half", not interleaved):
// for i < half, angle = pos · theta^(-2i/headDim) and
//   out = [x1·cos − x2·sin, x2·cos + x1·sin],  x1 = x[:half], x2 = x[half:].

/** Fill cos/sin tables [maxPos][half] in f64 precision, stored as f32. */
export function rope_tables_f32(cosTable: usize, sinTable: usize, maxPos: i32, headDim: i32, theta: f64): void {
  const half = headDim >> 1;
  for (let p = 0; p < maxPos; p++) {
    for (let i = 0; i < half; i++) {
      const angle = <f64>p * Math.pow(theta, -<f64>(2 * i) / <f64>headDim);
      const at = (<usize>(p * half + i)) << 2;
      store<f32>(cosTable + at, <f32>Math.cos(angle));
      store<f32>(sinTable + at, <f32>Math.sin(angle));
    }
  }
}

/** Rotate `heads` head vectors (headDim each, contiguous) in place at one position. */
export function rope_half_f32(x: usize, heads: i32, headDim: i32, cosRow: usize, sinRow: usize): void {
  const half = headDim >> 1;
  const half4 = half & ~3;
  const halfBytes = <usize>half << 2;
  for (let h = 0; h < heads; h++) {
    const x1 = x + (<usize>(h * headDim) << 2);
    const x2 = x1 + halfBytes;
    let i = 0;
    for (; i < half4; i += 4) {
      const o = <usize>i << 2;
      const a = v128.load(x1 + o);
      const b = v128.load(x2 + o);
      const c = v128.load(cosRow + o);
      const s = v128.load(sinRow + o);
      v128.store(x1 + o, f32x4.sub(f32x4.mul(a, c), f32x4.mul(b, s)));
      v128.store(x2 + o, f32x4.add(f32x4.mul(b, c), f32x4.mul(a, s)));
    }
    for (; i < half; i++) {
      const o = <usize>i << 2;
      const a = load<f32>(x1 + o);
      const b = load<f32>(x2 + o);
      const c = load<f32>(cosRow + o);
      const s = load<f32>(sinRow + o);
      store<f32>(x1 + o, a * c - b * s);
      store<f32>(x2 + o, b * c + a * s);
    }
  }
}
