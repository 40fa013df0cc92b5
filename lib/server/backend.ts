// What the handler runs calls on, and the CallOptions a request becomes.

import type { CallOptions, CallResult, Prompt, StreamEvent } from "../needle.ts";
import type { ToolsInput } from "../tools.ts";
import type { ChatRequest, RequestedToolChoice } from "./request.ts";

/**
 * A Needle, or anything with its call interface: a pool of Needles in worker
 * threads (`needle-wasm serve --instances N`) implements the same three
 * methods. `prompt` gives the usage's prompt_tokens and the name map that
 * streamed tool-call names are restored with.
 */
export interface ChatBackend {
  call(query: string, tools: ToolsInput, options?: CallOptions): Promise<CallResult>;
  stream(query: string, tools: ToolsInput, options?: CallOptions): AsyncIterable<StreamEvent>;
  prompt(query: string, tools: ToolsInput): Prompt | Promise<Prompt>;
}

/**
 * What Needle is told for each `tool_choice` ("none" never reaches Needle:
 * the handler answers without decoding): Needle's own toolChoice, so
 * "required" and a named function are enforced by the schema grammar in
 * schema mode and by the reference's forced prefixes otherwise
 * (lib/constrain/choice.ts).
 */
function needleToolChoice(choice: Exclude<RequestedToolChoice, "none">): Pick<CallOptions, "toolChoice"> {
  return { toolChoice: choice };
}

/** The CallOptions of a request that is decoded (its query is not null). */
export function callOptions(request: ChatRequest, signal: AbortSignal): CallOptions {
  const choice = request.toolChoice === "none" ? "auto" : request.toolChoice;
  return {
    ...needleToolChoice(choice),
    ...(request.maxTokens !== undefined ? { maxTokens: request.maxTokens } : {}),
    signal,
  };
}
