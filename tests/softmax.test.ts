import { test } from "uvu";
import * as assert from "uvu/assert";
import { Scratch, assertClose, randomArray, rng } from "./helpers.ts";
import * as twin from "./twins/kernels.ts";

const mem = await Scratch.create();
const next = rng(404);

test("softmax_f32 matches the twin, including large offsets", () => {
  for (const n of [1, 2, 3, 5, 8, 13, 64, 257, 1024]) {
    mem.reset();
    const x = randomArray(next, n, 20).map((v) => v + 1000);
    const xp = mem.alloc(n, x);
    mem.wasm.softmax_f32(xp, n);
    assertClose(mem.f32(xp, n), twin.softmax(x), 1e-6, `n=${n}`);
  }
});

test("softmax_f32 of all-masked scores is uniform, as the reference's masking gives", () => {
  mem.reset();
  const n = 6;
  const xp = mem.alloc(n, new Float32Array(n).fill(twin.MASKED));
  mem.wasm.softmax_f32(xp, n);
  assertClose(mem.f32(xp, n), new Float32Array(n).fill(1 / n), 1e-7);
});

test("exp_f32 is within 2 ulp of Math.exp over the whole f32 range, and 0 below it", () => {
  mem.reset();
  const xs = [0, -0, 1, -1, 0.5, 88.3, 88.37, -87.3, -87.33, -87.34, -100, -3.4e38, 1e-8, -1e-8];
  for (let i = 0; i < 4000; i++) xs.push(-90 + 178 * next());
  const p = mem.alloc(xs.length, xs);
  mem.wasm.exp_f32(p, xs.length);
  const got = mem.f32(p, xs.length);
  for (let i = 0; i < xs.length; i++) {
    const x = Math.fround(xs[i]!);
    const want = x < -87.3365447504019 ? 0 : Math.fround(Math.exp(x));
    const ulp = Math.max(Math.abs(want) * 2 ** -23, 2 ** -149);
    if (Math.abs(got[i]! - want) > 2 * ulp) assert.unreachable(`exp(${x}) = ${got[i]}, want ${want}`);
  }
});

test("argmax_f32 returns the first index of the maximum", () => {
  mem.reset();
  const x = [0.5, 3, -1, 3, 2];
  assert.is(mem.wasm.argmax_f32(mem.alloc(x.length, x), x.length), 1);
  const y = randomArray(next, 8192);
  let best = 0;
  for (let i = 1; i < y.length; i++) if (y[i]! > y[best]!) best = i;
  assert.is(mem.wasm.argmax_f32(mem.alloc(y.length, y), y.length), best);
});

test.run();
