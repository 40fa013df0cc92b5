import { test } from "uvu";
import { Scratch, assertClose, randomArray, randomInt, rng } from "./helpers.ts";
import * as twin from "./twins/kernels.ts";

const mem = await Scratch.create();
const next = rng(707);

test("ffn_act_f32 computes act(gate)·up for every activation and compacts rows in place", () => {
  for (const kind of ["drelu", "swiglu", "geglu"] as const) {
    for (let trial = 0; trial < 10; trial++) {
      mem.reset();
      const rows = randomInt(next, 1, 7);
      const dFF = randomInt(next, 1, 40);
      const h = randomArray(next, rows * 2 * dFF, 4);
      const want = new Float32Array(rows * dFF);
      for (let t = 0; t < rows; t++) {
        for (let i = 0; i < dFF; i++) want[t * dFF + i] = twin.activation(kind, h[t * 2 * dFF + i]!, h[t * 2 * dFF + dFF + i]!);
      }
      const hp = mem.alloc(h.length, h);
      mem.wasm.ffn_act_f32(hp, rows, dFF, twin.FFN_KIND_CODE[kind]);
      assertClose(mem.f32(hp, rows * dFF), want, 2e-5, `${kind} rows=${rows} dFF=${dFF}`);
    }
  }
});

test.run();
