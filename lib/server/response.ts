// The Chat Completions response: the assistant message with its tool calls,
// finish_reason and usage, as OpenAI's API returns them (and the streamed
// chunk objects, which share the envelope).

import type { CallResult } from "../needle.ts";

export type FinishReason = "stop" | "length" | "tool_calls";

/** A tool call as a response carries it; `confidence` is Needle's extension, present when the engine reports one. */
export interface ResponseToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
  confidence?: number;
}

export interface Usage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
}

/** What one completion is: its id, creation time and reported model. */
export interface CompletionMeta {
  id: string;
  created: number;
  model: string;
}

export function completionMeta(model: string): CompletionMeta {
  return { id: `chatcmpl-${randomId()}`, created: Math.floor(Date.now() / 1000), model };
}

/** The result's calls, with ids unique to this completion; only the first when parallel calls are off. */
export function responseToolCalls(meta: CompletionMeta, result: CallResult, parallel: boolean): ResponseToolCall[] {
  const calls = result.toolCalls.map((call, i): ResponseToolCall => {
    const out: ResponseToolCall = { id: toolCallId(meta, i), type: "function", function: { name: call.function.name, arguments: call.function.arguments } };
    const confidence = (result.calls[i] as { confidence?: unknown } | undefined)?.confidence;
    if (typeof confidence === "number") out.confidence = confidence;
    return out;
  });
  return parallel ? calls : calls.slice(0, 1);
}

export function toolCallId(meta: CompletionMeta, index: number): string {
  return `call_${meta.id.slice("chatcmpl-".length)}_${index}`;
}

export function finishReason(result: CallResult | null, calls: number): FinishReason {
  if (calls > 0) return "tool_calls";
  return result?.finishReason === "length" ? "length" : "stop";
}

/**
 * Real token counts: the prompt is the encoder input (query, `<tools>`,
 * tools); the completion is every decoder step, the final EOS included.
 */
export function usage(promptTokens: number, result: CallResult | null): Usage {
  const completion = result === null ? 0 : result.steps;
  return { prompt_tokens: promptTokens, completion_tokens: completion, total_tokens: promptTokens + completion };
}

/** A `chat.completion` object. `result` is null when nothing was decoded. */
export function completion(meta: CompletionMeta, result: CallResult | null, promptTokens: number, parallel: boolean): object {
  const calls = result === null ? [] : responseToolCalls(meta, result, parallel);
  const message = calls.length > 0
    ? { role: "assistant", content: null, tool_calls: calls, refusal: null }
    : { role: "assistant", content: "", refusal: null };
  return {
    ...envelope(meta, "chat.completion"),
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(result, calls.length) }],
    usage: usage(promptTokens, result),
  };
}

/** The fields every completion and chunk begins with. */
export function envelope(meta: CompletionMeta, object: "chat.completion" | "chat.completion.chunk"): { id: string; object: string; created: number; model: string; system_fingerprint: null } {
  return { id: meta.id, object, created: meta.created, model: meta.model, system_fingerprint: null };
}

function randomId(): string {
  return crypto.randomUUID().replaceAll("-", "").slice(0, 24);
}
