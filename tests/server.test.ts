// createHandler in-process: the official openai client and the Vercel AI
// SDK through a custom fetch, against the demo model, answering what
// Needle's own API answers; every error status in OpenAI's shape; a 1 MB
// garbage body; a stream cancelled mid-way aborts its generation and the
// next request still answers; a full queue and a timeout.

import { test } from "uvu";
import * as assert from "uvu/assert";
import OpenAI from "openai";
import { Needle, createHandler, type CallOptions, type CallResult, type ChatBackend, type FetchHandler } from "../lib/index.ts";
import { scanCalls } from "../lib/server/call-scan.ts";
import { rawField } from "../lib/server/raw-field.ts";
import { rng } from "./helpers.ts";
import { TOOLS, WEATHER, callsOf, checkAiSdk, checkOpenAIClient, expectedCalls } from "./server-helpers.ts";

const needle = await Needle.load();
const BASE = "http://needle.test";
const KEY = "sk-test-key";

/** A client whose requests go straight to `handler`, no socket. */
function clientFor(handler: FetchHandler, apiKey = KEY): OpenAI {
  return new OpenAI({ apiKey, baseURL: `${BASE}/v1`, maxRetries: 0, fetch: (url, init) => handler(new Request(url, init)) });
}

function post(handler: FetchHandler, body: BodyInit | null, headers: Record<string, string> = {}, path = "/v1/chat/completions"): Promise<Response> {
  return handler(new Request(`${BASE}${path}`, { method: "POST", body, headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json", ...headers } }));
}

const weatherBody = (extra: object = {}) => JSON.stringify({ model: "needle", messages: [{ role: "user", content: WEATHER }], tools: TOOLS, ...extra });

async function expectError(response: Response, status: number, code: string, param: string | null = null): Promise<void> {
  const text = await response.text();
  assert.is(response.status, status, `HTTP status for ${code}: ${text}`);
  assert.is(response.headers.get("content-type"), "application/json");
  const body = JSON.parse(text);
  assert.equal(Object.keys(body), ["error"]);
  assert.equal(Object.keys(body.error).sort(), ["code", "message", "param", "type"]);
  assert.is(body.error.code, code);
  assert.is(body.error.param, param, `param of ${code}`);
  assert.type(body.error.message, "string");
}

test("openai client through a custom fetch: plain and streamed tool calls, every tool_choice, usage, models", async () => {
  await checkOpenAIClient(clientFor(createHandler(needle, { apiKey: KEY, model: "needle-demo" })), needle, "in-process");
});

test("AI SDK (openai-compatible provider): generateText and streamText with zod tools return Needle's calls", async () => {
  const handler = createHandler(needle);
  await checkAiSdk({ baseURL: `${BASE}/v1`, fetch: (async (url: string | URL | Request, init?: RequestInit) => handler(new Request(url, init))) as typeof fetch }, needle, "in-process");
});

test("the query is the last user message (text parts joined); a conversation ending in a tool result is answered without a call", async () => {
  const handler = createHandler(needle);
  const parts = await (await post(handler, JSON.stringify({ messages: [{ role: "user", content: "hello" }, { role: "assistant", content: "hi" }, { role: "user", content: [{ type: "text", text: "what's the weather" }, { type: "text", text: "in Paris" }] }], tools: TOOLS }))).json();
  assert.equal(callsOf(parts.choices[0].message), await expectedCalls(needle, WEATHER));
  const afterTool = await (await post(handler, JSON.stringify({ messages: [{ role: "user", content: WEATHER }, { role: "assistant", content: null, tool_calls: [{ id: "c1", type: "function", function: { name: "get_weather", arguments: "{}" } }] }, { role: "tool", tool_call_id: "c1", content: "sunny" }], tools: TOOLS }))).json();
  assert.equal(afterTool.choices[0].message, { role: "assistant", content: "", refusal: null });
  assert.is(afterTool.choices[0].finish_reason, "stop");
  assert.is(afterTool.usage.completion_tokens, 0);
});

test("sampling fields are accepted and ignored; max_tokens over 511 is capped, max_tokens 3 stops at the limit", async () => {
  const handler = createHandler(needle);
  const sampled = await (await post(handler, weatherBody({ temperature: 1.5, top_p: 0.2, seed: 7, stop: ["x"], presence_penalty: 1, user: "u1", max_tokens: 100000 }))).json();
  assert.equal(callsOf(sampled.choices[0].message), await expectedCalls(needle, WEATHER));
  const short = await (await post(handler, weatherBody({ max_completion_tokens: 3 }))).json();
  assert.is(short.choices[0].finish_reason, "length");
  assert.is(short.usage.completion_tokens, 3);
});

test("errors: 400 for bad JSON and each bad field, in OpenAI's shape with the field as param", async () => {
  const handler = createHandler(needle, { apiKey: KEY });
  await expectError(await post(handler, "{not json"), 400, "invalid_json");
  await expectError(await post(handler, ""), 400, "invalid_body");
  await expectError(await post(handler, "[1,2]"), 400, "invalid_body");
  await expectError(await post(handler, new Uint8Array([0x7b, 0xff, 0x7d])), 400, "invalid_body");
  await expectError(await post(handler, JSON.stringify({ tools: TOOLS })), 400, "invalid_messages", "messages");
  await expectError(await post(handler, JSON.stringify({ messages: [{ role: "wizard", content: "x" }] })), 400, "invalid_message", "messages[0]");
  await expectError(await post(handler, JSON.stringify({ messages: [{ role: "system", content: "x" }] })), 400, "no_user_message", "messages");
  await expectError(await post(handler, JSON.stringify({ messages: [{ role: "user", content: "  " }] })), 400, "empty_query", "messages[0].content");
  await expectError(await post(handler, JSON.stringify({ messages: [{ role: "user", content: [{ type: "image_url", image_url: { url: "x" } }] }] })), 400, "unsupported_content", "messages[0].content[0]");
  await expectError(await post(handler, weatherBody({ n: 2 })), 400, "unsupported_n", "n");
  await expectError(await post(handler, weatherBody({ tool_choice: "sometimes" })), 400, "invalid_tool_choice", "tool_choice");
  await expectError(await post(handler, weatherBody({ tool_choice: { type: "function", function: { name: "fly" } } })), 400, "invalid_tool_choice", "tool_choice");
  await expectError(await post(handler, weatherBody({ max_tokens: 0 })), 400, "invalid_max_tokens", "max_tokens");
  await expectError(await post(handler, weatherBody({ stream: "yes" })), 400, "invalid_stream", "stream");
  await expectError(await post(handler, weatherBody({ tools: [{ type: "function", function: { name: "" } }] })), 400, "invalid_tool", "tools[0].function.name");
  await expectError(await post(handler, weatherBody({ tools: [{ type: "function", function: { name: "a b" } }, { type: "function", function: { name: "a_b" } }] })), 400, "DUPLICATE_TOOL_NAME", "tools");
  const deep = `${'{"type":"object","properties":{"x":'.repeat(5000)}{}${"}}".repeat(5000)}`;
  await expectError(await post(handler, `{"messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":${deep}}}]}`), 400, "invalid_tools", "tools");
  await expectError(await post(handler, weatherBody({ messages: [{ role: "user", content: "x".repeat(70000) }] })), 400, "QUERY_TOO_LONG", "messages");
});

test("errors: 401 without or with a wrong key (the openai client's AuthenticationError), 404, 405 with Allow, /health open", async () => {
  const handler = createHandler(needle, { apiKey: KEY });
  await expectError(await post(handler, weatherBody(), { authorization: "" }), 401, "invalid_api_key");
  await expectError(await post(handler, weatherBody(), { authorization: "Bearer sk-wrong-key" }), 401, "invalid_api_key");
  const denied = await clientFor(handler, "sk-wrong-key").chat.completions.create({ model: "needle", messages: [{ role: "user", content: WEATHER }] }).catch((err: unknown) => err);
  assert.instance(denied, OpenAI.AuthenticationError);
  await expectError(await post(handler, weatherBody(), {}, "/v1/completions"), 404, "unknown_route");
  await expectError(await handler(new Request(`${BASE}/v1/models/gpt-4`, { headers: { authorization: `Bearer ${KEY}` } })), 404, "model_not_found", "model");
  await expectError(await handler(new Request(`${BASE}/v1/models/%E0%A4%A`, { headers: { authorization: `Bearer ${KEY}` } })), 404, "model_not_found", "model");
  const wrongMethod = await handler(new Request(`${BASE}/v1/chat/completions`, { headers: { authorization: `Bearer ${KEY}` } }));
  assert.is(wrongMethod.headers.get("allow"), "POST");
  await expectError(wrongMethod, 405, "method_not_allowed");
  const health = await handler(new Request(`${BASE}/health`));
  assert.is(health.status, 200);
  assert.equal(await health.json(), { status: "ok", model: "needle", running: 0, waiting: 0 });
});

test("errors: 413 for a body over the limit, by Content-Length or by its bytes; a 1 MB garbage body is a 400; then a call still answers", async () => {
  const handler = createHandler(needle, { maxBodyBytes: 4096 });
  await expectError(await post(handler, "x".repeat(5000)), 413, "request_too_large");
  const chunked = new ReadableStream<Uint8Array>({
    start(controller) {
      for (let i = 0; i < 10; i++) controller.enqueue(new Uint8Array(1000).fill(0x20));
      controller.close();
    },
  });
  await expectError(await handler(new Request(`${BASE}/v1/chat/completions`, { method: "POST", body: chunked, duplex: "half" } as RequestInit)), 413, "request_too_large");
  const big = createHandler(needle);
  const garbage = new Uint8Array(1_000_000);
  for (let i = 0; i < garbage.length; i++) garbage[i] = (i * 2654435761) >>> 24;
  const bad = await post(big, garbage);
  assert.ok(bad.status === 400, `1 MB of garbage: HTTP ${bad.status}`);
  const good = await (await post(big, weatherBody())).json();
  assert.equal(callsOf(good.choices[0].message), await expectedCalls(needle, WEATHER));
});

/** The Needle, with each stream's and call's signal recorded, and calls held until `open()`. */
function gated(inner: Needle) {
  const signals: AbortSignal[] = [];
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const backend: ChatBackend = {
    prompt: (q, t) => inner.prompt(q, t),
    async call(q, t, o: CallOptions = {}) {
      signals.push(o.signal!);
      await Promise.race([gate, new Promise((_, reject) => o.signal!.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError"))))]);
      return inner.call(q, t, o);
    },
    stream(q, t, o: CallOptions = {}) {
      signals.push(o.signal!);
      return inner.stream(q, t, o);
    },
  };
  return { backend, signals, open: () => open() };
}

test("a stream cancelled after its first tool-call chunk aborts the generation, and the next request answers", async () => {
  const { backend, signals, open } = gated(needle);
  open();
  const handler = createHandler(backend);
  const response = await post(handler, weatherBody({ stream: true }));
  const reader = response.body!.getReader();
  let seen = "";
  while (!seen.includes("tool_calls")) seen += new TextDecoder().decode((await reader.read()).value);
  await reader.cancel();
  assert.ok(signals[0]!.aborted, "the stream's signal was aborted");
  const next = await (await post(handler, weatherBody())).json();
  assert.equal(callsOf(next.choices[0].message), await expectedCalls(needle, WEATHER));
});

test("a stream nobody reads does not hold the engine: its answer is buffered and the next call runs", async () => {
  const handler = createHandler(needle, { concurrency: 1, maxQueue: 1 });
  const unread = await post(handler, weatherBody({ stream: true }));
  const next = await (await post(handler, weatherBody())).json();
  assert.equal(callsOf(next.choices[0].message), await expectedCalls(needle, WEATHER));
  const text = await unread.text();
  assert.ok(text.endsWith("data: [DONE]\n\n"), "the unread stream is whole");
});

test("a full queue is a 503 with Retry-After; a call past the timeout is a 504 and frees its slot", async () => {
  const { backend, open } = gated(needle);
  const handler = createHandler(backend, { concurrency: 1, maxQueue: 1 });
  const first = post(handler, weatherBody());
  const second = post(handler, weatherBody());
  const third = await post(handler, weatherBody());
  assert.is(third.headers.get("retry-after"), "1");
  await expectError(third, 503, "server_busy");
  assert.equal(await (await handler(new Request(`${BASE}/health`))).json(), { status: "ok", model: "needle", running: 1, waiting: 1 });
  open();
  for (const r of [await first, await second]) assert.equal(callsOf((await r.json()).choices[0].message), await expectedCalls(needle, WEATHER));

  const held = gated(needle);
  const timed = createHandler(held.backend, { timeoutMs: 50 });
  await expectError(await post(timed, weatherBody()), 504, "timeout");
  held.open();
  assert.is((await post(timed, weatherBody())).status, 200, "the slot was freed");
});

test("a stream that fails after its headers ends with an error event and no [DONE] (the openai client throws it)", async () => {
  const failing: ChatBackend = {
    prompt: (q, t) => needle.prompt(q, t),
    call: (q, t, o) => needle.call(q, t, o),
    async *stream() {
      yield { type: "token", token: 0, text: '[{"name":"get_weather"' };
      throw new Error("the engine broke");
    },
  };
  const response = await post(createHandler(failing), weatherBody({ stream: true }));
  const text = await response.text();
  assert.is(response.status, 200);
  const events = text.trim().split("\n\n").map((e) => e.replace(/^data: /, ""));
  assert.is(JSON.parse(events[events.length - 1]!).error.code, "internal_error");
  assert.not.ok(text.includes("[DONE]"));
  const client = clientFor(createHandler(failing));
  const stream = await client.chat.completions.create({ model: "needle", messages: [{ role: "user", content: WEATHER }], tools: TOOLS, stream: true });
  const err = await (async () => {
    for await (const _ of stream);
  })().catch((e: unknown) => e);
  assert.instance(err, OpenAI.APIError);
});

test("random malformed requests are answered 200 or 400, never 500, and the engine keeps answering", async () => {
  const handler = createHandler(needle, { maxBodyBytes: 1 << 16 });
  const next = rng(23);
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const atoms: unknown[] = [null, true, 0, -1, 1.5, 1e308, "", "x", "user", "function", [], {}, [1], { type: "function" }];
  const value = (depth: number): unknown => {
    if (depth > 3 || next() < 0.4) return pick(atoms);
    if (next() < 0.5) return Array.from({ length: Math.floor(next() * 3) }, () => value(depth + 1));
    return Object.fromEntries(Array.from({ length: Math.floor(next() * 3) }, () => [pick(["role", "content", "type", "function", "name", "parameters", "text", "properties"]), value(depth + 1)]));
  };
  const good = JSON.parse(weatherBody());
  const fields = ["messages", "tools", "tool_choice", "stream", "stream_options", "n", "max_tokens", "max_completion_tokens", "parallel_tool_calls", "model", "user"];
  for (let i = 0; i < 300; i++) {
    const body = { ...good };
    for (let k = 0; k < 1 + Math.floor(next() * 3); k++) body[pick(fields)] = value(0);
    if (next() < 0.3) body.messages = [{ role: "user", content: value(1) }];
    if (next() < 0.3) body.tools = [{ type: "function", function: { name: pick(["f", "", "a b", "x".repeat(300)]), parameters: value(1) } }];
    const spaced = JSON.stringify(body, null, i % 3);
    const raw = rawField(spaced, "tools");
    assert.equal(raw === null ? undefined : JSON.parse(raw), body.tools, `request ${i}: rawField finds the tools`);
    const response = await post(handler, spaced);
    const text = await response.text();
    assert.ok(response.status === 200 || response.status === 400, `request ${i}: HTTP ${response.status} ${text.slice(0, 300)} for ${JSON.stringify(body).slice(0, 300)}`);
  }
  const after = await (await post(handler, weatherBody())).json();
  assert.equal(callsOf(after.choices[0].message), await expectedCalls(needle, WEATHER));
});

test("the tools reach Needle as written: a Python client's 1.0 stays 1.0 in the prompt", async () => {
  const handler = createHandler(needle);
  const tools = '[{"type": "function", "function": {"name": "set_timer", "description": "Set a timer.", "parameters": {"type": "object", "properties": {"minutes": {"type": "number", "minimum": 1.0, "default": 5.0}}, "required": ["minutes"]}}}]';
  const text = `{"messages": [{"role": "user", "content": "set a timer for 5 minutes"}], "tools": ${tools}, "tools_note": "x"}`;
  const answer = await (await post(handler, text)).json();
  const asWritten = needle.prompt("set a timer for 5 minutes", tools);
  const reparsed = needle.prompt("set a timer for 5 minutes", JSON.parse(tools));
  assert.ok(asWritten.toolsJson.includes('"minimum":1.0') && !reparsed.toolsJson.includes('"minimum":1.0'), "the two forms differ (the test's premise)");
  assert.is(answer.usage.prompt_tokens, asWritten.encoderIds.length);
  assert.equal(callsOf(answer.choices[0].message), (await needle.call("set a timer for 5 minutes", tools)).calls.map(({ name, arguments: args }) => ({ name, arguments: args })));
  assert.is(rawField('{"tools": 1, "a": {"tools": [2]}, "tools" : [ "}", {"b": "]"} ] }', "tools"), '[ "}", {"b": "]"} ]', "the last top-level field, strings and nesting skipped");
  assert.is(rawField('{"a": -1.5e3, "tools":true}', "tools"), "true");
  assert.is(rawField('{"a": 1}', "tools"), null);
});

test("a call's confidence, when the engine reports one, is passed on as an extension field (plain and streamed)", async () => {
  const withConfidence = (result: CallResult): CallResult => ({ ...result, calls: result.calls.map((c, i) => ({ ...c, confidence: 0.5 + i / 4 })) });
  const backend: ChatBackend = {
    prompt: (q, t) => needle.prompt(q, t),
    call: async (q, t, o) => withConfidence(await needle.call(q, t, o)),
    async *stream(q, t, o) {
      for await (const event of needle.stream(q, t, o)) yield event.type === "result" ? { type: "result", result: withConfidence(event.result) } : event;
    },
  };
  const handler = createHandler(backend);
  const plain = await (await post(handler, weatherBody())).json();
  assert.equal(plain.choices[0].message.tool_calls.map((c: { confidence: number }) => c.confidence), [0.5]);
  const sse = await (await post(handler, weatherBody({ stream: true }))).text();
  const deltas = sse.split("\n\n").filter((e) => e.startsWith("data: {")).flatMap((e) => JSON.parse(e.slice(6)).choices[0]?.delta.tool_calls ?? []);
  assert.equal(deltas.filter((d: { confidence?: number }) => d.confidence !== undefined), [{ index: 0, function: { arguments: "" }, confidence: 0.5 }]);
  const own = await (await post(createHandler(needle), weatherBody())).json();
  assert.equal(own.choices[0].message.tool_calls.map((c: { confidence: number }) => c.confidence), (await needle.call(WEATHER, TOOLS)).calls.map((c) => c.confidence), "schema decoding's own confidence");
  const reference: ChatBackend = { prompt: (q, t) => needle.prompt(q, t), call: (q, t, o) => needle.call(q, t, { ...o, constrained: "reference" }), stream: (q, t, o) => needle.stream(q, t, { ...o, constrained: "reference" }) };
  const bare = await (await post(createHandler(reference), weatherBody())).json();
  assert.not.ok("confidence" in bare.choices[0].message.tool_calls[0], "no field when the engine reports none (reference decoding)");
});

test("scanCalls follows names and argument spans through partial text", () => {
  const full = '[{"name":"get_weather","arguments":{"location":"Pa\\"ris","n":[1,{"a":2}]}}, {"arguments": 5 ,"name":"x"}]';
  const calls = scanCalls(full);
  assert.equal(calls.map((c) => c.name), ["get_weather", "x"]);
  assert.is(full.slice(calls[0]!.argsStart, calls[0]!.argsEnd), '{"location":"Pa\\"ris","n":[1,{"a":2}]}');
  assert.is(full.slice(calls[1]!.argsStart, calls[1]!.argsEnd), "5");
  const cut = scanCalls('[{"name":"get_wea');
  assert.equal(cut, [{ name: null, argsStart: -1, argsEnd: -1 }]);
  const open = scanCalls('[{"name":"get_weather","arguments":{"location":"Pa');
  assert.is(open[0]!.argsEnd, -1);
  assert.equal(scanCalls("I cannot help"), []);
  for (let i = 0; i <= full.length; i++) scanCalls(full.slice(0, i)); // every prefix scans
});

test("createHandler refuses a backend without the call interface and bad options", () => {
  assert.throws(() => createHandler({} as ChatBackend), /call, stream and prompt/);
  assert.throws(() => createHandler(needle, { concurrency: 0 }), /concurrency/);
  assert.throws(() => createHandler(needle, { maxBodyBytes: 1.5 }), /maxBodyBytes/);
  assert.throws(() => createHandler(needle, { apiKey: "" }), /apiKey/);
});

test.run();
