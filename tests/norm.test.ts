import { test } from "uvu";
import { Scratch, assertClose, randomArray, randomInt, rng } from "./helpers.ts";
import * as twin from "./twins/kernels.ts";

const mem = await Scratch.create();
const next = rng(202);

test("rmsnorm_zc_f32 matches the twin, in place and out of place", () => {
  for (const n of [1, 3, 4, 5, 15, 16, 17, 48, 63, 64, 512]) {
    mem.reset();
    const x = randomArray(next, n, 3);
    const gain = randomArray(next, n).map((g) => 1 + 0.2 * g);
    const want = twin.rmsnorm(x, gain, n);
    const xp = mem.alloc(n, x);
    const gp = mem.alloc(n, gain);
    const out = mem.alloc(n);
    mem.wasm.rmsnorm_zc_f32(out, xp, gp, n);
    assertClose(mem.f32(out, n), want, 2e-6, `n=${n}`);
    mem.wasm.rmsnorm_zc_f32(xp, xp, gp, n);
    assertClose(mem.f32(xp, n), want, 2e-6, `in place n=${n}`);
  }
});

test("rmsnorm_zc_f32 of a zero vector is zero (eps keeps it finite)", () => {
  mem.reset();
  const n = 7;
  const out = mem.alloc(n);
  mem.wasm.rmsnorm_zc_f32(out, mem.alloc(n, new Float32Array(n)), mem.alloc(n, new Float32Array(n).fill(1)), n);
  assertClose(mem.f32(out, n), new Float32Array(n), 0);
});

test("rmsnorm_zc_rows_f32 normalises each row on its own", () => {
  mem.reset();
  const rows = 5;
  const n = 21;
  const x = randomArray(next, rows * n, 2);
  const gain = randomArray(next, n);
  const out = mem.alloc(rows * n);
  mem.wasm.rmsnorm_zc_rows_f32(out, mem.alloc(x.length, x), mem.alloc(n, gain), rows, n);
  for (let r = 0; r < rows; r++) assertClose(mem.f32(out + r * n * 4, n), twin.rmsnorm(x, gain, n, r * n), 2e-6, `row ${r}`);
});

test("rmsnorm_zc_heads_f32 normalises every head of every strided row and nothing else", () => {
  for (let trial = 0; trial < 20; trial++) {
    mem.reset();
    const heads = randomInt(next, 1, 5);
    const hd = 2 * randomInt(next, 1, 12);
    const extra = randomInt(next, 0, 9);
    const stride = heads * hd + extra;
    const rows = randomInt(next, 1, 6);
    const x = randomArray(next, rows * stride, 2);
    const gain = randomArray(next, hd);
    const xp = mem.alloc(x.length, x);
    mem.wasm.rmsnorm_zc_heads_f32(xp, mem.alloc(hd, gain), rows, stride, heads, hd);
    const got = mem.f32(xp, x.length);
    for (let r = 0; r < rows; r++) {
      for (let h = 0; h < heads; h++) {
        assertClose(got.subarray(r * stride + h * hd, r * stride + (h + 1) * hd), twin.rmsnorm(x, gain, hd, r * stride + h * hd), 2e-6, `r${r} h${h}`);
      }
      assertClose(got.subarray(r * stride + heads * hd, (r + 1) * stride), x.subarray(r * stride + heads * hd, (r + 1) * stride), 0, "untouched tail");
    }
  }
});

test.run();
