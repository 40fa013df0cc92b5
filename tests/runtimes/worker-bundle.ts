// The Worker example bundled as wrangler bundles it, for workerd
// (tests/runtimes.test.ts and benchmarks/needle2-runtimes.bench.ts).

import { mkdirSync, mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import * as esbuild from "esbuild";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const RUNTIMES = `${ROOT}tests/runtimes/`;

/**
 * Bundle a Worker (by default examples/cloudflare-worker/src/worker.js) as wrangler does: the
 * conditions wrangler sets, `needle-wasm` from this checkout (a node_modules
 * symlink in a temporary folder), .wasm imports kept as Wasm modules (named
 * needle.wasm in workerd.capnp), by default to tests/runtimes/.build/worker.js.
 * Returns the package entry the bundle used.
 */
export async function bundleWorker(entry = `${ROOT}examples/cloudflare-worker/src/worker.js`, outfile = `${RUNTIMES}.build/worker.js`): Promise<string> {
  const modules = mkdtempSync(`${tmpdir()}/needle-worker-`);
  mkdirSync(`${modules}/node_modules`);
  symlinkSync(ROOT, `${modules}/node_modules/needle-wasm`, "dir");
  try {
    const result = await esbuild.build({
      entryPoints: [entry],
      outfile,
      bundle: true,
      format: "esm",
      platform: "neutral",
      target: "es2022",
      conditions: ["workerd", "worker", "browser"],
      mainFields: ["module", "main"],
      nodePaths: [`${modules}/node_modules`],
      metafile: true,
      logLevel: "silent",
      plugins: [{ name: "wasm-modules", setup: (build) => build.onResolve({ filter: /\.wasm$/ }, () => ({ path: "./needle.wasm", external: true })) }],
    });
    const inputs = Object.keys(result.metafile.inputs);
    return inputs.find((p) => /dist\/index[.\w]*\.js$/.test(p)) ?? inputs.join(", ");
  } finally {
    rmSync(modules, { recursive: true, force: true });
  }
}
