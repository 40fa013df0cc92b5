// Needle from Bun: the same package and the same calls as in Node; Bun runs
// this TypeScript file directly. With no arguments it runs the bundled demo
// model on "What's the weather in Paris?".
//
//   bun examples/bun/index.ts ["query"] [--weights needle.pkl --tokenizer needle.model | --weights model.needle] [--tools tools.json] [--json]

import { parseArgs } from "node:util";
import { Needle } from "needle-wasm";

const USAGE = 'usage: bun examples/bun/index.ts ["query"] [--weights needle.pkl --tokenizer needle.model | --weights model.needle] [--tools tools.json] [--json]';
let args;
try {
  args = parseArgs({
    args: Bun.argv.slice(2),
    allowPositionals: true,
    options: { weights: { type: "string" }, tokenizer: { type: "string" }, tools: { type: "string" }, json: { type: "boolean" } },
  });
} catch (err) {
  console.error(`${(err as Error).message}\n${USAGE}`);
  process.exit(2);
}
const { values, positionals } = args;
if (positionals.length > 1 || (values.tokenizer && !values.weights)) {
  console.error(USAGE);
  process.exit(2);
}

const query = positionals[0] ?? "What's the weather in Paris?";
const tools = values.tools ? await Bun.file(values.tools).text() : [
  { name: "get_weather", description: "Get current weather for a city.",
    parameters: { location: { type: "string", description: "City name.", required: true } } },
];

// No weights: the demo model. A .needle bundle carries its tokenizer; a needle.pkl needs --tokenizer.
const needle = await Needle.load(values.weights ? { weights: values.weights, tokenizer: values.tokenizer } : {});
const result = await needle.call(query, tools);
console.log(JSON.stringify(values.json ? result : result.calls, null, values.json ? 0 : 2));
