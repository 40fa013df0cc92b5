// The end-to-end case, run by Deno and Bun (tests/runtimes.test.ts starts
// them) against the published artifact, dist/index.js:
//
//   deno run --allow-read tests/runtimes/e2e.mjs CASES.json
//   bun tests/runtimes/e2e.mjs CASES.json
//
// CASES.json: { weights, tokenizer, cases: [{ query, tools, options }] }
// (paths). Prints one JSON line: { runtime, version, simd, results }, each
// result { tokens, text, finishReason, calls, error }.

import { readFile } from "node:fs/promises";
import { Needle, hasWasmSimd } from "../../dist/index.js";

const input = JSON.parse(await readFile(process.argv[2] ?? usage(), "utf8"));
const needle = await Needle.load({ weights: input.weights, tokenizer: input.tokenizer });
const results = [];
for (const c of input.cases) {
  const r = await needle.call(c.query, c.tools, c.options);
  results.push({ tokens: r.tokens, text: r.text, finishReason: r.finishReason, calls: r.calls, error: r.error?.code ?? null });
}
console.log(JSON.stringify({ ...runtime(), simd: hasWasmSimd(), results }));

function runtime() {
  if (typeof Deno === "object") return { runtime: "deno", version: Deno.version.deno };
  if (typeof Bun === "object") return { runtime: "bun", version: Bun.version };
  return { runtime: "node", version: process.versions.node };
}

function usage() {
  console.error("usage: e2e.mjs CASES.json");
  process.exit(2);
}
