// Attention over cached keys and values, in the cache's format, as linear.ts
// picks a matrix's. KV_F32: per cache [2][kvHeads][reserved][headDim] f32 (K
// then V, head-major); KV_Q16: kvHeads int16 head blocks (attention_q16.ts).
// The decoder's own kvCache is always f32; the encoder's keys and the
// cross-attention K/V follow the weights (int16 with q8/q4).

import * as L from "./layout";
import { attend_f32 } from "./attention";
import { attend_q16, store_kv_q16 } from "./attention_q16";
import { isQuantized } from "./format";

export const KV_F32 = 0;
export const KV_Q16 = 1;

@inline function f32s(n: i32): usize {
  return <usize>n << 2;
}

/** The format of the caches that follow the weights (cross-attention, the encoder's keys). */
export function weightsKVFormat(): i32 {
  return isQuantized(L.weightFormat) ? KV_Q16 : KV_F32;
}

/**
 * Store n rows of [K | V] (kv heads side by side; row t at src + t·srcStride
 * floats) at positions pos, pos+1, … of a cache reserved for `reserved`.
 */
export function storeKV(format: i32, cache: usize, reserved: i32, src: usize, srcStride: i32, n: i32, pos: i32): void {
  const hd = L.headDim;
  if (format == KV_Q16) {
    store_kv_q16(cache, reserved, src, srcStride, n, pos, L.nKvHeads, hd);
    return;
  }
  for (let t = 0; t < n; t++) {
    for (let s = 0; s < 2 * L.nKvHeads; s++) {
      memory.copy(cache + f32s((s * reserved + pos + t) * hd), src + f32s(t * srcStride + s * hd), f32s(hd));
    }
  }
}

/**
 * out [nQ][d] = attention of nQ query rows (qStride floats apart) over the
 * first nKeys positions of a cache, masking those whose id in keyIds is the
 * pad id.
 */
export function attendKV(format: i32, out: usize, q: usize, qStride: i32, nQ: i32, cache: usize, reserved: i32, nKeys: i32, keyIds: usize): void {
  const hd = L.headDim;
  if (format == KV_Q16) {
    attend_q16(out, L.dModel, q, qStride, nQ, cache, reserved, nKeys, keyIds, L.padId, L.nHeads, L.nKvHeads, hd, L.scores);
  } else {
    const values = cache + f32s(L.kvDim * reserved);
    attend_f32(out, L.dModel, q, qStride, nQ, cache, values, hd, hd * reserved, nKeys, keyIds, L.padId, L.nHeads, L.nKvHeads, hd, L.scores);
  }
}
