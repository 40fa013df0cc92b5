// NeedleModel: the low-level API over one engine instance. Weights are
// copied into Wasm memory once, at load; every buffer a forward pass needs is
// reserved then too, so nothing here allocates per token.

import type { NeedleConfig } from "../load/config.ts";
import { parseCheckpoint, type Checkpoint } from "../load/checkpoint.ts";
import { BundleError, isBundle, readBundle, type Bundle, type BundleHeader } from "../load/bundle.ts";
import { readStreamed } from "../load/bundle-stream.ts";
import { isCact } from "../needle2/cact.ts";
import { instantiateEngine, type EngineExports } from "./instance.ts";
import { type DecodeGemv, GemvTuner } from "./gemv-tuner.ts";
import { CheckpointError, InputError, NeedleError } from "../errors.ts";
import { requireWasmSimd } from "./features.ts";
import { engineSize, MAX_ENGINE_BYTES, MAX_THREADED_ENGINE_BYTES, type EngineShape } from "./size.ts";
import { writeEngineShape } from "./shape.ts";
import * as abi from "../../assembly/abi.ts";
import { openSource, type Source, type SourceOptions } from "../load/source.ts";
import { tensorSlot } from "../load/tensor-slots.ts";
import { MAX_THREADS } from "../limits.ts";
import { checkModelOptions } from "../options.ts";
import { decodeTokens, type DecodeSession } from "../decode.ts";
import { MAX_NEW_TOKENS } from "../prompt.ts";
import { availableThreads, instantiateThreaded, startWorkers, threadedEngineModule, type WorkerPool } from "./threads.ts";

/** What a weights source holds: a Needle model (checkpoint or bundle), or the bytes of a Needle 2 `.cact` (lib/needle2/). */
export type LoadedWeights =
  | { kind: "needle"; model: NeedleModel; bundledTokenizer: Uint8Array | null }
  | { kind: "cact"; bytes: Uint8Array };

/** A freshly configured engine, before its weights are in. */
interface NewEngine {
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

export interface GreedyOptions {
  /** Most tokens to generate (default MAX_NEW_TOKENS, 511; at most maxDecoderLength - 1). */
  maxTokens?: number;
  /** Start token and stop token (default 1, Needle's EOS). */
  eosId?: number;
}

export class NeedleModel {
  /** The checkpoint's config with the reference's defaults filled in. */
  readonly config: NeedleConfig;
  readonly maxEncoderLength: number;
  readonly maxDecoderLength: number;
  /** The weight format in memory. */
  readonly dtype: WeightDtype;
  #wasm: EngineExports | null;
  #encIds: Int32Array;
  #logits: Float32Array;
  /** Encoder length of the input whose cross K/V are current (-1: none). */
  #encoded = -1;
  /** Decoder positions holding valid cache entries for that input. */
  #decoded = 0;

  #pool: WorkerPool | null;
  /** int8 with decodeGemv "auto", until it has picked the decode GEMV's form (then null). */
  #gemvTuner: GemvTuner | null = null;

  private constructor(config: NeedleConfig, engine: NewEngine, dtype: WeightDtype, pool: WorkerPool | null) {
    const { wasm, maxEnc, maxDec } = engine;
    this.config = config;
    this.dtype = dtype;
    this.maxEncoderLength = maxEnc;
    this.maxDecoderLength = maxDec;
    this.#wasm = wasm;
    this.#pool = pool;
    // Memory never grows after configure, so these views stay valid.
    this.#encIds = new Int32Array(wasm.memory.buffer, wasm.enc_ids_ptr(), maxEnc);
    this.#logits = new Float32Array(wasm.memory.buffer, wasm.logits_ptr(), config.vocab_size);
    if (dtype === "int8") {
      // configure() left the one-stream form set.
      if (engine.decodeGemv === "auto") this.#gemvTuner = new GemvTuner((wide) => wasm.set_gemv_wide(wide ? 1 : 0));
      else if (engine.decodeGemv === "wide") wasm.set_gemv_wide(1);
    }
  }

  /**
   * Load a Needle checkpoint (`needle.pkl`) or a `.needle` bundle from a
   * path, URL, bytes, Response, Blob or stream. A streamed bundle's weights
   * go chunk by chunk into engine memory.
   */
  static async load(source: Source, options: ModelLoadOptions = {}): Promise<NeedleModel> {
    return (await NeedleModel.loadWithTokenizer(source, options)).model;
  }

  /** Advanced: load() that also hands back a bundle's tokenizer bytes (null for a checkpoint). */
  static async loadWithTokenizer(source: Source, options: ModelLoadOptions = {}): Promise<{ model: NeedleModel; bundledTokenizer: Uint8Array | null }> {
    const loaded = await NeedleModel.loadWeights(source, options);
    if (loaded.kind === "cact") {
      throw new InputError("CACT_WEIGHTS", "these weights are a Needle 2 .cact: load them with Needle.load({ weights }) (its model is a Needle2Model)");
    }
    return loaded;
  }

  /** Advanced: a Needle model from a checkpoint or bundle, or, for a Needle 2 `.cact` (by its tag), the file's bytes. */
  static async loadWeights(source: Source, options: ModelLoadOptions = {}): Promise<LoadedWeights> {
    requireWasmSimd();
    await checkLoadOptions(options);
    const opened = await openSource(source, "weights", options);
    let bytes: Uint8Array;
    if (opened.kind === "stream") {
      let engine: NewEngine | undefined;
      const streamed = await readStreamed(opened, {
        region: async (header) => {
          engine = await NeedleModel.#engineForBundle(header, options);
          return new Uint8Array(engine.wasm.memory.buffer, engine.wasm.weights_ptr(), header.weights.length);
        },
      }, "weights");
      if (streamed.kind === "bundle") {
        return { kind: "needle", model: await NeedleModel.#start(streamed.header.config, engine!, streamed.header.dtype), bundledTokenizer: streamed.tokenizer };
      }
      bytes = streamed.bytes;
    } else {
      bytes = opened.bytes;
    }
    if (isCact(bytes)) return { kind: "cact", bytes };
    if (!isBundle(bytes)) return { kind: "needle", model: await NeedleModel.fromCheckpoint(parseCheckpoint(bytes), options), bundledTokenizer: null };
    const bundle = readBundle(bytes);
    return { kind: "needle", model: await NeedleModel.fromBundle(bundle, options), bundledTokenizer: bundle.tokenizer };
  }

  /** Build a model from a verified bundle: one copy of its weight image into engine memory. */
  static async fromBundle(bundle: Bundle, options: ModelLoadOptions = {}): Promise<NeedleModel> {
    await checkLoadOptions(options);
    const engine = await NeedleModel.#engineForBundle(bundle.header, options);
    new Uint8Array(engine.wasm.memory.buffer, engine.wasm.weights_ptr(), bundle.weights.length).set(bundle.weights);
    return NeedleModel.#start(bundle.header.config, engine, bundle.header.dtype);
  }

  /** An engine for a bundle's config and dtype, checked against its layout and weights size. */
  static async #engineForBundle(header: BundleHeader, options: ModelLoadOptions): Promise<NewEngine> {
    const { config, dtype } = header;
    if (options.dtype !== undefined && options.dtype !== dtype) {
      throw new InputError("DTYPE_MISMATCH", `the bundle holds ${dtype} weights; convert it again to load ${options.dtype}`);
    }
    // Checked in safe integers before any memory is reserved (the engine counts in 32 bits).
    const { weightsBytes } = engineSize({ config, format: WEIGHT_FORMATS[dtype], maxEnc: 1, maxDec: 1, threads: 1 });
    if (header.weights.length !== weightsBytes) {
      throw new BundleError("SIZE_MISMATCH", `bundle: the weights section has ${header.weights.length} bytes; this config and dtype need ${weightsBytes}`);
    }
    const engine = await NeedleModel.#engineFor(config, dtype, options);
    const { wasm } = engine;
    if (header.layout !== wasm.layout_version()) {
      throw new BundleError("LAYOUT_MISMATCH", `bundle: written for engine layout ${header.layout}, this engine has layout ${wasm.layout_version()}; convert the checkpoint again`);
    }
    return engine;
  }

  /** Build a model from an already parsed checkpoint. */
  static async fromCheckpoint(checkpoint: Checkpoint, options: ModelLoadOptions = {}): Promise<NeedleModel> {
    await checkLoadOptions(options);
    const dtype = options.dtype ?? "f32";
    const engine = await NeedleModel.#engineFor(checkpoint.config, dtype, options);
    importTensors(engine.wasm, checkpoint);
    return NeedleModel.#start(checkpoint.config, engine, dtype);
  }

  /** A fresh engine laid out for a config and weight format (threaded when asked and possible). */
  static async #engineFor(c: NeedleConfig, dtype: WeightDtype, options: ModelLoadOptions): Promise<NewEngine> {
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

  /** The model over an engine whose weights are in: start its workers, if any. */
  static async #start(config: NeedleConfig, engine: NewEngine, dtype: WeightDtype): Promise<NeedleModel> {
    const t = engine.threaded;
    const pool = t ? await startWorkers(engine.wasm, t.module, t.memory, t.threads) : null;
    return new NeedleModel(config, engine, dtype, pool);
  }

  /** Logits (a copy) at the last decoder position, for decoder input `decoderIds` after encoding `encoderIds`. */
  logits(encoderIds: ArrayLike<number>, decoderIds: ArrayLike<number>): Float32Array {
    this.encode(encoderIds);
    if (decoderIds.length < 1) throw new InputError("EMPTY_DECODER_INPUT", "decoderIds must hold at least one token (the start token)");
    if (decoderIds.length > this.maxDecoderLength) {
      throw new InputError("DECODER_TOO_LONG", `decoderIds has ${decoderIds.length} tokens; the limit is maxDecoderLength = ${this.maxDecoderLength}`);
    }
    let logits = this.#logits;
    for (let pos = 0; pos < decoderIds.length; pos++) logits = this.decodeStep(decoderIds[pos]!, pos);
    return logits.slice();
  }

  /** Unconstrained greedy ids from [EOS], stopping at EOS (not included) or after maxTokens. */
  greedy(encoderIds: ArrayLike<number>, options: GreedyOptions = {}): number[] {
    const eosId = options.eosId ?? 1;
    const maxTokens = options.maxTokens ?? Math.min(MAX_NEW_TOKENS, this.maxDecoderLength - 1);
    if (!Number.isInteger(maxTokens) || maxTokens < 0 || maxTokens > this.maxDecoderLength - 1) {
      throw new InputError("BAD_MAX_TOKENS", `maxTokens must be an integer from 0 to ${this.maxDecoderLength - 1} (maxDecoderLength - 1), got ${maxTokens}`);
    }
    let pos = 0;
    const session: DecodeSession = {
      start: () => {
        this.encode(encoderIds);
        return this.decodeStep(eosId, pos++);
      },
      step: (token) => this.decodeStep(token, pos++),
      argmax: () => this.argmax(),
    };
    return [...decodeTokens(session, { forced: [], maxTokens, eosId, constraint: null })];
  }

  /** The contrastive retrieval vector (L2-normalised, contrastive_dim long) of a token sequence. */
  embed(ids: ArrayLike<number>): Float32Array {
    const wasm = this.#engine();
    this.#writeEncoderIds(ids, 0);
    this.#encoded = -1; // embed_text reuses the encoder buffers
    wasm.embed_text(ids.length);
    return new Float32Array(wasm.memory.buffer, wasm.embedding_out_ptr(), this.config.contrastive_dim).slice();
  }

  /**
   * Advanced: run the encoder on `encoderIds` and prepare cross-attention for
   * decodeStep. Invalidates any decoding in progress.
   */
  encode(encoderIds: ArrayLike<number>): void {
    const wasm = this.#engine();
    this.#writeEncoderIds(encoderIds, 1);
    wasm.encode(encoderIds.length);
    this.#gemvTuner?.newInput();
    this.#encoded = encoderIds.length;
    this.#decoded = 0;
  }

  /** Advanced: a copy of the encoder output [n][d_model] of the last encode(). */
  encoderOutput(): Float32Array {
    const wasm = this.#engine();
    if (this.#encoded < 0) throw new NeedleError("NOT_ENCODED", "encoderOutput: call encode() first");
    return new Float32Array(wasm.memory.buffer, wasm.encoder_out_ptr(), this.#encoded * this.config.d_model).slice();
  }

  /**
   * Advanced: feed `token` at decoder position `pos` (0 is the start token)
   * and return the next-token logits. Positions run 0, 1, 2, …; going back to
   * an earlier position discards what followed it. The returned array is a
   * view into engine memory, overwritten by the next call: copy it to keep it.
   */
  decodeStep(token: number, pos: number): Float32Array {
    const wasm = this.#engine();
    if (this.#encoded < 0) throw new NeedleError("NOT_ENCODED", "decodeStep: call encode() first");
    if (!Number.isInteger(pos) || pos < 0 || pos > this.#decoded || pos >= this.maxDecoderLength) {
      throw new InputError("BAD_POSITION", `decodeStep: position ${pos} must be an integer from 0 to ${Math.min(this.#decoded, this.maxDecoderLength - 1)}`);
    }
    this.#checkId(token, "decoder token");
    const tuner = this.#gemvTuner;
    if (tuner) {
      const start = performance.now();
      wasm.decode_step(token, pos);
      tuner.record(performance.now() - start);
      if (tuner.choice !== null) this.#gemvTuner = null; // decided: the engine keeps the form
    } else {
      wasm.decode_step(token, pos);
    }
    this.#decoded = pos + 1;
    return this.#logits;
  }

  /** int8: the decode GEMV's form in use ("auto" while still timing both); null for other dtypes. */
  get decodeGemv(): DecodeGemv | null {
    if (this.dtype !== "int8") return null;
    if (this.#gemvTuner) return "auto";
    return this.#engine().gemv_wide() ? "wide" : "stream";
  }

  /** Threads the engine runs on (1: no workers). */
  get threads(): number {
    return this.#pool?.threads ?? 1;
  }

  /** Bytes of the engine's linear memory (weights, caches and scratch, all reserved at load). */
  get wasmMemoryBytes(): number {
    return this.#engine().memory.buffer.byteLength;
  }

  /** The engine layout version (bundles record it). */
  get layoutVersion(): number {
    return this.#engine().layout_version();
  }

  /**
   * Advanced: the weights as the engine holds them (this config and dtype's
   * layout), a view into engine memory: what a `.needle` bundle stores.
   */
  weightImage(): Uint8Array {
    const wasm = this.#engine();
    return new Uint8Array(wasm.memory.buffer, wasm.weights_ptr(), wasm.weights_bytes());
  }

  /** Advanced: the id of the largest logit of the last decodeStep (first one on ties, as numpy). */
  argmax(): number {
    const wasm = this.#engine();
    return wasm.argmax_f32(wasm.logits_ptr(), this.config.vocab_size);
  }

  /** Advanced: log Σ exp(logits) of the last decodeStep, the softmax's normaliser. */
  logSumExp(): number {
    const wasm = this.#engine();
    return wasm.logsumexp_f32(wasm.logits_ptr(), this.config.vocab_size);
  }

  /** Release the engine instance; the model cannot be used afterwards. */
  dispose(): void {
    this.#pool?.stop();
    this.#pool = null;
    this.#wasm = null;
  }

  /** `using model = await NeedleModel.load(…)`: dispose() at the end of the scope. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** `await using model = …`. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.dispose();
  }

  #engine(): EngineExports {
    if (!this.#wasm) throw new NeedleError("DISPOSED", "this NeedleModel was disposed");
    return this.#wasm;
  }

  #checkId(id: number, what: string): void {
    if (!Number.isInteger(id) || id < 0 || id >= this.config.vocab_size) {
      throw new InputError("BAD_TOKEN_ID", `${what} ${id} is not a token id (0 to ${this.config.vocab_size - 1})`);
    }
  }

  #writeEncoderIds(ids: ArrayLike<number>, minLength: number): void {
    if (ids == null || typeof ids.length !== "number") throw new InputError("BAD_IDS", "token ids must be an array of integers");
    if (ids.length < minLength) throw new InputError("EMPTY_ENCODER_INPUT", "the encoder input must hold at least one token");
    if (ids.length > this.maxEncoderLength) {
      throw new InputError("ENCODER_TOO_LONG", `the encoder input has ${ids.length} tokens; the limit is maxEncoderLength = ${this.maxEncoderLength}`);
    }
    for (let i = 0; i < ids.length; i++) this.#checkId(ids[i]!, `encoder token ${i}:`);
    this.#encIds.set(ids as ArrayLike<number>);
  }
}

/** Every load option checked by type and value (lib/options.ts), before anything is read. */
async function checkLoadOptions(options: ModelLoadOptions): Promise<void> {
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
function importTensors(wasm: EngineExports, checkpoint: Checkpoint): void {
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
