#!/usr/bin/env node
// Needle from Node.js: paths in, tool calls out.
//
//   node examples/node/index.mjs --weights needle.pkl --tokenizer needle.model "What's the weather in Paris?" [--tools tools.json] [--json]

import { readFile } from "node:fs/promises";
import { parseArgs } from "node:util";
import { Needle } from "needle-wasm";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { weights: { type: "string" }, tokenizer: { type: "string" }, tools: { type: "string" }, json: { type: "boolean" } },
});
if (!values.weights || !values.tokenizer || positionals.length !== 1) {
  console.error('usage: node examples/node/index.mjs --weights needle.pkl --tokenizer needle.model "query" [--tools tools.json] [--json]');
  process.exit(2);
}

const tools = values.tools ? await readFile(values.tools, "utf8") : [
  { name: "get_weather", description: "Get current weather for a city.",
    parameters: { location: { type: "string", description: "City name.", required: true } } },
];

const needle = await Needle.load({ weights: values.weights, tokenizer: values.tokenizer });
const result = await needle.call(positionals[0], tools);
console.log(JSON.stringify(values.json ? result : result.calls, null, values.json ? 0 : 2));
