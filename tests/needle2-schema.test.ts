// Needle 2's schema-constrained decoding (lib/needle2/constrain.ts): the
// answer `▁<think>…</think>\n<tool_call>[…]</tool_call><|im_end|>` then EOS,
// from noise logits (generated tool lists, the real generation loop) and
// from the random-weight .cact fixtures through Needle. Every answer must
// parse, keep its reasoning, and fit its tools' schemas by the independent
// checker (tests/schema-validator.ts); toolChoice holds; the minimum
// maxTokens still finishes; a model that writes a valid answer is followed
// token for token.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { TokenBytes } from "../lib/constrain/schema/token-bytes.ts";
import { decodeTokens, type DecodeSession, type FinishReason } from "../lib/decode.ts";
import { Needle, createHandler, type CallOptions, type CallResult } from "../lib/index.ts";
import { readCact } from "../lib/needle2/cact.ts";
import { parseNeedle2Output } from "../lib/needle2/calls.ts";
import { Needle2SchemaConstraint } from "../lib/needle2/constrain.ts";
import { planNeedle2Request } from "../lib/needle2/request.ts";
import { Needle2Tokenizer, PIECE_BYTE, PIECE_NORMAL, parseTokenizerBlob } from "../lib/needle2/tokenizer.ts";
import { prepareTools, type ToolsInput } from "../lib/tools.ts";
import { randomInt, rng } from "./helpers.ts";
import { NEEDLE2_MODELS, readNeedle2Model } from "./needle2-helpers.ts";
import { validateAnswer } from "./schema-validator.ts";
import { toolList } from "./tool-generator.ts";

const file = readCact(readNeedle2Model("tiny_a"));
const blob = file.tokenizer!;
const tok = new Needle2Tokenizer(parseTokenizerBlob(file.bytes.subarray(blob.offset, blob.offset + blob.nbytes), file.header.vocab));
const THINK_CLOSE = tok.pieceToId("</think>");
const OPEN_IDS = tok.encode("<think>");
const QUERIES = ["What's the weather in Paris?", "set a timer for 10 minutes", "envoie un e-mail à Zoë", "東京の天気", "play 🎵 now"];

function pick<T>(next: () => number, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)]!;
}

/** The tools in Needle's flat format under the callers' names, for the validator (plain JSON, not the grammar's code). */
function validatorTools(tools: ToolsInput): string {
  const prepared = prepareTools(tools);
  const list = JSON.parse(prepared.json) as { name: string }[];
  list.forEach((tool, i) => (tool.name = prepared.names[i]!));
  return JSON.stringify(list);
}

interface Case {
  tools: ToolsInput;
  toolChoice: NonNullable<CallOptions["toolChoice"]>;
  maxTokens: number;
}

/** The answer's checks: the format, the reasoning, the list against the tools and toolChoice. */
function checkAnswer(c: Case, tokens: readonly number[], label: string): ReturnType<typeof parseNeedle2Output> {
  const text = tok.decode(tokens);
  const out = parseNeedle2Output(text);
  const where = `${label}: ${JSON.stringify(text)} (toolChoice ${JSON.stringify(c.toolChoice)}, maxTokens ${c.maxTokens})`;
  assert.is(out.error, undefined, `${where}: ${out.error?.message}`);
  assert.ok(out.closed && text.endsWith("</tool_call><|im_end|>"), `${where}: closed`);
  assert.equal(tokens.slice(0, OPEN_IDS.length), OPEN_IDS, `${where}: opens with ▁<think>`);
  const thinkEnd = tokens.indexOf(THINK_CLOSE);
  assert.ok(thinkEnd >= OPEN_IDS.length, `${where}: </think>`);
  for (const id of tokens.slice(OPEN_IDS.length, thinkEnd)) {
    const type = tok.pieceType(id);
    assert.ok(type === PIECE_NORMAL || type === PIECE_BYTE, `${where}: reasoning token ${id} is a text piece`);
  }
  assert.is(out.reasoning, tok.decode(tokens.slice(0, thinkEnd)).slice("<think>".length), `${where}: reasoning`);
  const only = typeof c.toolChoice === "object" ? c.toolChoice.name : undefined;
  const problems = validateAnswer(out.callText, validatorTools(c.tools), { requireCall: c.toolChoice !== "auto", ...(only !== undefined ? { only } : {}) });
  assert.equal(problems, [], `${where}: ${problems.join("; ")}`);
  return out;
}

/** The generation loop (lib/decode.ts) over logits from `logitsAt(pos)`. */
function decode(constraint: Needle2SchemaConstraint, maxTokens: number, logitsAt: (pos: number) => Float32Array): { tokens: number[]; finish: FinishReason } {
  let pos = 0;
  let last: Float32Array = new Float32Array(0);
  const session: DecodeSession = {
    start: () => (last = logitsAt(pos++)),
    step: () => (last = logitsAt(pos++)),
    argmax: () => last.indexOf(Math.max(...last)),
  };
  const tokens: number[] = [];
  const run = decodeTokens(session, { forced: [], maxTokens, eosId: tok.eosId, constraint });
  for (let next = run.next(); ; next = run.next()) {
    if (next.done) return { tokens, finish: next.value };
    tokens.push(next.value);
  }
}

function constraintFor(c: Case, maxTokens = c.maxTokens): Needle2SchemaConstraint {
  const request = planNeedle2Request(tok, 1 << 20, "q", c.tools, { toolChoice: c.toolChoice });
  return new Needle2SchemaConstraint(tok, request.grammar!, { maxTokens });
}

/** Per id: 1 when its text closes something ("]" or "}"), 2 when it holds other JSON punctuation, 3 for EOS and the markers. */
const pieceClass = Int8Array.from({ length: tok.vocabSize }, (_, id) => {
  const type = tok.pieceType(id);
  if (type !== PIECE_NORMAL && type !== PIECE_BYTE) return 3;
  const text = tok.decode([id]);
  return /[\]}]/.test(text) ? 1 : /[",:{[]/.test(text) ? 2 : 0;
});

test("600 generated tool lists from noise logits through the generation loop: every answer parses, validates and ends with EOS", () => {
  const next = rng(2026);
  const vocab = tok.vocabSize;
  const pool = new Float32Array(vocab * 4);
  const logits = new Float32Array(vocab);
  let calls = 0, thinkLeft = 0, thinkCut = 0;
  for (let n = 0; n < 600; n++) {
    const tools = toolList(next) as unknown as ToolsInput;
    const names = prepareTools(tools).names;
    const r = next();
    const toolChoice: Case["toolChoice"] = names.length === 0 || r < 0.4 ? "auto" : r < 0.7 ? "required" : { name: pick(next, names) };
    const probe: Case = { tools, toolChoice, maxTokens: 1 };
    const min = constraintFor(probe).minTokens;
    const c: Case = { ...probe, maxTokens: min + pick(next, [0, randomInt(next, 0, 8), randomInt(next, 0, 160)]) };
    // Noise, flat or peaked; `</think>` never, sometimes or often the best; closing
    // tokens held back or punctuation favoured; EOS and the markers pushed or not.
    const scale = pick(next, [1, 4, 30]);
    for (let i = 0; i < pool.length; i++) pool[i] = (next() - 0.5) * scale;
    const bias = [0, pick(next, [0, -8, 0]), pick(next, [0, 0, 3]), pick(next, [0, 20])];
    const leave = pick(next, [-50, 0, scale + 4]);
    const constraint = constraintFor(c);
    const out = decode(constraint, c.maxTokens, () => {
      const offset = randomInt(next, 0, pool.length - vocab);
      for (let i = 0; i < vocab; i++) logits[i] = pool[offset + i]! + bias[pieceClass[i]!]!;
      logits[THINK_CLOSE] = logits[THINK_CLOSE]! + leave;
      return logits;
    });
    const label = `case ${n}`;
    assert.is(out.finish, "stop", `${label}: EOS within maxTokens ${c.maxTokens}: ${JSON.stringify(tok.decode(out.tokens))}`);
    assert.ok(out.tokens.length < c.maxTokens, label);
    const answer = checkAnswer(c, out.tokens, label);
    const list = JSON.parse(answer.callText) as unknown[];
    list.forEach((_, i) => {
      const p = constraint.callConfidence(i);
      assert.ok(p >= 0 && p <= 1, `${label}: call ${i} confidence ${p}`);
    });
    const none = constraint.noCallConfidence;
    assert.ok(none >= 0 && none <= 1, `${label}: noCallConfidence ${none}`);
    if (toolChoice !== "auto") assert.is(none, 0, `${label}: a call is required`);
    calls += list.length;
    if (leave === -50) thinkCut += constraint.shapedByBudget ? 1 : 0;
    else thinkLeft += 1;
  }
  assert.ok(calls > 300, `the answers hold ${calls} calls`);
  assert.ok(thinkCut > 100 && thinkLeft > 300, `reasoning cut by the budget ${thinkCut} times, left by the model in ${thinkLeft} cases`);
});

test("a model that writes a valid answer is followed token for token; one that names an undeclared tool is held to the declared one", () => {
  const tools = [{ name: "getWeather", parameters: { type: "object", properties: { city: { type: "string" }, days: { type: "integer" } }, required: ["city"] } }];
  const answer = '<think>paris is a city</think>\n<tool_call>[{"name":"getWeather","arguments":{"city":"paris","days":3}}]</tool_call><|im_end|>';
  const target = [...tok.encode(answer), tok.eosId];
  const next = rng(7);
  const logits = new Float32Array(tok.vocabSize);
  const wanting = (ids: readonly number[]) => (pos: number) => {
    for (let i = 0; i < logits.length; i++) logits[i] = next() - 0.5;
    logits[ids[Math.min(pos, ids.length - 1)]!] = 20;
    return logits;
  };
  const c: Case = { tools, toolChoice: "auto", maxTokens: 200 };
  const constraint = constraintFor(c);
  const out = decode(constraint, c.maxTokens, wanting(target));
  assert.equal(out.tokens, target.slice(0, -1));
  assert.is(out.finish, "stop");
  assert.not.ok(constraint.shapedByBudget);
  assert.ok(constraint.callConfidence(0) > 0.99, `confidence ${constraint.callConfidence(0)}`);
  assert.ok(constraint.noCallConfidence < 0.01, `noCallConfidence ${constraint.noCallConfidence}`);
  // The snake_case name is not the tool's name as the prompt shows it.
  const snake = [...tok.encode(answer.replace("getWeather", "get_weather")), tok.eosId];
  const required: Case = { ...c, toolChoice: "required" };
  const held = decode(constraintFor(required), c.maxTokens, wanting(snake));
  const calls = JSON.parse(checkAnswer(required, held.tokens, "snake_case name").callText) as { name: string }[];
  assert.equal(calls.map((call) => call.name), ["getWeather"]);
});

test("at the minimum maxTokens the answer still finishes: the reasoning is cut, the list is the shortest, finishing changed the choice", () => {
  const tools = [{ name: "set timer", parameters: { type: "object", properties: { minutes: { type: "number" }, label: { type: "string" } }, required: ["minutes"] } }];
  const next = rng(11);
  const logits = new Float32Array(tok.vocabSize);
  for (const toolChoice of ["auto", "required", { name: "set timer" }] as const) {
    const c: Case = { tools, toolChoice, maxTokens: 1 };
    c.maxTokens = constraintFor(c).minTokens;
    const constraint = constraintFor(c);
    const out = decode(constraint, c.maxTokens, () => {
      for (let i = 0; i < logits.length; i++) logits[i] = next() * 4;
      return logits;
    });
    assert.is(out.finish, "stop");
    const answer = checkAnswer(c, out.tokens, JSON.stringify(toolChoice));
    assert.is(answer.reasoning, "");
    assert.ok(constraint.shapedByBudget);
    if (toolChoice === "auto") assert.is(answer.callText, "[]");
  }
  assert.is(constraintFor({ tools, toolChoice: "auto", maxTokens: 1 }).minTokens, OPEN_IDS.length + tok.encode("</think>\n<tool_call>").length - 1 + "[]".length + 3);
});

test("TokenBytes for Needle 2: a byte piece is its byte, ▁ a space, markers and control pieces nothing", () => {
  const bytes = TokenBytes.forNeedle2(tok);
  const of = (id: number) => [...bytes.data.subarray(bytes.start[id]!, bytes.start[id + 1]!)];
  assert.equal(of(tok.pieceToId("<0x0A>")), [10]);
  assert.equal(of(tok.pieceToId("\u2581")), [32]);
  assert.equal(of(tok.pieceToId("\u2581t")), [32, 116]);
  for (const marker of ["<tool_call>", "</tool_call>", "<think>", "<|im_end|>"]) assert.equal(of(tok.pieceToId(marker)), [], marker);
  for (const id of [tok.eosId, tok.bosId, tok.padId, tok.unkId]) assert.equal(of(id), []);
  assert.ok(bytes.bytewise);
  assert.is(TokenBytes.forNeedle2(tok), bytes, "built once per tokenizer");
});

// The fixtures hold 128 positions: small tools leave room for an answer.
const SMALL_TOOLS = [
  [{ name: "getWeather", parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] } }],
  [{ name: "t", parameters: { type: "object", properties: { n: { type: "integer" }, on: { type: "boolean" } }, required: ["n"] } }, { name: "Mail.send" }],
  [{ name: "play", parameters: { type: "object", properties: { k: { type: "string", enum: ["a", "b"] } } } }, { name: "stop" }],
] as const;

for (const model of NEEDLE2_MODELS) {
  test(`${model} through Needle: every toolChoice on small tool lists gives an answer that parses and validates, with its reasoning`, async () => {
    const needle = await Needle.load({ weights: readNeedle2Model(model) });
    let calls = 0;
    for (const [t, tools] of SMALL_TOOLS.entries()) {
      for (const [q, query] of QUERIES.entries()) {
        for (const toolChoice of ["auto", "required", { name: tools[(t + q) % tools.length]!.name }] as const) {
          const label = `${model} tools ${t} query ${q}`;
          const request = planNeedle2Request(needle.tokenizer as Needle2Tokenizer, 128, query, tools as unknown as ToolsInput, { toolChoice });
          const room = 128 - request.promptIds.length;
          assert.ok(room >= new Needle2SchemaConstraint(needle.tokenizer as Needle2Tokenizer, request.grammar!, { maxTokens: 1 }).minTokens, `${label}: the prompt leaves room for an answer`);
          const result = await needle.call(query, tools as unknown as ToolsInput, { toolChoice });
          const answer = checkAnswer({ tools: tools as unknown as ToolsInput, toolChoice, maxTokens: 0 }, result.tokens, label);
          assert.is(result.error, undefined, label);
          assert.is(result.reasoning, answer.reasoning ?? undefined, label);
          assert.equal(result.calls.map((call) => call.name), (JSON.parse(answer.callText) as { name: string }[]).map((call) => call.name), label);
          result.calls.forEach((call) => assert.ok(call.confidence! >= 0 && call.confidence! <= 1, label));
          if (typeof toolChoice === "object") assert.equal(result.calls.map((call) => call.name), [toolChoice.name], label);
          if (toolChoice !== "auto") assert.is(result.noCallConfidence, 0, label);
          calls += result.calls.length;
        }
      }
    }
    assert.ok(calls >= 2 * SMALL_TOOLS.length * QUERIES.length, `${calls} calls`);
    needle.dispose();
  });
}

test("Needle 2 through Needle: toolChoice none decodes nothing; the minimum maxTokens finishes; stream gives call's tokens; the server honours tool_choice", async () => {
  const needle = await Needle.load({ weights: readNeedle2Model("tiny_a") });
  const tools = SMALL_TOOLS[0] as unknown as ToolsInput;
  const none = await needle.call("weather?", tools, { toolChoice: "none" });
  assert.equal([none.calls, none.tokens, none.text, none.steps, none.noCallConfidence, none.error], [[], [], "", 0, 1, undefined]);
  for (const toolChoice of ["auto", "required"] as const) {
    const request = planNeedle2Request(needle.tokenizer as Needle2Tokenizer, 128, "weather?", tools, { toolChoice });
    const maxTokens = new Needle2SchemaConstraint(needle.tokenizer as Needle2Tokenizer, request.grammar!, { maxTokens: 1 }).minTokens;
    const result: CallResult = await needle.call("weather?", tools, { toolChoice, maxTokens });
    checkAnswer({ tools, toolChoice, maxTokens }, result.tokens, `minimum ${toolChoice}`);
    assert.is(result.finishReason, "length", "the budget cut the reasoning");
    assert.ok(result.steps <= maxTokens && result.tokens.at(-1) === needle.tokenizer.pieceToId("<|im_end|>"), "EOS within maxTokens");
    const streamed: number[] = [];
    let text = "";
    let last: CallResult | undefined;
    for await (const event of needle.stream("weather?", tools, { toolChoice, maxTokens })) {
      if (event.type === "token") {
        streamed.push(event.token);
        text += event.text;
      } else last = event.result;
    }
    assert.equal([streamed, text, last!.calls], [result.tokens, result.text, result.calls]);
  }
  const handler = createHandler(needle);
  for (const toolChoice of ["required", { type: "function", function: { name: "getWeather" } }]) {
    const response = await handler(new Request("http://x/v1/chat/completions", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "needle", messages: [{ role: "user", content: "weather in paris?" }], tools: [{ type: "function", function: SMALL_TOOLS[0][0] }], tool_choice: toolChoice }),
    }));
    assert.is(response.status, 200);
    const body = (await response.json()) as { choices: { message: { tool_calls: { function: { name: string } }[] }; finish_reason: string }[] };
    assert.equal(body.choices[0]!.message.tool_calls.map((call) => call.function.name), ["getWeather"]);
  }
  needle.dispose();
});

test.run();
