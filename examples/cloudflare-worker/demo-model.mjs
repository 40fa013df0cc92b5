#!/usr/bin/env node
// wrangler's build step (wrangler.jsonc "build"): puts the package's bundled
// demo model (needle-wasm's weights/needle-demo.needle) into ./model, which
// the ASSETS binding serves to the Worker, so `wrangler dev` and `wrangler
// deploy` work before any real model is converted. Leaves an identical copy
// alone, so re-runs under `wrangler dev` write nothing.
//
//   node demo-model.mjs [--out model]

import { mkdir, readFile, writeFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";

const { values } = parseArgs({ options: { out: { type: "string", default: "model" } } });
const source = fileURLToPath(new URL("weights/needle-demo.needle", import.meta.resolve("needle-wasm/package.json")));
const target = `${values.out}/needle-demo.needle`;
const bytes = await readFile(source);
const present = await readFile(target).catch(() => null);

if (!present?.equals(bytes)) {
  await mkdir(values.out, { recursive: true });
  await writeFile(target, bytes);
  console.log(`${target}: the bundled demo model (${(bytes.length / 1e6).toFixed(1)} MB)`);
}
