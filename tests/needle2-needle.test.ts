// Needle 2 through the public API: Needle.load of a .cact (bytes, path, file
// URL, Blob stream) gives a Needle whose call/stream/callMany generate the
// goldens' greedy ids (decode.py semantics: argmax, EOS stops), with the
// answer parsed; rank() ranks by the contrastive head; each model refuses
// the other's options with a typed error.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { pathToFileURL } from "node:url";
import { Needle, NeedleModel, createHandler, type CallResult } from "../lib/index.ts";
import { Needle2Model } from "../lib/needle2/model.ts";
import { FIXTURES } from "./helpers.ts";
import { NEEDLE2_FIXTURES, readNeedle2Golden, readNeedle2Model } from "./needle2-helpers.ts";

const golden = readNeedle2Golden("tiny_a");
const chats = golden.cases.filter((c) => c.prompt.query !== undefined);
const STEPS = golden.settings.max_new_tokens;
const needlePromise = Needle.load({ weights: readNeedle2Model("tiny_a") });

async function code(run: () => Promise<unknown>): Promise<string> {
  try {
    await run();
  } catch (e) {
    return e instanceof DOMException ? e.name : ((e as { code?: string }).code ?? String(e));
  }
  return "none";
}

function expectGolden(result: CallResult, c: (typeof chats)[number]): void {
  assert.equal(result.tokens, c.greedy_ids);
  assert.is(result.finishReason, c.greedy_ids.length < STEPS ? "stop" : "length");
}

test("Needle.load of a .cact: call gives every golden chat case's greedy ids; the answer is parsed", async () => {
  const needle = await needlePromise;
  assert.instance(needle.model, Needle2Model);
  for (const c of chats) {
    const result = await needle.call(c.prompt.query!, c.prompt.tools as never, { constrained: false, maxTokens: STEPS, ...(c.prompt.system ? { system: c.prompt.system } : {}) });
    expectGolden(result, c);
    // Random weights write no <tool_call> block.
    assert.is(result.error?.code, "NO_TOOL_CALL");
    assert.equal(result.calls, []);
  }
});

test("stream yields the same ids and result, its deltas adding up to the decoded answer; callMany matches call", async () => {
  const needle = await needlePromise;
  const c = chats[0]!;
  const tokens: number[] = [];
  let text = "";
  let result: CallResult | undefined;
  for await (const event of needle.stream(c.prompt.query!, c.prompt.tools as never, { constrained: false, maxTokens: STEPS })) {
    if (event.type === "token") {
      tokens.push(event.token);
      text += event.text;
    } else result = event.result;
  }
  assert.equal(tokens, c.greedy_ids);
  expectGolden(result!, c);
  assert.is(text, needle.tokenizer.decode(c.greedy_ids));
  assert.is(result!.text, text);
  const many = await needle.callMany(chats.map((x) => ({ query: x.prompt.query!, tools: x.prompt.tools as never, options: { constrained: false, maxTokens: STEPS, ...(x.prompt.system ? { system: x.prompt.system } : {}) } })));
  many.forEach((r, i) => expectGolden(r, chats[i]!));
});

test("a path, a file URL and a Blob (streamed) load the same model", async () => {
  const path = `${NEEDLE2_FIXTURES}models/tiny_a.cact`;
  const c = chats[1]!;
  for (const weights of [path, pathToFileURL(path), new Blob([readNeedle2Model("tiny_a") as Uint8Array<ArrayBuffer>])]) {
    const needle = await Needle.load({ weights, dtype: "int8", maxSequenceLength: 128 });
    assert.is((needle.model as Needle2Model).dtype, "int8");
    assert.is((needle.model as Needle2Model).maxSequenceLength, 128);
    assert.ok((await needle.call(c.prompt.query!, c.prompt.tools as never, { maxTokens: 4 })).tokens.length > 0);
    needle.dispose();
  }
});

test("rank() orders the tools by the contrastive head; a file without it says NO_PROBE_HEAD", async () => {
  const needle = await needlePromise;
  const model = needle.model as Needle2Model;
  const tools = chats[1]!.prompt.tools as { name: string }[];
  const ranked = await needle.rank("set a timer", tools as never);
  const q = model.embed(needle.tokenizer.encode("set a timer"));
  const scores = tools.map((t) => {
    const e = model.embed(needle.tokenizer.encode(JSON.stringify(t)));
    return e.reduce((a, v, i) => a + v * q[i]!, 0);
  });
  assert.equal(ranked.map((r) => r.index), [0, 1].sort((a, b) => scores[b]! - scores[a]!));
  ranked.forEach((r) => assert.ok(Math.abs(r.score - scores[r.index]!) < 1e-6));
  assert.is((await needle.rank("set a timer", tools as never, 1)).length, 1);
  const b = await Needle.load({ weights: readNeedle2Model("tiny_b") });
  assert.is(await code(() => b.rank("x", tools as never)), "NO_PROBE_HEAD");
  b.dispose();
});

test("options of the other model are refused by name", async () => {
  const needle = await needlePromise;
  const c = chats[0]!;
  const tools = c.prompt.tools as never;
  for (const options of [{ constrained: true }, { constrained: "reference" as const }, { prefix: "[" }, { constrained: false, toolChoice: "required" as const }]) {
    assert.is(await code(() => needle.call(c.prompt.query!, tools, options)), "NOT_FOR_NEEDLE2");
  }
  const cact = readNeedle2Model("tiny_a");
  for (const options of [{ dtype: "f16" as const }, { threads: 2 }, { tokenizer: `${FIXTURES}tokenizer/needle_test.model` }, { maxDecoderLength: 64 }]) {
    assert.is(await code(() => Needle.load({ weights: cact, ...options })), "NOT_FOR_NEEDLE2");
  }
  assert.is(await code(() => NeedleModel.load(cact)), "CACT_WEIGHTS");
  const v1 = { weights: `${FIXTURES}tiny/needle_tiny.p4_numpy1.pkl`, tokenizer: `${FIXTURES}tokenizer/needle_test.model` };
  assert.is(await code(() => Needle.load({ ...v1, maxSequenceLength: 64 })), "NOT_FOR_NEEDLE1");
  assert.is(await code(() => Needle.load({ ...v1, kvWindow: 8 })), "NOT_FOR_NEEDLE1");
  const windowed = await Needle.load({ weights: cact, kvWindow: 8 });
  assert.is((windowed.model as Needle2Model).kvWindow, 8);
  windowed.dispose();
  const n1 = await Needle.load(v1);
  assert.is(await code(() => n1.call("q", [], { system: "date: 2026-07-21" })), "NOT_FOR_NEEDLE1");
  n1.dispose();
});

test("prompt() gives the ids prefill runs; createHandler serves a .cact (usage counts those ids)", async () => {
  const needle = await needlePromise;
  const c = chats[0]!;
  const prompt = needle.prompt(c.prompt.query!, c.prompt.tools as never);
  assert.equal(prompt.encoderIds, c.prompt_ids);
  assert.equal(prompt.nameMap, {});
  const handler = createHandler(needle);
  const response = await handler(new Request("http://x/v1/chat/completions", {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({ model: "needle", messages: [{ role: "user", content: c.prompt.query }], tools: (c.prompt.tools as object[]).map((t) => ({ type: "function", function: t })), max_tokens: 8 }),
  }));
  assert.is(response.status, 200);
  const body = (await response.json()) as { usage: { prompt_tokens: number; completion_tokens: number } };
  assert.equal([body.usage.prompt_tokens, body.usage.completion_tokens], [c.prompt_ids.length, 8]);
});

test("an aborted call throws AbortError and the session stays usable", async () => {
  const needle = await needlePromise;
  const c = chats[0]!;
  const controller = new AbortController();
  controller.abort();
  assert.is(await code(() => needle.call(c.prompt.query!, c.prompt.tools as never, { signal: controller.signal })), "AbortError");
  expectGolden(await needle.call(c.prompt.query!, c.prompt.tools as never, { constrained: false, maxTokens: STEPS }), c);
});

test.run();
