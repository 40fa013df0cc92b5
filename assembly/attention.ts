// Scaled dot-product attention for one query position over all heads, with
// grouped-query heads (query head h reads kv head h / (nHeads / nKvHeads)).
//
//   q      [nHeads][headDim]                       f32
//   keys   row j at k + j*kvStride floats; kv head g at g*headDim in the row
//   values row j at v + j*kvStride floats, same head layout
//   keyIds [nKeys] i32: a key whose id equals padId is masked, as the
//          reference masks padding (its score becomes the f32 minimum)
//   out    [nHeads][headDim]
//   scores [nKeys] scratch

import { dot_f32 } from "./matmul";
import { softmax_f32 } from "./softmax";

const MASKED: f32 = -3.4028234663852886e38;

export function attend_f32(
  out: usize, q: usize, k: usize, v: usize, kvStride: i32, nKeys: i32,
  keyIds: usize, padId: i32, nHeads: i32, nKvHeads: i32, headDim: i32, scores: usize,
): void {
  const group = nHeads / nKvHeads;
  const scale = <f32>(1.0 / Math.sqrt(<f64>headDim));
  const rowBytes = <usize>kvStride << 2;
  const headBytes = <usize>headDim << 2;
  const hd4 = headDim & ~3;
  for (let h = 0; h < nHeads; h++) {
    const qh = q + <usize>h * headBytes;
    const kvOffset = <usize>(h / group) * headBytes;
    for (let j = 0; j < nKeys; j++) {
      const masked = load<i32>(keyIds + (<usize>j << 2)) == padId;
      const s = masked ? MASKED : dot_f32(qh, k + <usize>j * rowBytes + kvOffset, headDim) * scale;
      store<f32>(scores + (<usize>j << 2), s);
    }
    softmax_f32(scores, nKeys);
    const oh = out + <usize>h * headBytes;
    memory.fill(oh, 0, headBytes);
    for (let j = 0; j < nKeys; j++) {
      const p = load<f32>(scores + (<usize>j << 2));
      if (p == 0) continue;
      const vj = v + <usize>j * rowBytes + kvOffset;
      const pv = f32x4.splat(p);
      let i = 0;
      for (; i < hd4; i += 4) {
        const o = <usize>i << 2;
        v128.store(oh + o, f32x4.add(v128.load(oh + o), f32x4.mul(pv, v128.load(vj + o))));
      }
      for (; i < headDim; i++) {
        const o = <usize>i << 2;
        store<f32>(oh + o, load<f32>(oh + o) + p * load<f32>(vj + o));
      }
    }
  }
}
