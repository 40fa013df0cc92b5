// Tokenizer speed on the 8192-piece fixture model (tinybench).
// Run: node --import tsx benchmarks/tokenizer.bench.ts
//
// Inputs are built deterministically: a ~4 KB Needle tool list (the fixture
// cases' tools, compact JSON as lib/tools.ts writes it), a query, and 1 MB
// each of mixed prose, compact JSON without spaces (one long BPE stretch per
// string value), and CJK + emoji (every character through byte fallback).

import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { Bench } from "tinybench";
import { Tokenizer } from "../tokenizer/index.ts";

const fixtures = new URL("../tests/fixtures/", import.meta.url);

export interface TokenizerBenchRow {
  task: string;
  /** Mean, median and 99th percentile time per call, in milliseconds. */
  meanMs: number;
  medianMs: number;
  p99Ms: number;
  samples: number;
  /** Input megabytes (UTF-16 length / 2^20) per second, for the text tasks. */
  mbPerSecond?: number;
}

const MB = 1 << 20;
const ms = (x: number) => x.toFixed(x < 1 ? 4 : 1);

function repeatTo(length: number, next: (i: number) => string): string {
  const parts: string[] = [];
  let size = 0;
  for (let i = 0; size < length; i++) {
    const s = next(i);
    parts.push(s);
    size += s.length;
  }
  return parts.join("").slice(0, length);
}

function inputs() {
  const cases: { query: string; tools: string }[] = JSON.parse(readFileSync(new URL("tiny/model_goldens.json", fixtures), "utf8")).cases.map(
    (c: { query: string; normalized_tools: string }) => ({ query: c.query, tools: c.normalized_tools }),
  );
  const allTools = cases.flatMap((c) => JSON.parse(c.tools) as unknown[]);
  const toolList: unknown[] = [];
  for (let i = 0; JSON.stringify(toolList).length < 4096; i++) toolList.push(allTools[i % allTools.length]);
  const words = "the weather in San Francisco is sunny today send an email to John about the meeting at 10:30 set a timer for 25 minutes café naïve Zürich résumé".split(" ");
  let seed = 7;
  const rand = (n: number) => ((seed = (Math.imul(seed, 1103515245) + 12345) >>> 0) >>> 8) % n;
  return {
    query: cases[0]!.query,
    toolList: JSON.stringify(toolList),
    prose: repeatTo(MB, (i) => (i % 50 === 49 ? "\n" : words[rand(words.length)]! + (rand(12) === 0 ? ", " : " "))),
    json: repeatTo(MB, () => JSON.stringify({ name: `tool_${rand(1000)}`, arguments: { location: words[rand(words.length)], count: rand(100000), ok: rand(2) === 1 } })),
    cjkEmoji: repeatTo(MB, () => String.fromCodePoint(rand(2) ? 0x4e00 + rand(20000) : 0x1f300 + rand(700))),
  };
}

/** Runs the tokenizer benchmarks, prints a table and returns the rows. */
export async function benchTokenizer(): Promise<TokenizerBenchRow[]> {
  const modelBytes = new Uint8Array(readFileSync(new URL("tokenizer/needle_test.model", fixtures)));
  const input = inputs();

  // Cold: a fresh tokenizer's first 1 MB encode (merge cache empty; JIT already warm from nothing else).
  const coldStart = performance.now();
  const cold = Tokenizer.fromBytes(modelBytes);
  cold.encode(input.prose);
  const coldMs = performance.now() - coldStart;

  const tok = Tokenizer.fromBytes(modelBytes);
  const toolIds = tok.encode(input.toolList);
  const proseIds = tok.encode(input.prose);
  let sink = 0;

  const small = new Bench({ name: "tokenizer (small)", time: 1000, warmupTime: 200 });
  const large = new Bench({ name: "tokenizer (1 MB)", time: 3000, warmupTime: 500, iterations: 8 });
  const tasks: [Bench, string, number | undefined, () => void][] = [
    [small, "load: Tokenizer.fromBytes (8192 pieces, 120 KB)", undefined, () => void (sink += Tokenizer.fromBytes(modelBytes).vocabSize)],
    [small, `encode: query (${input.query.length} chars)`, input.query.length, () => void (sink += tok.encode(input.query).length)],
    [small, `encode: tool list (${input.toolList.length} chars → ${toolIds.length} ids)`, input.toolList.length, () => void (sink += tok.encode(input.toolList).length)],
    [small, `decode: tool list (${toolIds.length} ids)`, undefined, () => void (sink += tok.decode(toolIds).length)],
    [large, `encode: 1 MB prose (→ ${proseIds.length} ids)`, MB, () => void (sink += tok.encode(input.prose).length)],
    [large, "encode: 1 MB compact JSON", MB, () => void (sink += tok.encode(input.json).length)],
    [large, "encode: 1 MB CJK + emoji (byte fallback)", MB, () => void (sink += tok.encode(input.cjkEmoji).length)],
    [large, `decode: ${proseIds.length} ids of 1 MB prose`, undefined, () => void (sink += tok.decode(proseIds).length)],
  ];
  for (const [bench, name, , fn] of tasks) bench.add(name, fn);
  await small.run();
  await large.run();

  const rows: TokenizerBenchRow[] = tasks.map(([bench, name, chars]) => {
    const result = bench.tasks.find((t) => t.name === name)!.result;
    if (result.state !== "completed") throw new Error(`${name}: ${result.state}`);
    const { mean, p50, p99, samplesCount } = result.latency;
    const row: TokenizerBenchRow = { task: name, meanMs: mean, medianMs: p50, p99Ms: p99, samples: samplesCount };
    if (chars !== undefined) row.mbPerSecond = chars / MB / (p50 / 1000);
    return row;
  });
  rows.push({ task: "cold: fromBytes + first 1 MB prose encode", meanMs: coldMs, medianMs: coldMs, p99Ms: coldMs, samples: 1 });

  console.log(`tokenizer, fixture needle_test.model, node ${process.version}`);
  console.table(
    rows.map((r) => ({
      task: r.task,
      "median (ms)": ms(r.medianMs),
      "mean (ms)": ms(r.meanMs),
      "p99 (ms)": ms(r.p99Ms),
      "MB/s (median)": r.mbPerSecond === undefined ? "" : r.mbPerSecond.toFixed(1),
      samples: r.samples,
    })),
  );
  if (sink === 0.5) console.log(sink); // keep the results alive
  return rows;
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) await benchTokenizer();
