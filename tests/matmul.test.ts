import { test } from "uvu";
import * as assert from "uvu/assert";
import { Scratch, assertClose, randomArray, randomInt, rng } from "./helpers.ts";
import * as twin from "./twins/kernels.ts";
import { FORMAT_F32 } from "../assembly/abi.ts";

const mem = await Scratch.create();
const next = rng(101);
const SIZES = [1, 2, 3, 4, 5, 7, 8, 13, 16, 17, 31, 32, 33, 64, 67, 100];

/** A row-major [rows][cols] matrix imported into the engine's f32 layout (quads of interleaved rows); its address. */
function f32Matrix(w: Float32Array, rows: number, cols: number): number {
  const matrix = mem.alloc(Math.ceil(rows / 4) * Math.ceil(cols / 4) * 16);
  assert.is(mem.wasm.import_matrix(FORMAT_F32, matrix, 0, cols, rows, mem.alloc(w.length, w), 0, 0, mem.alloc(cols)), 0);
  return matrix;
}

test("dot_f32 matches the twin for lengths that are not multiples of 4 or 16", () => {
  for (const n of [...SIZES, 255, 512]) {
    mem.reset();
    const a = randomArray(next, n);
    const b = randomArray(next, n);
    const got = mem.wasm.dot_f32(mem.alloc(n, a), mem.alloc(n, b), n);
    assertClose([got], [twin.dot(a, b, n)], 1e-5 * Math.sqrt(n), `dot n=${n}`);
  }
});

test("gemv_f32 matches the twin on random shapes", () => {
  for (let trial = 0; trial < 60; trial++) {
    mem.reset();
    const rows = randomInt(next, 1, 70);
    const cols = randomInt(next, 1, 150);
    const w = randomArray(next, rows * cols);
    const x = randomArray(next, cols);
    const out = mem.alloc(rows);
    mem.wasm.gemv_f32(out, mem.alloc(cols, x), f32Matrix(w, rows, cols), rows, cols);
    assertClose(mem.f32(out, rows), twin.gemv(w, x, rows, cols), 1e-5 * Math.sqrt(cols), `gemv ${rows}x${cols}`);
  }
});

test("gemm_f32 matches the twin on random shapes, including odd row and token counts", () => {
  for (let trial = 0; trial < 60; trial++) {
    mem.reset();
    const n = randomInt(next, 1, 19);
    const rows = randomInt(next, 1, 45);
    const cols = randomInt(next, 1, 130);
    const x = randomArray(next, n * cols);
    const w = randomArray(next, rows * cols);
    const out = mem.alloc(n * rows);
    mem.wasm.gemm_f32(out, mem.alloc(x.length, x), f32Matrix(w, rows, cols), n, rows, cols);
    assertClose(mem.f32(out, n * rows), twin.gemm(x, w, n, rows, cols), 1e-5 * Math.sqrt(cols), `gemm ${n}x${rows}x${cols}`);
  }
});

test("gemm_f32 equals gemv_f32 row by row, bit for bit", () => {
  mem.reset();
  const [n, rows, cols] = [5, 9, 37];
  const x = randomArray(next, n * cols);
  const w = randomArray(next, rows * cols);
  const xp = mem.alloc(x.length, x);
  const wp = f32Matrix(w, rows, cols);
  const out = mem.alloc(n * rows);
  mem.wasm.gemm_f32(out, xp, wp, n, rows, cols);
  const row = mem.alloc(rows);
  for (let t = 0; t < n; t++) {
    mem.wasm.gemv_f32(row, xp + t * cols * 4, wp, rows, cols);
    assertClose(mem.f32(out + t * rows * 4, rows), mem.f32(row, rows), 0, `row ${t}`);
  }
});

test.run();
