// The answer grammar byte by byte (lib/constrain/schema/grammar.ts,
// machine.ts) and the decoder's token-level rules (decoder.ts): what Needle's
// answer format and a tool's schema allow, and nothing else.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { ToolGrammar, type GrammarOptions } from "../lib/constrain/schema/grammar.ts";
import { GrammarMachine } from "../lib/constrain/schema/machine.ts";
import { TokenBytes } from "../lib/constrain/schema/token-bytes.ts";
import { prepareTools, type ToolsInput } from "../lib/tools.ts";
import { Tokenizer } from "../tokenizer/index.ts";
import { FIXTURES, rng } from "./helpers.ts";
import { decodeWith, schemaDecoder } from "./schema-decode.ts";

const tokenizer = await Tokenizer.load(`${FIXTURES}tokenizer/needle_test.model`);
const AUTO: GrammarOptions = { requireCall: false, single: false };

const TOOLS = prepareTools([
  { name: "get_weather", parameters: { location: { type: "string", required: true }, unit: { type: "string", enum: ["celsius", "fahrenheit"] }, days: { type: "integer" } } },
  { name: "setTimer", parameters: { minutes: { type: "number", required: true }, tags: { type: "array", items: { type: "boolean" } }, note: { type: ["string", "null"] } } },
  { name: "ping" },
]).json;

/** Whether the grammar accepts all of `text` (as UTF-8) and, if `whole`, ends complete there. */
function accepts(text: string | Uint8Array, tools = TOOLS, options = AUTO, whole = true): boolean {
  const m = new GrammarMachine(new ToolGrammar(tools, options));
  for (const b of typeof text === "string" ? new TextEncoder().encode(text) : text) if (!m.feed(b)) return false;
  return !whole || m.complete;
}

const call = (name: string, args: string) => `[{"name":"${name}","arguments":${args}}]`;

test("the trained answer format is accepted, with one optional leading space", () => {
  assert.ok(accepts("[]"));
  assert.ok(accepts(" []"));
  assert.ok(accepts(call("get_weather", '{"location":"Paris","unit":"celsius"}')));
  assert.ok(accepts(' [{"name":"ping","arguments":{}},{"name":"set_timer","arguments":{"minutes":2.5e-3,"tags":[true,false],"note":null}}]'));
  assert.not.ok(accepts("  []"), "two spaces");
  assert.not.ok(accepts('[{"name": "ping","arguments":{}}]'), "a space after a colon");
  assert.not.ok(accepts('[{"arguments":{},"name":"ping"}]'), "keys of a call in another order");
  assert.not.ok(accepts("[]]"), "anything after the list");
});

test("names are declared tools (snake_case) only", () => {
  assert.not.ok(accepts(call("get_weathe", '{"location":"x"}')));
  assert.not.ok(accepts(call("setTimer", '{"minutes":1}')), "the caller's name is restored later, the model writes snake_case");
  assert.not.ok(accepts(call("", "{}")));
});

test("argument keys are the tool's parameters, each at most once, required ones before the object closes", () => {
  assert.ok(accepts(call("get_weather", '{"days":3,"location":"x"}')), "any order");
  assert.not.ok(accepts(call("get_weather", '{"location":"x","location":"y"}')), "a key twice");
  assert.not.ok(accepts(call("get_weather", '{"location":"x","city":"y"}')), "an undeclared key");
  assert.not.ok(accepts(call("get_weather", '{"unit":"celsius"}')), "required location missing");
  assert.not.ok(accepts(call("get_weather", '{"location"}')), "a key with no value");
  assert.not.ok(accepts(call("get_weather", '{"location":"x",}')), "a trailing comma");
  assert.ok(accepts(call("ping", "{}")), "no parameters: {}");
  assert.not.ok(accepts(call("ping", '{"x":1}')));
});

test("values have their parameter's type: enum exactly, integers, numbers, booleans, arrays, null where allowed", () => {
  const weather = (args: string) => accepts(call("get_weather", `{"location":"x",${args}}`));
  const timer = (args: string) => accepts(call("set_timer", `{"minutes":1,${args}}`));
  assert.ok(weather('"unit":"fahrenheit"'));
  assert.not.ok(weather('"unit":"today"'));
  assert.not.ok(weather('"unit":"Celsius"'));
  assert.not.ok(weather('"unit":"celsiuss"'));
  assert.ok(weather('"days":-12'));
  assert.not.ok(weather('"days":1.5'));
  assert.not.ok(weather('"days":"3"'));
  assert.not.ok(weather('"days":01'));
  assert.not.ok(accepts(call("set_timer", '{"minutes":"August 21"}')));
  for (const good of ["0", "-0.5", "1e9", "2E-07", "10.25"]) assert.ok(accepts(call("set_timer", `{"minutes":${good}}`)), good);
  for (const bad of ["1.", ".5", "-", "1e", "+1", "00", "1e+"]) assert.not.ok(accepts(call("set_timer", `{"minutes":${bad}}`)), bad);
  assert.ok(timer('"tags":[]'));
  assert.ok(timer('"tags":[true,false,true]'));
  assert.not.ok(timer('"tags":[true,]'));
  assert.not.ok(timer('"tags":["true"]'));
  assert.ok(timer('"note":null'));
  assert.ok(timer('"note":"n"'));
  assert.not.ok(timer('"note":nul'));
  assert.not.ok(weather('"location":null'), "null only where the type allows it");
});

test("strings: exact JSON escapes, no raw control characters, well-formed UTF-8 only", () => {
  const loc = (s: string | number[]) => {
    const head = new TextEncoder().encode('[{"name":"get_weather","arguments":{"location":"');
    const tail = new TextEncoder().encode('"}}]');
    const mid = typeof s === "string" ? new TextEncoder().encode(s) : Uint8Array.from(s);
    return accepts(Uint8Array.from([...head, ...mid, ...tail]));
  };
  for (const good of ['a\\"b', "\\\\", "\\/", "\\b\\f\\n\\r\\t", "\\u00e9\\uD83D\\uDE00", "é", "日本", "😀", "\u007e"]) assert.ok(loc(good), good);
  for (const bad of ["\\x", "\\u12G4", "\\u12", "\\", "\n", "\t", "\u0000", "\u007f"]) assert.not.ok(loc(bad), JSON.stringify(bad));
  assert.not.ok(loc([0xc0, 0x80]), "overlong");
  assert.not.ok(loc([0x80]), "lone continuation byte");
  assert.not.ok(loc([0xed, 0xa0, 0x80]), "UTF-8 surrogate");
  assert.not.ok(loc([0xf4, 0x90, 0x80, 0x80]), "above U+10FFFF");
  assert.not.ok(loc([0xe6, 0x97]), "cut short");
});

test("tool choice: required forbids [], { name } allows exactly one call of that tool", () => {
  const required = { requireCall: true, single: false };
  assert.not.ok(accepts("[]", TOOLS, required));
  assert.ok(accepts(`[${call("ping", "{}").slice(1, -1)},${call("ping", "{}").slice(1, -1)}]`, TOOLS, required));
  const only = { requireCall: true, single: true, only: "ping" };
  assert.ok(accepts(call("ping", "{}"), TOOLS, only));
  assert.not.ok(accepts(call("get_weather", '{"location":"x"}'), TOOLS, only));
  assert.not.ok(accepts(`[${call("ping", "{}").slice(1, -1)},${call("ping", "{}").slice(1, -1)}]`, TOOLS, only));
  assert.not.ok(accepts("[]", TOOLS, only));
  assert.ok(accepts("[]", "[]"), "no tools: only []");
  assert.not.ok(accepts('[{"', "[]", AUTO, false));
});

test("nested objects keep their own required keys; JSON-Schema tools are read after flattening", () => {
  const tools = prepareTools([{
    type: "function",
    function: { name: "book", parameters: { type: "object", required: ["who"], properties: { who: { type: "object", required: ["name"], properties: { name: { type: "string" }, age: { type: "integer" } } }, when: { anyOf: [{ type: "string" }, { type: "null" }] } } } },
  }] as ToolsInput).json;
  assert.ok(accepts(call("book", '{"who":{"name":"Zoë","age":3}}'), tools));
  assert.ok(accepts(call("book", '{"when":"now","who":{"name":"x"}}'), tools));
  assert.not.ok(accepts(call("book", '{"who":{"age":3}}'), tools), "nested required name missing");
  assert.not.ok(accepts(call("book", '{"who":{"name":"x","name":"y"}}'), tools));
  assert.not.ok(accepts(call("book", "{}"), tools));
});

test("what the grammar cannot express falls back to the nearest type, with a warning", () => {
  const tools = prepareTools([{ name: "f", parameters: {
    code: { type: "string", pattern: "^[A-Z]{3}$", required: true },
    when: { type: "datetime" },
    any: { description: "no type" },
    many: { type: "object", properties: Object.fromEntries(Array.from({ length: 40 }, (_, i) => [`k${i}`, { type: "integer" }])) },
  } }]).json;
  const g = new ToolGrammar(tools, AUTO);
  const warnings = g.warnings.join("\n");
  assert.match(warnings, 'f.code: "pattern" is not enforced');
  assert.match(warnings, "f.when: unknown type");
  assert.match(warnings, 'f.any: no "type"; written as a string');
  assert.match(warnings, "f.many: only the first 31 properties");
  assert.ok(accepts(call("f", '{"code":"anything","when":"x","any":"y"}'), tools));
  assert.not.ok(accepts(call("f", '{"code":"x","many":{"k35":1}}'), tools));
  assert.equal(new ToolGrammar(TOOLS, AUTO).warnings, []);
});

test("token bytes: byte pieces are one byte, ▁ a space, control pieces empty; one table per tokenizer", () => {
  const bytes = TokenBytes.for(tokenizer);
  assert.is(TokenBytes.for(tokenizer), bytes);
  const of = (id: number) => Array.from(bytes.data.subarray(bytes.start[id]!, bytes.start[id + 1]!));
  assert.equal(of(tokenizer.eosId), []);
  assert.equal(of(tokenizer.pieceToId("<0xC3>")), [0xc3]);
  const spaced = tokenizer.encode(" [{")[0]!;
  assert.equal(of(spaced), Array.from(new TextEncoder().encode(tokenizer.idToPiece(spaced).replaceAll("\u2581", " "))));
  assert.ok(bytes.bytewise);
});

/** Logits that put `favourite` first and everything else in a fixed random order. */
function logitsFavouring(favourite: (id: number) => number): Float32Array {
  const next = rng(7);
  return Float32Array.from({ length: tokenizer.vocabSize }, (_, id) => next() + favourite(id));
}

test("a token is allowed only if its whole byte string continues the answer; EOS only once the list is closed", () => {
  const strings = tokenizer.tokenStrings();
  // The model wants '"}}]' right after a value that cannot end the object (required key missing).
  const closer = strings.indexOf('"}}]');
  assert.ok(closer > 0);
  const decoder = schemaDecoder(tokenizer, TOOLS, AUTO, 200);
  const prefix = tokenizer.encode('[{"name":"get_weather","arguments":{"unit":"celsius');
  for (const id of prefix) decoder.feed(id);
  const picked = decoder.argmax(logitsFavouring((id) => (id === closer || id === tokenizer.eosId ? 100 : 0)));
  assert.is.not(picked, closer);
  assert.is.not(picked, tokenizer.eosId);
  const text = strings[picked]!;
  assert.ok(text.startsWith('"'), `continues with the closing quote, got ${JSON.stringify(text)}`);
  // After a complete answer only EOS.
  const done = schemaDecoder(tokenizer, TOOLS, AUTO, 200);
  for (const id of tokenizer.encode("[]")) done.feed(id);
  assert.ok(done.complete);
  assert.is(done.argmax(logitsFavouring((id) => (id === closer ? 100 : 0))), tokenizer.eosId);
});

test("on 24 random walks every choice is the best-scoring token a brute-force walk over all ids allows", () => {
  const bytes = TokenBytes.for(tokenizer);
  const toolCall = tokenizer.pieceToId("<tool_call>");
  const next = rng(11);
  for (let walk = 0; walk < 24; walk++) {
    const options = walk % 3 === 0 ? { requireCall: true, single: false } : AUTO;
    const grammar = new ToolGrammar(TOOLS, options);
    const decoder = schemaDecoder(tokenizer, TOOLS, options, 511);
    const state = new GrammarMachine(grammar);
    const trial = new GrammarMachine(grammar);
    for (let step = 0; step < 30; step++) {
      // Noise, with a few tokens raised so that walks reach names, keys, values and closings.
      const logits = Float32Array.from({ length: tokenizer.vocabSize }, () => next() * 8);
      for (let k = 0; k < 40; k++) logits[Math.floor(next() * tokenizer.vocabSize)]! += 6;
      let expected = tokenizer.eosId;
      if (!state.complete) {
        let bestValue = -Infinity;
        for (let id = 0; id < bytes.size; id++) {
          if (id === tokenizer.eosId || !(logits[id]! > bestValue)) continue;
          let ok = id === toolCall ? step === 0 : bytes.start[id]! < bytes.start[id + 1]!;
          if (ok && id !== toolCall) {
            trial.copyFrom(state);
            for (let i = bytes.start[id]!; ok && i < bytes.start[id + 1]!; i++) ok = trial.feed(bytes.data[i]!);
          }
          if (ok) {
            expected = id;
            bestValue = logits[id]!;
          }
        }
      }
      const chosen = decoder.argmax(logits);
      assert.is(chosen, expected, `walk ${walk} step ${step}`);
      if (chosen === tokenizer.eosId) break;
      decoder.feed(chosen);
      if (chosen !== toolCall) for (let i = bytes.start[chosen]!; i < bytes.start[chosen + 1]!; i++) state.feed(bytes.data[i]!);
    }
  }
});

test("<tool_call> may come first only, and writes nothing", () => {
  const toolCall = tokenizer.pieceToId("<tool_call>");
  const out = decodeWith(tokenizer, schemaDecoder(tokenizer, TOOLS, AUTO, 64), 64, () => logitsFavouring((id) => (id === toolCall ? 100 : 0)));
  assert.is(out.tokens[0], toolCall);
  assert.is(out.tokens.filter((id) => id === toolCall).length, 1);
  assert.not.throws(() => JSON.parse(out.text));
});

test("with maxTokens at the grammar's minimum, noise still ends in a complete answer", () => {
  const options = { requireCall: true, single: false };
  const min = schemaDecoder(tokenizer, TOOLS, options, 1).minTokens;
  const next = rng(3);
  for (let run = 0; run < 20; run++) {
    const out = decodeWith(tokenizer, schemaDecoder(tokenizer, TOOLS, options, min), min, () => Float32Array.from({ length: tokenizer.vocabSize }, () => next() * 8));
    const calls = JSON.parse(out.text) as unknown[];
    assert.ok(calls.length >= 1, out.text);
  }
});

test("a budget too small for the call the model wants closes the answer early and says so (shapedByBudget)", () => {
  const answer = [tokenizer.pieceToId("<tool_call>"), ...tokenizer.encode('[{"name":"ping","arguments":{}}]')];
  const wants = (_: unknown, pos: number) => logitsFavouring((id) => (id === (answer[pos] ?? tokenizer.eosId) ? 40 : 0));
  const roomy = schemaDecoder(tokenizer, TOOLS, AUTO, 64);
  assert.equal(decodeWith(tokenizer, roomy, 64, wants).tokens, answer);
  assert.not.ok(roomy.shapedByBudget);
  const tight = schemaDecoder(tokenizer, TOOLS, AUTO, 4);
  const out = decodeWith(tokenizer, tight, 4, wants);
  assert.equal(JSON.parse(out.text), [], out.text);
  assert.ok(tight.shapedByBudget, "the empty list was the budget's choice, not the model's");
});

test("confidence: a call the model writes with certainty scores near 1, and no call is then near 0", () => {
  const answer = [tokenizer.pieceToId("<tool_call>"), ...tokenizer.encode('[{"name":"ping","arguments":{}}]')];
  const decoder = schemaDecoder(tokenizer, TOOLS, AUTO, 64);
  const out = decodeWith(tokenizer, decoder, 64, (_, pos) => logitsFavouring((id) => (id === (answer[pos] ?? tokenizer.eosId) ? 40 : 0)));
  assert.equal(out.tokens, answer);
  assert.ok(decoder.callConfidence(0) > 0.999, `${decoder.callConfidence(0)}`);
  assert.ok(decoder.noCallConfidence < 1e-6, `${decoder.noCallConfidence}`);
  const unsure = schemaDecoder(tokenizer, TOOLS, AUTO, 64);
  decodeWith(tokenizer, unsure, 64, (_, pos) => logitsFavouring((id) => (id === (answer[pos] ?? tokenizer.eosId) ? 5 : 0)));
  assert.ok(unsure.callConfidence(0) < 0.5, `${unsure.callConfidence(0)}`);
});

test.run();
