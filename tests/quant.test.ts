// Weight formats: import (assembly/tensor_import.ts import_matrix), row lookup,
// activation quantisation and the f16 / q8 / q4 products, each against a
// plain TypeScript twin on random shapes.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { Scratch, assertClose, randomArray, randomInt, rng } from "./helpers.ts";
import { floatToHalf } from "./twins/random-checkpoint.ts";
import { halfToFloat } from "./twins/forward.ts";
import * as twin from "./twins/kernels.ts";
import { GROUP, quantizeActivations, quantizeRows, quantizedProduct } from "./twins/quant.ts";
import { FORMAT_F16 as F16, FORMAT_F32 as F32, FORMAT_Q4 as Q4, FORMAT_Q8 as Q8 } from "../assembly/abi.ts";

const mem = await Scratch.create();
const next = rng(808);

/** Bytes of a matrix in a format (assembly/format.ts). */
function matrixBytes(format: number, rows: number, cols: number): number {
  const groups = Math.ceil(cols / GROUP);
  if (format >= Q8) return Math.ceil(rows / 4) * groups * (format === Q8 ? 144 : 80);
  if (format === F32) return Math.ceil(rows / 4) * Math.ceil(cols / 4) * 64;
  return Math.ceil((rows * cols * 2) / 16) * 16;
}

/** Import a row-major [rows][cols] f32 matrix into the engine in `format`; returns its address. */
function importMatrix(format: number, values: Float32Array, rows: number, cols: number): number {
  const matrix = mem.alloc(Math.ceil(matrixBytes(format, rows, cols) / 4));
  const src = mem.alloc(values.length, values);
  const bad = mem.wasm.import_matrix(format, matrix, 0, cols, rows, src, 0, 0, mem.alloc(cols));
  assert.is(bad, 0);
  return matrix;
}

test("import_matrix + matrix_row give back exactly the twin's f32, f16, q8 and q4 values", () => {
  for (let trial = 0; trial < 40; trial++) {
    mem.reset();
    const rows = randomInt(next, 1, 9);
    const cols = randomInt(next, 1, 100);
    const values = randomArray(next, rows * cols, 3);
    if (trial % 10 === 0) values.fill(0, 0, cols); // an all-zero row
    for (const format of [F32, F16, Q8, Q4]) {
      const matrix = importMatrix(format, values, rows, cols);
      const q = format === Q8 ? quantizeRows(values, rows, cols, 127) : format === Q4 ? quantizeRows(values, rows, cols, 7, -8) : null;
      const row = mem.alloc(cols);
      for (let r = 0; r < rows; r++) {
        mem.wasm.matrix_row(row, matrix, cols, r, 1, format);
        const want = Array.from({ length: cols }, (_, i) => {
          const v = values[r * cols + i]!;
          if (format === F32) return v;
          if (format === F16) return halfToFloat(floatToHalf(v));
          return Math.fround(q!.q[r * q!.groups * GROUP + i]! * q!.scales[r * q!.groups + Math.floor(i / GROUP)]!);
        });
        assertClose(mem.f32(row, cols), want, 0, `format ${format} ${rows}x${cols} row ${r}`);
      }
    }
  }
});

test("import_matrix transposes flax kernels [in][out] and counts non-finite values", () => {
  mem.reset();
  const [inDim, outDim] = [5, 3];
  const kernel = randomArray(next, inDim * outDim);
  const matrix = mem.alloc(Math.ceil(matrixBytes(F32, outDim, inDim) / 4));
  const src = mem.alloc(kernel.length, kernel);
  assert.is(mem.wasm.import_matrix(F32, matrix, 0, inDim, outDim, src, 0, 1, mem.alloc(inDim)), 0);
  const row = mem.alloc(inDim);
  for (let o = 0; o < outDim; o++) {
    mem.wasm.matrix_row(row, matrix, inDim, o, 1, F32);
    for (let i = 0; i < inDim; i++) assert.is(mem.f32(row, inDim)[i], kernel[i * outDim + o]);
  }
  mem.f32(src, 2).set([NaN, Infinity]);
  assert.is(mem.wasm.import_matrix(Q8, mem.alloc(100), 0, inDim, outDim, src, 0, 1, mem.alloc(inDim)), 2);
});

test("quantize_rows_i16 matches the twin exactly, zero-padding partial groups", () => {
  for (let trial = 0; trial < 30; trial++) {
    mem.reset();
    const n = randomInt(next, 1, 6);
    const cols = randomInt(next, 1, 130);
    const x = randomArray(next, n * cols, 10);
    if (trial === 3) x.fill(0);
    const want = quantizeActivations(x, n, cols);
    const x16 = mem.alloc(Math.ceil((n * want.groups * GROUP) / 2));
    const xs = mem.alloc(n * want.groups);
    mem.wasm.quantize_rows_i16(x16, xs, mem.alloc(x.length, x), n, cols);
    const got = new Int16Array(mem.wasm.memory.buffer, x16, n * want.groups * GROUP);
    assert.equal(Array.from(got), Array.from(want.q), `n=${n} cols=${cols}`);
    assertClose(mem.f32(xs, n * want.groups), want.scales, 0, "scales");
  }
});

test("q8 and q4 GEMV and GEMM equal the twin's exact integer products, scaled", () => {
  for (let trial = 0; trial < 40; trial++) {
    mem.reset();
    const n = randomInt(next, 1, 7);
    const rows = randomInt(next, 1, 19);
    const cols = randomInt(next, 1, 140);
    const w = randomArray(next, rows * cols);
    const x = randomArray(next, n * cols, 4);
    const xq = quantizeActivations(x, n, cols);
    const x16 = mem.alloc(Math.ceil((n * xq.groups * GROUP) / 2));
    const xs = mem.alloc(n * xq.groups);
    mem.wasm.quantize_rows_i16(x16, xs, mem.alloc(x.length, x), n, cols);
    for (const format of [Q8, Q4]) {
      const wq = format === Q8 ? quantizeRows(w, rows, cols, 127) : quantizeRows(w, rows, cols, 7, -8);
      const matrix = importMatrix(format, w, rows, cols);
      const want = quantizedProduct(xq, wq, n, rows);
      const tol = (v: number) => 1e-5 * Math.max(1, Math.abs(v));
      const out = mem.alloc(n * rows);
      if (format === Q8) mem.wasm.gemm_q8(out, x16, xs, matrix, n, rows, wq.groups);
      else mem.wasm.gemm_q4(out, x16, xs, matrix, n, rows, wq.groups);
      const got = mem.f32(out, n * rows);
      for (let i = 0; i < want.length; i++) if (Math.abs(got[i]! - want[i]!) > tol(want[i]!)) assert.unreachable(`gemm format ${format} ${n}x${rows}x${cols} at ${i}: ${got[i]} vs ${want[i]}`);
      const one = mem.alloc(rows);
      if (format === Q8) mem.wasm.gemv_q8(one, x16, xs, matrix, rows, wq.groups);
      else mem.wasm.gemv_q4(one, x16, xs, matrix, rows, wq.groups);
      for (let r = 0; r < rows; r++) if (Math.abs(mem.f32(one, rows)[r]! - want[r]!) > tol(want[r]!)) assert.unreachable(`gemv format ${format} row ${r}`);
    }
  }
});

test("gemv_q8_wide (four quads side by side) gives gemv_q8's bits, tails included", () => {
  for (let trial = 0; trial < 30; trial++) {
    mem.reset();
    const rows = trial < 3 ? [16, 32, 48][trial]! : randomInt(next, 1, 70);
    const cols = randomInt(next, 1, 140);
    const w = randomArray(next, rows * cols);
    const x = randomArray(next, cols, 4);
    const xq = quantizeActivations(x, 1, cols);
    const x16 = mem.alloc(Math.ceil((xq.groups * GROUP) / 2));
    const xs = mem.alloc(xq.groups);
    mem.wasm.quantize_rows_i16(x16, xs, mem.alloc(x.length, x), 1, cols);
    const matrix = importMatrix(Q8, w, rows, cols);
    const one = mem.alloc(rows), wide = mem.alloc(rows);
    mem.wasm.gemv_q8(one, x16, xs, matrix, rows, xq.groups);
    mem.wasm.gemv_q8_wide(wide, x16, xs, matrix, rows, xq.groups);
    const want = quantizedProduct(xq, quantizeRows(w, rows, cols, 127), 1, rows);
    for (let r = 0; r < rows; r++) {
      const a = mem.f32(one, rows)[r]!, b = mem.f32(wide, rows)[r]!;
      if (!Object.is(a, b)) assert.unreachable(`${rows}x${cols} row ${r}: ${b} vs ${a}`);
      if (Math.abs(b - want[r]!) > 1e-5 * Math.max(1, Math.abs(want[r]!))) assert.unreachable(`${rows}x${cols} row ${r}: ${b} vs twin ${want[r]}`);
    }
  }
});

test("f16 GEMV and GEMM equal the f32 products of the widened weights", () => {
  for (let trial = 0; trial < 40; trial++) {
    mem.reset();
    const n = randomInt(next, 1, 7);
    const rows = randomInt(next, 1, 19);
    const cols = randomInt(next, 1, 90);
    const w = randomArray(next, rows * cols).map((v) => halfToFloat(floatToHalf(v)));
    const x = randomArray(next, n * cols);
    const matrix = importMatrix(F16, w, rows, cols);
    const xp = mem.alloc(x.length, x);
    const out = mem.alloc(n * rows);
    mem.wasm.gemm_f16(out, xp, matrix, n, rows, cols, mem.alloc(4 * cols));
    assertClose(mem.f32(out, n * rows), twin.gemm(x, w, n, rows, cols), 1e-5 * Math.sqrt(cols), `gemm f16 ${n}x${rows}x${cols}`);
    mem.wasm.gemv_f16(out, xp, matrix, rows, cols);
    assertClose(mem.f32(out, rows), twin.gemv(w, x, rows, cols), 1e-5 * Math.sqrt(cols), `gemv f16 ${rows}x${cols}`);
  }
});

test.run();
