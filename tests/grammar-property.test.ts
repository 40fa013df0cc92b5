// Schema-constrained decoding on noise: generated tool lists (every type,
// nesting, enums, required and optional, odd and unicode names) decoded
// from random logits and from the random-weight fixture checkpoints, whose
// logits are noise too. Every answer must parse and fit its tools' schema
// (tests/schema-validator.ts, written from the contract, not the grammar).

import { test } from "uvu";
import * as assert from "uvu/assert";
import type { GrammarOptions } from "../lib/constrain/schema/grammar.ts";
import { NeedleModel } from "../lib/engine/model.ts";
import { buildEncoderInput } from "../lib/prompt.ts";
import { prepareTools, type ToolsInput } from "../lib/tools.ts";
import { Tokenizer } from "../tokenizer/index.ts";
import { FIXTURES, randomInt, rng } from "./helpers.ts";
import { decodeWith, schemaDecoder, type Decoded } from "./schema-decode.ts";
import { validateAnswer } from "./schema-validator.ts";
import { toolList } from "./tool-generator.ts";

const tokenizer = await Tokenizer.load(`${FIXTURES}tokenizer/needle_test.model`);
const QUERIES = ["What's the weather in Paris?", "set a timer for 10 minutes", "envoie un e-mail à Zoë", "東京の天気", "play 🎵 now", "nothing to do here"];

interface Case {
  toolsJson: string;
  options: GrammarOptions;
  maxTokens: number;
  query: string;
}

/** A random tool list, tool choice and token budget (at least what the grammar needs, at most a little more). */
function randomCase(next: () => number): Case {
  const prepared = prepareTools(toolList(next) as unknown as ToolsInput);
  const names = Object.keys(prepared.nameMap);
  const r = next();
  let options: GrammarOptions = { requireCall: false, single: false };
  if (names.length > 0 && r < 0.35) options = { requireCall: true, single: false };
  else if (names.length > 0 && r < 0.6) options = { requireCall: true, single: true, only: names[randomInt(next, 0, names.length - 1)]! };
  const minTokens = schemaDecoder(tokenizer, prepared.json, options, 1).minTokens;
  return { toolsJson: prepared.json, options, maxTokens: minTokens + randomInt(next, 0, 48), query: QUERIES[randomInt(next, 0, QUERIES.length - 1)]! };
}

function check(c: Case, out: Decoded, label: string): void {
  const problems = validateAnswer(out.text, c.toolsJson, { requireCall: c.options.requireCall, ...(c.options.only ? { only: c.options.only } : {}) });
  if (problems.length > 0) {
    assert.unreachable(`${label}: ${problems.join("; ")}\n  answer: ${JSON.stringify(out.text)}\n  tools: ${c.toolsJson}\n  options: ${JSON.stringify(c.options)}, maxTokens ${c.maxTokens}`);
  }
  const calls = JSON.parse(out.text) as unknown[];
  assert.is(out.decoder.calls, calls.length, `${label}: calls counted`);
  for (let i = 0; i < calls.length; i++) {
    const p = out.decoder.callConfidence(i);
    assert.ok(p >= 0 && p <= 1, `${label}: call ${i} confidence ${p}`);
  }
  const none = out.decoder.noCallConfidence;
  assert.ok(none >= 0 && none <= 1, `${label}: noCallConfidence ${none}`);
  if (c.options.requireCall) assert.is(none, 0, `${label}: no call is impossible`);
}

/** Per token: +1 when its text closes something ("]" or "}"), +2 when it holds other JSON punctuation. */
const punctuation = Int8Array.from(tokenizer.tokenStrings(), (t) => (/[\]}]/.test(t) ? 1 : /[",:{[]/.test(t) ? 2 : 0));

test("1,200 generated tool lists decoded from random logits all parse and validate", () => {
  const next = rng(21);
  const vocab = tokenizer.vocabSize;
  const pool = new Float32Array(vocab * 4);
  const logits = new Float32Array(vocab);
  let calls = 0;
  for (let n = 0; n < 1200; n++) {
    const c = randomCase(next);
    // Noise; flat or sharply peaked; closing tokens held back (long answers that the
    // token budget must close) or JSON punctuation favoured (tokens across boundaries).
    const scale = pick(next, [1, 4, 30]);
    for (let i = 0; i < pool.length; i++) pool[i] = (next() - 0.5) * scale;
    const closing = pick(next, [0, -8, 0]);
    const other = pick(next, [0, 0, 3]);
    const bias = [0, closing, other];
    const decoder = schemaDecoder(tokenizer, c.toolsJson, c.options, c.maxTokens);
    const out = decodeWith(tokenizer, decoder, c.maxTokens, () => {
      const offset = randomInt(next, 0, pool.length - vocab);
      for (let i = 0; i < vocab; i++) logits[i] = pool[offset + i]! + bias[punctuation[i]!]!;
      return logits;
    });
    check(c, out, `case ${n}`);
    calls += decoder.calls;
  }
  assert.ok(calls > 600, `the answers hold ${calls} calls`);
});

function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)]!;
}

for (const [dir, file] of [["tiny", "needle_tiny.p4_numpy2.pkl"], ["ffn", "needle_ffn.p4_numpy2.pkl"]] as const) {
  test(`the random-weight ${dir} checkpoint on 150 generated tool lists and queries: every answer parses and validates`, async () => {
    const model = await NeedleModel.load(`${FIXTURES}${dir}/${file}`);
    const next = rng(dir === "tiny" ? 1 : 2);
    try {
      for (let n = 0; n < 150; n++) {
        const c = randomCase(next);
        const maxTokens = Math.min(c.maxTokens, model.maxDecoderLength - 1);
        const ids = buildEncoderInput(tokenizer.encode(c.query), tokenizer.encode(c.toolsJson), tokenizer.pieceToId("<tools>"), Math.min(1024, model.maxEncoderLength));
        model.encode(ids);
        const decoder = schemaDecoder(tokenizer, c.toolsJson, c.options, maxTokens);
        const out = decodeWith(tokenizer, decoder, maxTokens, (token, pos) => model.decodeStep(token, pos));
        check({ ...c, maxTokens }, out, `${dir} case ${n}`);
      }
    } finally {
      model.dispose();
    }
  });
}

test.run();
