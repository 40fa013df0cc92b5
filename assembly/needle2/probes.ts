// Probe-head pooling (architecture.py probe_pool / hidden_cells): the cells
// of a text are, per position, x0 and the lane mean after every layer; each
// probe k pools them by softmax attention,
//   score[k][c] = <cell_c, probe_k> / sqrt(d),   pooled[k] = Σ_c softmax_c(score[k]) cell_c.
// The forward pass feeds the cells in as it computes them (poolOn), so
// nothing per position is stored: each probe keeps a running max, sum and
// weighted sum (an online softmax). Cells of pad tokens are left out (the
// reference's `keep`). The head's projection runs in the host.

import * as N from "./layout";
import { dot_f32 } from "../matmul";
import { lane_mean_f32 } from "./mhc";

@inline function at(base: usize, i: i32): usize {
  return base + (<usize>i << 2);
}

/** Start pooling over `count` probes (already at N.probes) for the next forward pass from position 0. */
export function n2_pool_begin(count: i32, padId: i32): void {
  N.setPool(count, padId);
  for (let k = 0; k < count; k++) {
    store<f32>(at(N.poolMax, k), -Infinity);
    store<f32>(at(N.poolSum, k), 0);
  }
  memory.fill(N.poolAcc, 0, N.f32s(count * N.dModel));
}

/** Stop pooling; N.poolAcc [count][d] then holds the pooled vectors. Returns the cells pooled. */
export function n2_pool_end(): i32 {
  const count = N.poolCount;
  const d = N.dModel;
  for (let k = 0; k < count; k++) {
    const s = load<f32>(at(N.poolSum, k));
    const inv = s > 0 ? <f32>1 / s : <f32>0;
    const acc = at(N.poolAcc, k * d);
    for (let c = 0; c < d; c++) store<f32>(at(acc, c), load<f32>(at(acc, c)) * inv);
  }
  const cells = N.poolCells;
  N.setPool(0, 0);
  return cells;
}

/** One cell [d] into every probe's running softmax. */
export function pool_cell_f32(cell: usize): void {
  const d = N.dModel;
  const scale = <f32>(1.0 / Math.sqrt(<f64>d));
  for (let k = 0; k < N.poolCount; k++) {
    const z = dot_f32(cell, at(N.probes, k * d), d) * scale;
    const m = load<f32>(at(N.poolMax, k));
    const acc = at(N.poolAcc, k * d);
    let keep: f32 = 1; // factor on what is pooled so far
    let w: f32 = 1; // weight of this cell
    if (z > m) {
      keep = Mathf.exp(m - z); // 0 for the first cell
      store<f32>(at(N.poolMax, k), z);
    } else {
      w = Mathf.exp(z - m);
    }
    store<f32>(at(N.poolSum, k), load<f32>(at(N.poolSum, k)) * keep + w);
    for (let c = 0; c < d; c++) store<f32>(at(acc, c), load<f32>(at(acc, c)) * keep + w * load<f32>(at(cell, c)));
  }
  N.countCell();
}

/** The lane mean of X [n][d] (the cell a layer leaves), pooled. */
export function pool_lanes_f32(X: usize): void {
  lane_mean_f32(N.poolCell, X, N.lanes, N.dModel);
  pool_cell_f32(N.poolCell);
}
