// Needle from Deno: the same package and the same calls as in Node; the
// package reads the paths itself (hence --allow-read, and no other permission).
// With no arguments it runs the bundled demo model on "What's the weather in Paris?".
//
//   deno run --allow-read examples/deno/main.ts ["query"] [--weights needle.pkl --tokenizer needle.model | --weights model.needle] [--tools tools.json] [--json]

import { Needle } from "needle-wasm";

const USAGE = 'usage: deno run --allow-read examples/deno/main.ts ["query"] [--weights needle.pkl --tokenizer needle.model | --weights model.needle] [--tools tools.json] [--json]';
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
if (positionals.length > 1 || (flags.tokenizer && !flags.weights)) {
  console.error(USAGE);
  Deno.exit(2);
}

const query = positionals[0] ?? "What's the weather in Paris?";
const tools = flags.tools ? await Deno.readTextFile(flags.tools) : [
  { name: "get_weather", description: "Get current weather for a city.",
    parameters: { location: { type: "string", description: "City name.", required: true } } },
];

// No weights: the demo model. A .needle bundle carries its tokenizer; a needle.pkl needs --tokenizer.
const needle = await Needle.load(flags.weights ? { weights: flags.weights, tokenizer: flags.tokenizer } : {});
const result = await needle.call(query, tools);
console.log(JSON.stringify(json ? result : result.calls, null, json ? 0 : 2));
