import { test } from "uvu";
import { Scratch, assertClose, randomArray, randomInt, rng } from "./helpers.ts";
import * as twin from "./twins/kernels.ts";

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
    const nKeys = randomInt(next, 1, 70);
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

test.run();
