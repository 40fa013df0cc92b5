import { test } from "uvu";
import { Scratch, assertClose, randomArray, randomInt, rng } from "./helpers.ts";
import * as twin from "./twins/kernels.ts";

const mem = await Scratch.create();
const next = rng(505);

test("attend_f32 matches the twin with grouped-query heads, strides and padding masks", () => {
  for (let trial = 0; trial < 80; trial++) {
    mem.reset();
    const nKvHeads = randomInt(next, 1, 4);
    const nHeads = nKvHeads * randomInt(next, 1, 3);
    const hd = 2 * randomInt(next, 1, 20);
    const kvDim = nKvHeads * hd;
    const stride = 2 * kvDim + randomInt(next, 0, 5);
    const nKeys = randomInt(next, 1, 70);
    const padId = 0;
    // Some keys are padding; key 0 never is, except in a few all-masked trials.
    const allMasked = trial % 20 === 19;
    const ids = Array.from({ length: nKeys }, (_, j) => (allMasked || (j > 0 && next() < 0.2) ? padId : 1 + j));
    const q = randomArray(next, nHeads * hd, 2);
    const kv = randomArray(next, nKeys * stride, 2);
    const want = twin.attend(q, kv, 0, kvDim, stride, nKeys, ids, padId, nHeads, nKvHeads, hd);
    const out = mem.alloc(nHeads * hd);
    const kvp = mem.alloc(kv.length, kv);
    mem.wasm.attend_f32(out, mem.alloc(q.length, q), kvp, kvp + kvDim * 4, stride, nKeys, mem.allocI32(ids), padId, nHeads, nKvHeads, hd, mem.alloc(nKeys));
    assertClose(mem.f32(out, nHeads * hd), want, 2e-5, `trial ${trial} H=${nHeads} KV=${nKvHeads} hd=${hd} keys=${nKeys}`);
  }
});

test.run();
