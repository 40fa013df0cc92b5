import { test } from "uvu";
import { Scratch, assertClose, randomArray, randomInt, rng } from "./helpers.ts";
import * as twin from "./twins/kernels.ts";
import { attendQ16 } from "./twins/quant.ts";

const mem = await Scratch.create();
const next = rng(505);

test("attend_f32 matches the twin for blocks of query rows, grouped-query heads, strides, head-major keys and values and padding masks", () => {
  for (let trial = 0; trial < 120; trial++) {
    mem.reset();
    const nKvHeads = randomInt(next, 1, 4);
    const nHeads = nKvHeads * randomInt(next, 1, 5);
    const hd = 2 * randomInt(next, 1, 20);
    const kvDim = nKvHeads * hd;
    const stride = 2 * kvDim + randomInt(next, 0, 5);
    const nKeys = trial % 8 === 0 ? randomInt(next, 129, 200) : randomInt(next, 1, 70); // past several 64-key blocks of the weighted sums now and then
    const nQ = randomInt(next, 1, 4);
    const qStride = nHeads * hd + randomInt(next, 0, 7);
    const outStride = nHeads * hd + randomInt(next, 0, 3);
    const padId = 0;
    // Some keys are padding; key 0 never is, except in a few all-masked trials.
    const allMasked = trial % 20 === 19;
    const ids = Array.from({ length: nKeys }, (_, j) => (allMasked || (j > 0 && next() < 0.2) ? padId : 1 + j));
    const q = randomArray(next, nQ * qStride, 2);
    const kv = randomArray(next, nKeys * stride, 2);
    const out = mem.alloc(nQ * outStride);
    const qp = mem.alloc(q.length, q);
    const scratch = mem.alloc(4 * nKeys);
    if (trial % 2 === 0) {
      // Rows [nKeys][K | V…], kv heads side by side.
      const kvp = mem.alloc(kv.length, kv);
      mem.wasm.attend_f32(out, outStride, qp, qStride, nQ, kvp, kvp + kvDim * 4, stride, hd, nKeys, mem.allocI32(ids), padId, nHeads, nKvHeads, hd, scratch);
    } else {
      // The same keys and values head-major: [K | V][kv head][reserved ≥ nKeys][hd].
      const reserved = nKeys + randomInt(next, 0, 3);
      const heads = new Float32Array(2 * nKvHeads * reserved * hd);
      for (let s = 0; s < 2 * nKvHeads; s++) {
        for (let j = 0; j < nKeys; j++) heads.set(kv.subarray(j * stride + s * hd, j * stride + (s + 1) * hd), (s * reserved + j) * hd);
      }
      const hp = mem.alloc(heads.length, heads);
      mem.wasm.attend_f32(out, outStride, qp, qStride, nQ, hp, hp + nKvHeads * reserved * hd * 4, hd, reserved * hd, nKeys, mem.allocI32(ids), padId, nHeads, nKvHeads, hd, scratch);
    }
    for (let t = 0; t < nQ; t++) {
      const want = twin.attend(q.subarray(t * qStride), kv, 0, kvDim, stride, nKeys, ids, padId, nHeads, nKvHeads, hd);
      assertClose(mem.f32(out + t * outStride * 4, nHeads * hd), want, 2e-5, `trial ${trial} row ${t} H=${nHeads} KV=${nKvHeads} hd=${hd} keys=${nKeys}`);
    }
  }
});

test("attend_q16 on int16 keys and values (store_kv_q16) matches its twin, and f32 attention within the int16 rounding", () => {
  for (let trial = 0; trial < 60; trial++) {
    mem.reset();
    const nKvHeads = randomInt(next, 1, 4);
    const nHeads = nKvHeads * randomInt(next, 1, 3);
    const hd = 2 * randomInt(next, 1, 36);
    const kvDim = nKvHeads * hd;
    const stride = 2 * kvDim + randomInt(next, 0, 5);
    const nKeys = randomInt(next, 1, trial % 10 === 0 ? 300 : 40);
    const reserved = nKeys + randomInt(next, 0, 3);
    const nQ = randomInt(next, 1, 3);
    const qStride = nHeads * hd;
    const padId = 0;
    const allMasked = trial % 20 === 19;
    const ids = Array.from({ length: nKeys }, (_, j) => (allMasked || (j > 0 && next() < 0.2) ? padId : 1 + j));
    // Keys correlated with the queries give large dot products: the int16 sums must not overflow.
    const q = randomArray(next, nQ * qStride, 3);
    const kv = randomArray(next, nKeys * stride, 3);
    if (trial % 3 === 0) for (let j = 0; j < nKeys; j++) for (let e = 0; e < hd; e++) kv[j * stride + e] = q[e]! * 1.5;
    const blocks = mem.alloc(Math.ceil((nKvHeads * (Math.ceil(reserved / 2) * 2) * (Math.ceil(hd / 8) * 8 * 4 + 8)) / 4));
    mem.wasm.store_kv_q16(blocks, reserved, mem.alloc(kv.length, kv), stride, nKeys, 0, nKvHeads, hd);
    const out = mem.alloc(nQ * qStride);
    mem.wasm.attend_q16(out, qStride, mem.alloc(q.length, q), qStride, nQ, blocks, reserved, nKeys, mem.allocI32(ids), padId, nHeads, nKvHeads, hd,
      mem.alloc(Math.ceil(hd / 8) * 8 + 2 * nKeys + 2 * nKeys + 16));
    for (let t = 0; t < nQ; t++) {
      const got = mem.f32(out + t * qStride * 4, qStride);
      const what = `trial ${trial} row ${t} H=${nHeads} KV=${nKvHeads} hd=${hd} keys=${nKeys}`;
      // The twin's f64 softmax may round a few p16 the other way: each such unit moves
      // an output by at most max|v| / 32767 (values are within ±3 here).
      assertClose(got, attendQ16(q.subarray(t * qStride), kv, stride, nKeys, ids, padId, nHeads, nKvHeads, hd), (4 * 3) / 32767, `${what} vs int16 twin`);
      assertClose(got, twin.attend(q.subarray(t * qStride), kv, 0, kvDim, stride, nKeys, ids, padId, nHeads, nKvHeads, hd), 3e-3, `${what} vs f32`);
    }
  }
});

test.run();
