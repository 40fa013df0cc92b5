// Needle 2 at the published geometry with random 4-bit weights (written by
// tests/twins/random-cact.ts): load time, engine memory, prefill and decode
// tokens/s on one thread (the engine decodes CQ at load to f32, or requantises
// to int8; prefill runs 32 positions per weight product, decode one).
//   node --import tsx benchmarks/needle2.bench.ts [--prefill 128] [--decode 32] [--dtype f32|int8]

import { readFileSync } from "node:fs";
import { readCact } from "../lib/needle2/cact.ts";
import { Needle2Model, type Needle2Dtype } from "../lib/needle2/model.ts";
import { PUBLISHED_GEOMETRY, writeRandomCact } from "../tests/twins/random-cact.ts";

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const prefill = arg("--prefill", 128);
const decode = arg("--decode", 32);
const dtypeAt = process.argv.indexOf("--dtype");
const dtype = (dtypeAt >= 0 ? process.argv[dtypeAt + 1] : "f32") as Needle2Dtype;

// The fixture's codebooks are for group 64; Lloyd-Max codebooks scale as 1/sqrt(group).
const fixture = readCact(new Uint8Array(readFileSync(new URL("../tests/fixtures-needle2/models/tiny_a.cact", import.meta.url))));
const scale = Math.sqrt(64 / PUBLISHED_GEOMETRY.group);
const codebooks = Float32Array.from([...fixture.codebooks[2], ...fixture.codebooks[3], ...fixture.codebooks[4]], (v) => v * scale);

let t = performance.now();
const bytes = writeRandomCact(PUBLISHED_GEOMETRY, codebooks);
console.log(`wrote a random .cact: ${(bytes.length / 2 ** 20).toFixed(1)} MiB in ${((performance.now() - t) / 1000).toFixed(1)} s`);
t = performance.now();
const model = await Needle2Model.fromBytes(bytes, { maxSequenceLength: prefill + decode + 1, dtype });
console.log(`load (check, decode CQ to ${dtype} in Wasm): ${((performance.now() - t) / 1000).toFixed(2)} s; engine memory ${(model.wasmMemoryBytes / 2 ** 20).toFixed(0)} MiB (weights ${(model.weightBytes / 2 ** 20).toFixed(0)} MiB ${dtype})`);
const ids = Array.from({ length: prefill }, (_, i) => 2 + ((i * 7919) % 8000));
t = performance.now();
model.logits(ids);
const pre = (performance.now() - t) / 1000;
t = performance.now();
const seq = [...ids];
for (let k = 0; k < decode; k++) {
  seq.push(2 + ((k * 31) % 8000));
  model.logits(seq);
}
const dec = (performance.now() - t) / 1000;
console.log(`prefill ${prefill}: ${(prefill / pre).toFixed(1)} tok/s; decode ${decode}: ${(decode / dec).toFixed(1)} tok/s (1 thread, ${dtype} weights)`);
model.dispose();
