// .needle bundles: conversion round-trips for every weight format, bundles
// carry their tokenizer, and corrupt or truncated files are refused.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { BundleError, readBundle } from "../lib/load/bundle.ts";
import { convertToBundle } from "../lib/convert.ts";
import { crc32 } from "../lib/load/crc32.ts";
import { parseCheckpoint } from "../lib/load/checkpoint.ts";
import { NeedleModel } from "../lib/engine/model.ts";
import { type WeightDtype } from "../lib/engine/open.ts";
import { Needle } from "../lib/needle.ts";
import { readFixture, readFixtureJson } from "./helpers.ts";

const pickle = readFixture("tiny/needle_tiny.p4_numpy1.pkl");
const tokenizer = readFixture("tokenizer/needle_test.model");
const cases = readFixtureJson("tiny/model_goldens.json").cases;
const DTYPES: WeightDtype[] = ["f32", "f16", "int8", "int4"];
const bundles = new Map<WeightDtype, Uint8Array>();
for (const dtype of DTYPES) bundles.set(dtype, await convertToBundle(pickle, tokenizer, { dtype, meta: { source: "needle_tiny" } }));

test("crc32 matches the standard check value", () => {
  assert.is(crc32(new TextEncoder().encode("123456789")), 0xcbf43926);
  assert.is(crc32(new Uint8Array(0)), 0);
  const big = new Uint8Array(1000).map((_, i) => (i * 31) & 0xff);
  assert.is(crc32(big.subarray(500), crc32(big.subarray(0, 500))), crc32(big));
});

for (const dtype of DTYPES) {
  test(`${dtype}: a bundle loads to the same model as the checkpoint, bit for bit`, async () => {
    const fromCheckpoint = await NeedleModel.fromCheckpoint(parseCheckpoint(pickle), { dtype });
    const fromBundle = await NeedleModel.load(bundles.get(dtype)!);
    assert.is(fromBundle.dtype, dtype);
    assert.equal(fromBundle.config, fromCheckpoint.config);
    for (const c of cases.slice(0, 4)) {
      assert.equal(fromBundle.logits(c.encoder_input_ids, [1, 4]), fromCheckpoint.logits(c.encoder_input_ids, [1, 4]));
    }
    const header = readBundle(bundles.get(dtype)!).header;
    assert.is(header.dtype, dtype);
    assert.is(header.weights.offset % 64, 0);
    assert.is(header.tokenizer.offset % 64, 0);
    assert.equal(header.meta, { source: "needle_tiny" });
  });
}

test("bundles are deterministic and smaller for smaller formats", async () => {
  const again = await convertToBundle(pickle, tokenizer, { dtype: "int8", meta: { source: "needle_tiny" } });
  assert.equal(again, bundles.get("int8"));
  const sizes = DTYPES.map((d) => bundles.get(d)!.length);
  assert.ok(sizes[0]! > sizes[1]! && sizes[1]! > sizes[2]! && sizes[2]! > sizes[3]!, sizes.join(" > "));
});

test("Needle.load takes a bundle alone (its own tokenizer) and reproduces the golden runs", async () => {
  const needle = await Needle.load({ weights: bundles.get("f16")! });
  for (const c of cases.slice(0, 3)) {
    const result = await needle.call(c.query, c.tools, { maxTokens: c.constrained.max_gen_len - 1, constrained: "reference" });
    assert.equal(result.tokens, c.constrained.ids);
    assert.is(result.text, c.constrained.text);
  }
});

function rejects(bytes: Uint8Array, code: string): Promise<void> {
  return NeedleModel.load(bytes).then(
    () => assert.unreachable(`accepted (${code})`),
    (err) => {
      assert.instance(err, BundleError, (err as Error).message);
      assert.is(err.code, code);
    },
  );
}

/** A copy of a bundle with its header JSON edited (and its checksum fixed). */
function withHeader(bytes: Uint8Array, edit: (h: any) => void): Uint8Array {
  const view = new DataView(bytes.buffer, bytes.byteOffset);
  const length = view.getUint32(12, true);
  const header = JSON.parse(new TextDecoder().decode(bytes.subarray(24, 24 + length)));
  edit(header);
  const json = new TextEncoder().encode(JSON.stringify(header).padEnd(length, " "));
  assert.is(json.length, length);
  const out = bytes.slice();
  out.set(json, 24);
  new DataView(out.buffer).setUint32(16, crc32(json), true);
  return out;
}

test("corrupt, truncated and mismatched bundles are refused with typed errors", async () => {
  const good = bundles.get("int8")!;
  const header = readBundle(good).header;
  const flip = (at: number) => {
    const b = good.slice();
    b[at]! ^= 0x10;
    return b;
  };
  await rejects(flip(header.weights.offset + 1234), "CORRUPT");
  await rejects(flip(header.tokenizer.offset + 5), "CORRUPT");
  await rejects(flip(30), "CORRUPT");
  await rejects(good.subarray(0, good.length - 1), "TRUNCATED");
  await rejects(good.subarray(0, 20), "TRUNCATED");
  const longer = new Uint8Array(good.length + 3);
  longer.set(good);
  await rejects(longer, "TRAILING_DATA");
  const version = good.slice();
  version[8] = 9;
  await rejects(version, "UNSUPPORTED_VERSION");
  await rejects(withHeader(good, (h) => (h.layout = 7)), "LAYOUT_MISMATCH");
  await rejects(withHeader(good, (h) => (h.config.d_model = 32)), "SIZE_MISMATCH");
  await rejects(withHeader(good, (h) => (h.dtype = "int3")), "BAD_HEADER");
  await rejects(withHeader(good, (h) => (h.weights.offset += 1)), "BAD_HEADER");
  const absurd = good.slice();
  new DataView(absurd.buffer).setUint32(12, 0xffffffff, true);
  await rejects(absurd, "BAD_HEADER");
  // A bundle whose header asks for a dtype the caller did not: a clear error.
  await NeedleModel.load(good, { dtype: "f32" }).then(() => assert.unreachable("accepted"), (err) => assert.is(err.code, "DTYPE_MISMATCH"));
  // Still healthy afterwards.
  assert.is((await NeedleModel.load(good)).dtype, "int8");
});

/** A ReadableStream of `bytes` in chunks of `size` (views, no copies). */
function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.subarray(at, at + size));
      at += size;
    },
  });
}

test("a bundle streams into engine memory from a ReadableStream, Response or Blob, in any chunking", async () => {
  const bundle = bundles.get("int8")!;
  const reference = await NeedleModel.load(bundle);
  const ids = cases[2].encoder_input_ids;
  const want = reference.logits(ids, [1, 4]);
  for (const source of [chunked(bundle, 7), chunked(bundle, 4096), new Response(chunked(bundle, 1000)), new Response(bundle as Uint8Array<ArrayBuffer>), new Blob([bundle as Uint8Array<ArrayBuffer>])]) {
    const model = await NeedleModel.load(source);
    assert.equal(model.logits(ids, [1, 4]), want);
    model.dispose();
  }
  const needle = await Needle.load({ weights: new Response(chunked(bundle, 333)) });
  assert.equal((await needle.call(cases[0].query, cases[0].tools, { maxTokens: 5 })).tokens.length > 0, true);
  // A checkpoint from a stream is read whole, as before.
  const fromStream = await NeedleModel.load(chunked(pickle, 5000));
  assert.equal(fromStream.logits(ids, [1]), (await NeedleModel.load(pickle)).logits(ids, [1]));
});

test("a streamed bundle that is corrupt, cut short or too long is refused", async () => {
  const good = bundles.get("int4")!;
  const header = readBundle(good).header;
  const flipped = good.slice();
  flipped[header.weights.offset + 77]! ^= 1;
  const longer = new Uint8Array(good.length + 1);
  longer.set(good);
  for (const [bytes, code] of [[flipped, "CORRUPT"], [good.subarray(0, good.length - 10), "TRUNCATED"], [good.subarray(0, 30), "TRUNCATED"], [longer, "TRAILING_DATA"]] as const) {
    await NeedleModel.load(chunked(bytes, 512)).then(
      () => assert.unreachable(`accepted (${code})`),
      (err) => {
        assert.instance(err, BundleError, (err as Error).message);
        assert.is(err.code, code);
      },
    );
  }
});

test("streaming a bundle does not hold the file beside the engine", async () => {
  const { randomCheckpoint } = await import("./twins/random-checkpoint.ts");
  const { writeBundle } = await import("../lib/load/bundle.ts");
  const ckpt = randomCheckpoint({ vocab_size: 8192, d_model: 256, num_heads: 4, num_kv_heads: 2, num_encoder_layers: 4, num_decoder_layers: 4, contrastive_dim: 16 });
  const model = await NeedleModel.fromCheckpoint(ckpt, { maxEncoderLength: 8, maxDecoderLength: 4 });
  const big = writeBundle(model.config, "f32", model.layoutVersion, model.weightImage(), tokenizer);
  model.dispose();
  const before = process.memoryUsage().arrayBuffers;
  const streamed = await NeedleModel.load(chunked(big, 65536), { maxEncoderLength: 8, maxDecoderLength: 4 });
  const grew = process.memoryUsage().arrayBuffers - before;
  // arrayBuffers counts JS buffers, not Wasm memory: streamed, only the tokenizer is copied out.
  assert.ok(grew < big.length / 4, `JS buffers grew by ${grew} bytes loading a ${big.length}-byte bundle`);
  streamed.dispose();
});

/** The weight image length by the rule in weights/FORMAT.md, computed independently of the engine. */
function documentedImageLength(c: NeedleModel["config"], dtype: WeightDtype): number {
  let cursor = 0;
  const block = (bytes: number) => {
    cursor = Math.ceil((cursor + bytes) / 64) * 64;
  };
  const matrix = (rows: number, cols: number, format: WeightDtype = dtype) => {
    const G = Math.ceil(cols / 32);
    if (format === "int8" || format === "int4") block(Math.ceil(rows / 4) * G * (format === "int8" ? 144 : 80));
    else if (format === "f32") block(Math.ceil(rows / 4) * Math.ceil(cols / 4) * 64);
    else block(rows * cols * 2);
  };
  const d = c.d_model, hd = d / c.num_heads, kv = c.num_kv_heads * hd, F = c.d_ff, c4 = Math.floor(d / 4);
  const ffn = !c.no_feedforward;
  matrix(c.vocab_size, d);
  block(4 * d);
  block(4 * d);
  matrix(c4, d, "f32");
  block(4 * c4);
  matrix(c.contrastive_dim, c4, "f32");
  for (let l = 0; l < c.num_encoder_layers; l++) {
    [4, 4, 4 * d, 4 * d, 4 * hd, 4 * hd].forEach(block);
    matrix(d + 2 * kv, d);
    matrix(d, d);
    if (ffn) {
      matrix(2 * F, d);
      matrix(d, F);
    }
  }
  for (let l = 0; l < c.num_decoder_layers; l++) {
    [4, 4, 4, 4 * d, 4 * d, 4 * d, 4 * hd, 4 * hd, 4 * hd, 4 * hd].forEach(block);
    matrix(d + 2 * kv, d);
    matrix(d, d);
    matrix(d, d);
    matrix(2 * kv, d);
    matrix(d, d);
    if (ffn) {
      matrix(2 * F, d);
      matrix(d, F);
    }
  }
  return cursor;
}

test("the weight image is laid out as weights/FORMAT.md says, for every format and odd configs", async () => {
  const { randomCheckpoint } = await import("./twins/random-checkpoint.ts");
  const configs = [
    { vocab_size: 300, d_model: 48, num_heads: 3, num_kv_heads: 1, num_encoder_layers: 2, num_decoder_layers: 1, d_ff: 40, activation: "swiglu" as const, no_feedforward: false, contrastive_dim: 16 },
    { vocab_size: 257, d_model: 36, num_heads: 6, num_kv_heads: 3, num_encoder_layers: 1, num_decoder_layers: 2, contrastive_dim: 7 },
  ];
  for (const stored of configs) {
    const ckpt = randomCheckpoint(stored);
    for (const dtype of DTYPES) {
      const model = await NeedleModel.fromCheckpoint(ckpt, { dtype, maxEncoderLength: 4, maxDecoderLength: 4 });
      assert.is(model.weightImage().length, documentedImageLength(model.config, dtype), `${dtype} d=${stored.d_model}`);
      model.dispose();
    }
  }
  const tiny = await NeedleModel.fromCheckpoint(parseCheckpoint(pickle), { dtype: "int4" });
  assert.is(tiny.weightImage().length, documentedImageLength(tiny.config, "int4"));
});

test.run();
