import { test } from "uvu";
import * as assert from "uvu/assert";
import { ConstrainedDecoder, type ConstraintSnapshot } from "../lib/constrain/reference.ts";
import { InputError } from "../lib/errors.ts";
import { prepareTools } from "../lib/tools.ts";
import { readFixtureJson, rng } from "./helpers.ts";

interface FixtureState {
  state: string; constrained_buf: string; current_function: string; in_arguments: boolean;
  arguments_depth: number; nesting_depth: number; in_string: boolean; prev_char_escape: boolean;
}
interface TraceStep { token: number; token_string: string; before: FixtureState; allowed?: number[] | null; token_allowed?: boolean | null }
interface Trace { name: string; tools: string; ids: number[]; steps: TraceStep[]; final: FixtureState }
interface ConstrainedStep { step: number; state: string; n_allowed: number | null; raw_argmax: number; chosen: number; forced: boolean; allowed: number[] | null }
interface Run { ids: number[]; n_steps: number; forced_ids: number[] | null; stopped_on_eos: boolean; constrained_steps: ConstrainedStep[] }
interface ModelCase {
  id: string; normalized_tools: string; unconstrained: Run; constrained: Run; forced: Run[];
  first_step_logits: { b64_f64: string };
}

const goldens = readFixtureJson<{ token_strings: string[]; traces: Trace[] }>("constrained_goldens.json");
const tokenStrings = goldens.token_strings;
const models = [
  ["tiny", readFixtureJson<{ cases: ModelCase[] }>("tiny/model_goldens.json").cases],
  ["ffn", readFixtureJson<{ cases: ModelCase[] }>("ffn/model_goldens.json").cases],
] as const;

function asFixture(s: ConstraintSnapshot): FixtureState {
  return {
    state: s.state, constrained_buf: s.constrainedBuf, current_function: s.currentFunction, in_arguments: s.inArguments,
    arguments_depth: s.argumentsDepth, nesting_depth: s.nestingDepth, in_string: s.inString, prev_char_escape: s.prevCharEscape,
  };
}

const list = (ids: Int32Array | null) => (ids === null ? null : [...ids]);

test("every constrained_goldens trace: state before each token, allowed ids, final state", () => {
  for (const trace of goldens.traces) {
    const decoder = new ConstrainedDecoder(tokenStrings, trace.tools);
    trace.steps.forEach((step, i) => {
      const where = `${trace.name} step ${i} (${JSON.stringify(step.token_string)})`;
      assert.is(tokenStrings[step.token], step.token_string, where);
      assert.equal(asFixture(decoder.snapshot()), step.before, where);
      const allowed = decoder.allowed();
      assert.equal(list(allowed), step.allowed ?? null, where);
      if (typeof step.token_allowed === "boolean") assert.is(allowed!.includes(step.token), step.token_allowed, where);
      decoder.feed(step.token);
    });
    assert.equal(asFixture(decoder.snapshot()), trace.final, trace.name);
  }
});

test("every constrained and forced run in tiny and ffn model_goldens replays step by step", () => {
  let checked = 0;
  let recordedTotal = 0;
  for (const [model, cases] of models) {
    for (const c of cases) {
      for (const run of [c.constrained, ...c.forced]) {
        const decoder = new ConstrainedDecoder(tokenStrings, c.normalized_tools);
        const recorded = new Map(run.constrained_steps.map((s) => [s.step, s]));
        recordedTotal += recorded.size;
        for (let i = 0; i < run.n_steps; i++) {
          const token = i < run.ids.length ? run.ids[i]! : 1; // the run's last step chose EOS when it stopped on it
          const where = `${model}/${c.id} step ${i}`;
          const rec = recorded.get(i);
          if (decoder.state === "FREE") {
            assert.is(rec, undefined, where);
          } else {
            assert.ok(rec, `${where}: constrained step not recorded`);
            checked++;
            assert.is(rec.state, decoder.state, where);
            const allowed = decoder.allowed();
            assert.equal(list(allowed), rec.allowed, where);
            assert.is(rec.n_allowed, allowed === null ? null : allowed.length, where);
            assert.is(rec.chosen, token, where);
            if (rec.forced) {
              assert.is(run.forced_ids![i], token, where);
            } else if (allowed === null || allowed.includes(rec.raw_argmax)) {
              assert.is(rec.chosen, rec.raw_argmax, `${where}: argmax was allowed, so it is chosen`);
            } else {
              assert.ok(allowed.includes(rec.chosen), `${where}: chosen among the allowed`);
            }
          }
          decoder.feed(token);
        }
      }
    }
  }
  assert.is(checked, recordedTotal, "every recorded constrained step was reached");
});

test("argmax over the first step's logits is the unconstrained greedy choice", () => {
  for (const [, cases] of models) {
    for (const c of cases) {
      const bytes = Buffer.from(c.first_step_logits.b64_f64, "base64");
      const logits = new Float64Array(bytes.buffer, bytes.byteOffset, bytes.length / 8);
      assert.is(new ConstrainedDecoder(tokenStrings, c.normalized_tools).argmax(logits), c.unconstrained.ids[0], c.id);
    }
  }
});

// ---------------------------------------------------------------- a small vocabulary

const vocab = ["", "[{\"", "name", "\":\"", "get", "_", "weather", "\"", "\",\"", "arguments", "\":{\"", "location", "\":", "1",
  "}}]", "g", "w", "l", "unit", "u", " x", "\"}", "ge", "x"];
const id = (text: string) => vocab.indexOf(text);

function feedAll(decoder: ConstrainedDecoder, texts: string[]): void {
  for (const text of texts) decoder.feed(id(text));
}

const weatherTools = '[{"name":"get_weather","parameters":{"location":{"type":"string"},"unit":{"type":"string"}}}]';

test("inside a name only continuations of tool names are allowed, a quote only at a whole name", () => {
  const d = new ConstrainedDecoder(vocab, weatherTools);
  feedAll(d, ["[{\"", "name", "\":\""]);
  assert.is(d.state, "IN_NAME");
  assert.equal(list(d.allowed()), [id("get"), id("g"), id("ge")]);
  feedAll(d, ["get", "_", "weather"]);
  // Every token that starts with a quote closes the name; what follows the quote is not checked.
  assert.equal(list(d.allowed()), [id("\":\""), id("\""), id("\",\""), id("\":{\""), id("\":"), id("\"}")]);
  feedAll(d, ["\",\"", "arguments", "\":{\""]);
  assert.is(d.state, "IN_ARG_KEY");
  assert.equal(list(d.allowed()), [id("location"), id("l"), id("unit"), id("u")]);
});

test("mask() sets exactly the disallowed logits to -Infinity; argmax() agrees without masking", () => {
  const d = new ConstrainedDecoder(vocab, weatherTools);
  feedAll(d, ["[{\"", "name", "\":\""]);
  const logits = Float32Array.from(vocab, (_, i) => (i * 7919) % 13);
  const expectedArgmax = d.argmax(logits);
  const masked = logits.slice();
  d.mask(masked);
  const allowed = new Set(d.allowed());
  masked.forEach((v, i) => assert.is(v, allowed.has(i) ? logits[i] : -Infinity, `id ${i}`));
  let best = 0;
  masked.forEach((v, i) => { if (v > masked[best]!) best = i; });
  assert.is(expectedArgmax, best);
});

test("argmax() takes the first of equal maxima and treats NaN as largest, like numpy", () => {
  const d = new ConstrainedDecoder(vocab, weatherTools);
  assert.is(d.argmax([0, 3, 3, 1]), 1);
  assert.is(d.argmax([0, 3, NaN, NaN]), 2);
  feedAll(d, ["[{\"", "name", "\":\""]);
  const logits = new Float32Array(vocab.length).fill(5);
  assert.is(d.argmax(logits), id("get"));
  logits[id("ge")] = NaN;
  assert.is(d.argmax(logits), id("ge"));
});

test("unconstrained states leave the logits alone", () => {
  const d = new ConstrainedDecoder(vocab, weatherTools);
  const logits = new Float32Array(vocab.length).fill(1);
  d.mask(logits);
  assert.ok(logits.every((v) => v === 1));
  assert.is(d.allowed(), null);
});

test("off the trie, or for an unknown tool's arguments, decoding is unconstrained", () => {
  const d = new ConstrainedDecoder(vocab, weatherTools);
  feedAll(d, ["[{\"", "name", "\":\"", "x"]);
  assert.is(d.state, "IN_NAME");
  assert.is(d.allowed(), null);
  feedAll(d, ["\",\"", "arguments", "\":{\""]);
  assert.is(d.state, "IN_ARG_KEY");
  assert.is(d.allowed(), null);
});

test("reset() starts over and reuses the per-node allowed lists", () => {
  const d = new ConstrainedDecoder(vocab, weatherTools);
  feedAll(d, ["[{\"", "name", "\":\""]);
  const first = d.allowed();
  feedAll(d, ["get", "\""]);
  d.reset();
  assert.equal(d.snapshot(), new ConstrainedDecoder(vocab, weatherTools).snapshot());
  feedAll(d, ["[{\"", "name", "\":\""]);
  assert.is(d.allowed(), first);
});

test("a token id outside the vocabulary is an InputError", () => {
  const d = new ConstrainedDecoder(vocab, weatherTools);
  assert.throws(() => d.feed(vocab.length), (e: unknown) => e instanceof InputError && e.code === "BAD_TOKEN_ID");
  assert.throws(() => d.feed(-1), (e: unknown) => e instanceof InputError && e.code === "BAD_TOKEN_ID");
});

test("parameter names are the keys whose value is an object: JSON Schema yields only 'properties'", () => {
  const schemaTools = '[{"name":"get_weather","parameters":{"type":"object","properties":{"location":{"type":"string"}},"required":["location"]}}]';
  const d = new ConstrainedDecoder(vocab, schemaTools);
  feedAll(d, ["[{\"", "name", "\":\"", "get", "_", "weather", "\",\"", "arguments", "\":{\""]);
  assert.is(d.allowed(), null); // no token spells a prefix of "properties" in this vocabulary
  const converted = new ConstrainedDecoder(vocab, prepareTools(schemaTools).json);
  feedAll(converted, ["[{\"", "name", "\":\"", "get", "_", "weather", "\",\"", "arguments", "\":{\""]);
  assert.equal(list(converted.allowed()), [id("location"), id("l")]);
});

test("an empty parameter name makes a quote allowed at once", () => {
  const d = new ConstrainedDecoder(vocab, '[{"name":"get","parameters":{"":{},"unit":{}}}]');
  feedAll(d, ["[{\"", "name", "\":\"", "get", "\",\"", "arguments", "\":{\""]);
  assert.equal(list(d.allowed()), [id("\":\""), id("\""), id("\",\""), id("\":{\""), id("\":"), id("unit"), id("u"), id("\"}")]);
});

test("for a repeated name the last object 'parameters' wins; a non-object one is ignored", () => {
  const tools = '[{"name":"get","parameters":{"unit":{}}},{"name":"get","parameters":{"location":{}}},{"name":"get","parameters":null}]';
  const d = new ConstrainedDecoder(vocab, tools);
  feedAll(d, ["[{\"", "name", "\":\"", "get", "\",\"", "arguments", "\":{\""]);
  assert.equal(list(d.allowed()), [id("location"), id("l")]);
});

test("tools text that is not a JSON list constrains nothing; a non-string name is an InputError", () => {
  for (const tools of ["not json", '{"name":"get"}', "[1, null, {\"name\":\"\"}, {\"name\":0}]"]) {
    const d = new ConstrainedDecoder(vocab, tools);
    feedAll(d, ["[{\"", "name", "\":\""]);
    assert.is(d.state, "IN_NAME", tools);
    assert.is(d.allowed(), null, tools);
  }
  assert.throws(() => new ConstrainedDecoder(vocab, '[{"name":5}]'), (e: unknown) => e instanceof InputError && e.code === "TOOL_NAME_NOT_STRING");
});

// ---------------------------------------------------------------- random walks against brute force

/** Allowed ids by brute force: every token's text walked against the word list from scratch. */
function bruteAllowed(words: readonly string[], buffer: string): number[] | null {
  const complete = new Set(words);
  const prefixes = new Set(words.flatMap((w) => Array.from({ length: [...w].length + 1 }, (_, k) => [...w].slice(0, k).join(""))));
  if (!prefixes.has(buffer)) return null;
  const ids: number[] = [];
  tokenStrings.forEach((text, tokenId) => {
    if (text === "") return;
    let current = buffer;
    for (const ch of text) {
      if (ch === '"') {
        if (complete.has(current)) ids.push(tokenId);
        return;
      }
      current += ch;
      if (!prefixes.has(current)) return;
    }
    ids.push(tokenId);
  });
  return ids.length === 0 ? null : ids;
}

test("on 150 random walks the allowed ids equal a brute-force search over all 8192 tokens", () => {
  const next = rng(31337);
  const toolLists = models.flatMap(([, cases]) => cases.map((c) => c.normalized_tools));
  toolLists.push('[{"name":"a","parameters":{"ab":{},"abc":{},"b":{}}},{"name":"ab","parameters":{}},{"name":"abc_d","parameters":{"x":{}}}]');
  const structural = [' [{"', "name", '":"', '","', "arguments", '":{"', ',"', '"', "}", "]", "{", "[", '":', "1", " ", "\\", '"}}]']
    .map((t) => tokenStrings.indexOf(t)).filter((i) => i >= 0);
  const argumentsOpener = ['","', "arguments", '":{"', ',"'].map((t) => tokenStrings.indexOf(t));
  const constrainedSteps = { IN_NAME: 0, IN_ARG_KEY: 0 };
  for (let walk = 0; walk < 150; walk++) {
    const tools = toolLists[walk % toolLists.length]!;
    const parsed = JSON.parse(tools) as { name: string; parameters?: Record<string, unknown> }[];
    const decoder = new ConstrainedDecoder(tokenStrings, tools);
    const prefix = [' [{"', "name", '":"'].map((t) => tokenStrings.indexOf(t));
    for (const t of prefix) decoder.feed(t);
    let opener = 0;
    for (let step = 0; step < 40; step++) {
      const s = decoder.snapshot();
      const allowed = decoder.allowed();
      if (s.state === "FREE") {
        assert.is(allowed, null);
      } else {
        constrainedSteps[s.state as keyof typeof constrainedSteps]++;
        const tool = [...parsed].reverse().find((t) => t.name === s.currentFunction);
        const words = s.state === "IN_NAME" ? parsed.map((t) => t.name)
          : tool === undefined ? null
          : Object.keys(tool.parameters ?? {}).filter((k) => typeof tool.parameters![k] === "object" && tool.parameters![k] !== null && !Array.isArray(tool.parameters![k]));
        assert.equal(list(allowed), words === null ? null : bruteAllowed(words, s.constrainedBuf), `walk ${walk} step ${step} ${JSON.stringify(s)}`);
      }
      // Mostly allowed tokens; in free text mostly the skeleton of a call, so argument keys are reached.
      const r = next();
      const skeleton = s.currentFunction !== "" && next() < 0.6 ? [argumentsOpener[opener++ % argumentsOpener.length]!] : structural;
      const pool = allowed !== null && r < 0.85 ? allowed : r < 0.95 ? skeleton : null;
      decoder.feed(pool === null ? Math.floor(next() * tokenStrings.length) : pool[Math.floor(next() * pool.length)]!);
    }
  }
  assert.ok(constrainedSteps.IN_NAME > 500 && constrainedSteps.IN_ARG_KEY > 500, JSON.stringify(constrainedSteps));
});

test.run();
