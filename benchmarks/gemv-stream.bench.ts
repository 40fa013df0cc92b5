// The int8 decode GEMV's two forms (assembly/quant.ts), on matrices from
// in-cache to far out of cache: gemv_q8 (one quad of rows at a time, so the
// weights are one sequential stream) and gemv_q8_wide (four quads side by
// side, four streams a quad apart sharing each activation load). Decode
// reads every matrix once per token (15 MB at int8 for the real size), so
// which form is faster depends on the cache and prefetcher of the machine;
// lib/engine/gemv-tuner.ts picks per machine, and this table shows why.
//
//   node --import tsx benchmarks/gemv-stream.bench.ts

import { Bench } from "tinybench";
import { instantiateEngine } from "../lib/engine/instance.ts";

const COLS = 512;
const GROUPS = COLS / 32;
const Q8_BLOCK = 144; // 4 rows × 32 int8 + 4 f32 scales (assembly/format.ts)

type Gemv = (out: number, x16: number, xs: number, w: number, rows: number, groups: number) => void;

export interface StreamPoint {
  matrixMiB: number;
  /** GMAC/s of the engine's gemv_q8 (one stream) and gemv_q8_wide (four quads side by side). */
  oneStream: number;
  fourStreams: number;
}

/** GEMV rates at each matrix size (rows of COLS int8 weights, multiples of 4); `time` ms per task and round. */
export async function gemvStream({ rowsList = [512, 2048, 8192, 32768, 131072], time = 500, rounds = 3 } = {}): Promise<StreamPoint[]> {
  if (rowsList.some((rows) => rows % 4 !== 0)) throw new Error("gemvStream: row counts must be multiples of 4 (whole quads)");
  const engine = await instantiateEngine();
  const maxRows = Math.max(...rowsList);
  const base = (engine.heap_base() + 63) & ~63;
  const w = base, x16 = w + (maxRows / 4) * GROUPS * Q8_BLOCK, xs = x16 + COLS * 2, out = xs + GROUPS * 4;
  const end = out + maxRows * 4;
  const pages = Math.ceil(end / 65536) - engine.memory.buffer.byteLength / 65536;
  if (pages > 0) engine.memory.grow(pages);
  const bytes = new Uint8Array(engine.memory.buffer);
  for (let i = w; i < x16; i++) bytes[i] = (i * 2654435761) >>> 25; // int8 weights in [0, 127]
  const f32 = new Float32Array(engine.memory.buffer);
  for (let b = w; b < x16; b += Q8_BLOCK) f32.fill(1 / 127, (b + 128) >> 2, (b + 144) >> 2);
  new Int16Array(engine.memory.buffer, x16, COLS).forEach((_, i, a) => (a[i] = ((i * 37) % 2001) - 1000));
  f32.fill(1 / 32767, xs >> 2, (xs >> 2) + GROUPS);

  // Both compute the same sums in the same order: their outputs must be identical.
  const one = engine.gemv_q8 as Gemv;
  const four = engine.gemv_q8_wide as Gemv;
  for (const rows of rowsList) {
    one(out, x16, xs, w, rows, GROUPS);
    const expected = new Float32Array(engine.memory.buffer, out, rows).slice();
    four(out, x16, xs, w, rows, GROUPS);
    if (!expected.every((v, i) => Object.is(v, new Float32Array(engine.memory.buffer, out, rows)[i]))) throw new Error(`gemv_q8 and gemv_q8_wide disagree on ${rows} rows`);
  }

  // Best of `rounds` tinybench runs (medians each): other tenants' load only slows a run down.
  const best = new Map<string, number>();
  for (let round = 0; round < rounds; round++) {
    const bench = new Bench({ time, warmup: true });
    for (const rows of rowsList) {
      bench.add(`one ${rows}`, () => one(out, x16, xs, w, rows, GROUPS));
      bench.add(`four ${rows}`, () => four(out, x16, xs, w, rows, GROUPS));
    }
    await bench.run();
    for (const task of bench.tasks) {
      const latency = (task.result as { latency: { p50?: number; mean: number } }).latency;
      const rows = Number(task.name.split(" ")[1]);
      const rate = (rows * COLS) / ((latency.p50 ?? latency.mean) / 1000) / 1e9;
      best.set(task.name, Math.max(best.get(task.name) ?? 0, rate));
    }
  }
  return rowsList.map((rows) => ({
    matrixMiB: ((rows / 4) * GROUPS * Q8_BLOCK) / 2 ** 20,
    oneStream: best.get(`one ${rows}`)!,
    fourStreams: best.get(`four ${rows}`)!,
  }));
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(`int8 GEMV, ${COLS} columns: GMAC/s (GB/s of weights read = GMAC/s × 1.125)`);
  console.log("| matrix (MiB) | gemv_q8, one stream | gemv_q8_wide, four quads side by side |\n| ---: | ---: | ---: |");
  for (const p of await gemvStream()) console.log(`| ${p.matrixMiB.toFixed(1)} | ${p.oneStream.toFixed(1)} | ${p.fourStreams.toFixed(1)} |`);
}
