// Feed-forward activations (only for checkpoints with no_feedforward: false).
// Each of `rows` rows holds [gate (dFF) | up (dFF)]; the result act(gate)·up
// is written compactly as rows of dFF, in place (row t lands at t*dFF, which
// never overtakes what is still to be read).
//   drelu:  relu(g) · relu(u)
//   swiglu: silu(g) · u
//   geglu:  gelu_tanh(g) · u      (flax's nn.gelu default, approximate=True)

import { FFN_DRELU, FFN_SWIGLU } from "./abi";

@inline function activate(kind: i32, g: f32, u: f32): f32 {
  if (kind == FFN_DRELU) return Mathf.max(g, 0) * Mathf.max(u, 0);
  if (kind == FFN_SWIGLU) return (g / (<f32>1 + Mathf.exp(-g))) * u;
  const c: f32 = 0.7978845608028654; // sqrt(2/pi)
  return <f32>0.5 * g * (<f32>1 + Mathf.tanh(c * (g + <f32>0.044715 * g * g * g))) * u;
}

export function ffn_act_f32(h: usize, rows: i32, dFF: i32, kind: i32): void {
  for (let t = 0; t < rows; t++) {
    const src = h + (<usize>(2 * t * dFF) << 2);
    const dst = h + (<usize>(t * dFF) << 2);
    const up = src + (<usize>dFF << 2);
    for (let i = 0; i < dFF; i++) {
      const o = <usize>i << 2;
      store<f32>(dst + o, activate(kind, load<f32>(src + o), load<f32>(up + o)));
    }
  }
}
