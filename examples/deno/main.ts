// Needle from Deno: the same package and the same calls as in Node; the
// package reads the paths itself (hence --allow-read, and no other permission).
//
//   deno run --allow-read examples/deno/main.ts --weights needle.pkl --tokenizer needle.model "What's the weather in Paris?" [--tools tools.json] [--json]

import { Needle } from "needle-wasm";

const USAGE = 'usage: deno run --allow-read examples/deno/main.ts --weights needle.pkl --tokenizer needle.model "query" [--tools tools.json] [--json]';
const flags: Record<string, string> = {};
const positionals: string[] = [];
let json = false;
for (let i = 0; i < Deno.args.length; i++) {
  const arg = Deno.args[i]!;
  if (arg === "--json") json = true;
  else if (["--weights", "--tokenizer", "--tools"].includes(arg) && i + 1 < Deno.args.length) flags[arg.slice(2)] = Deno.args[++i]!;
  else if (arg.startsWith("--")) {
    console.error(USAGE);
    Deno.exit(2);
  } else positionals.push(arg);
}
if (!flags.weights || !flags.tokenizer || positionals.length !== 1) {
  console.error(USAGE);
  Deno.exit(2);
}

const tools = flags.tools ? await Deno.readTextFile(flags.tools) : [
  { name: "get_weather", description: "Get current weather for a city.",
    parameters: { location: { type: "string", description: "City name.", required: true } } },
];

const needle = await Needle.load({ weights: flags.weights, tokenizer: flags.tokenizer });
const result = await needle.call(positionals[0]!, tools);
console.log(JSON.stringify(json ? result : result.calls, null, json ? 0 : 2));
