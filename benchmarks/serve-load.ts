// Load test of `needle-wasm serve` on loopback: generated weights at
// Needle's real size (26.3M parameters, random, seed 26) as an int8
// bundle, served with 1 and then 2 instances; autocannon (npm) posts the
// same chat completion (three tools, max_tokens 16, as model.bench.ts's
// call) over `connections` keep-alive connections for `duration` seconds
// each. Prints requests/s, latency p50/p99, errors and non-2xx answers,
// and the server's RSS (every thread: all instances) through each run.
//
//   npm run build && node --import tsx benchmarks/serve-load.ts [--duration 20] [--connections 4] [--instances 1,2] [--smoke]
//
// --smoke: the tiny config and 2 s runs (checks that the script works).

import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { writeBundle } from "../lib/load/bundle.ts";
import type { NeedleConfig } from "../lib/load/config.ts";
import { NeedleModel } from "../lib/engine/model.ts";
import { FIXTURES } from "../tests/helpers.ts";
import { randomCheckpoint } from "../tests/twins/random-checkpoint.ts";
import { NEEDLE_26M } from "./model.bench.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const SMOKE: Partial<NeedleConfig> = { vocab_size: 8192, d_model: 64, num_heads: 4, num_kv_heads: 2, num_encoder_layers: 2, num_decoder_layers: 2, contrastive_dim: 16 };
const TOOLS = [
  { type: "function", function: { name: "get_weather", description: "Get current weather for a city.", parameters: { type: "object", properties: { location: { type: "string", description: "City name." }, unit: { type: "string", description: "celsius or fahrenheit" } }, required: ["location"] } } },
  { type: "function", function: { name: "send_email", description: "Send an email to a recipient.", parameters: { type: "object", properties: { to: { type: "string", description: "Recipient address." }, body: { type: "string", description: "Email body." } }, required: ["to", "body"] } } },
  { type: "function", function: { name: "set_timer", description: "Set a countdown timer.", parameters: { type: "object", properties: { duration_minutes: { type: "integer", description: "Length in minutes." } }, required: ["duration_minutes"] } } },
];
const BODY = JSON.stringify({ model: "needle", messages: [{ role: "user", content: "What's the weather like in San Francisco today, in celsius?" }], tools: TOOLS, max_tokens: 16 });

interface Run {
  instances: number;
  requests: number;
  rps: number;
  p50: number;
  p99: number;
  errors: number;
  non2xx: number;
  /** Server RSS in MiB: before the run, every quarter of it, after. */
  rss: number[];
}

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 ? process.argv[at + 1]! : fallback;
}

const smoke = process.argv.includes("--smoke");
const duration = Number(option("duration", smoke ? "2" : "20"));
const connections = Number(option("connections", "4"));
const instanceCounts = option("instances", "1,2").split(",").map(Number);

const dir = mkdtempSync(join(tmpdir(), "needle-serve-load-"));
try {
  const weights = join(dir, "needle-int8.needle");
  const model = await NeedleModel.fromCheckpoint(randomCheckpoint(smoke ? SMOKE : NEEDLE_26M, { seed: 26 }), { dtype: "int8" });
  writeFileSync(weights, writeBundle(model.config, "int8", model.layoutVersion, model.weightImage(), readFileSync(`${FIXTURES}tokenizer/needle_test.model`)));
  model.dispose();
  const runs: Run[] = [];
  for (const instances of instanceCounts) runs.push(await loadTest(weights, instances));
  console.log(`duration ${duration} s per run, ${connections} connections, max_tokens 16, int8 ${smoke ? "tiny" : "26.3M-parameter"} bundle`);
  console.log("| instances | requests | requests/s | p50 (ms) | p99 (ms) | errors | non-2xx | server RSS during the run (MiB) |");
  console.log("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |");
  for (const r of runs) console.log(`| ${r.instances} | ${r.requests} | ${r.rps.toFixed(1)} | ${r.p50} | ${r.p99} | ${r.errors} | ${r.non2xx} | ${r.rss.map((m) => m.toFixed(0)).join(" → ")} |`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}

/** Serve `weights` with `instances`, warm up, run autocannon, stop the server. */
async function loadTest(weights: string, instances: number): Promise<Run> {
  const server = spawn(process.execPath, [join(ROOT, "dist/cli.js"), "serve", "--weights", weights, "--port", "0", "--instances", String(instances), "--max-queue", "256"], { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  const url = await new Promise<string>((resolve, reject) => {
    server.stderr.setEncoding("utf8").on("data", (text: string) => {
      log += text;
      const match = /listening on (http:\/\/\S+)/.exec(log);
      if (match) resolve(match[1]!);
    });
    server.on("exit", (code) => reject(new Error(`serve exited with ${code}:\n${log}`)));
  });
  try {
    const target = `${url}/v1/chat/completions`;
    for (let i = 0; i < 2 * instances; i++) await fetch(target, { method: "POST", body: BODY }).then((r) => r.text()); // warm up each instance
    const rss = [rssMiB(server.pid!)];
    const sampler = setInterval(() => rss.push(rssMiB(server.pid!)), (duration * 1000) / 4);
    const args = ["-j", "-c", String(connections), "-d", String(duration), "-m", "POST", "-H", "content-type=application/json", "-b", BODY, target];
    const stdout = await new Promise<string>((resolve, reject) => {
      const cannon = spawn(join(ROOT, "node_modules/.bin/autocannon"), args, { stdio: ["ignore", "pipe", "pipe"] });
      let out = "";
      let err = "";
      cannon.stdout.setEncoding("utf8").on("data", (t: string) => (out += t));
      cannon.stderr.setEncoding("utf8").on("data", (t: string) => (err += t));
      cannon.on("exit", (code) => (code === 0 ? resolve(out) : reject(new Error(`autocannon exited with ${code}: ${err}`))));
    });
    clearInterval(sampler);
    rss.push(rssMiB(server.pid!));
    const result = JSON.parse(stdout) as { requests: { average: number; total: number }; latency: { p50: number; p99: number }; errors: number; non2xx: number };
    return { instances, requests: result.requests.total, rps: result.requests.average, p50: result.latency.p50, p99: result.latency.p99, errors: result.errors, non2xx: result.non2xx, rss };
  } finally {
    server.kill("SIGTERM");
    await new Promise((resolve) => server.once("exit", resolve));
  }
}

/** Resident memory of process `pid` (all its threads), from /proc. */
function rssMiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return match ? Number(match[1]) / 1024 : NaN;
}
