// Engine throughput at the real Needle size (12 + 8 layers, d_model 512,
// 8/4 heads, vocab 8192; weights generated in-process): prefill tokens/s at
// a given encoder length and decode tokens/s over a run of steps, each as a
// ratio against the plain TypeScript forward pass (tests/twins/forward.ts,
// same algorithm without Wasm) measured in the same process.
//
//   node --import tsx benchmarks/model.bench.ts [--smoke]

import { Bench } from "tinybench";
import type { NeedleConfig } from "../lib/config.ts";
import { NeedleModel } from "../lib/model.ts";
import { TwinModel } from "../tests/twins/forward.ts";
import { randomCheckpoint } from "../tests/twins/random-checkpoint.ts";

export const NEEDLE_26M: Partial<NeedleConfig> = {
  vocab_size: 8192, d_model: 512, num_heads: 8, num_kv_heads: 4,
  num_encoder_layers: 12, num_decoder_layers: 8, d_ff: 2048, max_seq_len: 1024, contrastive_dim: 128,
};

const SMOKE: Partial<NeedleConfig> = {
  vocab_size: 512, d_model: 64, num_heads: 4, num_kv_heads: 2, num_encoder_layers: 2, num_decoder_layers: 2, contrastive_dim: 16,
};

export interface ModelBenchOptions {
  config?: Partial<NeedleConfig>;
  encoderTokens?: number;
  decodeSteps?: number;
  /** Milliseconds per engine task. */
  time?: number;
  /** Iterations of each (slow) baseline task. */
  baselineIterations?: number;
}

export interface ModelBenchResult {
  params: number;
  prefillTokensPerSecond: number;
  decodeTokensPerSecond: number;
  baselinePrefillTokensPerSecond: number;
  baselineDecodeTokensPerSecond: number;
}

function tokensPerSecond(bench: Bench, name: string, tokens: number): number {
  const task = bench.getTask(name);
  const result = task?.result as { latency?: { mean: number } } | undefined;
  if (!result?.latency) throw new Error(`benchmark task ${name} did not run`);
  return (tokens * 1000) / result.latency.mean;
}

export async function benchModel(options: ModelBenchOptions = {}): Promise<ModelBenchResult> {
  const stored = options.config ?? NEEDLE_26M;
  const nEnc = options.encoderTokens ?? 256;
  const steps = options.decodeSteps ?? 32;
  const checkpoint = randomCheckpoint(stored, { seed: 26 });
  const vocab = checkpoint.config.vocab_size;
  let params = 0;
  for (const t of checkpoint.tensors.values()) params += t.shape.reduce((a, b) => a * b, 1);
  const encIds = Array.from({ length: nEnc }, (_, i) => 6 + ((i * 7919) % (vocab - 6)));
  const decIds = Array.from({ length: steps }, (_, i) => (i === 0 ? 1 : 6 + ((i * 104729) % (vocab - 6))));

  const model = await NeedleModel.fromCheckpoint(checkpoint, { maxEncoderLength: Math.max(nEnc, 1), maxDecoderLength: Math.max(steps, 1) });
  const engine = new Bench({ time: options.time ?? 3000, iterations: 5, warmup: true });
  engine.add(`engine prefill ${nEnc}`, () => model.encode(encIds));
  engine.add(`engine decode ${steps}`, () => {
    for (let pos = 0; pos < steps; pos++) model.decodeStep(decIds[pos]!, pos);
  }, { beforeAll: () => model.encode(encIds) });
  await engine.run();

  const twin = new TwinModel(checkpoint.config, checkpoint.tensors);
  const baseline = new Bench({ time: 0, iterations: options.baselineIterations ?? 2, warmup: false });
  baseline.add(`plain TS prefill ${nEnc}`, () => { twin.encode(encIds); });
  baseline.add(`plain TS decode ${steps}`, () => {
    for (let pos = 0; pos < steps; pos++) twin.decodeStep(decIds[pos]!, pos);
  }, { beforeAll: () => { twin.encode(encIds); } });
  await baseline.run();
  model.dispose();

  return {
    params,
    prefillTokensPerSecond: tokensPerSecond(engine, `engine prefill ${nEnc}`, nEnc),
    decodeTokensPerSecond: tokensPerSecond(engine, `engine decode ${steps}`, steps),
    baselinePrefillTokensPerSecond: tokensPerSecond(baseline, `plain TS prefill ${nEnc}`, nEnc),
    baselineDecodeTokensPerSecond: tokensPerSecond(baseline, `plain TS decode ${steps}`, steps),
  };
}

export function formatModelResult(r: ModelBenchResult): string {
  const f = (x: number) => x.toFixed(1);
  return [
    `params: ${(r.params / 1e6).toFixed(2)}M`,
    `prefill: ${f(r.prefillTokensPerSecond)} tok/s (plain TS ${f(r.baselinePrefillTokensPerSecond)}; ×${f(r.prefillTokensPerSecond / r.baselinePrefillTokensPerSecond)})`,
    `decode:  ${f(r.decodeTokensPerSecond)} tok/s (plain TS ${f(r.baselineDecodeTokensPerSecond)}; ×${f(r.decodeTokensPerSecond / r.baselineDecodeTokensPerSecond)})`,
  ].join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const smoke = process.argv.includes("--smoke");
  const result = await benchModel(smoke ? { config: SMOKE, encoderTokens: 32, decodeSteps: 8, time: 200, baselineIterations: 1 } : {});
  console.log(formatModelResult(result));
}
