import { test } from "uvu";
import { Scratch, assertClose, randomArray, randomInt, rng } from "./helpers.ts";
import * as twin from "./twins/kernels.ts";

const mem = await Scratch.create();
const next = rng(303);

test("rope tables and rope_half_f32 match the twin at many positions, head sizes and thetas", () => {
  for (const [hd, theta] of [[2, 10000], [6, 10000], [8, 500000], [16, 10000], [18, 1e6], [64, 10000]] as const) {
    mem.reset();
    const maxPos = 1030;
    const half = hd / 2;
    const cos = mem.alloc(maxPos * half);
    const sin = mem.alloc(maxPos * half);
    mem.wasm.rope_tables_f32(cos, sin, maxPos, hd, theta);
    const heads = randomInt(next, 1, 4);
    for (const pos of [0, 1, 2, 17, 511, 1023, 1029]) {
      const v = randomArray(next, heads * hd);
      const vp = mem.alloc(v.length, v);
      mem.wasm.rope_half_f32(vp, heads, hd, cos + pos * half * 4, sin + pos * half * 4);
      for (let h = 0; h < heads; h++) {
        assertClose(mem.f32(vp + h * hd * 4, hd), twin.rope(v.subarray(h * hd, (h + 1) * hd), pos, theta), 2e-6, `hd=${hd} pos=${pos} h=${h}`);
      }
    }
  }
});

test.run();
