// Needle.call / stream with constrained: "schema" on the bundled demo model:
// everyday requests give answers that parse and fit the tools, every
// toolChoice form works, and results carry confidences and warnings.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { Needle } from "../lib/needle.ts";
import { prepareTools } from "../lib/tools.ts";
import { validateAnswer } from "./schema-validator.ts";

const needle = await Needle.load();
const SCHEMA = { constrained: "schema" } as const;
const tools = [
  { name: "getWeather", description: "Get the current weather for a city.", parameters: { location: { type: "string", description: "The city", required: true }, unit: { type: "string", enum: ["celsius", "fahrenheit"] } } },
  { name: "send_email", description: "Send an email.", parameters: { to: { type: "string", required: true }, subject: { type: "string" }, body: { type: "string", required: true } } },
  { name: "set_timer", description: "Set a countdown timer.", parameters: { duration_minutes: { type: "number", required: true }, label: { type: "string" } } },
  { name: "play_music", description: "Play a song.", parameters: { query: { type: "string", required: true } } },
];
const toolsJson = prepareTools(tools).json;
const QUERIES = [
  "What's the weather in Paris?", "weather in São Paulo in fahrenheit", "Email John that the meeting is moved to 3pm",
  "set a timer for 10 minutes called tea", "play Bohemian Rhapsody", "remind me in 5 min", "how are you today?",
  "send an email to ana@example.com saying hi", "is it raining in Tokyo", "put on some jazz", "timer 90 seconds", "thanks!",
];

/** The answer text in snake_case names, as the validator reads it. */
function snakeText(text: string): string {
  return text.replace('"getWeather"', '"get_weather"');
}

test("everyday requests on the demo model: every answer parses and fits the tools' schemas, with confidences in [0, 1]", async () => {
  for (const query of QUERIES) {
    const result = await needle.call(query, tools, SCHEMA);
    assert.not.ok(result.error, `${query}: ${result.text}`);
    assert.equal(validateAnswer(snakeText(result.text), toolsJson), [], `${query}: ${result.text}`);
    for (const call of result.calls) assert.ok(call.confidence! >= 0 && call.confidence! <= 1, `${query}: ${call.confidence}`);
    assert.ok(result.noCallConfidence! >= 0 && result.noCallConfidence! <= 1);
    assert.is(result.warnings, undefined);
  }
});

test("toolChoice in schema mode: none decodes nothing, required makes a call, { name } exactly one call of that tool", async () => {
  const none = await needle.call("What's the weather in Paris?", tools, { ...SCHEMA, toolChoice: "none" });
  assert.equal(none.calls, []);
  assert.is(none.text, "[]");
  assert.equal(none.tokens, []);
  assert.is(none.noCallConfidence, 1);
  const required = await needle.call("thanks!", tools, { ...SCHEMA, toolChoice: "required" });
  assert.ok(required.calls.length >= 1, required.text);
  assert.is(required.noCallConfidence, 0);
  for (const name of ["getWeather", "set_timer", "play_music"]) {
    const forced = await needle.call("Email John that the meeting is moved to 3pm", tools, { ...SCHEMA, toolChoice: { name } });
    assert.is(forced.calls.length, 1, forced.text);
    assert.is(forced.calls[0]!.name, name);
    assert.equal(validateAnswer(snakeText(forced.text), toolsJson, { requireCall: true, only: name === "getWeather" ? "get_weather" : name }), []);
  }
});

test("a stream in schema mode ends with the result call() gives", async () => {
  const query = "set a timer for 10 minutes called tea";
  const expected = await needle.call(query, tools, SCHEMA);
  let text = "";
  let final;
  for await (const event of needle.stream(query, tools, SCHEMA)) {
    if (event.type === "token") text += event.text;
    else final = event.result;
  }
  assert.equal(final, expected);
  assert.is(text, expected.text);
});

/** The model's own answer text (snake_case names, as the grammar and the validator read them). */
function rawAnswer(tokens: number[]): string {
  return needle.tokenizer.decode(tokens).replace(/^<tool_call>/, "");
}

test("the hand-written set (200 requests, tools written by hand) with the default decoding: every answer parses and fits its tools; every toolChoice form holds", async () => {
  const lines = readFileSync(new URL("../training/eval/handwritten.jsonl", import.meta.url), "utf8").trim().split("\n");
  assert.ok(lines.length >= 150);
  for (const [i, line] of lines.entries()) {
    const c = JSON.parse(line) as { id: string; query: string; tools: unknown };
    const toolsInput = c.tools as Parameters<typeof needle.call>[1];
    const prepared = prepareTools(toolsInput);
    const result = await needle.call(c.query, toolsInput);
    assert.not.ok(result.error, `${c.id}: ${result.text}`);
    assert.equal(validateAnswer(rawAnswer(result.tokens), prepared.json), [], `${c.id}: ${result.text}`);
    if (i % 10 !== 0 || prepared.names.length === 0) continue;
    const required = await needle.call(c.query, toolsInput, { toolChoice: "required" });
    assert.ok(required.calls.length >= 1, `${c.id} required: ${required.text}`);
    assert.equal(validateAnswer(rawAnswer(required.tokens), prepared.json, { requireCall: true }), [], `${c.id} required: ${required.text}`);
    const original = prepared.names[prepared.names.length - 1]!;
    const only = Object.keys(prepared.nameMap).find((snake) => prepared.nameMap[snake] === original) ?? original;
    const named = await needle.call(c.query, toolsInput, { toolChoice: { name: original } });
    assert.is(named.calls.length, 1, `${c.id} { name: ${only} }: ${named.text}`);
    assert.equal(validateAnswer(rawAnswer(named.tokens), prepared.json, { requireCall: true, only }), [], `${c.id} { name: ${only} }: ${named.text}`);
    const none = await needle.call(c.query, toolsInput, { toolChoice: "none" });
    assert.equal([none.calls, none.tokens], [[], []]);
  }
});

test("a schema the grammar cannot enforce is reported in result.warnings", async () => {
  const result = await needle.call("weather in Paris", [{ name: "get_weather", parameters: { location: { type: "string", pattern: "^[A-Z]", required: true } } }], SCHEMA);
  assert.equal(result.warnings, ['get_weather.location: "pattern" is not enforced']);
  assert.not.ok(result.error);
});

test.run();
