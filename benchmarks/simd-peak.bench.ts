// The machine's ceiling for the engine's inner loops: multiply-adds per
// second of the SIMD instructions the kernels are built on, with eight
// independent accumulators in registers and no memory traffic, so nothing
// but the instructions themselves bounds them. Baseline SIMD (what
// build/needle.wasm uses) and, where the runtime validates it, relaxed SIMD
// (what an optional second artifact would use).
//
//   node --import tsx benchmarks/simd-peak.bench.ts
//   deno run -A --node-modules-dir=manual benchmarks/simd-peak.bench.ts

import asc from "assemblyscript/asc";
import { Bench } from "tinybench";

/** One kernel: `op(a, b, acc)` as AssemblyScript, over lane type `vec` built by `splat`. */
function kernel(name: string, ret: string, splatA: string, splatB: string, zero: string, op: (a: string, b: string, acc: string) => string, extract: string): string {
  const accs = Array.from({ length: 8 }, (_, i) => `a${i}`);
  const pairs = [["x", "y"], ["y", "x"], ["x", "x"], ["y", "y"]];
  return `export function ${name}(iters: i32, seed: i32): ${ret} {
  const x = ${splatA}, y = ${splatB};
  let ${accs.map((a) => `${a} = ${zero}`).join(", ")};
  for (let i = 0; i < iters; i++) {
${accs.map((a, i) => `    ${a} = ${op(pairs[i % 4]![0]!, pairs[i % 4]![1]!, a)};`).join("\n")}
  }
  return ${accs.map((a) => `${extract}(${a}, 0)`).join(" + ")};
}
`;
}

const BASELINE = [
  kernel("dot_i16x8_add", "i32", "i16x8.splat(<i16>seed)", "i16x8.splat(<i16>(seed + 1))", "i32x4.splat(0)", (a, b, acc) => `i32x4.add(${acc}, i32x4.dot_i16x8_s(${a}, ${b}))`, "i32x4.extract_lane"),
  kernel("f32_mul_add", "f32", "f32x4.splat(<f32>seed)", "f32x4.splat(<f32>seed * 0.5)", "f32x4.splat(0)", (a, b, acc) => `f32x4.add(${acc}, f32x4.mul(${a}, ${b}))`, "f32x4.extract_lane"),
].join("\n");

const RELAXED = [
  kernel("relaxed_dot_i8x16_i7x16_add", "i32", "i8x16.splat(<i8>seed)", "i8x16.splat(<i8>(seed + 1))", "i32x4.splat(0)", (a, b, acc) => `i32x4.relaxed_dot_i8x16_i7x16_add_s(${a}, ${b}, ${acc})`, "i32x4.extract_lane"),
  kernel("relaxed_madd", "f32", "f32x4.splat(<f32>seed)", "f32x4.splat(<f32>seed * 0.5)", "f32x4.splat(0)", (a, b, acc) => `f32x4.relaxed_madd(${a}, ${b}, ${acc})`, "f32x4.extract_lane"),
].join("\n");

/** Multiply-adds per call of each kernel per iteration (8 accumulators × lanes × products per lane). */
const MACS: Record<string, number> = { dot_i16x8_add: 8 * 4 * 2, f32_mul_add: 8 * 4, relaxed_dot_i8x16_i7x16_add: 8 * 4 * 4, relaxed_madd: 8 * 4 };

async function compile(source: string, features: string[]): Promise<Uint8Array> {
  const { binary, error, stderr } = await asc.compileString(source, { runtime: "stub", optimizeLevel: 3, noAssert: true, enable: features });
  if (error || !binary) throw new Error(`asc: ${error?.message ?? ""} ${stderr.toString()}`);
  return binary;
}

/** GMAC/s per kernel; `time` ms per task, `iters` loop iterations per call. */
export async function simdPeak({ time = 1500, iters = 2_000_000 } = {}): Promise<Record<string, number>> {
  const modules = [await compile(BASELINE, ["simd"])];
  const relaxed = await compile(RELAXED, ["simd", "relaxed-simd"]);
  if (WebAssembly.validate(relaxed as Uint8Array<ArrayBuffer>)) modules.push(relaxed);
  const bench = new Bench({ time, warmup: true });
  for (const bytes of modules) {
    const exports = (await WebAssembly.instantiate(bytes as Uint8Array<ArrayBuffer>, {})).instance.exports as Record<string, (iters: number, seed: number) => number>;
    for (const [name, fn] of Object.entries(exports)) if (name in MACS) bench.add(name, () => fn(iters, 3));
  }
  await bench.run();
  const result: Record<string, number> = {};
  for (const task of bench.tasks) {
    const latency = (task.result as { latency: { p50?: number; mean: number } }).latency;
    result[task.name] = (MACS[task.name]! * iters) / ((latency.p50 ?? latency.mean) / 1000) / 1e9;
  }
  return result;
}

if (import.meta.url === `file://${process.argv[1]}` || (globalThis as { Deno?: unknown }).Deno !== undefined) {
  const runtime = (globalThis as { Deno?: { version: { deno: string; v8: string } } }).Deno;
  console.log(runtime ? `deno ${runtime.version.deno} (V8 ${runtime.version.v8})` : `node ${process.version} (V8 ${process.versions.v8})`);
  for (const [name, gmacs] of Object.entries(await simdPeak())) console.log(`${name.padEnd(30)} ${gmacs.toFixed(1)} GMAC/s`);
}
