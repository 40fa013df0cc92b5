// Needle2Model: the low-level API over one engine instance running a `.cact`
// (assembly/needle2/). CQ weights are decoded once, at load, in the engine,
// into f32 quads (or requantised to Needle 1's int8 groups of 32);
// every buffer a forward pass needs is reserved then too, so nothing
// allocates per token. A prompt runs 32 positions per weight product.

import { instantiateEngine } from "../engine/instance.ts";
import { CactError, InputError, NeedleError } from "../errors.ts";
import { requireWasmSimd } from "../engine/features.ts";
import { readSource, type Source, type SourceOptions } from "../load/source.ts";
import { CACT_LIMITS, floatValues, readCact, TERNARY_RECORD_BITS, type CactFile, type CactHeader, type CactTensor, type ProbeHeadKind } from "./cact.ts";
import { cqCodebook } from "./cq.ts";
import { Needle2Tokenizer, parseTokenizerBlob } from "./tokenizer.ts";

/** Exports of build/needle.wasm for Needle 2 (assembly/index.ts, assembly/needle2/). */
interface Needle2Exports {
  readonly memory: WebAssembly.Memory;
  n2_configure(vocab: number, d: number, heads: number, kvHeads: number, headDim: number, layers: number, hadaN: number, lanes: number,
    slots: number, subDim: number, tables: number, dilation: number, nOrders: number, orders: number, nSites: number, sites: number,
    maxSeq: number, ropeTheta: number, format: number): number;
  n2_import_cq(slot: number, index: number, row0: number, rows: number, cols: number, group: number, bits: number): number;
  n2_import_vector(slot: number, index: number, count: number): void;
  n2_forward(from: number, to: number): void;
  n2_staging_ptr(): number;
  n2_staging_bytes(): number;
  n2_codebook_ptr(): number;
  n2_tokens_ptr(): number;
  n2_logits_ptr(): number;
  n2_weights_bytes(): number;
  n2_probes_ptr(): number;
  n2_pooled_ptr(): number;
  n2_pool_begin(count: number, padId: number): void;
  n2_pool_end(): number;
  n2_set_kv_window(window: number): void;
  argmax_f32(x: number, n: number): number;
  logsumexp_f32(x: number, n: number): number;
}

// Slots of assembly/needle2/weights.ts.
const MATRIX_SLOTS: Record<string, number> = {
  embedding: 0, q_proj: 1, k_proj: 2, v_proj: 3, gate_proj: 4, out_proj: 5,
  mhc_phi_pre: 6, mhc_phi_post: 7, mhc_phi_res: 8, tables: 9, key_proj: 10, value_proj: 11,
};
const VECTOR_SLOTS: Record<string, number> = {
  final_norm: 0, norm_in: 1, q_norm: 2, k_norm: 3, post_norm: 4, attn_gate: 5, pre_hada: 6, d1: 7, d2: 8, d3: 9,
  mhc_a_pre: 10, mhc_a_post: 11, mhc_a_res: 12, mhc_b_pre: 13, mhc_b_post: 14, mhc_b_res: 15, taps: 16,
};

/** Wasm32 memory the engine may use in all (a little under 4 GiB). */
const MEMORY_LIMIT = 4 * 2 ** 30 - 2 ** 26;

/** How the matrices are held in engine memory: f32, or Needle 1's int8 (assembly/format.ts). */
export type Needle2Dtype = "f32" | "int8";
const FORMATS: Readonly<Record<Needle2Dtype, number>> = { f32: 0, int8: 2 };
/** Positions per batched step (assembly/needle2/layout.ts CHUNK). */
const CHUNK = 32;

export interface Needle2LoadOptions extends SourceOptions {
  /**
   * Matrices in memory (default "f32"): "int8" requantises each decoded row
   * symmetrically in groups of 32 (about a quarter of the memory, faster).
   * The engram tables stay f32 rows.
   */
  dtype?: Needle2Dtype;
  /**
   * Sliding attention window (decode.py's kv_window, no pinned tokens): a
   * position sees the last kvWindow keys, itself included. Default 0, no
   * window (decode.py's default); "header": the file's kv_window, the size
   * the closed engine's window is computed to.
   */
  kvWindow?: number | "header";
  /** Positions reserved for prompt plus output (default min(header max_seq_len, 1024)); at most max_seq_len. */
  maxSequenceLength?: number;
  /** A compiled build/needle.wasm, for runtimes that cannot compile from bytes. */
  wasmModule?: WebAssembly.Module;
}

export interface Needle2GreedyOptions {
  /** Most tokens to generate (default: as many as fit in maxSequenceLength). */
  maxTokens?: number;
}

/** The geometry a `.cact` header carries. */
export type Needle2Config = Readonly<CactHeader>;

/** Upper bound of the engine's bytes for a header (assembly/needle2/layout.ts), in safe integers. */
export function needle2MemoryBytes(h: CactHeader, maxSeq: number, dtype: Needle2Dtype = "f32"): number {
  const d = h.dModel;
  const n = h.mhcLanes;
  const attn = h.numHeads * h.headDim;
  const kv = h.numKvHeads * h.headDim;
  const mat = (rows: number, cols: number): number => Math.ceil(rows / 4) * (dtype === "f32" ? Math.ceil(cols / 4) * 64 : Math.ceil(cols / 32) * (4 * 32 + 16));
  const layer = mat(2 * attn + 2 * kv, d) + mat(d, attn) + mat(2 * n + n * n, n * d) + 4 * (4 * d + 3 * h.hadaN + 2 * n + n * n) + 64 * 20;
  const e = h.numEngramTables * h.engramSubDim;
  const site = h.numEngramTables * h.engramSlots * h.engramSubDim * 4 + mat(2 * d, e) + 16 * d + 64 * 3;
  const caches = h.numLayers * 2 * kv * maxSeq * 4 + h.engramSites.length * maxSeq * d * 4 + maxSeq * (h.headDim * 4 + 8 + 16);
  const maxCols = Math.max(n * d, attn, e, h.hadaN);
  const perPosition = 4 * (3 * n * d + 2 * n + n * n + 7 * d + 3 * attn + 2 * kv + e + 2 * d + 2 * h.engramSites.length * d) + 6 * (maxCols + 32);
  const scratch = CHUNK * perPosition + 4 * (n * n + h.hadaN + 18 * d + h.vocab + 4096 + maxCols + 16) + (1 << 20) + 64 * 64;
  return 2 ** 20 + mat(h.vocab, d) + 4 * d + h.numLayers * layer + h.engramSites.length * site + caches + scratch;
}

export class Needle2Model {
  readonly config: Needle2Config;
  /** Positions reserved (prompt plus generated tokens). */
  readonly maxSequenceLength: number;
  /** The matrices' format in memory. */
  readonly dtype: Needle2Dtype;
  /** The attention window in positions (0: none). */
  readonly kvWindow: number;
  /** The tokenizer the file carries (null if it has none). */
  readonly tokenizer: Needle2Tokenizer | null;
  /** The probe heads the file carries, in its order. */
  readonly probeHeads: readonly ProbeHeadKind[];
  #heads = new Map<ProbeHeadKind, HeadWeights>();
  #wasm: Needle2Exports | null;
  #tokens: Int32Array;
  #logits: Float32Array;
  /** Token ids whose positions are in the caches. */
  #cached: number[] = [];

  private constructor(file: CactFile, wasm: Needle2Exports, maxSeq: number, dtype: Needle2Dtype, kvWindow: number) {
    this.dtype = dtype;
    this.kvWindow = kvWindow;
    this.config = Object.freeze({ ...file.header, engramOrders: [...file.header.engramOrders], engramSites: [...file.header.engramSites] });
    this.maxSequenceLength = maxSeq;
    this.#wasm = wasm;
    const t = file.tokenizer;
    this.tokenizer = t ? new Needle2Tokenizer(parseTokenizerBlob(file.bytes.subarray(t.offset, t.offset + t.nbytes), file.header.vocab)) : null;
    // Memory never grows after configure, so these views stay valid.
    this.#tokens = new Int32Array(wasm.memory.buffer, wasm.n2_tokens_ptr(), maxSeq);
    this.#logits = new Float32Array(wasm.memory.buffer, wasm.n2_logits_ptr(), file.header.vocab);
    for (const head of file.heads) {
      this.#heads.set(head.kind, {
        probes: floatValues(file, head.probes),
        count: head.probes.shape[0]!,
        proj: floatValues(file, head.proj),
        bias: floatValues(file, head.bias),
        outDim: head.proj.shape[0]!,
      });
    }
    this.probeHeads = Object.freeze(file.heads.map((h) => h.kind));
  }

  /** Load a `.cact` from a path, URL, bytes, Response, Blob or stream. */
  static async load(source: Source, options: Needle2LoadOptions = {}): Promise<Needle2Model> {
    return Needle2Model.fromBytes(await readSource(source, "weights", options), options);
  }

  /** A model from the bytes of a whole `.cact` file (checked by lib/needle2/cact.ts). */
  static async fromBytes(bytes: Uint8Array, options: Needle2LoadOptions = {}): Promise<Needle2Model> {
    requireWasmSimd();
    const file = readCact(bytes);
    const h = file.header;
    const maxSeq = options.maxSequenceLength ?? Math.min(h.maxSeqLen, 1024);
    const dtype = options.dtype ?? "f32";
    if (!Object.hasOwn(FORMATS, dtype)) throw new InputError("BAD_DTYPE", `dtype must be one of ${Object.keys(FORMATS).join(", ")}, got ${JSON.stringify(dtype)}`);
    if (!Number.isInteger(maxSeq) || maxSeq < 2 || maxSeq > h.maxSeqLen) {
      throw new InputError("BAD_MAX_SEQUENCE", `maxSequenceLength must be an integer from 2 to the file's max_seq_len ${h.maxSeqLen}, got ${maxSeq}`);
    }
    const kvWindow = options.kvWindow === "header" ? h.kvWindow : (options.kvWindow ?? 0);
    if (!Number.isInteger(kvWindow) || kvWindow < 0 || kvWindow > CACT_LIMITS.maxSeqLen) {
      throw new InputError("BAD_KV_WINDOW", `kvWindow must be "header" or an integer from 0 (no window) to ${CACT_LIMITS.maxSeqLen}, got ${String(options.kvWindow)}`);
    }
    const need = needle2MemoryBytes(h, maxSeq, dtype);
    if (need > MEMORY_LIMIT) {
      throw new CactError("cact_too_large", `this .cact needs about ${Math.ceil(need / 2 ** 20)} MiB of engine memory at maxSequenceLength ${maxSeq}; Wasm32 allows ${MEMORY_LIMIT / 2 ** 20} MiB`);
    }
    const wasm = (await instantiateEngine(options.wasmModule)) as unknown as Needle2Exports;
    const pack = (xs: number[]): number => xs.reduce((acc, x, i) => acc | (x << (8 * i)), 0);
    const end = wasm.n2_configure(h.vocab, h.dModel, h.numHeads, h.numKvHeads, h.headDim, h.numLayers, h.hadaN, h.mhcLanes,
      h.engramSlots, h.engramSubDim, h.numEngramTables, h.engramConvDilation, h.engramOrders.length, pack(h.engramOrders),
      h.engramSites.length, pack(h.engramSites), maxSeq, h.ropeTheta, FORMATS[dtype]);
    if (end === 0) throw new NeedleError("OUT_OF_MEMORY", `could not grow engine memory to ${Math.ceil(need / 2 ** 20)} MiB for this .cact`);
    for (const t of file.tensors) importTensor(wasm, file, t);
    wasm.n2_set_kv_window(kvWindow);
    return new Needle2Model(file, wasm, maxSeq, dtype, kvWindow);
  }

  /** Logits (a copy) after the token ids given, the prompt ids first. */
  logits(ids: ArrayLike<number>): Float32Array {
    this.#run(ids);
    return this.#logits.slice();
  }

  /**
   * Advanced, for a generation loop: the logits after `ids` (the caches keep
   * their longest common prefix), as a view valid until the next call.
   */
  prefill(ids: ArrayLike<number>): Float32Array {
    this.#run(ids);
    return this.#logits;
  }

  /** Advanced: feed one more token after what prefill/step ran; the logits after it (a view). */
  step(token: number): Float32Array {
    const n = this.#cached.length;
    if (n === 0) throw new NeedleError("NOT_PREFILLED", "step: call prefill() first");
    if (n >= this.maxSequenceLength) throw new InputError("INPUT_TOO_LONG", `the sequence already holds maxSequenceLength = ${this.maxSequenceLength} tokens`);
    if (!Number.isInteger(token) || token < 0 || token >= this.config.vocab) throw new InputError("TOKEN_ID_RANGE", `id ${token} is not in 0..${this.config.vocab - 1}`);
    this.#tokens[n] = token;
    this.#engine().n2_forward(n, n + 1);
    this.#cached.push(token);
    return this.#logits;
  }

  /** Tokens in the caches (after prefill and steps). */
  get cachedLength(): number {
    return this.#cached.length;
  }

  /** The first id of the largest logit of the last prefill/step. */
  argmax(): number {
    const wasm = this.#engine();
    return wasm.argmax_f32(wasm.n2_logits_ptr(), this.config.vocab);
  }

  /** log Σ exp of the last prefill/step's logits (the softmax's normaliser). */
  logSumExp(): number {
    const wasm = this.#engine();
    return wasm.logsumexp_f32(wasm.n2_logits_ptr(), this.config.vocab);
  }

  /** Greedy ids after `ids`, stopping at EOS (not included), after maxTokens, or at maxSequenceLength. */
  greedy(ids: ArrayLike<number>, options: Needle2GreedyOptions = {}): number[] {
    const room = this.maxSequenceLength - ids.length;
    const maxTokens = options.maxTokens ?? room;
    if (!Number.isInteger(maxTokens) || maxTokens < 0) throw new InputError("BAD_MAX_TOKENS", `maxTokens must be a non-negative integer, got ${maxTokens}`);
    const eos = this.tokenizer?.eosId ?? 1;
    this.#run(ids);
    const out: number[] = [];
    for (let k = 0; k < maxTokens; k++) {
      const next = this.argmax();
      if (next === eos || this.#cached.length >= this.maxSequenceLength) break;
      out.push(next);
      if (k + 1 < maxTokens) this.step(next);
    }
    return out;
  }

  /**
   * The contrastive head's unit vector for a text's ids (architecture.py
   * encode_contrastive: every position's cells pooled by the head's probes,
   * projected, L2-normalised). NO_PROBE_HEAD if the file has none.
   */
  embed(ids: ArrayLike<number>): Float32Array {
    const p = this.#probe("contrastive", ids);
    let norm = 0;
    for (const v of p) norm += v * v;
    const inv = 1 / Math.sqrt(norm + 1e-12);
    return p.map((v) => v * inv);
  }

  /** The confidence head's logit for ids (architecture.py forward_confidence); NO_PROBE_HEAD if the file has none. */
  confidenceLogit(ids: ArrayLike<number>): number {
    return this.#probe("confidence", ids)[0]!;
  }

  /** Bytes of the engine's linear memory (weights, caches and scratch, all reserved at load). */
  get wasmMemoryBytes(): number {
    return this.#engine().memory.buffer.byteLength;
  }

  /** Bytes of the decoded weights in engine memory. */
  get weightBytes(): number {
    return this.#engine().n2_weights_bytes();
  }

  /** Release the engine instance; the model cannot be used afterwards. */
  dispose(): void {
    this.#wasm = null;
  }

  /** proj · pooled + bias for a head, its probes pooled over a fresh forward pass of ids. */
  #probe(kind: ProbeHeadKind, ids: ArrayLike<number>): Float32Array {
    const head = this.#heads.get(kind);
    if (!head) throw new NeedleError("NO_PROBE_HEAD", `this .cact has no ${kind} head (it has: ${this.probeHeads.join(", ") || "none"})`);
    const wasm = this.#engine();
    const d = this.config.dModel;
    new Float32Array(wasm.memory.buffer, wasm.n2_probes_ptr(), head.count * d).set(head.probes);
    wasm.n2_pool_begin(head.count, this.tokenizer?.padId ?? 0);
    try {
      this.#cached.length = 0; // every position's cells are needed
      this.#run(ids);
    } finally {
      wasm.n2_pool_end();
    }
    const pooled = new Float32Array(wasm.memory.buffer, wasm.n2_pooled_ptr(), head.count * d);
    const width = head.count * d;
    const out = Float32Array.from(head.bias);
    for (let o = 0; o < head.outDim; o++) {
      let acc = 0;
      const row = o * width;
      for (let i = 0; i < width; i++) acc += head.proj[row + i]! * pooled[i]!;
      out[o] = out[o]! + acc;
    }
    return out;
  }

  /** Bring the caches to `ids` (reusing the longest cached prefix) and leave the logits after it. */
  #run(ids: ArrayLike<number>): void {
    const wasm = this.#engine();
    const n = ids.length;
    if (n < 1) throw new InputError("EMPTY_INPUT", "ids must hold at least one token");
    if (n > this.maxSequenceLength) throw new InputError("INPUT_TOO_LONG", `${n} ids; the limit is maxSequenceLength = ${this.maxSequenceLength}`);
    for (let i = 0; i < n; i++) {
      const id = ids[i]!;
      if (!Number.isInteger(id) || id < 0 || id >= this.config.vocab) throw new InputError("TOKEN_ID_RANGE", `id ${id} at ${i} is not in 0..${this.config.vocab - 1}`);
    }
    let from = 0;
    const cached = this.#cached;
    while (from < cached.length && from < n - 1 && cached[from] === ids[from]) from++;
    for (let i = from; i < n; i++) this.#tokens[i] = ids[i]!;
    wasm.n2_forward(from, n);
    cached.length = from;
    for (let i = from; i < n; i++) cached.push(ids[i]!);
  }

  #engine(): Needle2Exports {
    if (!this.#wasm) throw new NeedleError("DISPOSED", "this Needle2Model was disposed");
    return this.#wasm;
  }
}

/** A probe head's weights, as f32, for the host's projection. */
interface HeadWeights {
  probes: Float32Array;
  count: number;
  proj: Float32Array;
  bias: Float32Array;
  outDim: number;
}

/** The layer or site a canonical name belongs to, and its slot name: "layer03.q_proj" → [3, "q_proj"]. */
function slotOf(name: string): [number, string] {
  const m = /^(?:layer(\d+)|engram(\d+))\.(.+)$/.exec(name);
  if (!m) return [0, name];
  return [Number(m[1] ?? m[2]), m[3]!];
}

/** Copy one tensor through the staging area into its slot; probe heads and the tokenizer stay out. */
function importTensor(wasm: Needle2Exports, file: CactFile, t: CactTensor): void {
  const [index, key] = slotOf(t.name);
  const staging = (): Uint8Array => new Uint8Array(wasm.memory.buffer, wasm.n2_staging_ptr(), wasm.n2_staging_bytes());
  if (t.kind === "cq") {
    const slot = MATRIX_SLOTS[key];
    if (slot === undefined) return;
    new Float32Array(wasm.memory.buffer, wasm.n2_codebook_ptr(), 16).set(cqCodebook(file, t));
    const [rows, cols] = t.shape as [number, number];
    const inPad = Math.ceil(cols / t.group) * t.group;
    const rowBytes = (inPad * (t.bits === TERNARY_RECORD_BITS ? 2 : t.bits)) / 8;
    const normBytes = (inPad / t.group) * 2;
    const chunk = Math.max(1, Math.floor(wasm.n2_staging_bytes() / (rowBytes + normBytes)));
    const normsAt = t.offset + rows * rowBytes;
    for (let r0 = 0; r0 < rows; r0 += chunk) {
      const count = Math.min(chunk, rows - r0);
      const dst = staging();
      dst.set(file.bytes.subarray(t.offset + r0 * rowBytes, t.offset + (r0 + count) * rowBytes), 0);
      dst.set(file.bytes.subarray(normsAt + r0 * normBytes, normsAt + (r0 + count) * normBytes), count * rowBytes);
      if (wasm.n2_import_cq(slot, index, r0, count, cols, t.group, t.bits) !== 0) {
        throw new CactError("cact_value", `.cact tensor ${t.name}: ternary crumb 2 (only 3, 0, 1 are trits) in rows ${r0}..${r0 + count - 1}`);
      }
    }
  } else if (t.kind === "fp16") {
    const slot = VECTOR_SLOTS[key];
    if (slot === undefined) return;
    staging().set(file.bytes.subarray(t.offset, t.offset + t.nbytes), 0);
    wasm.n2_import_vector(slot, index, t.nbytes / 2);
  }
}
