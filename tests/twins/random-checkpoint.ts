// Random Needle checkpoints generated in-process, shaped by a config, with
// the fixtures' weight distributions (see tests/fixtures/README.md) so
// that greedy decoding is decisive. Used by tests on configs the fixtures do
// not cover and by the benchmarks at the real Needle size.

import { resolveConfig, type NeedleConfig } from "../../lib/load/config.ts";
import { expectedTensors, type Checkpoint } from "../../lib/load/checkpoint.ts";
import { halfToFloat, type RawTensor } from "./forward.ts";

/** Round-to-nearest-even float32 → IEEE half bits. */
export function floatToHalf(value: number): number {
  const f = new Float32Array([value]);
  const x = new Uint32Array(f.buffer)[0]!;
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rem = mant & ((1 << shift) - 1);
    const mid = 1 << (shift - 1);
    if (rem > mid || (rem === mid && (half & 1))) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rem = mant & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (half & 1))) half++;
  return sign | half;
}

function gaussian(next: () => number): number {
  const u = Math.max(next(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * next());
}

/** Normal(mean, std) for one tensor, by its name and shape. */
function distribution(name: string, shape: number[], d: number): [number, number] {
  const fanIn = shape.length >= 2 ? shape[shape.length - 2]! : d;
  if (name === "embedding/embedding") return [0, 1 / Math.sqrt(d)];
  if (name.endsWith("out_proj/kernel") || name.endsWith("down_proj/kernel")) return [0, 2 / Math.sqrt(fanIn)];
  if (name.endsWith("/kernel")) return [0, 1.25 / Math.sqrt(fanIn)];
  if (name.endsWith("_gate")) return [0.5, 1];
  if (name === "decoder/ZCRMSNorm_0/scale") return [-1, 4];
  if (name.endsWith("q_norm/scale") || name.endsWith("k_norm/scale")) return [0.4, 0.2];
  if (name.endsWith("/scale")) return [0, 0.2];
  return [0, 0.1];
}

export interface RandomCheckpointOptions {
  seed?: number;
  dtype?: "float16" | "float32";
}

/** A checkpoint for `stored` (a partial config, defaults filled as for real files). */
export function randomCheckpoint(stored: Partial<NeedleConfig>, options: RandomCheckpointOptions = {}): Checkpoint {
  const config = resolveConfig(stored as Record<string, unknown>);
  const dtype = options.dtype ?? "float16";
  let a = (options.seed ?? 1) >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const tensors = new Map<string, RawTensor>();
  for (const [name, shape] of expectedTensors(config)) {
    const n = shape.reduce((x, y) => x * y, 1);
    const [mean, std] = distribution(name, shape, config.d_model);
    const data = new Uint8Array(n * (dtype === "float16" ? 2 : 4));
    const view = new DataView(data.buffer);
    for (let i = 0; i < n; i++) {
      const v = mean + std * gaussian(next);
      if (dtype === "float16") view.setUint16(2 * i, floatToHalf(v), true);
      else view.setFloat32(4 * i, v, true);
    }
    if (name === "embedding/embedding") {
      // Make EOS (id 1) likelier, as the fixtures do, so some runs stop.
      for (let i = 0; i < config.d_model; i++) {
        const at = config.d_model + i;
        if (dtype === "float16") view.setUint16(2 * at, floatToHalf(2 * halfToFloat(view.getUint16(2 * at, true))), true);
        else view.setFloat32(4 * at, 2 * view.getFloat32(4 * at, true), true);
      }
    }
    tensors.set(name, { dtype, shape, data });
  }
  return { config, storedConfig: { ...stored }, tensors } as Checkpoint;
}
