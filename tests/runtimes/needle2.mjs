// The Needle 2 case, run by Deno and Bun (tests/runtimes.test.ts starts
// them) against the published artifact, dist/index.js:
//
//   deno run --allow-read tests/runtimes/needle2.mjs CASES.json
//   bun tests/runtimes/needle2.mjs CASES.json
//
// CASES.json: { weights (a .cact path), cases: [{ query, tools, options }] }.
// Prints one JSON line: { runtime, results }, each result { tokens, finishReason, error }.

import { readFile } from "node:fs/promises";
import { Needle } from "../../dist/index.js";

const input = JSON.parse(await readFile(process.argv[2], "utf8"));
const needle = await Needle.load({ weights: input.weights });
const results = [];
for (const c of input.cases) {
  const r = await needle.call(c.query, c.tools, c.options);
  results.push({ tokens: r.tokens, finishReason: r.finishReason, error: r.error?.code ?? null });
}
const runtime = typeof Deno === "object" ? "deno" : typeof Bun === "object" ? "bun" : "node";
console.log(JSON.stringify({ runtime, results }));
