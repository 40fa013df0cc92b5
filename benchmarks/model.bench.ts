// Engine throughput at the real Needle size (12 + 8 layers, d_model 512,
// 8/4 heads, vocab 8192; weights generated in-process), for every weight
// format: prefill tokens/s at several encoder lengths, decode tokens/s,
// end-to-end call latency, load time, Wasm memory, process RSS and the
// .wasm size; with ratios against the plain TypeScript forward pass
// (tests/twins/forward.ts: the same algorithm, no Wasm) and against f32,
// measured in the same process.
//
//   node --import tsx benchmarks/model.bench.ts [--smoke] [--formats f32,int8] [--threads 2] [--no-baseline]
//
// --threads N (default 2; 1 for none) adds an int8 run with prefill on N threads.

import { readFileSync, statSync } from "node:fs";
import { Bench } from "tinybench";
import type { NeedleConfig } from "../lib/load/config.ts";
import { writeBundle } from "../lib/load/bundle.ts";
import { NeedleModel } from "../lib/engine/model.ts";
import { type WeightDtype } from "../lib/engine/open.ts";
import { Needle } from "../lib/needle.ts";
import { Tokenizer } from "../tokenizer/index.ts";
import { TwinModel } from "../tests/twins/forward.ts";
import { randomCheckpoint } from "../tests/twins/random-checkpoint.ts";

export const NEEDLE_26M: Partial<NeedleConfig> = {
  vocab_size: 8192, d_model: 512, num_heads: 8, num_kv_heads: 4,
  num_encoder_layers: 12, num_decoder_layers: 8, d_ff: 2048, max_seq_len: 1024, contrastive_dim: 128,
};

const SMOKE: Partial<NeedleConfig> = {
  vocab_size: 8192, d_model: 64, num_heads: 4, num_kv_heads: 2, num_encoder_layers: 2, num_decoder_layers: 2, contrastive_dim: 16,
};

const FIXTURE_TOKENIZER = new URL("../tests/fixtures/tokenizer/needle_test.model", import.meta.url);
const WASM = new URL("../build/needle.wasm", import.meta.url);

const QUERY = "What's the weather like in San Francisco today, in celsius?";
const TOOLS = JSON.stringify([
  { name: "get_weather", description: "Get current weather for a city.", parameters: { location: { type: "string", description: "City name.", required: true }, unit: { type: "string", description: "celsius or fahrenheit", required: false } } },
  { name: "send_email", description: "Send an email to a recipient.", parameters: { to: { type: "string", description: "Recipient address.", required: true }, body: { type: "string", description: "Email body.", required: true } } },
  { name: "set_timer", description: "Set a countdown timer.", parameters: { duration_minutes: { type: "integer", description: "Length in minutes.", required: true } } },
]);

export interface ModelBenchOptions {
  config?: Partial<NeedleConfig>;
  formats?: WeightDtype[];
  /** Extra runs with prefill on this many threads (build/needle-mt.wasm + workers), per format in `threadedFormats`. */
  threads?: number;
  threadedFormats?: WeightDtype[];
  prefillLengths?: number[];
  /** Encoder length before the decode run. */
  decodeContext?: number;
  decodeSteps?: number;
  /** Milliseconds per engine task. */
  time?: number;
  /** Run the plain TypeScript baseline (slow at full size). */
  baseline?: boolean;
}

export interface FormatResult {
  dtype: WeightDtype;
  threads: number;
  /** Encoder length → tokens/s. */
  prefill: Record<number, number>;
  decode: number;
  /** Milliseconds for one Needle.call (tokenize, prompt, encode, up to 16 decode steps). */
  callMs: number;
  /** Milliseconds to build the model from the parsed checkpoint (layout + conversion / quantisation). */
  loadCheckpointMs: number;
  /** Milliseconds to load the same model from a .needle bundle in memory. */
  loadBundleMs: number;
  bundleBytes: number;
  wasmMemoryBytes: number;
  /** int8: the decode GEMV form the model settled on (lib/engine/gemv-tuner.ts). */
  decodeGemv: string | null;
}

export interface ModelBenchResult {
  params: number;
  formats: FormatResult[];
  baseline?: { prefill: number; decode: number; prefillTokens: number };
  rssBytes: number;
  wasmFileBytes: number;
}

function median(task: Bench["tasks"][number]): number {
  const result = task.result as { latency?: { p50?: number; mean: number } } | undefined;
  if (!result?.latency) throw new Error(`benchmark task ${task.name} did not run`);
  return result.latency.p50 ?? result.latency.mean;
}

async function timeOnce<T>(fn: () => Promise<T> | T): Promise<[T, number]> {
  const start = performance.now();
  const value = await fn();
  return [value, performance.now() - start];
}

export async function benchModel(options: ModelBenchOptions = {}): Promise<ModelBenchResult> {
  const stored = options.config ?? NEEDLE_26M;
  const formats = options.formats ?? ["f32", "f16", "int8", "int4"];
  const lengths = options.prefillLengths ?? [64, 256, 1024];
  const context = options.decodeContext ?? 256;
  const steps = options.decodeSteps ?? 32;
  const maxEnc = Math.max(...lengths, context);
  const checkpoint = randomCheckpoint(stored, { seed: 26 });
  const vocab = checkpoint.config.vocab_size;
  let params = 0;
  for (const t of checkpoint.tensors.values()) params += t.shape.reduce((a, b) => a * b, 1);
  const ids = (n: number) => Array.from({ length: n }, (_, i) => 6 + ((i * 7919) % (vocab - 6)));
  const decIds = Array.from({ length: steps }, (_, i) => (i === 0 ? 1 : 6 + ((i * 104729) % (vocab - 6))));
  const tokenizerBytes = readFileSync(FIXTURE_TOKENIZER);

  const results: FormatResult[] = [];
  const runs: [WeightDtype, number][] = formats.map((f) => [f, 1]);
  if ((options.threads ?? 1) > 1) for (const f of options.threadedFormats ?? ["int8"]) runs.push([f, options.threads!]);
  for (const [dtype, threads] of runs) {
    const [model, loadCheckpointMs] = await timeOnce(() => NeedleModel.fromCheckpoint(checkpoint, { dtype, threads, maxEncoderLength: maxEnc, maxDecoderLength: Math.max(steps, 17) }));
    const bundle = writeBundle(model.config, dtype, model.layoutVersion, model.weightImage(), tokenizerBytes);
    const [fromBundle, loadBundleMs] = await timeOnce(() => NeedleModel.load(bundle, { maxEncoderLength: 1, maxDecoderLength: 1 }));
    fromBundle.dispose();
    const bench = new Bench({ time: options.time ?? 2000, iterations: 3, warmup: true });
    for (const n of lengths) {
      const enc = ids(n);
      bench.add(`prefill ${n}`, () => model.encode(enc));
    }
    const enc = ids(context);
    bench.add(`decode ${steps}`, () => {
      for (let pos = 0; pos < steps; pos++) model.decodeStep(decIds[pos]!, pos);
    }, { beforeAll: () => model.encode(enc) });
    const needle = new Needle(model, Tokenizer.fromBytes(tokenizerBytes));
    bench.add("call", async () => {
      await needle.call(QUERY, TOOLS, { maxTokens: 16 });
    });
    await bench.run();
    const prefill: Record<number, number> = {};
    for (const n of lengths) prefill[n] = (n * 1000) / median(bench.getTask(`prefill ${n}`)!);
    results.push({
      dtype,
      threads,
      prefill,
      decode: (steps * 1000) / median(bench.getTask(`decode ${steps}`)!),
      callMs: median(bench.getTask("call")!),
      loadCheckpointMs,
      loadBundleMs,
      bundleBytes: bundle.length,
      wasmMemoryBytes: model.wasmMemoryBytes,
      decodeGemv: model.decodeGemv,
    });
    model.dispose();
  }
  const rssBytes = process.memoryUsage().rss;

  let baseline: ModelBenchResult["baseline"];
  if (options.baseline !== false) {
    const twin = new TwinModel(checkpoint.config, checkpoint.tensors);
    const n = Math.min(256, maxEnc);
    const enc = ids(n);
    const [, prefillMs] = await timeOnce(() => twin.encode(enc));
    const [, decodeMs] = await timeOnce(() => {
      for (let pos = 0; pos < steps; pos++) twin.decodeStep(decIds[pos]!, pos);
    });
    baseline = { prefill: (n * 1000) / prefillMs, decode: (steps * 1000) / decodeMs, prefillTokens: n };
  }
  return { params, formats: results, ...(baseline ? { baseline } : {}), rssBytes, wasmFileBytes: statSync(WASM).size };
}

export function formatModelResult(r: ModelBenchResult): string {
  const f0 = (x: number) => x.toFixed(0);
  const mb = (x: number) => (x / 2 ** 20).toFixed(1);
  const f32 = r.formats.find((f) => f.dtype === "f32" && f.threads === 1);
  const lengths = Object.keys(r.formats[0]?.prefill ?? {}).map(Number);
  const lines = [
    `params ${(r.params / 1e6).toFixed(2)}M, build/needle.wasm ${(r.wasmFileBytes / 1024).toFixed(1)} KiB, process RSS ${mb(r.rssBytes)} MiB`,
    "",
    `| format | ${lengths.map((n) => `prefill ${n} (tok/s)`).join(" | ")} | decode (tok/s) | call (ms) | load ckpt (ms) | load bundle (ms) | bundle (MiB) | Wasm memory (MiB) |`,
    `| --- | ${lengths.map(() => "---:").join(" | ")} | ---: | ---: | ---: | ---: | ---: | ---: |`,
  ];
  for (const x of r.formats) {
    const vs = (a: number, b: number | undefined) => (b && x !== f32 ? ` (×${(a / b).toFixed(2)})` : "");
    lines.push(`| ${x.dtype}${x.threads > 1 ? `, ${x.threads} threads` : ""} | ${lengths.map((n) => f0(x.prefill[n]!) + vs(x.prefill[n]!, f32?.prefill[n])).join(" | ")} | ${f0(x.decode)}${vs(x.decode, f32?.decode)} | ${x.callMs.toFixed(1)} | ${f0(x.loadCheckpointMs)} | ${f0(x.loadBundleMs)} | ${mb(x.bundleBytes)} | ${mb(x.wasmMemoryBytes)} |`);
  }
  const label = (x: FormatResult) => `${x.dtype}${x.threads > 1 ? ` (${x.threads} threads)` : ""}`;
  const gemv = r.formats.filter((x) => x.decodeGemv).map((x) => `${label(x)} ${x.decodeGemv}`);
  if (gemv.length) lines.push("", `decode GEMV form kept (lib/engine/gemv-tuner.ts): ${gemv.join(", ")}`);
  if (r.baseline) {
    const b = r.baseline;
    lines.push("", `plain TypeScript baseline: prefill ${b.prefillTokens} ${b.prefill.toFixed(1)} tok/s, decode ${b.decode.toFixed(1)} tok/s`);
    for (const x of r.formats) {
      const p = x.prefill[b.prefillTokens];
      lines.push(`  ${label(x)}: prefill ×${p ? (p / b.prefill).toFixed(1) : "?"}, decode ×${(x.decode / b.decode).toFixed(1)} vs plain TS`);
    }
  }
  return lines.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const args = process.argv.slice(2);
  const smoke = args.includes("--smoke");
  const formatsArg = args.indexOf("--formats");
  const formats = formatsArg >= 0 ? (args[formatsArg + 1]!.split(",") as WeightDtype[]) : undefined;
  const threadsArg = args.indexOf("--threads");
  const threads = threadsArg >= 0 ? Number(args[threadsArg + 1]) : 2;
  const result = await benchModel({
    ...(smoke ? { config: SMOKE, prefillLengths: [16, 64], decodeContext: 16, decodeSteps: 8, time: 100 } : {}),
    ...(formats ? { formats } : {}),
    threads,
    baseline: !args.includes("--no-baseline"),
  });
  console.log(formatModelResult(result));
}
