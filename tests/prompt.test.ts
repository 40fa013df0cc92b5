import { test } from "uvu";
import * as assert from "uvu/assert";
import { InputError } from "../lib/errors.ts";
import { buildEncoderInput } from "../lib/prompt.ts";
import { outputText, parseCalls, stripToolCall } from "../lib/calls.ts";
import { readFixtureJson } from "./helpers.ts";

interface Run { raw_text: string; text: string }
interface ModelCase {
  id: string; name_map: Record<string, string>; query_ids: number[]; tools_ids_count: number; encoder_input_ids: number[];
  unconstrained: Run; constrained: Run; forced: Run[];
}

const cases = [
  ...readFixtureJson<{ cases: ModelCase[] }>("tiny/model_goldens.json").cases,
  ...readFixtureJson<{ cases: ModelCase[] }>("ffn/model_goldens.json").cases,
];
const range = (n: number, from = 0) => Array.from({ length: n }, (_, i) => from + i);

test("encoder input: query, <tools>, tools (model_goldens cases)", () => {
  for (const c of cases) {
    const q = c.query_ids.length;
    const tools = c.encoder_input_ids.slice(q + 1);
    assert.is(tools.length, c.tools_ids_count, c.id);
    assert.equal(buildEncoderInput(c.query_ids, tools), c.encoder_input_ids, c.id);
  }
});

test("encoder input: the query is cut to maxLen - 2 and the tools fill what is left", () => {
  const tools = range(3000, 10000);
  assert.equal(buildEncoderInput([7, 8], [9]), [7, 8, 5, 9]);
  assert.equal(buildEncoderInput(range(2000), tools), [...range(1022), 5, 10000]);
  assert.equal(buildEncoderInput(range(1022), tools), [...range(1022), 5, 10000]);
  assert.equal(buildEncoderInput(range(1000), tools), [...range(1000), 5, ...range(23, 10000)]);
  assert.equal(buildEncoderInput([], tools).length, 1024);
  assert.equal(buildEncoderInput(range(20), range(20, 100), 9, 10), [...range(8), 9, 100]);
  assert.equal(buildEncoderInput([], [], 9, 2), [9]);
});

test("encoder input: maxLen below 2 is an InputError", () => {
  assert.throws(() => buildEncoderInput([1], [2], 5, 1), (e: unknown) => e instanceof InputError && e.code === "BAD_MAX_LEN");
  assert.throws(() => buildEncoderInput([1], [2], 5, 2.5), (e: unknown) => e instanceof InputError && e.code === "BAD_MAX_LEN");
});

test("output text of every run in model_goldens: <tool_call> stripped, names restored", () => {
  let runs = 0;
  for (const c of cases) {
    for (const run of [c.unconstrained, c.constrained, ...c.forced]) {
      assert.is(outputText(run.raw_text, c.name_map), run.text, `${c.id}: ${run.raw_text.slice(0, 60)}`);
      runs++;
    }
  }
  assert.is(runs, 40);
});

test("only one leading <tool_call> is stripped", () => {
  assert.is(stripToolCall("<tool_call><tool_call>[]"), "<tool_call>[]");
  assert.is(stripToolCall(" <tool_call>[]"), " <tool_call>[]");
});

test("output text: where Python would raise, the model's text is kept", () => {
  const text = '[{"name":["get_weather"]}]';
  assert.is(outputText(`<tool_call>${text}`, { get_weather: "getWeather" }), text);
});

test("parseCalls: calls with the caller's names and plain argument values", () => {
  const parsed = parseCalls('<tool_call> [{"name":"get_weather","arguments":{"location":"S\\u00e3o Paulo","days":3,"t":1.0,"big":12345678901234567890}},'
    + '{"name":"unknown_tool","arguments":{}}]', { get_weather: "getWeather" });
  assert.equal(parsed, {
    ok: true,
    calls: [
      { name: "getWeather", arguments: { location: "São Paulo", days: 3, t: 1, big: 12345678901234567890n } },
      { name: "unknown_tool", arguments: {} },
    ],
  });
  assert.equal(parseCalls("[]", {}), { ok: true, calls: [] });
});

test("parseCalls: malformed output is reported, not thrown", () => {
  const code = (text: string) => {
    const parsed = parseCalls(text, {});
    return parsed.ok ? "ok" : parsed.error.code;
  };
  assert.is(code('[{"name":"a","arguments":{}}'), "INVALID_JSON");
  assert.is(code(""), "INVALID_JSON");
  assert.is(code("[" + "[".repeat(1000) + "]".repeat(1001)), "INVALID_JSON");
  assert.is(code('{"name":"a","arguments":{}}'), "NOT_A_LIST");
  assert.is(code("[1]"), "BAD_CALL");
  assert.is(code('[{"arguments":{}}]'), "BAD_CALL");
  assert.is(code('[{"name":"a"}]'), "BAD_CALL");
  assert.is(code('[{"name":"a","arguments":[1]}]'), "BAD_CALL");
  const parsed = parseCalls('<tool_call>[{"name":"a","arguments":{"x":1}}', {});
  assert.ok(!parsed.ok && parsed.error.text === '[{"name":"a","arguments":{"x":1}}' && parsed.error.message.includes("line 1 column"));
});

test("parseCalls: the real-weights conformance answers parse, except the 7 that are not JSON", () => {
  const examples = readFixtureJson<{ examples: { expected_text: string }[] }>("../conformance/real-weights-e2e.json").examples;
  const results = examples.map((e) => parseCalls(e.expected_text, {}));
  assert.is(results.filter((r) => r.ok).length, 553);
  for (const r of results) if (!r.ok) assert.is(r.error.code, "INVALID_JSON");
});

test.run();
