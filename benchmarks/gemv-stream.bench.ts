// What bounds decode: the int8 GEMV (build/needle.wasm's gemv_q8, one quad
// of rows at a time, so the weights are one sequential stream) on matrices
// from in-cache to far out of cache, against the same product taken four
// quads side by side (four streams a quad apart, sharing each activation
// load: the engine's GEMV before it took one quad at a time). Decode
// reads every matrix once per token (15 MB at int8 for the real size, more
// than this machine's cache share), so the out-of-cache rate is the one
// that counts.
//
//   node --import tsx benchmarks/gemv-stream.bench.ts

import asc from "assemblyscript/asc";
import { Bench } from "tinybench";
import { instantiateEngine } from "../lib/engine.ts";

const COLS = 512;
const GROUPS = COLS / 32;
const Q8_BLOCK = 144; // 4 rows × 32 int8 + 4 f32 scales (assembly/format.ts)

/** The four-quads-per-pass GEMV, for comparison (same layout and arithmetic as gemv_q8). */
const FOUR_STREAMS = `
@inline function scaleQuad(acc: v128, sums: v128, quadScales: v128, xScale: f32): v128 {
  return f32x4.add(acc, f32x4.mul(f32x4.convert_i32x4_s(sums), f32x4.mul(quadScales, f32x4.splat(xScale))));
}
export function gemv_q8_four_streams(out: usize, w: usize, x16: usize, xs: usize, rows: i32, groups: i32): void {
  const quadB = <usize>groups * ${Q8_BLOCK};
  let p = w;
  for (let r = 0; r + 16 <= rows; r += 16) {
    let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
    for (let g = 0; g < groups; g++) {
      const xg = x16 + (<usize>g << 6);
      const b = p + <usize>g * ${Q8_BLOCK};
      let s0 = i32x4.splat(0), s1 = i32x4.splat(0), s2 = i32x4.splat(0), s3 = i32x4.splat(0);
      for (let k: usize = 0; k < 16; k++) {
        const xk = v128.load32_splat(xg + (k << 2));
        const o = b + (k << 3);
        s0 = i32x4.add(s0, i32x4.dot_i16x8_s(xk, v128.load8x8_s(o)));
        s1 = i32x4.add(s1, i32x4.dot_i16x8_s(xk, v128.load8x8_s(o + quadB)));
        s2 = i32x4.add(s2, i32x4.dot_i16x8_s(xk, v128.load8x8_s(o + 2 * quadB)));
        s3 = i32x4.add(s3, i32x4.dot_i16x8_s(xk, v128.load8x8_s(o + 3 * quadB)));
      }
      const xScale = load<f32>(xs + (<usize>g << 2));
      a0 = scaleQuad(a0, s0, v128.load(b, 128), xScale);
      a1 = scaleQuad(a1, s1, v128.load(b + quadB, 128), xScale);
      a2 = scaleQuad(a2, s2, v128.load(b + 2 * quadB, 128), xScale);
      a3 = scaleQuad(a3, s3, v128.load(b + 3 * quadB, 128), xScale);
    }
    const dst = out + (<usize>r << 2);
    v128.store(dst, a0);
    v128.store(dst, a1, 16);
    v128.store(dst, a2, 32);
    v128.store(dst, a3, 48);
    p += 4 * quadB;
  }
}
`;

type Gemv = (out: number, w: number, x16: number, xs: number, rows: number, groups: number) => void;

export interface StreamPoint {
  matrixMiB: number;
  /** GMAC/s of the engine's gemv_q8 (one stream) and of the four-stream variant. */
  oneStream: number;
  fourStreams: number;
}

/** GEMV rates at each matrix size (rows of COLS int8 weights); `time` ms per task and round. */
export async function gemvStream({ rowsList = [512, 2048, 8192, 32768, 131072], time = 500, rounds = 3 } = {}): Promise<StreamPoint[]> {
  const engine = await instantiateEngine();
  const { binary, error, stderr } = await asc.compileString(FOUR_STREAMS, { runtime: "stub", optimizeLevel: 3, noAssert: true, enable: ["simd"], importMemory: true });
  if (error || !binary) throw new Error(`asc: ${error?.message ?? ""} ${stderr.toString()}`);
  const maxRows = Math.max(...rowsList);
  const base = (engine.heap_base() + 63) & ~63;
  const w = base, x16 = w + (maxRows / 4) * GROUPS * Q8_BLOCK, xs = x16 + COLS * 2, out = xs + GROUPS * 4;
  const end = out + maxRows * 4;
  const pages = Math.ceil(end / 65536) - engine.memory.buffer.byteLength / 65536;
  if (pages > 0) engine.memory.grow(pages);
  const four = (await WebAssembly.instantiate(binary as Uint8Array<ArrayBuffer>, { env: { memory: engine.memory } })).instance.exports.gemv_q8_four_streams as Gemv;
  const bytes = new Uint8Array(engine.memory.buffer);
  for (let i = w; i < x16; i++) bytes[i] = (i * 2654435761) >>> 25; // int8 weights in [0, 127]
  const f32 = new Float32Array(engine.memory.buffer);
  for (let b = w; b < x16; b += Q8_BLOCK) f32.fill(1 / 127, (b + 128) >> 2, (b + 144) >> 2);
  new Int16Array(engine.memory.buffer, x16, COLS).forEach((_, i, a) => (a[i] = ((i * 37) % 2001) - 1000));
  f32.fill(1 / 32767, xs >> 2, (xs >> 2) + GROUPS);

  // Both compute the same sums in the same order: their outputs must be identical.
  if (rowsList.some((rows) => rows % 16 !== 0)) throw new Error("gemvStream: row counts must be multiples of 16 (the four-stream kernel has no tail)");
  const rows0 = Math.min(...rowsList);
  (engine.gemv_q8 as Gemv)(out, w, x16, xs, rows0, GROUPS);
  const expected = new Float32Array(engine.memory.buffer, out, rows0).slice();
  four(out, w, x16, xs, rows0, GROUPS);
  if (!expected.every((v, i) => Object.is(v, new Float32Array(engine.memory.buffer, out, rows0)[i]))) throw new Error("gemv_q8 and the four-stream variant disagree");

  // Best of `rounds` tinybench runs (medians each): other tenants' load only slows a run down.
  const one = engine.gemv_q8 as Gemv;
  const best = new Map<string, number>();
  for (let round = 0; round < rounds; round++) {
    const bench = new Bench({ time, warmup: true });
    for (const rows of rowsList) {
      bench.add(`one ${rows}`, () => one(out, w, x16, xs, rows, GROUPS));
      bench.add(`four ${rows}`, () => four(out, w, x16, xs, rows, GROUPS));
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
  console.log("| matrix (MiB) | gemv_q8, one stream | four quads side by side |\n| ---: | ---: | ---: |");
  for (const p of await gemvStream()) console.log(`| ${p.matrixMiB.toFixed(1)} | ${p.oneStream.toFixed(1)} | ${p.fourStreams.toFixed(1)} |`);
}
