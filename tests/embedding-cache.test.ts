// rank()'s embedding cache (lib/embedding-cache.ts): bounded in entries and
// bytes, least recently used out first; and a session's cache stays within
// those bounds, and its heap flat, over 10,000 rank calls with changing tools.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { EMBEDDING_CACHE_BYTES, EMBEDDING_CACHE_ENTRIES, EmbeddingCache } from "../lib/embedding-cache.ts";
import { Needle, embeddingCacheOf } from "../lib/needle.ts";
import { FIXTURES } from "./helpers.ts";

const vector = (x: number) => new Float32Array(128).fill(x);

test("the least recently used entry goes first when the entry bound is reached", () => {
  const cache = new EmbeddingCache(3, 1 << 20);
  cache.set("a", vector(1));
  cache.set("b", vector(2));
  cache.set("c", vector(3));
  assert.is(cache.get("a")![0], 1); // a is now the most recent
  cache.set("d", vector(4));
  assert.is(cache.get("b"), undefined);
  assert.equal(["a", "c", "d"].map((k) => cache.get(k)![0]), [1, 3, 4]);
  assert.is(cache.size, 3);
});

test("the byte bound counts key texts: 1,000 texts of 50,000 characters keep as many as fit", () => {
  const key = (i: number) => `${String(i).padStart(4, "0")}:${"x".repeat(50_000)}`;
  const one = new EmbeddingCache();
  one.set(key(0), vector(0));
  const cache = new EmbeddingCache();
  for (let i = 0; i < 1000; i++) cache.set(key(i), vector(i));
  assert.ok(cache.bytes <= EMBEDDING_CACHE_BYTES, `${cache.bytes}`);
  assert.is(cache.size, Math.floor(EMBEDDING_CACHE_BYTES / one.bytes));
  assert.is(cache.get(key(999))![0], 999);
  assert.is(cache.get(key(0)), undefined);
});

test("a text larger than the whole byte bound is not kept, and evicts nothing", () => {
  const cache = new EmbeddingCache(10, 10_000);
  cache.set("small", vector(1));
  cache.set("y".repeat(10_000), vector(2));
  assert.is(cache.size, 1);
  assert.is(cache.get("small")![0], 1);
});

test("10,000 rank calls with changing tool lists keep the cache within its bounds and the heap flat", async () => {
  setFlagsFromString("--expose-gc");
  const gc = runInNewContext("gc") as () => void;
  const needle = await Needle.load({ weights: `${FIXTURES}tiny/needle_tiny.p5_numpy1.pkl`, tokenizer: `${FIXTURES}tokenizer/needle_test.model` });
  const cache = embeddingCacheOf(needle);
  const heapAfter = (calls: number) => {
    gc();
    return { calls, heap: process.memoryUsage().heapUsed, entries: cache.size };
  };
  const samples = [];
  for (let i = 0; i < 10_000; i++) {
    // A fresh list each call, its texts never seen again; every 20th with a 60,000-character description (issue 20's probe used 20 KB lists).
    const long = i % 20 === 0 ? "x".repeat(60_000) : "";
    await needle.rank("weather in Paris", [{ name: `tool_${i}`, description: `d${i}${long}` }, { name: `other_${i}`, description: "x".repeat(i % 97) }]);
    if ((i + 1) % 2500 === 0) samples.push(heapAfter(i + 1));
  }
  assert.ok(cache.size <= EMBEDDING_CACHE_ENTRIES);
  assert.ok(cache.bytes <= EMBEDDING_CACHE_BYTES && cache.bytes > EMBEDDING_CACHE_BYTES - 100_000, `${cache.bytes}`); // full, within one long entry
  // Full by call 5,000 (30 MB of long texts seen): from then on the heap must not grow by 1 MB.
  const growth = samples[3]!.heap - samples[1]!.heap;
  assert.ok(growth < 1 << 20, `heap grew by ${growth} bytes from ${samples[1]!.calls} to 10,000 calls: ${JSON.stringify(samples)}`);
  needle.dispose();
  assert.is(cache.size, 0);
});

test.run();
