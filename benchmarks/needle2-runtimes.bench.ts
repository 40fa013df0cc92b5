// Needle 2 at the published geometry (random 4-bit weights, tests/twins/
// random-cact.ts) in Chromium and workerd, where benchmarks/needle2.bench.ts
// (Node, Deno, Bun) cannot run: prefill N new positions and decode M tokens
// through Needle2Model, f32 and int8. Chromium times in the page
// (dist/index.js); workerd is timed from outside over HTTP
// (benchmarks/needle2-worker.js, whose clocks stand still while it computes),
// the best of three requests each. Run after `npm run build`:
//   node --import tsx benchmarks/needle2-runtimes.bench.ts [--prefill 256] [--decode 64]

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import { readCact } from "../lib/needle2/cact.ts";
import { PUBLISHED_GEOMETRY, writeRandomCact } from "../tests/twins/random-cact.ts";
import { runtimeBinary } from "../tests/runtimes/bins.ts";
import { bundleWorker } from "../tests/runtimes/worker-bundle.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
};
const prefill = arg("--prefill", 256);
const decode = arg("--decode", 64);
const DTYPES = ["f32", "int8"] as const;

// The fixture's codebooks are for group 64; Lloyd-Max codebooks scale as 1/sqrt(group).
const fixture = readCact(new Uint8Array(readFileSync(`${ROOT}tests/fixtures-needle2/models/tiny_a.cact`)));
const scale = Math.sqrt(64 / PUBLISHED_GEOMETRY.group);
const codebooks = Float32Array.from([...fixture.codebooks[2], ...fixture.codebooks[3], ...fixture.codebooks[4]], (v) => v * scale);
const dir = mkdtempSync(`${tmpdir()}/needle2-bench-`);
writeFileSync(`${dir}/needle2.cact`, writeRandomCact(PUBLISHED_GEOMETRY, codebooks));
const rate = (n: number, ms: number): string => `${((1000 * n) / ms).toFixed(1)} tok/s`;

try {
  await chromiumRun();
  await workerdRun();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

async function chromiumRun(): Promise<void> {
  const { chromium } = await import("playwright-core");
  const { startServer } = (await import(`${ROOT}examples/browser/serve.mjs`)) as { startServer: (o: { mounts: Record<string, string> }) => Promise<{ url: string; close(): Promise<void> }> };
  const server = await startServer({ mounts: { "/model/needle2.cact": `${dir}/needle2.cact` } });
  const browser = await chromium.launch({ executablePath: "/usr/bin/chromium", args: ["--headless", "--no-sandbox", "--disable-gpu"] });
  try {
    const page = await browser.newPage();
    await page.goto(`${server.url}package.json`);
    for (const dtype of DTYPES) {
      const r = await page.evaluate(async ({ dtype, prefill, decode, entry }) => {
        const { Needle2Model } = (await import(entry)) as typeof import("../lib/index.ts");
        let t = performance.now();
        const model = await Needle2Model.load("/model/needle2.cact", { dtype, maxSequenceLength: prefill + decode + 1 });
        const load = performance.now() - t;
        const ids = Array.from({ length: prefill }, (_, i) => 2 + ((i * 7919) % 8000));
        t = performance.now();
        model.prefill(ids);
        const pre = performance.now() - t;
        t = performance.now();
        for (let k = 0; k < decode; k++) model.step(2 + ((k * 31) % 8000));
        const dec = performance.now() - t;
        const memory = model.wasmMemoryBytes;
        model.dispose();
        return { load, pre, dec, memory };
      }, { dtype, prefill, decode, entry: "/dist/index.js" });
      console.log(`chromium ${browser.version()} ${dtype}: load (fetch, check, decode) ${(r.load / 1000).toFixed(2)} s, ${(r.memory / 2 ** 20).toFixed(0)} MiB; prefill ${prefill}: ${rate(prefill, r.pre)}; decode ${decode}: ${rate(decode, r.dec)}`);
    }
  } finally {
    await browser.close();
    await server.close();
  }
}

async function workerdRun(): Promise<void> {
  await bundleWorker(`${ROOT}benchmarks/needle2-worker.js`, `${ROOT}tests/runtimes/.build/needle2-bench-worker.js`);
  const port = await freePort();
  const child = spawn(runtimeBinary("workerd"), ["serve", `${ROOT}benchmarks/needle2-workerd.capnp`, "--socket-addr", `http=127.0.0.1:${port}`, "--directory-path", `models=${dir}`], { stdio: ["ignore", "pipe", "pipe"] });
  let log = "";
  child.stderr.on("data", (d) => (log += d));
  const base = `http://127.0.0.1:${port}`;
  const request = async (path: string, method = "POST"): Promise<number> => {
    const t = performance.now();
    const response = await fetch(`${base}${path}`, { method });
    const body = (await response.json()) as { ok: boolean };
    if (!body.ok) throw new Error(`workerd ${path}: ${JSON.stringify(body)}\n${log}`);
    return performance.now() - t;
  };
  try {
    for (let i = 0; ; i++) {
      try {
        await fetch(base);
        break;
      } catch {
        if (i > 300) throw new Error(`workerd did not start\n${log}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
    for (const dtype of DTYPES) {
      const load = await request(`/load?dtype=${dtype}`, "GET");
      const best = async (path: string): Promise<number> => Math.min(await request(path), await request(path), await request(path));
      const pre = await best(`/prefill?n=${prefill}`);
      await request(`/prefill?n=${prefill}`);
      const dec = Math.min(await request(`/decode?n=${decode}`), await (async () => (await request(`/prefill?n=${prefill}`), request(`/decode?n=${decode}`)))());
      console.log(`workerd ${dtype}: load ${(load / 1000).toFixed(2)} s; prefill ${prefill}: ${rate(prefill, pre)}; decode ${decode}: ${rate(decode, dec)} (HTTP round trips included)`);
    }
  } finally {
    child.kill("SIGTERM");
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}
