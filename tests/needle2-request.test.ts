// A Needle 2 call's request: the golden prompts' ids from the caller's tools
// (also OpenAI-wrapped), Needle 1's options refused with NOT_FOR_NEEDLE2, the
// system option, and a prompt cut as generate_cached cuts it, with the query
// and tools tokens it dropped.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readCact } from "../lib/needle2/cact.ts";
import { planNeedle2Request, readNeedle2Answer } from "../lib/needle2/request.ts";
import { Needle2Tokenizer, parseTokenizerBlob } from "../lib/needle2/tokenizer.ts";
import { NEEDLE2_MODELS, readNeedle2Golden, readNeedle2Model } from "./needle2-helpers.ts";

const file = readCact(readNeedle2Model("tiny_a"));
const blob = file.tokenizer!;
const tok = new Needle2Tokenizer(parseTokenizerBlob(file.bytes.subarray(blob.offset, blob.offset + blob.nbytes), file.header.vocab));

function code(run: () => unknown): string {
  try {
    run();
  } catch (e) {
    return (e as { code: string }).code;
  }
  return "none";
}

test("the golden chat prompts, from plain and OpenAI-wrapped tools", () => {
  for (const m of NEEDLE2_MODELS) {
    for (const c of readNeedle2Golden(m).cases) {
      if (c.prompt.query === undefined) continue;
      const tools = c.prompt.tools ?? [];
      const options = c.prompt.system ? { system: c.prompt.system } : {};
      assert.equal(planNeedle2Request(tok, 1024, c.prompt.query, tools as never, options).promptIds, c.prompt_ids);
      const wrapped = tools.map((t) => ({ type: "function", function: t }));
      assert.equal(planNeedle2Request(tok, 1024, c.prompt.query, wrapped as never, options).promptIds, c.prompt_ids);
    }
  }
});

test("Needle 1's options without a Needle 2 meaning are refused; schema mode (the default) takes every toolChoice", () => {
  const tools = [{ name: "getWeather", parameters: { type: "object", properties: { city: { type: "string" } } } }];
  const plan = (o: Record<string, unknown>, list: unknown[] = tools) => () => planNeedle2Request(tok, 1024, "hi", list as never, o);
  assert.is(code(plan({ constrained: true })), "NOT_FOR_NEEDLE2");
  assert.is(code(plan({ constrained: "reference" })), "NOT_FOR_NEEDLE2");
  assert.is(code(plan({ prefix: "[" })), "NOT_FOR_NEEDLE2");
  assert.is(code(plan({ constrained: false, toolChoice: { name: "getWeather" } })), "NOT_FOR_NEEDLE2");
  assert.is(code(plan({ constrained: false, toolChoice: "required" })), "NOT_FOR_NEEDLE2");
  assert.is(code(plan({ toolChoice: { name: "get_weather_x" } })), "UNKNOWN_TOOL");
  assert.is(code(plan({ toolChoice: "required" }, [])), "BAD_TOOL_CHOICE");
  assert.is(code(plan({ constrained: false, toolChoice: "auto" })), "none");
  assert.is(code(plan({ constrained: false, toolChoice: "none" })), "none");
  assert.is(planNeedle2Request(tok, 1024, "hi", tools, { constrained: false }).grammar, null);
  assert.is(planNeedle2Request(tok, 1024, "hi", tools, { toolChoice: "none" }).skip, true);
  const named = planNeedle2Request(tok, 1024, "hi", tools, { toolChoice: { name: "getWeather" } }).grammar!;
  assert.equal([named.tools, named.requireCall, named.single], [1, true, true]);
  assert.is(planNeedle2Request(tok, 1024, "hi", tools, { toolChoice: { name: "get_weather" } }).grammar!.tools, 1, "the snake_case form names it too");
  assert.equal([planNeedle2Request(tok, 1024, "hi", tools, {}).grammar!.requireCall, planNeedle2Request(tok, 1024, "hi", tools, { toolChoice: "required" }).grammar!.single], [false, false]);
  assert.is(code(plan({ system: 5 })), "BAD_OPTION");
  assert.is(code(plan({ maxTokens: 1024 })), "BAD_MAX_TOKENS");
  assert.is(code(plan({ maxTokens: 1023 })), "none");
});

test("a long prompt is cut to maxSequenceLength - 1 ids; the dropped query and tools tokens are counted", () => {
  const tools = [{ name: "lookup", description: "look something up ".repeat(20), parameters: { type: "object", properties: { q: { type: "string" } } } }];
  const query = "please find the thing I asked about yesterday ".repeat(10);
  const full = planNeedle2Request(tok, 4096, query, tools, {}).promptIds;
  const tail = tok.encode("<|im_end|>\n<|im_start|>assistant\n").length;
  for (const limit of [full.length - tail - 3, full.length - 40, 60]) {
    const r = planNeedle2Request(tok, limit, query, tools, {});
    assert.equal(r.promptIds, full.slice(0, limit - 1));
    const dropped = full.length - (limit - 1);
    const { queryTokens, toolsTokens } = r.truncated!;
    // The query and the tools are cut from their ends; the markers around them are not counted.
    assert.ok(queryTokens + toolsTokens < dropped && queryTokens + toolsTokens >= dropped - tail - 4, `${limit}: ${queryTokens} + ${toolsTokens} of ${dropped}`);
    if (limit > 200) assert.is(toolsTokens, 0);
    else assert.ok(toolsTokens > 0);
  }
  assert.is(code(() => planNeedle2Request(tok, 60, query, tools, { overflow: "error" })), "PROMPT_TOO_LONG");
});

test("an answer's ids read back into calls, OpenAI tool calls and the reasoning", () => {
  const ids = tok.encode('<think>paris -> city</think>\n<tool_call>[{"name":"get_weather","arguments":{"city":"paris"}}]</tool_call><|im_end|>');
  const r = readNeedle2Answer(tok, ids);
  assert.is(r.reasoning, "paris -> city");
  assert.equal(r.calls, [{ name: "get_weather", arguments: { city: "paris" } }]);
  assert.is(r.text, '<think>paris -> city</think>\n<tool_call>[{"name":"get_weather","arguments":{"city":"paris"}}]</tool_call><|im_end|>');
  assert.is(readNeedle2Answer(tok, tok.encode("QQQ")).error?.code, "NO_TOOL_CALL");
});

test.run();
