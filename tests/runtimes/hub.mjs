// Loading by model id in Deno and Bun (tests/hub-runtimes.test.ts starts
// them) against the local hub, through the published artifact:
//
//   deno run --allow-read --allow-write --allow-net=127.0.0.1 --allow-sys tests/runtimes/hub.mjs INPUT.json
//   bun tests/runtimes/hub.mjs INPUT.json
//
// INPUT.json: { endpoint, model, cacheDir, cases: [{ query, tools, options }] }.
// Loads twice (download, then the cache) and prints one JSON line:
// { runtime, first: origin, second: origin, results } (results of the second load).

import { readFile } from "node:fs/promises";
import { Needle } from "../../dist/index.js";

const input = JSON.parse(await readFile(process.argv[2], "utf8"));
const options = { model: input.model, endpoint: input.endpoint, cacheDir: input.cacheDir, dtype: "f32", download: { retries: 1, retryDelayMs: 1, stallTimeoutMs: 5000 } };
const first = await Needle.load(options);
first.dispose();
const second = await Needle.load(options);
const results = [];
for (const c of input.cases) {
  const r = await second.call(c.query, c.tools, c.options);
  results.push({ tokens: r.tokens, text: r.text, finishReason: r.finishReason, calls: r.calls, error: r.error?.code ?? null });
}
const runtime = typeof Deno === "object" ? "deno" : typeof Bun === "object" ? "bun" : "node";
console.log(JSON.stringify({ runtime, first: first.origin, second: second.origin, results }));
