// Walsh-Hadamard transform (Sylvester order: H1 = [1], H2n = [[H, H], [H, -H]]),
// unnormalised, in place: CQ groups decode through it (cq.ts) and the
// Hadamard MLP runs on it (x @ H = fwht(x), H symmetric).
//
// HadamardMLP (architecture.py HadamardMLP): z = pad(x, n); z = (d1 z) Hn;
// z = silu(d2 z) Hn; out = (d3 z)[:d], Hn = H / sqrt(n). Here d2 and d3
// arrive already multiplied by 1/sqrt(n) (layout.ts), so the transforms stay
// unnormalised.

/** x[0..n) ← x·H for n a power of two (n ≥ 1). */
export function fwht_f32(x: usize, n: i32): void {
  // Butterflies of span 1 and 2 are scalar; from span 4 on, four lanes at a time.
  let len = 1;
  for (; len < n && len < 4; len <<= 1) {
    for (let i = 0; i < n; i += len << 1) {
      for (let j = i; j < i + len; j++) {
        const pa = x + (<usize>j << 2);
        const pb = x + (<usize>(j + len) << 2);
        const a = load<f32>(pa);
        const b = load<f32>(pb);
        store<f32>(pa, a + b);
        store<f32>(pb, a - b);
      }
    }
  }
  for (; len < n; len <<= 1) {
    for (let i = 0; i < n; i += len << 1) {
      for (let j = i; j < i + len; j += 4) {
        const pa = x + (<usize>j << 2);
        const pb = x + (<usize>(j + len) << 2);
        const a = v128.load(pa);
        const b = v128.load(pb);
        v128.store(pa, f32x4.add(a, b));
        v128.store(pb, f32x4.sub(a, b));
      }
    }
  }
}

/**
 * out[0..d) = HadamardMLP(x) for x [d] (already normalised), with z [n]
 * scratch; d1 [n], d2s = d2/sqrt(n) [n], d3s = d3/sqrt(n) [n].
 */
export function hadamard_mlp_f32(out: usize, x: usize, d: i32, z: usize, n: i32, d1: usize, d2s: usize, d3s: usize): void {
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(z + o, i < d ? load<f32>(x + o) * load<f32>(d1 + o) : 0);
  }
  fwht_f32(z, n);
  for (let i = 0; i < n; i++) {
    const o = <usize>i << 2;
    const t = load<f32>(z + o) * load<f32>(d2s + o);
    store<f32>(z + o, t / (<f32>1 + Mathf.exp(-t)));
  }
  fwht_f32(z, n);
  for (let i = 0; i < d; i++) {
    const o = <usize>i << 2;
    store<f32>(out + o, load<f32>(z + o) * load<f32>(d3s + o));
  }
}
