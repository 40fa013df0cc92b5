// The demo model that ships with the package (weights/needle-demo.needle,
// trained by training/ on synthetic data):
// - the shipped bundle is the exported checkpoint (weights/demo/golden.json
//   records its SHA-256, as the bundle's header does) converted to f16,
//   which holds its float16 weights exactly, with the demo tokenizer;
// - the engine reproduces the training pipeline's torch float64 reference
//   (golden.json) on it, which checks the engine on a trained model's scale;
// - held-out cases through the public API and the CLI give the expected calls;
// - a packed and installed copy of the package runs it with no network.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Needle } from "../lib/needle.ts";
import { NeedleModel } from "../lib/engine/model.ts";
import { readBundle } from "../lib/load/bundle.ts";
import { defaultModelUrl } from "../lib/assets.ts";
import { assertClose } from "./helpers.ts";
import { scoreCase } from "../training/evaluate_engine.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const DEMO = join(ROOT, "weights", "demo");
const golden = JSON.parse(readFileSync(join(DEMO, "golden.json"), "utf8"));
const tokenizer = readFileSync(join(DEMO, golden.tokenizer));
const shipped = readFileSync(defaultModelUrl());

/**
 * Held-out cases (training/heldout_sample.jsonl, lines by index) the shipped
 * model answers exactly: a fixed regression set covering several tool
 * families, multi-call and no-call answers, in- and out-of-distribution.
 * The model's overall accuracy is measured in training/README.md.
 */
const SAMPLE = readFileSync(join(ROOT, "training", "heldout_sample.jsonl"), "utf8").trim().split("\n").map((l) => JSON.parse(l));
const REGRESSION_CASES: number[] = JSON.parse(readFileSync(join(DEMO, "regression_cases.json"), "utf8"));

function decodeF32(b64: string): Float32Array {
  const bytes = Buffer.from(b64, "base64");
  return new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

test("the shipped bundle is the exported checkpoint in f16 with the demo tokenizer, at most 12 MB (the cap on demo weights)", () => {
  const { header, tokenizer: bundled } = readBundle(shipped);
  assert.is(header.dtype, "f16");
  assert.ok(shipped.length <= 12_000_000, `${shipped.length} bytes`);
  assert.equal(header.meta.checkpoint, golden.checkpoint);
  // (Buffer.equals: uvu's diff of two 60 KB arrays that differ takes minutes)
  assert.ok(Buffer.from(bundled).equals(tokenizer), "the bundle's tokenizer differs from weights/demo/needle-demo.model");
});

test("the engine reproduces the torch reference on the shipped model (encoder rows, logits, greedy ids)", async () => {
  const model = await NeedleModel.load(shipped);
  for (const [key, value] of Object.entries(golden.config)) assert.equal((model.config as unknown as Record<string, unknown>)[key], value, key);
  for (const c of golden.cases) {
    model.encode(c.encoder_input_ids);
    const out = model.encoderOutput();
    const [n, d] = c.encoder_output.shape;
    assertClose(out.subarray(0, d), c.encoder_output.first, 5e-4, "first encoder row");
    assertClose(out.subarray((n - 1) * d, n * d), c.encoder_output.last, 5e-4, "last encoder row");
    assertClose(model.logits(c.encoder_input_ids, [1]), decodeF32(c.first_step_logits.b64_f32), 5e-4, "first-step logits");
    const run = c.unconstrained;
    assert.equal(model.greedy(c.encoder_input_ids, { maxTokens: run.max_gen_len - 1 }), run.ids);
  }
  model.dispose();
});

test("Needle.load() without weights loads the shipped model", async () => {
  const needle = await Needle.load();
  assert.is(needle.model.dtype, "f16");
  assert.is(needle.tokenizer.vocabSize, golden.config.vocab_size);
  needle.dispose();
});

test("held-out cases through the public API give the expected calls", async () => {
  const needle = await Needle.load();
  assert.ok(REGRESSION_CASES.length >= 8);
  for (const i of REGRESSION_CASES) {
    const c = SAMPLE[i];
    const result = await needle.call(c.query, c.tools);
    assert.ok(scoreCase(JSON.parse(c.answer), result.error ? null : result.calls).exact, `case ${i}: ${c.query} → ${result.text}`);
  }
  needle.dispose();
});

test("the CLI runs the demo model without --weights", () => {
  const c = SAMPLE[REGRESSION_CASES[0]!];
  const out = execFileSync(process.execPath, [join(ROOT, "dist", "cli.js"), "run", "--query", c.query, "--tools", c.tools, "--json"], { encoding: "utf8" });
  const result = JSON.parse(out);
  assert.ok(scoreCase(JSON.parse(c.answer), result.calls).exact, out);
});

test("npm pack, install offline, npx needle-wasm run: the right call with no network", () => {
  const dir = mkdtempSync(join(tmpdir(), "needle-pack-"));
  try {
    const npm = process.platform === "win32" ? "npm.cmd" : "npm";
    const packed = execFileSync(npm, ["pack", "--silent", "--pack-destination", dir], { cwd: ROOT, encoding: "utf8" }).trim().split("\n").pop()!;
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "consumer", version: "1.0.0", private: true }));
    execFileSync(npm, ["install", "--offline", "--no-audit", "--no-fund", join(dir, packed)], { cwd: dir, stdio: "pipe" });
    assert.ok(existsSync(join(dir, "node_modules", "needle-wasm", "weights", "needle-demo.needle")));
    const run = spawnSync(npm, ["exec", "--offline", "--", "needle-wasm", "run", "--query", "what's the weather in Paris", "--tools",
      '[{"name":"get_weather","description":"Get current weather for a city.","parameters":{"location":{"type":"string","description":"City name.","required":true}}}]'], { cwd: dir, encoding: "utf8" });
    assert.is(run.status, 0, run.stderr);
    assert.is(run.stdout.trim(), 'get_weather {"location":"Paris"}');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
