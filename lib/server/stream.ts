// Streamed completions: Server-Sent Events exactly as OpenAI's API sends
// them. A first chunk with the assistant role; per tool call, a chunk with
// its index, id, type and name (arguments ""), then chunks with fragments
// of its arguments as the model writes them; a final chunk with
// finish_reason; with stream_options.include_usage, a chunk with no choices
// and the usage; then `data: [DONE]`. A failure after the headers went out
// is sent as `data: {"error": …}` and ends the stream (OpenAI's clients
// throw it). Cancelling the body (the client went away) aborts the call.

import type { CallResult, StreamEvent } from "../needle.ts";
import { scanCalls } from "./call-scan.ts";
import { errorBody, type ApiError } from "./errors.ts";
import { envelope, finishReason, responseToolCalls, toolCallId, usage, type CompletionMeta } from "./response.ts";

export interface StreamPlan {
  meta: CompletionMeta;
  /** The engine's events, or null when nothing is decoded. */
  events: AsyncIterable<StreamEvent> | null;
  promptTokens: number;
  /** snake_case name → the caller's name (the raw text has snake_case names). */
  nameMap: Readonly<Record<string, string>>;
  parallel: boolean;
  includeUsage: boolean;
  /** The failure a stream ends with when the engine throws (timeout or internal). */
  failure(err: unknown): ApiError;
}

const encoder = new TextEncoder();
/**
 * Chunks the body may hold ahead of its reader: more than one answer has
 * (at most 511 tokens), so a slow reader never holds an engine; the
 * generation runs to its end (or to a cancel) at the engine's pace.
 */
const MAX_BUFFERED_CHUNKS = 1024;

/** A text/event-stream Response of `chunks`; `onCancel` runs when the reader goes away first. */
export function sseResponse(chunks: AsyncIterator<object>, onCancel: () => void, headers: Record<string, string> = {}): Response {
  let done = false;
  const body = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await chunks.next();
      if (done) return; // cancelled meanwhile
      if (next.done) {
        done = true;
        controller.enqueue(encoder.encode("data: [DONE]\n\n"));
        controller.close();
      } else {
        controller.enqueue(encoder.encode(`data: ${JSON.stringify(next.value)}\n\n`));
        if ("error" in next.value) {
          done = true; // an error chunk ends the stream, without [DONE]
          controller.close();
        }
      }
    },
    async cancel() {
      if (done) return;
      done = true;
      onCancel();
      await chunks.return?.();
    },
  }, { highWaterMark: MAX_BUFFERED_CHUNKS });
  return new Response(body, { status: 200, headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", ...headers } });
}

/** The chunk objects of one streamed completion. An error chunk, when there is one, is the last. */
export async function* completionChunks(plan: StreamPlan): AsyncGenerator<object, void, undefined> {
  const chunk = (delta: object, finish: string | null = null) => ({
    ...envelope(plan.meta, "chat.completion.chunk"),
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    ...(plan.includeUsage ? { usage: null } : {}),
  });
  yield chunk({ role: "assistant", content: "", refusal: null });
  let result: CallResult | null = null;
  if (plan.events) {
    const sent: { header: boolean; args: number }[] = [];
    let text = "";
    try {
      for await (const event of plan.events) {
        if (event.type === "result") {
          result = event.result;
          break;
        }
        if (!event.text) continue;
        text += event.text;
        for (const delta of callDeltas(plan, text, sent)) yield chunk({ tool_calls: [delta] });
      }
    } catch (err) {
      yield errorBody(plan.failure(err));
      return;
    }
    // Calls the scanner could not follow (it should follow every one) come whole.
    const calls = result ? responseToolCalls(plan.meta, result, plan.parallel) : [];
    for (const [index, call] of calls.entries()) {
      if (sent[index]?.header) continue;
      yield chunk({ tool_calls: [{ index, id: call.id, type: "function", function: { name: call.function.name, arguments: "" } }] });
      yield chunk({ tool_calls: [{ index, function: { arguments: call.function.arguments } }] });
    }
    const confident = calls.filter((call) => call.confidence !== undefined);
    // An empty arguments fragment with it: clients (the AI SDK) require `function` in every tool_calls delta.
    if (confident.length > 0) yield chunk({ tool_calls: confident.map((call) => ({ index: calls.indexOf(call), function: { arguments: "" }, confidence: call.confidence })) });
  }
  const calls = result ? responseToolCalls(plan.meta, result, plan.parallel).length : 0;
  yield chunk({}, finishReason(result, calls));
  if (plan.includeUsage) {
    yield { ...envelope(plan.meta, "chat.completion.chunk"), choices: [], usage: usage(plan.promptTokens, result) };
  }
}

/** Tool-call deltas for what `text` adds to what was `sent`: each call's header once its name is complete, then its new argument characters. */
function* callDeltas(plan: StreamPlan, text: string, sent: { header: boolean; args: number }[]): Generator<object> {
  const calls = scanCalls(text);
  for (const [index, call] of calls.entries()) {
    if (!plan.parallel && index > 0) break;
    const state = (sent[index] ??= { header: false, args: 0 });
    if (!state.header) {
      if (call.name === null) break;
      state.header = true;
      const name = Object.hasOwn(plan.nameMap, call.name) ? plan.nameMap[call.name]! : call.name;
      yield { index, id: toolCallId(plan.meta, index), type: "function", function: { name, arguments: "" } };
    }
    if (call.argsStart < 0) continue;
    const args = text.slice(call.argsStart, call.argsEnd < 0 ? text.length : call.argsEnd);
    if (args.length > state.args) {
      yield { index, function: { arguments: args.slice(state.args) } };
      state.args = args.length;
    }
  }
}
