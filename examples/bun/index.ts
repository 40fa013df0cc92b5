// Needle from Bun: the same package and the same calls as in Node; Bun runs
// this TypeScript file directly.
//
//   bun examples/bun/index.ts --weights needle.pkl --tokenizer needle.model "What's the weather in Paris?" [--tools tools.json] [--json]

import { parseArgs } from "node:util";
import { Needle } from "needle-wasm";

const { values, positionals } = parseArgs({
  args: Bun.argv.slice(2),
  allowPositionals: true,
  options: { weights: { type: "string" }, tokenizer: { type: "string" }, tools: { type: "string" }, json: { type: "boolean" } },
});
if (!values.weights || !values.tokenizer || positionals.length !== 1) {
  console.error('usage: bun examples/bun/index.ts --weights needle.pkl --tokenizer needle.model "query" [--tools tools.json] [--json]');
  process.exit(2);
}

const tools = values.tools ? await Bun.file(values.tools).text() : [
  { name: "get_weather", description: "Get current weather for a city.",
    parameters: { location: { type: "string", description: "City name.", required: true } } },
];

const needle = await Needle.load({ weights: values.weights, tokenizer: values.tokenizer });
const result = await needle.call(positionals[0]!, tools);
console.log(JSON.stringify(values.json ? result : result.calls, null, values.json ? 0 : 2));
