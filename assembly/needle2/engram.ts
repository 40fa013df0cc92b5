// Engram n-gram memory (architecture.py engram_indices / Engram; decode.py
// _engram_kv). Table t (order index t / heads) looks up slot
//   acc = seed_t = 0x9E3779B9·(t+1) mod 2³²;  for j < order: acc = (acc ^ tok[p-j]) · 0x01000193
//   acc ^= acc >> 15;  slot = acc mod slots          (tok[p-j] = 0 before the start)
// and contributes row tables[t·slots + slot] when p ≥ order-1 (else zeros);
// e = the rows side by side; k = Wk e, v = Wv e; the values pass a causal
// dilated convolution v'[p] = Σ_{j<4} taps[j] ⊙ v[p - j·dil] (terms before
// the start dropped); the block input gets u + σ(<rms_unit(u), rms_unit(k)> / sqrt(d)) v'.

import { inv_rms_f32 } from "./mhc";

const SEED: u32 = 0x9e3779b9;
const PRIME: u32 = 0x01000193;
const TAPS = 4;

@inline function at(base: usize, i: i32): usize {
  return base + (<usize>i << 2);
}

/** The slot table `t` (of n-gram order `order`) reads at position p of tokens [i32]. */
export function engram_slot(tokens: usize, p: i32, t: i32, order: i32, slots: i32): i32 {
  let acc: u32 = SEED * <u32>(t + 1);
  for (let j = 0; j < order; j++) {
    const tok: u32 = p - j >= 0 ? <u32>load<i32>(at(tokens, p - j)) : 0;
    acc = (acc ^ tok) * PRIME;
  }
  acc ^= acc >> 15;
  return <i32>(acc % <u32>slots);
}

/** e [tables·sub] at position p: each table's row, or zeros while the n-gram is incomplete. */
export function engram_gather_f32(
  e: usize, tables: usize, tokens: usize, p: i32, nTables: i32, slots: i32, sub: i32, orders: usize, nOrders: i32,
): void {
  const heads = nTables / nOrders;
  const rowBytes = <usize>sub << 2;
  for (let t = 0; t < nTables; t++) {
    const order = load<i32>(at(orders, t / heads));
    const dst = e + <usize>t * rowBytes;
    if (p < order - 1) {
      memory.fill(dst, 0, rowBytes);
    } else {
      const row = t * slots + engram_slot(tokens, p, t, order, slots);
      memory.copy(dst, tables + <usize>row * rowBytes, rowBytes);
    }
  }
}

/**
 * out [d] = Σ_j taps[j] ⊙ ring[(p - j·dil) mod ringSize] for p - j·dil ≥ 0;
 * ring [ringSize][d] holds the unconvolved values of the last ringSize positions.
 */
export function engram_conv_f32(out: usize, ring: usize, taps: usize, p: i32, dil: i32, ringSize: i32, d: i32): void {
  memory.fill(out, 0, <usize>d << 2);
  for (let j = 0; j < TAPS; j++) {
    const q = p - j * dil;
    if (q < 0) break;
    const v = at(ring, (q % ringSize) * d);
    const tap = at(taps, j * d);
    for (let c = 0; c < d; c++) store<f32>(at(out, c), load<f32>(at(out, c)) + load<f32>(at(tap, c)) * load<f32>(at(v, c)));
  }
}

/** bx [d] = u + σ(<rms_unit(u), rms_unit(k)> / sqrt(d)) · v. */
export function engram_inject_f32(bx: usize, u: usize, k: usize, v: usize, d: i32): void {
  let dot: f32 = 0;
  for (let c = 0; c < d; c++) dot += load<f32>(at(u, c)) * load<f32>(at(k, c));
  const z = dot * inv_rms_f32(u, d) * inv_rms_f32(k, d) / Mathf.sqrt(<f32>d);
  const alpha = <f32>1 / (<f32>1 + Mathf.exp(-z));
  for (let c = 0; c < d; c++) store<f32>(at(bx, c), load<f32>(at(u, c)) + alpha * load<f32>(at(v, c)));
}
