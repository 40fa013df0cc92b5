// The benchmark code runs (tiny sizes, no timing assertions), so `npm run
// bench` cannot rot unnoticed.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { benchModel, formatModelResult } from "../benchmarks/model.bench.ts";
import { simdPeak } from "../benchmarks/simd-peak.bench.ts";
import { gemvStream } from "../benchmarks/gemv-stream.bench.ts";

test("benchModel runs every format and the plain TypeScript baseline at a tiny size", async () => {
  const result = await benchModel({
    config: { vocab_size: 8192, d_model: 32, num_heads: 2, num_kv_heads: 1, num_encoder_layers: 1, num_decoder_layers: 1, contrastive_dim: 8 },
    prefillLengths: [8, 16],
    decodeContext: 8,
    decodeSteps: 4,
    time: 10,
    threads: 2,
  });
  assert.equal(result.formats.map((f) => `${f.dtype}/${f.threads}`), ["f32/1", "f16/1", "int8/1", "int4/1", "int8/2"]);
  for (const f of result.formats) {
    for (const v of [f.prefill[8], f.prefill[16], f.decode, f.callMs, f.bundleBytes, f.wasmMemoryBytes]) assert.ok(Number.isFinite(v) && v! > 0, `${f.dtype}: ${v}`);
  }
  assert.ok(result.baseline && result.baseline.decode > 0);
  const table = formatModelResult(result);
  for (const dtype of ["f32", "f16", "int8", "int4"]) assert.match(table, `| ${dtype} |`);
});

test("simdPeak compiles and times the baseline SIMD kernels", async () => {
  const result = await simdPeak({ time: 10, iters: 1000 });
  for (const name of ["dot_i16x8_add", "f32_mul_add"]) assert.ok(Number.isFinite(result[name]) && result[name]! > 0, `${name}: ${result[name]}`);
});

test("gemvStream checks that the engine's two int8 GEMV forms agree, and times both", async () => {
  const points = await gemvStream({ rowsList: [64, 260], time: 10, rounds: 1 });
  assert.is(points.length, 2);
  for (const p of points) for (const v of [p.matrixMiB, p.oneStream, p.fourStreams]) assert.ok(Number.isFinite(v) && v > 0, `${v}`);
});

test.run();
