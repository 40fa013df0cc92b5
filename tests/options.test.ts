// Every public option checked by type and value (lib/options.ts), and every
// caller-controlled size bounded before the work starts (lib/limits.ts):
// the misuse and the unbounded inputs that issue 27's probes found.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { InputError } from "../lib/errors.ts";
import { MAX_DECODER_LENGTH, MAX_ENCODER_LENGTH, MAX_PREFIX_CHARS, MAX_THREADS, MAX_TOOLS, MAX_TOOLS_CHARS, MIN_THREAD_CAP } from "../lib/limits.ts";
import { NeedleModel } from "../lib/engine/model.ts";
import { Needle } from "../lib/needle.ts";
import { availableThreads } from "../lib/engine/threads.ts";
import { FIXTURES } from "./helpers.ts";

const weights = `${FIXTURES}tiny/needle_tiny.p5_numpy1.pkl`;
const tokenizer = `${FIXTURES}tokenizer/needle_test.model`;
const needle = await Needle.load({ weights, tokenizer });
const tools = [{ name: "get_weather", description: "Weather.", parameters: { city: { type: "string", required: true } } }];

/** The InputError `promise` rejects with (or `fn` throws). */
async function inputError(run: () => unknown): Promise<InputError> {
  try {
    await run();
  } catch (err) {
    if (err instanceof InputError) return err;
    throw new Error(`not an InputError: ${err}`);
  }
  throw new Error("accepted");
}

async function expectError(run: () => unknown, code: string, ...mentions: string[]): Promise<void> {
  const err = await inputError(run);
  assert.is(err.code, code, err.message);
  for (const m of mentions) assert.ok(err.message.includes(m), `${JSON.stringify(err.message)} should mention ${JSON.stringify(m)}`);
}

test("call options: wrong types and values name the option, the value received and what is allowed", async () => {
  const call = (options: object) => () => needle.call("weather in Paris", tools, options as never);
  await expectError(call({ constrained: "false" }), "BAD_OPTION", "constrained", 'the string "false"', "true, false");
  await expectError(call({ maxTokens: "5" }), "BAD_MAX_TOKENS", "maxTokens", 'the string "5"', "an integer from 1 to");
  await expectError(call({ signal: {} }), "BAD_OPTION", "signal", "an object", "AbortSignal");
  await expectError(call({ signal: "abort" }), "BAD_OPTION", "signal", 'the string "abort"');
  await expectError(call({ overflow: "cut" }), "BAD_OPTION", "overflow", 'the string "cut"', "truncate, error");
  await expectError(call({ prefix: 5 }), "BAD_OPTION", "prefix", "the number 5", "a string");
  await expectError(call({ toolChoice: "always" }), "BAD_TOOL_CHOICE", "toolChoice", 'the string "always"', '"required"');
  await expectError(() => needle.call("weather in Paris", tools, [] as never), "BAD_OPTION", "options", "an array");
  await expectError(() => needle.rank("weather", tools, "2" as never), "BAD_K", "k", 'the string "2"');
  // A real AbortSignal is taken, and the session still answers.
  assert.ok((await needle.call("weather in Paris", tools, { signal: new AbortController().signal, maxTokens: 4 })).tokens.length > 0);
});

test("callMany([null]) and tokenizer.decode(null) are typed errors", async () => {
  await expectError(() => needle.callMany([null] as never), "BAD_ITEMS", "items[0]", "null");
  await expectError(() => needle.tokenizer.decode(null as never), "BAD_IDS", "null");
  await expectError(() => needle.tokenizer.decode(5 as never), "BAD_IDS", "number");
});

test("load options: dtype, onProgress, cache, lengths, threads and wasmModule are checked before anything is read", async () => {
  await expectError(() => Needle.load({ dtype: "f64" as never }), "BAD_OPTION", "dtype", 'the string "f64"', "f32, f16, int8, int4");
  await expectError(() => Needle.load({ onProgress: 5 as never }), "BAD_OPTION", "onProgress", "the number 5", "a function");
  await expectError(() => Needle.load({ weights, tokenizer, cache: 1 as never }), "BAD_OPTION", "cache");
  await expectError(() => NeedleModel.load(weights, { maxEncoderLength: 65536 }), "BAD_OPTION", "maxEncoderLength", "65536", String(MAX_ENCODER_LENGTH));
  await expectError(() => NeedleModel.load(weights, { maxDecoderLength: MAX_DECODER_LENGTH + 1 }), "BAD_OPTION", "maxDecoderLength");
  await expectError(() => NeedleModel.load(weights, { threads: MAX_THREADS + 1 }), "BAD_OPTION", "threads");
  await expectError(() => NeedleModel.load(weights, { threads: "2" as never }), "BAD_OPTION", "threads", 'the string "2"');
  await expectError(() => NeedleModel.load(weights, { wasmModule: {} as never }), "BAD_OPTION", "wasmModule");
  // A bundle's fixed dtype: a bad value is a bad option, not a mismatch.
  await expectError(() => NeedleModel.load(new URL("../weights/needle-demo.needle", import.meta.url), { dtype: "f64" as never }), "BAD_OPTION", "dtype");
});

test("threads beyond the runtime's cores (and at least the minimum cap) are refused", async () => {
  const cores = await availableThreads();
  if (cores < 2) return; // no threads here: threads > 1 is NO_THREADS, checked in threads.test.ts
  const most = Math.min(MAX_THREADS, Math.max(MIN_THREAD_CAP, cores));
  await expectError(() => NeedleModel.load(weights, { threads: most + 1 }), "BAD_OPTION", "threads", String(most), `${cores} cores`);
});

test("a 50 MB prefix is PREFIX_TOO_LONG before anything is tokenised", async () => {
  const encode = needle.tokenizer.encode;
  let longest = 0;
  needle.tokenizer.encode = (text: string) => {
    longest = Math.max(longest, text.length);
    return encode.call(needle.tokenizer, text);
  };
  try {
    await expectError(() => needle.call("weather in Paris", tools, { prefix: "x".repeat(50 << 20) }), "PREFIX_TOO_LONG", String(MAX_PREFIX_CHARS));
    assert.is(longest, 0);
  } finally {
    needle.tokenizer.encode = encode;
  }
});

test("rank checks the tool list's size and count as call does", async () => {
  const long = JSON.stringify([{ name: "t", description: "x".repeat(MAX_TOOLS_CHARS) }]);
  await expectError(() => needle.rank("weather", long), "TOOLS_TOO_LONG", String(MAX_TOOLS_CHARS));
  await expectError(() => needle.rank("weather", [{ name: "t", description: "x".repeat(50 << 20) }]), "TOOLS_TOO_LONG");
  const many = Array.from({ length: 10_000 }, (_, i) => ({ name: `t${i}` }));
  await expectError(() => needle.rank("weather", many), "TOO_MANY_TOOLS", String(MAX_TOOLS));
  await expectError(() => needle.call("weather", Array.from({ length: 100_000 }, (_, i) => ({ name: `t${i}` }))), "TOO_MANY_TOOLS");
  await expectError(() => needle.call("weather", [{ name: "t", description: "x".repeat(50 << 20) }]), "TOOLS_TOO_LONG");
  // And the session still answers.
  assert.is((await needle.rank("weather in Paris", tools)).length, 1);
});

test.run();
