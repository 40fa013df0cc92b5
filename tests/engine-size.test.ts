// lib/engine/size.ts: the engine's layout counted in safe integers. It must
// agree with the Wasm layout for every shape (the loader also checks this
// on every load), and it is what refuses a config whose 32-bit count wraps
// (issue 20: 4.3 GB of weights passed a 39 MB file's size check).

import { test } from "uvu";
import * as assert from "uvu/assert";
import { writeBundle } from "../lib/load/bundle.ts";
import { resolveConfig } from "../lib/load/config.ts";
import { instantiateEngine } from "../lib/engine/instance.ts";
import { engineSize, MAX_ENGINE_BYTES, type EngineShape } from "../lib/engine/size.ts";
import { writeEngineShape } from "../lib/engine/shape.ts";
import { FORMAT_F32, FORMAT_Q4 } from "../assembly/abi.ts";
import { NeedleModel } from "../lib/engine/model.ts";
import { rng, randomInt } from "./helpers.ts";

const wasm = await instantiateEngine();

/** The engine's own layout for a shape, from the record lib/engine/shape.ts writes. */
function wasmLayout(shape: EngineShape) {
  const end = wasm.attach(writeEngineShape(wasm, shape)) >>> 0;
  return { weightsBytes: wasm.weights_bytes() >>> 0, memoryEnd: end };
}

test("engineSize equals the Wasm layout read from the shape record on 300 random shapes, every format and thread count", () => {
  const next = rng(20);
  for (let i = 0; i < 300; i++) {
    const heads = randomInt(next, 1, 8);
    const divisors = [1, 2, 4, 8].filter((k) => heads % k === 0);
    const kvHeads = divisors[randomInt(next, 0, divisors.length - 1)]!;
    const headDim = 2 * randomInt(next, 2, 40);
    const config = resolveConfig({
      vocab_size: randomInt(next, 8, 9000), d_model: heads * headDim, num_heads: heads, num_kv_heads: kvHeads,
      num_encoder_layers: randomInt(next, 1, 5), num_decoder_layers: randomInt(next, 1, 5), d_ff: randomInt(next, 1, 700),
      contrastive_dim: randomInt(next, 1, 200), no_feedforward: next() < 0.5, activation: "swiglu",
    });
    const shape = { config, format: randomInt(next, FORMAT_F32, FORMAT_Q4), maxEnc: randomInt(next, 1, 1100), maxDec: randomInt(next, 1, 600), threads: randomInt(next, 1, 8) };
    assert.equal(engineSize(shape, wasm.heap_base()), wasmLayout(shape), JSON.stringify(shape));
  }
});

// 508,380 × 2048 f32 embeddings and two layers: 4,294,997,312 bytes, which is 30,016 in 32 bits.
const hostile = resolveConfig({ vocab_size: 508_380, d_model: 2048, num_heads: 16, num_kv_heads: 4, num_encoder_layers: 1, num_decoder_layers: 1 });

test("issue 20's probe: a bundle whose config needs 4.3 GB of weights and whose section holds the wrapped 32-bit count is SIZE_MISMATCH", async () => {
  const shape = { config: hostile, format: FORMAT_F32, maxEnc: 1, maxDec: 1, threads: 1 };
  const wrapped = wasmLayout(shape).weightsBytes;
  const { weightsBytes } = engineSize(shape);
  assert.is(weightsBytes, 4_294_997_312);
  assert.is(wrapped, weightsBytes % 2 ** 32); // what the size check used to compare with
  const bundle = writeBundle(hostile, "f32", wasm.layout_version(), new Uint8Array(wrapped), new Uint8Array(64));
  for (const source of [bundle, new Blob([bundle as Uint8Array<ArrayBuffer>])]) {
    const err = await NeedleModel.load(source).then(() => null, (e: unknown) => e as { code?: string; message: string });
    assert.is(err?.code, "SIZE_MISMATCH", err?.message);
    assert.match(err!.message, "4294997312");
  }
});

test("a config or buffer lengths needing more engine memory than Wasm can hold are MODEL_TOO_LARGE before anything is reserved", async () => {
  const checkpoint = { config: hostile, tensors: new Map() } as never;
  const err = await NeedleModel.fromCheckpoint(checkpoint).then(() => null, (e: unknown) => e as { code?: string; message: string });
  assert.is(err?.code, "MODEL_TOO_LARGE", err?.message);
  assert.match(err!.message, String(MAX_ENGINE_BYTES));
});

test.run();
