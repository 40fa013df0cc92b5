// From weights to a configured engine: options checked, the engine laid out
// for a config and weight format (threaded when asked), a bundle's header
// checked against that layout, a checkpoint's tensors imported. NeedleModel
// (model.ts) runs what this builds.

import * as abi from "../../assembly/abi.ts";
import { CheckpointError, InputError, NeedleError } from "../errors.ts";
import { MAX_THREADS } from "../limits.ts";
import type { Checkpoint } from "../load/checkpoint.ts";
import { BundleError, type BundleHeader } from "../load/bundle.ts";
import type { NeedleConfig } from "../load/config.ts";
import type { SourceOptions } from "../load/source.ts";
import { tensorSlot } from "../load/tensor-slots.ts";
import { checkModelOptions } from "../options.ts";
import type { DecodeGemv } from "./gemv-tuner.ts";
import { instantiateEngine, type EngineExports } from "./instance.ts";
import { writeEngineShape } from "./shape.ts";
import { engineSize, MAX_ENGINE_BYTES, MAX_THREADED_ENGINE_BYTES, type EngineShape } from "./size.ts";
import { availableThreads, instantiateThreaded, threadedEngineModule } from "./threads.ts";

/** A freshly configured engine, before its weights are in. */
export interface NewEngine {
  wasm: EngineExports;
  maxEnc: number;
  maxDec: number;
  /** The int8 decode GEMV's form (ModelLoadOptions.decodeGemv). */
  decodeGemv: DecodeGemv;
  /** For the threaded engine: what its workers need. */
  threaded?: { module: WebAssembly.Module; memory: WebAssembly.Memory; threads: number };
}

/** How matrices are held in engine memory (norms, gates and the contrastive head stay f32). */
export type WeightDtype = "f32" | "f16" | "int8" | "int4";

/** Engine format codes (assembly/abi.ts). */
export const WEIGHT_FORMATS: Readonly<Record<WeightDtype, number>> = { f32: abi.FORMAT_F32, f16: abi.FORMAT_F16, int8: abi.FORMAT_Q8, int4: abi.FORMAT_Q4 };

export interface ModelLoadOptions extends SourceOptions {
  /**
   * Weight format in memory (default "f32"): "f16" halves the memory with
   * the same results for float16 checkpoints; "int8" and "int4" quantise
   * symmetrically in groups of 32 along the input dimension, as Needle's
   * quantisation-aware training did, for speed and size.
   */
  dtype?: WeightDtype;
  /**
   * Engine threads (default 1): a number, or "auto" for one per core where
   * the runtime has shared memory and workers (Node, Deno, Bun,
   * cross-origin-isolated pages; elsewhere "auto" means 1). More than one
   * runs build/needle-mt.wasm with `threads - 1` workers sharing prefill
   * (by token rows) and decoding (by weight rows).
   */
  threads?: number | "auto";
  /** Longest encoder input accepted (default 1024, Needle's prompt limit). */
  maxEncoderLength?: number;
  /** Decoder positions reserved, start token included (default 512). */
  maxDecoderLength?: number;
  /** A compiled build/needle.wasm, for runtimes that cannot compile from bytes. */
  wasmModule?: WebAssembly.Module;
  /**
   * Advanced, int8 only: the form of the decode GEMV (default "auto"). Both
   * give the same results; which is faster depends on the CPU's caches:
   * "auto" times both on the first decode steps and keeps the faster
   * (lib/engine/gemv-tuner.ts), "stream" reads one weight stream, "wide" four quads
   * of rows side by side.
   */
  decodeGemv?: DecodeGemv;
}

/** An engine for a bundle's config and dtype, checked against its layout and weights size. */
export async function engineForBundle(header: BundleHeader, options: ModelLoadOptions): Promise<NewEngine> {
  const { config, dtype } = header;
  if (options.dtype !== undefined && options.dtype !== dtype) {
    throw new InputError("DTYPE_MISMATCH", `the bundle holds ${dtype} weights; convert it again to load ${options.dtype}`);
  }
  // Checked in safe integers before any memory is reserved (the engine counts in 32 bits).
  const { weightsBytes } = engineSize({ config, format: WEIGHT_FORMATS[dtype], maxEnc: 1, maxDec: 1, threads: 1 });
  if (header.weights.length !== weightsBytes) {
    throw new BundleError("SIZE_MISMATCH", `bundle: the weights section has ${header.weights.length} bytes; this config and dtype need ${weightsBytes}`);
  }
  const engine = await engineFor(config, dtype, options);
  const { wasm } = engine;
  if (header.layout !== wasm.layout_version()) {
    throw new BundleError("LAYOUT_MISMATCH", `bundle: written for engine layout ${header.layout}, this engine has layout ${wasm.layout_version()}; convert the checkpoint again`);
  }
  return engine;
}


/** A fresh engine laid out for a config and weight format (threaded when asked and possible). */
export async function engineFor(c: NeedleConfig, dtype: WeightDtype, options: ModelLoadOptions): Promise<NewEngine> {
  // Options were checked by checkLoadOptions.
  const maxEnc = options.maxEncoderLength ?? 1024;
  const maxDec = options.maxDecoderLength ?? 512;
  const decodeGemv = options.decodeGemv ?? "auto";
  const threads = await threadCount(options.threads);
  const shape: EngineShape = { config: c, format: WEIGHT_FORMATS[dtype], maxEnc, maxDec, threads };
  let engine: NewEngine;
  if (threads > 1) {
    const module = await threadedEngineModule();
    const { wasm, memory } = await instantiateThreaded(module);
    engine = { wasm, maxEnc, maxDec, decodeGemv, threaded: { module, memory, threads } };
  } else {
    engine = { wasm: await instantiateEngine(options.wasmModule), maxEnc, maxDec, decodeGemv };
  }
  const size = engineSize(shape, engine.wasm.heap_base());
  const limit = threads > 1 ? MAX_THREADED_ENGINE_BYTES : MAX_ENGINE_BYTES;
  if (size.memoryEnd > limit) {
    throw new NeedleError("MODEL_TOO_LARGE", `weights: this config, dtype and maxEncoderLength/maxDecoderLength need ${size.memoryEnd} bytes of engine memory (${size.weightsBytes} of weights); the ${threads > 1 ? "threaded " : ""}engine can hold at most ${limit}`);
  }
  const end = engine.wasm.configure(writeEngineShape(engine.wasm, shape));
  if (end === 0) throw new NeedleError("OUT_OF_MEMORY", `weights: the engine could not reserve ${size.memoryEnd} bytes for this model`);
  if (end !== size.memoryEnd || engine.wasm.weights_bytes() !== size.weightsBytes) {
    throw new NeedleError("LAYOUT_MISMATCH", `weights: the engine laid out ${end} bytes (${engine.wasm.weights_bytes()} of weights) where lib/engine/size.ts counts ${size.memoryEnd} (${size.weightsBytes}); the two layouts disagree`);
  }
  return engine;
}


/** Every load option checked by type and value (lib/options.ts), before anything is read. */
export async function checkLoadOptions(options: ModelLoadOptions): Promise<void> {
  checkModelOptions(options as Record<string, unknown>, options?.threads === undefined ? 1 : await availableThreads());
}

/** The thread count an option asks for: "auto" is every core where threads work. */
async function threadCount(option: number | "auto" | undefined): Promise<number> {
  if (option === undefined) return 1;
  if (option === "auto") return Math.min(await availableThreads(), MAX_THREADS);
  if (option > 1 && (await availableThreads()) === 1) {
    throw new InputError("NO_THREADS", "threads > 1 needs SharedArrayBuffer and workers (Node, Deno, Bun, or a cross-origin-isolated page); use threads: \"auto\" to fall back to 1");
  }
  return option;
}

/** Copy every tensor into its slot, one layer slice at a time through the staging area. */
export function importTensors(wasm: EngineExports, checkpoint: Checkpoint): void {
  const staging = wasm.staging_ptr();
  const stagingBytes = wasm.staging_bytes();
  for (const [name, tensor] of checkpoint.tensors) {
    const slot = tensorSlot(name);
    if (slot === null) continue;
    if (slot === undefined) throw new CheckpointError("UNKNOWN_TENSOR", `weights: no slot for tensor ${name}`);
    const layers = slot.perLayer ? tensor.shape[0]! : 1;
    const sliceBytes = tensor.data.byteLength / layers;
    if (sliceBytes > stagingBytes) throw new CheckpointError("TENSOR_TOO_LARGE", `weights: tensor ${name} does not fit the staging area`);
    for (let layer = 0; layer < layers; layer++) {
      new Uint8Array(wasm.memory.buffer, staging, sliceBytes).set(tensor.data.subarray(layer * sliceBytes, (layer + 1) * sliceBytes));
      const bad = wasm.import_tensor(slot.kind, layer, staging, tensor.dtype === "float16" ? 1 : 0);
      if (bad < 0) throw new CheckpointError("UNKNOWN_TENSOR", `weights: the engine has no slot kind ${slot.kind} (${name})`);
      if (bad > 0) throw new CheckpointError("NON_FINITE_WEIGHTS", `weights: tensor ${name}${slot.perLayer ? ` layer ${layer}` : ""} holds ${bad} non-finite values`);
    }
  }
}
