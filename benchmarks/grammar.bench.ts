// Cost of schema-constrained decoding per decode step at the real Needle
// size (weights generated in-process, int8), as a ratio to the int8
// decodeStep measured in the same process.
//
//   node --import tsx benchmarks/grammar.bench.ts [--smoke]
//
// The step's logits are recorded from the model, then replayed through the
// decoder (argmax + feed per step):
// - "model-like": each step's recorded logits with the token of a valid
//   answer raised by 50, as a trained model ranks it first: the grammar
//   checks the argmax and takes it (one trial per step);
// - "noise": the random model's own logits, whose argmax the grammar
//   mostly refuses: the scan for the best allowed token runs every step.
// Each runs with the TypeScript pass over the vocabulary and with the
// engine's Wasm argmax and log Σ exp (as Needle runs it), timed separately.
// The reference constraint (lib/constrain/reference.ts) on the same
// model-like logits is shown for comparison.

import { readFileSync } from "node:fs";
import { Bench } from "tinybench";
import { ConstrainedDecoder } from "../lib/constrain/reference.ts";
import { SchemaDecoder } from "../lib/constrain/schema/decoder.ts";
import { ToolGrammar } from "../lib/constrain/schema/grammar.ts";
import { TokenBytes } from "../lib/constrain/schema/token-bytes.ts";
import { NeedleModel } from "../lib/engine/model.ts";
import { buildEncoderInput } from "../lib/prompt.ts";
import { prepareTools } from "../lib/tools.ts";
import { Tokenizer } from "../tokenizer/index.ts";
import { randomCheckpoint } from "../tests/twins/random-checkpoint.ts";
import { NEEDLE_26M } from "./model.bench.ts";

const smoke = process.argv.includes("--smoke");
const config = smoke ? { ...NEEDLE_26M, d_model: 64, num_heads: 4, num_kv_heads: 2, num_encoder_layers: 2, num_decoder_layers: 2, d_ff: 128 } : NEEDLE_26M;
const tokenizer = Tokenizer.fromBytes(readFileSync(new URL("../tests/fixtures/tokenizer/needle_test.model", import.meta.url)));
const QUERY = "What's the weather like in San Francisco today, in celsius?";
const tools = prepareTools([
  { name: "get_weather", description: "Get current weather for a city.", parameters: { location: { type: "string", description: "City name.", required: true }, unit: { type: "string", enum: ["celsius", "fahrenheit"], required: false } } },
  { name: "send_email", description: "Send an email.", parameters: { to: { type: "string", required: true }, body: { type: "string", required: true } } },
  { name: "set_timer", description: "Set a countdown timer.", parameters: { duration_minutes: { type: "integer", required: true } } },
]);
const ANSWER = [tokenizer.pieceToId("<tool_call>"), ...tokenizer.encode('[{"name":"get_weather","arguments":{"location":"San Francisco","unit":"celsius"}}]')];
const steps = ANSWER.length + 1;

const model = await NeedleModel.fromCheckpoint(randomCheckpoint(config, { seed: 26 }), { dtype: "int8", maxEncoderLength: 256, maxDecoderLength: steps + 1 });
const encoderIds = buildEncoderInput(tokenizer.encode(QUERY), tokenizer.encode(tools.json), tokenizer.pieceToId("<tools>"), 256);
model.encode(encoderIds);
const noise: Float32Array[] = [];
const modelLike: Float32Array[] = [];
for (let pos = 0; pos < steps; pos++) {
  const logits = model.decodeStep(pos === 0 ? tokenizer.eosId : ANSWER[pos - 1]!, pos);
  noise.push(logits.slice());
  const raised = logits.slice();
  raised[pos < ANSWER.length ? ANSWER[pos]! : tokenizer.eosId]! += 50;
  modelLike.push(raised);
}

const bytes = TokenBytes.for(tokenizer);
const options = { eosId: tokenizer.eosId, toolCallId: tokenizer.pieceToId("<tool_call>"), maxTokens: 511 };
/** What the engine's Wasm argmax and log Σ exp return for each step of a trace (timed on their own below). */
function engineAnswers(trace: Float32Array[]): { argmax: number; logSumExp: number }[] {
  return trace.map((logits) => {
    const argmax = logits.indexOf(Math.max(...logits));
    return { argmax, logSumExp: Math.log(logits.reduce((s, v) => s + Math.exp(v - logits[argmax]!), 0)) + logits[argmax]! };
  });
}
const engineFor = (trace: Float32Array[]) => {
  const answers = engineAnswers(trace);
  let step = 0;
  return { reset: () => (step = 0), engine: { argmax: () => answers[step]!.argmax, logSumExp: () => answers[step++]!.logSumExp } };
};
const modelLikeEngine = engineFor(modelLike);
const noiseEngine = engineFor(noise);

/** Decode a trace; with `recorded`, the engine's argmax and log Σ exp come from its precomputed answers, as NeedleModel gives them. */
function replay(trace: Float32Array[], recorded?: ReturnType<typeof engineFor>): number {
  recorded?.reset();
  const decoder = new SchemaDecoder(bytes, new ToolGrammar(tools.json, { requireCall: false, single: false }), recorded ? { ...options, engine: recorded.engine } : options);
  let written = 0;
  for (const logits of trace) {
    const id = decoder.argmax(logits);
    if (id === tokenizer.eosId) break;
    decoder.feed(id);
    written++;
  }
  return written;
}
if (replay(modelLike) !== ANSWER.length || replay(modelLike, modelLikeEngine) !== ANSWER.length) throw new Error("the model-like trace does not decode to the answer");

let sink = 0;
const grammar = new ToolGrammar(tools.json, { requireCall: false, single: false });
const bench = new Bench({ name: "schema-constrained decoding", time: smoke ? 20 : 1500, warmupTime: smoke ? 10 : 300 });
bench.add(`int8 decodeStep × ${steps}`, () => {
  for (let pos = 0; pos < steps; pos++) model.decodeStep(pos === 0 ? tokenizer.eosId : ANSWER[pos - 1]!, pos);
});
bench.add(`schema argmax + feed × ${steps}, model-like logits`, () => {
  sink += replay(modelLike);
});
bench.add(`schema argmax + feed × ${steps}, noise logits`, () => {
  sink += replay(noise);
});
bench.add(`schema argmax + feed × ${steps}, model-like logits, engine's argmax and log Σ exp`, () => {
  sink += replay(modelLike, modelLikeEngine);
});
bench.add(`schema argmax + feed × ${steps}, noise logits, engine's argmax and log Σ exp`, () => {
  sink += replay(noise, noiseEngine);
});
bench.add(`Wasm argmax + log Σ exp × ${steps} (add to the two rows above)`, () => {
  for (let pos = 0; pos < steps; pos++) sink += model.argmax() + model.logSumExp();
});
bench.add(`reference argmax + feed × ${steps}, model-like logits`, () => {
  const reference = new ConstrainedDecoder(tokenizer.tokenStrings(), tools.json);
  for (const logits of modelLike) {
    const id = reference.argmax(logits);
    if (id === tokenizer.eosId) break;
    reference.feed(id);
  }
});
bench.add("grammar compile (once per call)", () => {
  sink += new ToolGrammar(tools.json, { requireCall: false, single: false }).tools;
});
await bench.run();

function median(name: string): number {
  const result = bench.getTask(name)!.result as { latency?: { p50?: number; mean: number } } | undefined;
  if (!result?.latency) throw new Error(`benchmark task ${name} did not run`);
  return result.latency.p50 ?? result.latency.mean;
}
const perStep = (name: string) => median(name) / (name.startsWith("grammar") ? 1 : steps);
const step = perStep(`int8 decodeStep × ${steps}`);
const rows = bench.tasks.map((t) => {
  const us = perStep(t.name) * 1000;
  return { task: t.name, "µs per step (median)": us.toFixed(1), "× int8 step": (us / (step * 1000)).toFixed(3) };
});
console.log(`${smoke ? "smoke size" : "real size (12 + 8 layers, d_model 512, vocab 8192)"}, ${steps} steps, grammar of ${grammar.kind.length} nodes; sink ${sink % 7}`);
console.table(rows);
model.dispose();
