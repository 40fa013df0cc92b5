// Checkpoint parsing speed: the tiny fixture variants and a checkpoint with
// the real Needle's shapes (12 + 8 layers, d_model 512, vocab 8192: 52 MB of
// float16, random values) written by Python in protocols 2, 4 and 5.
// Run: node --import tsx benchmarks/checkpoint.bench.ts (needs python3 with numpy)

import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { expectedTensors, parseCheckpoint } from "../lib/load/checkpoint.ts";
import { resolveConfig } from "../lib/load/config.ts";
import { CHECKPOINT_SCRIPT, TINY_VARIANTS, runPython, tinyFixture } from "../tests/pickle-helpers.ts";

function time(bytes: Uint8Array, runs: number): string {
  parseCheckpoint(bytes);
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = performance.now();
    parseCheckpoint(bytes);
    times.push(performance.now() - t0);
  }
  return `min ${Math.min(...times).toFixed(2)} ms, mean ${(times.reduce((a, b) => a + b) / runs).toFixed(2)} ms`;
}

for (const variant of TINY_VARIANTS) console.log(`tiny ${variant} (${(tinyFixture(variant).length / 1e6).toFixed(1)} MB): ${time(tinyFixture(variant), 20)}`);

const config = { d_model: 512, num_heads: 8, num_kv_heads: 4, num_encoder_layers: 12, num_decoder_layers: 8, d_ff: 2048, max_seq_len: 1024, dtype: "bfloat16", activation: "drelu", no_feedforward: true, contrastive_dim: 128 };
const dir = mkdtempSync(join(tmpdir(), "needle-pickle-"));
try {
  runPython(CHECKPOINT_SCRIPT, JSON.stringify({ tensors: [...expectedTensors(resolveConfig(config))], config, dir }));
  for (const p of [4, 5, 2]) {
    const bytes = new Uint8Array(readFileSync(join(dir, `needle.p${p}.pkl`)));
    console.log(`real-size protocol ${p} (${(bytes.length / 1e6).toFixed(1)} MB): ${time(bytes, p === 2 ? 3 : 10)}`);
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
