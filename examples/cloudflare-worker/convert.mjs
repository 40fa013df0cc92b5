#!/usr/bin/env node
// needle.pkl + needle.model → one .needle bundle (weights already in the
// engine's layout and format, tokenizer included) for the Worker.
//
//   node convert.mjs --weights needle.pkl --tokenizer needle.model [--dtype int4] [--out model/needle-int4.needle]

import { mkdir, readFile, writeFile } from "node:fs/promises";
import { dirname } from "node:path";
import { parseArgs } from "node:util";
import { convertToBundle } from "needle-wasm";

const { values } = parseArgs({
  options: { weights: { type: "string" }, tokenizer: { type: "string" }, dtype: { type: "string", default: "int4" }, out: { type: "string" } },
});
if (!values.weights || !values.tokenizer) {
  console.error("usage: node convert.mjs --weights needle.pkl --tokenizer needle.model [--dtype int4|int8|f16|f32] [--out model/needle-int4.needle]");
  process.exit(2);
}
const out = values.out ?? `model/needle-${values.dtype}.needle`;
const bundle = await convertToBundle(await readFile(values.weights), await readFile(values.tokenizer), {
  dtype: values.dtype,
  meta: { source: values.weights },
});
await mkdir(dirname(out), { recursive: true });
await writeFile(out, bundle);
console.log(`${out}: ${(bundle.length / 1e6).toFixed(1)} MB (${values.dtype})`);
