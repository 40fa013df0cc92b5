// Sizes, not times: the shipped artifacts and, at Needle's real size, each
// weight format's weight image and the Wasm memory the engine reserves with
// the default limits (1024 encoder / 512 decoder positions, one thread).
// Counted by lib/engine/size.ts (which tests/engine-size.test.ts holds to the
// Wasm layout), plus the module's static data, rounded up to 64 KiB pages as
// memory.grow does.
//
//   npm run build:wasm && node --import tsx benchmarks/sizes.ts

import { statSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { instantiateEngine } from "../lib/engine/instance.ts";
import { engineSize } from "../lib/engine/size.ts";
import { resolveConfig } from "../lib/load/config.ts";
import { NEEDLE_26M } from "./model.bench.ts";

const PAGE = 65536;
const FORMATS = ["f32", "f16", "int8", "int4"] as const;

const bytes = (file: string) => statSync(fileURLToPath(new URL(file, import.meta.url))).size;
const mib = (n: number) => (n / 2 ** 20).toFixed(1);
const mb = (n: number) => (n / 1e6).toFixed(1);

const files = ["../build/needle.wasm", "../build/needle-mt.wasm", "../weights/needle-demo.needle"];
console.log("| file | bytes | KiB |\n| --- | ---: | ---: |");
for (const file of files) console.log(`| ${file.slice(3)} | ${bytes(file).toLocaleString("en")} | ${(bytes(file) / 1024).toFixed(1)} |`);

const heapBase = (await instantiateEngine()).heap_base() >>> 0;
const config = resolveConfig(NEEDLE_26M as Record<string, unknown>);
console.log("\n| weights | weight image (bytes) | weight image (MiB) | Wasm memory, default limits (MB) |\n| --- | ---: | ---: | ---: |");
FORMATS.forEach((name, format) => {
  const size = engineSize({ config, format, maxEnc: 1024, maxDec: 512, threads: 1 }, heapBase);
  const reserved = Math.ceil(size.memoryEnd / PAGE) * PAGE;
  console.log(`| ${name} | ${size.weightsBytes.toLocaleString("en")} | ${mib(size.weightsBytes)} | ${mb(reserved)} |`);
});
