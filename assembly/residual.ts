// Gated residual: x += gate · y, with gate = sigmoid(g) precomputed at load.

export function gated_add_f32(x: usize, y: usize, gate: f32, n: i32): void {
  const n4 = n & ~3;
  const g = f32x4.splat(gate);
  for (let i = 0; i < n4; i += 4) {
    const o = <usize>i << 2;
    v128.store(x + o, f32x4.add(v128.load(x + o), f32x4.mul(g, v128.load(y + o))));
  }
  for (let i = n4; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(x + o, load<f32>(x + o) + gate * load<f32>(y + o));
  }
}
