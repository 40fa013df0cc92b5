import { test } from "uvu";
import { Scratch, assertClose, randomArray, rng } from "./helpers.ts";
import * as twin from "./twins/kernels.ts";

const mem = await Scratch.create();
const next = rng(606);

test("gated_add_f32 matches the twin", () => {
  for (const n of [1, 3, 4, 9, 16, 33, 512]) {
    mem.reset();
    const x = randomArray(next, n);
    const y = randomArray(next, n);
    const gate = Math.fround(next());
    const xp = mem.alloc(n, x);
    mem.wasm.gated_add_f32(xp, mem.alloc(n, y), gate, n);
    assertClose(mem.f32(xp, n), twin.gatedAdd(x, y, gate), 1e-6, `n=${n}`);
  }
});

test.run();
