// What the OpenAI-compatible endpoint's tests share: tools in OpenAI's
// format, requests the demo model answers with real calls, the answers
// expected (Needle's own JS API on the same model: the endpoint must carry
// them unchanged), and checks that drive the official `openai` client and
// the Vercel AI SDK against an endpoint, wherever it runs.

import * as assert from "uvu/assert";
import OpenAI from "openai";
import { createOpenAICompatible } from "@ai-sdk/openai-compatible";
import { asSchema, generateText, streamText, tool, type FlexibleSchema } from "ai";
import { z } from "zod";
import type { CallOptions, Needle } from "../lib/index.ts";

export const TOOLS: OpenAI.Chat.Completions.ChatCompletionFunctionTool[] = [
  { type: "function", function: { name: "get_weather", description: "Get current weather for a city.", parameters: { type: "object", properties: { location: { type: "string", description: "City name." } }, required: ["location"] } } },
  { type: "function", function: { name: "set_timer", description: "Set a timer.", parameters: { type: "object", properties: { minutes: { type: "integer", description: "Duration in minutes." } }, required: ["minutes"] } } },
  { type: "function", function: { name: "send_message", description: "Send a text message to a contact.", parameters: { type: "object", properties: { recipient: { type: "string", description: "Contact name." }, message: { type: "string", description: "Message text." } }, required: ["recipient", "message"] } } },
];

export const WEATHER = "what's the weather in Paris";
/** Two calls from the demo model. */
export const TWO_CALLS = "what's the weather in Paris and set a timer for 10 minutes";
/** No call from the demo model (when it may choose). */
export const SMALL_TALK = "tell me a joke";

export interface Call {
  name: string;
  arguments: unknown;
}

/** The calls Needle's JS API makes for `query` with `options`: what the endpoint must answer. */
export async function expectedCalls(needle: Needle, query: string, options: CallOptions = {}): Promise<Call[]> {
  const result = await needle.call(query, TOOLS, options);
  return result.toolCalls.map((c) => ({ name: c.function.name, arguments: JSON.parse(c.function.arguments) }));
}

/** The tool calls of a completion, arguments parsed. */
export function callsOf(message: { tool_calls?: { type: string; function?: { name: string; arguments: string } }[] | null }): Call[] {
  return (message.tool_calls ?? []).map((c) => ({ name: c.function!.name, arguments: JSON.parse(c.function!.arguments) }));
}

/** A streamed completion put back together as a client does: deltas by index, names from the first, arguments concatenated. */
export async function assembleStream(stream: AsyncIterable<OpenAI.Chat.Completions.ChatCompletionChunk>): Promise<{ calls: Call[]; ids: string[]; finish: string | null; usage: OpenAI.CompletionUsage | null; chunks: number }> {
  const parts: { id: string; name: string; args: string }[] = [];
  let finish: string | null = null;
  let usage: OpenAI.CompletionUsage | null = null;
  let chunks = 0;
  for await (const chunk of stream) {
    chunks++;
    if (chunk.usage) usage = chunk.usage;
    const choice = chunk.choices[0];
    if (!choice) continue;
    for (const delta of choice.delta.tool_calls ?? []) {
      if (delta.id !== undefined) {
        assert.is(parts[delta.index], undefined, `call ${delta.index}: id sent twice`);
        assert.is(delta.type, "function");
        parts[delta.index] = { id: delta.id, name: delta.function!.name!, args: delta.function?.arguments ?? "" };
      } else {
        assert.ok(parts[delta.index], `call ${delta.index}: arguments before its id and name`);
        parts[delta.index]!.args += delta.function?.arguments ?? "";
      }
    }
    if (choice.finish_reason) finish = choice.finish_reason;
  }
  return { calls: parts.map((p) => ({ name: p.name, arguments: JSON.parse(p.args) })), ids: parts.map((p) => p.id), finish, usage, chunks };
}

const create = (client: OpenAI, content: string, extra: Partial<OpenAI.Chat.Completions.ChatCompletionCreateParamsNonStreaming> = {}) =>
  client.chat.completions.create({ model: "needle", messages: [{ role: "system", content: "You route requests to tools." }, { role: "user", content }], tools: TOOLS, ...extra });

/**
 * The openai client against an endpoint: plain and streamed completions,
 * every tool_choice, parallel_tool_calls, usage, each answer equal to
 * Needle's own on `needle` (the model the endpoint serves). `where` names
 * the endpoint in failures.
 */
export async function checkOpenAIClient(client: OpenAI, needle: Needle, where: string): Promise<void> {
  const weather = await expectedCalls(needle, WEATHER);
  assert.equal(weather, [{ name: "get_weather", arguments: { location: "Paris" } }], `${where}: the demo model's answer (the expectation itself)`);

  const plain = await create(client, WEATHER);
  assert.is(plain.object, "chat.completion", `${where}: object`);
  assert.is(plain.choices.length, 1, `${where}: one choice`);
  assert.is(plain.choices[0]!.finish_reason, "tool_calls", `${where}: finish_reason`);
  assert.is(plain.choices[0]!.message.role, "assistant", `${where}: role`);
  assert.equal(callsOf(plain.choices[0]!.message), weather, `${where}: tool calls`);
  const prompt = needle.prompt(WEATHER, TOOLS);
  const steps = (await needle.call(WEATHER, TOOLS)).tokens.length + 1;
  assert.equal(plain.usage, { prompt_tokens: prompt.encoderIds.length, completion_tokens: steps, total_tokens: prompt.encoderIds.length + steps }, `${where}: usage`);

  const streamed = await assembleStream(await client.chat.completions.create({ model: "needle", messages: [{ role: "user", content: TWO_CALLS }], tools: TOOLS, stream: true, stream_options: { include_usage: true } }));
  const two = await expectedCalls(needle, TWO_CALLS);
  assert.is(two.length, 2, `${where}: the demo model makes two calls here`);
  assert.equal(streamed.calls, two, `${where}: streamed tool calls`);
  assert.is(new Set(streamed.ids).size, 2, `${where}: each streamed call has its own id`);
  assert.is(streamed.finish, "tool_calls", `${where}: streamed finish_reason`);
  assert.ok(streamed.chunks > 6, `${where}: arguments came in fragments (${streamed.chunks} chunks)`);
  assert.is(streamed.usage?.prompt_tokens, needle.prompt(TWO_CALLS, TOOLS).encoderIds.length, `${where}: streamed usage`);

  const auto = await create(client, SMALL_TALK, { tool_choice: "auto" });
  assert.equal(callsOf(auto.choices[0]!.message), await expectedCalls(needle, SMALL_TALK), `${where}: tool_choice auto`);
  assert.is(auto.choices[0]!.finish_reason, "stop", `${where}: no call is finish_reason stop`);
  assert.is(auto.choices[0]!.message.content, "", `${where}: no call is an empty assistant message`);

  const none = await create(client, WEATHER, { tool_choice: "none" });
  assert.equal(callsOf(none.choices[0]!.message), [], `${where}: tool_choice none makes no call`);
  assert.is(none.usage?.completion_tokens, 0, `${where}: tool_choice none decodes nothing`);

  const required = await create(client, SMALL_TALK, { tool_choice: "required" });
  const forced = callsOf(required.choices[0]!.message);
  assert.is(forced.length, 1, `${where}: tool_choice required makes a call where auto makes none`);
  assert.ok(TOOLS.some((t) => t.function.name === forced[0]!.name), `${where}: a declared tool`);

  const named = await create(client, WEATHER, { tool_choice: { type: "function", function: { name: "get_weather" } } });
  assert.equal(callsOf(named.choices[0]!.message), await expectedCalls(needle, WEATHER, { toolChoice: { name: "get_weather" } }), `${where}: a named tool_choice is Needle's toolChoice`);

  const single = await create(client, TWO_CALLS, { parallel_tool_calls: false });
  assert.equal(callsOf(single.choices[0]!.message), two.slice(0, 1), `${where}: parallel_tool_calls false keeps the first call`);

  const models = await client.models.list();
  assert.is(models.data.length, 1, `${where}: one model`);
  assert.is((await client.models.retrieve(models.data[0]!.id)).id, models.data[0]!.id, `${where}: models.retrieve`);
}

/** The AI SDK's openai-compatible provider: generateText and streamText with zod tools get Needle's calls. */
export async function checkAiSdk(options: { baseURL: string; apiKey?: string; fetch?: typeof fetch }, needle: Needle, where: string): Promise<void> {
  const provider = createOpenAICompatible({ name: "needle", baseURL: options.baseURL, ...(options.apiKey ? { apiKey: options.apiKey } : {}), ...(options.fetch ? { fetch: options.fetch } : {}) });
  const tools = {
    get_weather: tool({ description: "Get current weather for a city.", inputSchema: z.object({ location: z.string().describe("City name.") }) }),
    set_timer: tool({ description: "Set a timer.", inputSchema: z.object({ minutes: z.number().int().describe("Duration in minutes.") }) }),
  };
  // The tools as the SDK sends them: zod's JSON Schema (with its integer bounds and additionalProperties), which schema decoding follows.
  const sent = await Promise.all(Object.entries(tools).map(async ([name, t]) => ({ type: "function" as const, function: { name, description: t.description ?? "", parameters: (await asSchema(t.inputSchema as FlexibleSchema<unknown>).jsonSchema) as Record<string, unknown> } })));
  const expected = (await needle.call(TWO_CALLS, sent)).calls.map((c) => ({ toolName: c.name, input: c.arguments }));
  assert.is(expected.length, 2, `${where}: the demo model makes two calls here`);
  const generated = await generateText({ model: provider("needle"), tools, prompt: TWO_CALLS });
  assert.equal(generated.toolCalls.map((c) => ({ toolName: c.toolName, input: c.input })), expected, `${where}: generateText tool calls`);
  assert.is(generated.finishReason, "tool-calls", `${where}: generateText finishReason`);

  const streamErrors: unknown[] = [];
  const streamed = streamText({ model: provider("needle"), tools, prompt: TWO_CALLS, onError: ({ error }) => void streamErrors.push(error) });
  const calls = await streamed.toolCalls;
  assert.equal(streamErrors.map(String), [], `${where}: streamText reports no error (every chunk passes the SDK's validation)`);
  assert.equal(calls.map((c) => ({ toolName: c.toolName, input: c.input })), expected, `${where}: streamText tool calls`);
  assert.is(await streamed.finishReason, "tool-calls", `${where}: streamText finishReason`);
}
