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

test("logsumexp_f32 matches log Σ exp in float64, for n not a multiple of 4 and large offsets", () => {
  for (const n of [1, 2, 3, 5, 8, 13, 257, 8192]) {
    mem.reset();
    const x = randomArray(next, n, 20).map((v) => v + 500);
    const top = Math.max(...x);
    const want = top + Math.log(x.reduce((s, v) => s + Math.exp(v - top), 0));
    const got = mem.wasm.logsumexp_f32(mem.alloc(n, x), n);
    assert.ok(Math.abs(got - want) <= 1e-6 * Math.abs(want) + 1e-5, `n=${n}: ${got} vs ${want}`);
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

test("argmax_f32 agrees with numpy's scan on random lengths, ties, NaNs and infinities", () => {
  const scan = (x: number[]) => {
    let best = 0;
    for (let i = 1; i < x.length; i++) if (x[i]! > x[best]!) best = i;
    return best;
  };
  for (let run = 0; run < 300; run++) {
    mem.reset();
    const n = 1 + Math.floor(next() * 40);
    const x = Array.from({ length: n }, () => {
      const r = next();
      return r < 0.1 ? NaN : r < 0.15 ? -Infinity : r < 0.2 ? 0 : r < 0.22 ? -0 : Math.round(next() * 6);
    });
    assert.is(mem.wasm.argmax_f32(mem.alloc(n, x), n), scan(x), JSON.stringify(x));
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
