// What the peer benchmark measures, behind one interface: onnxruntime-web
// (wasm backend) running benchmarks/peers/out/{encoder,decoder_step}.onnx, and
// our engine (NeedleModel) running benchmarks/peers/out/needle-peer.pkl, the
// same weights. Both are timed by the same tinybench loop (measure()).

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { Bench } from "tinybench";

export const OUT = new URL("./out/", import.meta.url);

/** One benchmark task: prefill of `tokens` encoder ids, or `steps` decoder steps after encoding `encoderTokens`. */
export type TaskSpec =
  | { kind: "prefill"; tokens: number }
  | { kind: "decode"; encoderTokens: number; steps: number };

export function taskName(spec: TaskSpec): string {
  return spec.kind === "prefill" ? `prefill ${spec.tokens}` : `decode ${spec.steps} (enc ${spec.encoderTokens})`;
}

/** Tokens one sample processes. */
export function taskTokens(spec: TaskSpec): number {
  return spec.kind === "prefill" ? spec.tokens : spec.steps;
}

/** Encoder ids (the formula of benchmarks/model.bench.ts and export_onnx.py). */
export function encoderIds(n: number, vocab = 8192): number[] {
  return Array.from({ length: n }, (_, i) => 6 + ((i * 7919) % (vocab - 6)));
}

/** Decoder ids: EOS, then arbitrary non-special ids (model.bench.ts's formula). */
export function decoderIds(n: number, vocab = 8192): number[] {
  return Array.from({ length: n }, (_, i) => (i === 0 ? 1 : 6 + ((i * 104729) % (vocab - 6))));
}

export interface Subject {
  /** Whether prefill/decode return promises (told to tinybench, whose auto-detection calls the function once, unawaited). */
  readonly async: boolean;
  /** Run the encoder (and cross K/V) on `ids`. */
  prefill(ids: number[]): unknown;
  /** Untimed set-up before decode(): encode `ids`. */
  prepareDecode(ids: number[]): Promise<void> | void;
  /** Feed `ids` at positions 0, 1, … after prepareDecode. */
  decode(ids: number[]): unknown;
  /** Logits (copies) after each of `decIds`, having encoded `encIds`. */
  logits(encIds: number[], decIds: number[]): Promise<Float32Array[]> | Float32Array[];
}

export interface Samples {
  /** Latency of each timed iteration, milliseconds. */
  ms: number[];
  /** Process CPU time / wall time over the run phase (>1: more than one core busy). */
  cpuPerWall: number;
}

/** Time one task with tinybench: one warmup iteration, then at least `iterations` and `time` ms. */
export async function measure(subject: Subject, spec: TaskSpec, time: number, iterations: number): Promise<Samples> {
  const bench = new Bench({ time, iterations, warmup: true, warmupIterations: 1, warmupTime: 0, retainSamples: true, throws: true });
  const name = taskName(spec);
  if (spec.kind === "prefill") {
    const ids = encoderIds(spec.tokens);
    bench.add(name, () => subject.prefill(ids), { async: subject.async });
  } else {
    const enc = encoderIds(spec.encoderTokens);
    const dec = decoderIds(spec.steps);
    bench.add(name, () => subject.decode(dec), { async: subject.async, beforeAll: () => subject.prepareDecode(enc) });
  }
  let cpu0 = process.cpuUsage();
  let wall0 = performance.now();
  const task = bench.getTask(name)!;
  // "start" fires after the warmup, before the run phase (its beforeAll included)
  task.addEventListener("start", () => { cpu0 = process.cpuUsage(); wall0 = performance.now(); });
  await bench.run();
  const cpu = process.cpuUsage(cpu0);
  const wall = performance.now() - wall0;
  const result = task.result;
  if (result.state !== "completed" || !result.latency.samples) throw new Error(`${name}: ${result.state === "errored" ? result.error.message : result.state}`);
  return { ms: [...result.latency.samples], cpuPerWall: (cpu.user + cpu.system) / 1000 / wall };
}

// ---- onnxruntime-web -------------------------------------------------------------

type Ort = typeof import("onnxruntime-web");
type OrtTensor = import("onnxruntime-web").Tensor;
type OrtSession = import("onnxruntime-web").InferenceSession;

/** onnxruntime-web's wasm backend on the exported graphs. Create at most one per thread: numThreads is per wasm instance. */
export class OrtSubject implements Subject {
  readonly async = true;
  readonly numThreads: number;
  readonly version: string;
  readonly #ort: Ort;
  readonly #encoder: OrtSession;
  readonly #decoder: OrtSession;
  readonly #layers: number;
  readonly #kvHeads: number;
  readonly #headDim: number;
  /** Encoder outputs the decoder needs: cross_bias and cross_{key,value}_i. */
  #cross: Record<string, OrtTensor> = {};

  private constructor(ort: Ort, encoder: OrtSession, decoder: OrtSession) {
    this.#ort = ort;
    this.#encoder = encoder;
    this.#decoder = decoder;
    this.numThreads = ort.env.wasm.numThreads as number;
    this.version = ort.env.versions.web ?? "?";
    this.#layers = decoder.inputNames.filter((n) => n.startsWith("past_key_")).length;
    const past = decoder.inputMetadata.find((m) => m.name === "past_key_0");
    const shape = past && past.isTensor ? past.shape : [];
    this.#kvHeads = Number(shape[1]);
    this.#headDim = Number(shape[3]);
    if (!(this.#layers > 0 && this.#kvHeads > 0 && this.#headDim > 0)) throw new Error(`decoder_step.onnx: unexpected inputs ${decoder.inputNames.join(", ")}`);
  }

  static async create(numThreads: number): Promise<OrtSubject> {
    const ort = await import("onnxruntime-web");
    ort.env.wasm.numThreads = numThreads;
    ort.env.wasm.simd = true;
    ort.env.wasm.proxy = false;
    const options = { executionProviders: ["wasm"], graphOptimizationLevel: "all" as const };
    const encoder = await ort.InferenceSession.create(readFileSync(new URL("encoder.onnx", OUT)), options);
    const decoder = await ort.InferenceSession.create(readFileSync(new URL("decoder_step.onnx", OUT)), options);
    if (ort.env.wasm.numThreads !== numThreads) throw new Error(`onnxruntime-web runs ${ort.env.wasm.numThreads} threads, not ${numThreads}`);
    return new OrtSubject(ort, encoder, decoder);
  }

  #ids(ids: number[]): OrtTensor {
    return new this.#ort.Tensor("int64", BigInt64Array.from(ids, BigInt), [1, ids.length]);
  }

  async prefill(ids: number[]): Promise<Record<string, OrtTensor>> {
    return this.#encoder.run({ ids: this.#ids(ids) });
  }

  async prepareDecode(ids: number[]): Promise<void> {
    const out = await this.prefill(ids);
    this.#cross = { cross_bias: out.cross_bias! };
    for (let l = 0; l < this.#layers; l++) {
      this.#cross[`cross_key_${l}`] = out[`cross_key_${l}`]!;
      this.#cross[`cross_value_${l}`] = out[`cross_value_${l}`]!;
    }
  }

  /** Steps from position 0 with an empty self-attention cache; returns the last logits. */
  async decode(ids: number[], keep?: Float32Array[]): Promise<OrtTensor> {
    const { Tensor } = this.#ort;
    const feeds: Record<string, OrtTensor> = { ...this.#cross };
    const empty = new Tensor("float32", new Float32Array(0), [1, this.#kvHeads, 0, this.#headDim]);
    for (let l = 0; l < this.#layers; l++) feeds[`past_key_${l}`] = feeds[`past_value_${l}`] = empty;
    let logits: OrtTensor | undefined;
    for (let pos = 0; pos < ids.length; pos++) {
      feeds.token = new Tensor("int64", BigInt64Array.of(BigInt(ids[pos]!)), [1, 1]);
      feeds.position = new Tensor("int64", BigInt64Array.of(BigInt(pos)), [1]);
      const out = await this.#decoder.run(feeds);
      for (let l = 0; l < this.#layers; l++) {
        feeds[`past_key_${l}`] = out[`present_key_${l}`]!;
        feeds[`past_value_${l}`] = out[`present_value_${l}`]!;
      }
      logits = out.logits!;
      keep?.push(Float32Array.from(logits.data as Float32Array));
    }
    return logits!;
  }

  async logits(encIds: number[], decIds: number[]): Promise<Float32Array[]> {
    await this.prepareDecode(encIds);
    const keep: Float32Array[] = [];
    await this.decode(decIds, keep);
    return keep;
  }
}

// ---- our engine ------------------------------------------------------------------------

type NeedleModel = import("../../lib/engine/model.ts").NeedleModel;

/** NeedleModel (build/needle.wasm) loaded from the exported checkpoint. */
export class EngineSubject implements Subject {
  readonly async = false;
  readonly model: NeedleModel;

  private constructor(model: NeedleModel) {
    this.model = model;
  }

  /** threads > 1: prefill on build/needle-mt.wasm with threads - 1 workers (decoding stays on one thread). */
  static async create(dtype: "f32" | "f16" | "int8" | "int4", threads = 1): Promise<EngineSubject> {
    const { NeedleModel } = await import("../../lib/engine/model.ts");
    const model = await NeedleModel.load(fileURLToPath(new URL("needle-peer.pkl", OUT)), {
      dtype, maxEncoderLength: 1024, maxDecoderLength: 64, ...(threads > 1 ? { threads } : {}),
    });
    return new EngineSubject(model);
  }

  prefill(ids: number[]): void {
    this.model.encode(ids);
  }

  prepareDecode(ids: number[]): void {
    this.model.encode(ids);
  }

  decode(ids: number[]): void {
    for (let pos = 0; pos < ids.length; pos++) this.model.decodeStep(ids[pos]!, pos);
  }

  logits(encIds: number[], decIds: number[]): Float32Array[] {
    this.model.encode(encIds);
    return decIds.map((id, pos) => this.model.decodeStep(id, pos).slice());
  }
}
