// Per-step cost of constrained decoding on the 8192-piece fixture vocabulary.
// Run: node --import tsx benchmarks/constrain.bench.ts
//
// Each task runs a batch of steps so one sample is well above the timer's
// resolution; the table reports the cost of one step.

import { readFileSync } from "node:fs";
import { Bench } from "tinybench";
import { ConstrainedDecoder } from "../lib/constrain/reference.ts";

const fixtures = new URL("../tests/fixtures/", import.meta.url);
const tokenStrings: string[] = JSON.parse(readFileSync(new URL("constrained_goldens.json", fixtures), "utf8")).token_strings;
const modelCases: { id: string; normalized_tools: string }[] = JSON.parse(readFileSync(new URL("tiny/model_goldens.json", fixtures), "utf8")).cases;
const tools = modelCases.find((c) => c.id === "camel_multi")!.normalized_tools; // 4 tools

const BATCH = 256;
const ids = (...texts: string[]) => texts.map((t) => {
  const id = tokenStrings.indexOf(t);
  if (id < 0) throw new Error(`no token ${JSON.stringify(t)}`);
  return id;
});
const NAME_OPENER = ids(' [{"', "name", '":"');
const ANSWER = ids(' [{"', "name", '":"', "get", "_", "weather", '","', "arguments", '":{"', "location", '":"', "Paris", '"}}]');

function decoderAt(prefix: number[]): ConstrainedDecoder {
  const decoder = new ConstrainedDecoder(tokenStrings, tools);
  for (const id of prefix) decoder.feed(id);
  decoder.allowed(); // warm the node's cache
  return decoder;
}

const logits = new Float32Array(tokenStrings.length);
for (let i = 0; i < logits.length; i++) logits[i] = Math.sin(i * 12.9898) * 8;

const free = decoderAt([]);
const nameStart = decoderAt(NAME_OPENER);
const nameComplete = decoderAt([...NAME_OPENER, ...ids("get", "_", "weather")]);
const feeder = new ConstrainedDecoder(tokenStrings, tools);
let sink = 0;

const tasks: [name: string, steps: number, fn: () => void][] = [
  ["argmax, FREE state (all 8192 logits)", BATCH, () => { for (let i = 0; i < BATCH; i++) sink += free.argmax(logits); }],
  [`allowed() + argmax, tool-name start (${nameStart.allowed()!.length} ids)`, BATCH, () => {
    for (let i = 0; i < BATCH; i++) sink += nameStart.argmax(logits) + nameStart.allowed()!.length;
  }],
  [`allowed() + argmax, after a whole name (${nameComplete.allowed()!.length} ids)`, BATCH, () => {
    for (let i = 0; i < BATCH; i++) sink += nameComplete.argmax(logits) + nameComplete.allowed()!.length;
  }],
  ["mask(), tool-name start (fills 8192 logits)", BATCH, () => { for (let i = 0; i < BATCH; i++) nameStart.mask(logits); }],
  [`feed(), ${ANSWER.length}-token answer + reset()`, ANSWER.length, () => {
    for (const id of ANSWER) feeder.feed(id);
    feeder.reset();
  }],
  ["cold: new decoder + first allowed() at a name start", 1, () => { sink += decoderAt(NAME_OPENER).allowed()!.length; }],
];

const bench = new Bench({ name: "constrained decoding", time: 1000, warmupTime: 200 });
for (const [name, , fn] of tasks) bench.add(name, fn);
await bench.run();

console.log(`constrained decoding, ${tokenStrings.length}-token vocabulary, node ${process.version}`);
console.table(tasks.map(([name, steps], i) => {
  const result = bench.tasks[i]!.result;
  if (result.state !== "completed") throw new Error(`${name}: ${result.state}`);
  return {
    task: name,
    "per step (µs)": ((result.latency.mean * 1000) / steps).toFixed(3),
    "p99 per step (µs)": ((result.latency.p99 * 1000) / steps).toFixed(3),
    samples: result.latency.samplesCount,
  };
}));
if (sink === 0.5) console.log(sink); // keep the results alive
