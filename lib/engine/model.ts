// NeedleModel: the low-level API over one engine instance. Weights are
// copied into Wasm memory once, at load; every buffer a forward pass needs is
// reserved then too, so nothing here allocates per token.

import type { NeedleConfig } from "../load/config.ts";
import { parseCheckpoint, type Checkpoint } from "../load/checkpoint.ts";
import { isBundle, readBundle, type Bundle } from "../load/bundle.ts";
import { readStreamed } from "../load/bundle-stream.ts";
import { isCact } from "../needle2/cact.ts";
import type { EngineExports } from "./instance.ts";
import { type DecodeGemv, GemvTuner } from "./gemv-tuner.ts";
import { InputError, NeedleError } from "../errors.ts";
import { requireWasmSimd } from "./features.ts";
import { openSource, type Source } from "../load/source.ts";
import { decodeTokens, type DecodeSession } from "../decode.ts";
import { MAX_NEW_TOKENS } from "../prompt.ts";
import { startWorkers, type WorkerPool } from "./threads.ts";
import { checkLoadOptions, engineFor, engineForBundle, importTensors, type ModelLoadOptions, type NewEngine, type WeightDtype } from "./open.ts";

/** What a weights source holds: a Needle model (checkpoint or bundle), or the bytes of a Needle 2 `.cact` (lib/needle2/). */
export type LoadedWeights =
  | { kind: "needle"; model: NeedleModel; bundledTokenizer: Uint8Array | null }
  | { kind: "cact"; bytes: Uint8Array };

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
          engine = await engineForBundle(header, options);
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
    const engine = await engineForBundle(bundle.header, options);
    new Uint8Array(engine.wasm.memory.buffer, engine.wasm.weights_ptr(), bundle.weights.length).set(bundle.weights);
    return NeedleModel.#start(bundle.header.config, engine, bundle.header.dtype);
  }

  /** Build a model from an already parsed checkpoint. */
  static async fromCheckpoint(checkpoint: Checkpoint, options: ModelLoadOptions = {}): Promise<NeedleModel> {
    await checkLoadOptions(options);
    const dtype = options.dtype ?? "f32";
    const engine = await engineFor(checkpoint.config, dtype, options);
    importTensors(engine.wasm, checkpoint);
    return NeedleModel.#start(checkpoint.config, engine, dtype);
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
