// A Chat Completions request body, checked field by field, as what Needle
// runs: the query (the last user message's text), the tools and how the
// call may use them. Every mistake is a 400 naming the field (`param`).
//
// Needle is single-shot: it routes one request to tools. So only the last
// user message is read; system, developer and earlier messages are ignored.
// A conversation whose last message is a tool result (or an assistant
// message) has already been routed: it is answered with an empty assistant
// message and no decoding. Sampling fields (temperature, top_p, seed,
// stop, penalties, logit_bias, logprobs, response_format, user…) are
// accepted and ignored: Needle decodes greedily.

import { MAX_NEW_TOKENS } from "../prompt.ts";
import type { OpenAITool } from "../tools.ts";
import { badRequest } from "./errors.ts";

/** `tool_choice` as the request gives it, `{ name }` for a named function. */
export type RequestedToolChoice = "auto" | "none" | "required" | { name: string };

export interface ChatRequest {
  /** The text to route; null when nothing is to be decoded (no user turn last, no tools, or tool_choice "none"). */
  query: string | null;
  tools: OpenAITool[];
  toolChoice: RequestedToolChoice;
  /** false: keep only the first call. */
  parallelToolCalls: boolean;
  /** Capped at Needle's decoder limit; absent: the engine's default. */
  maxTokens?: number;
  stream: boolean;
  includeUsage: boolean;
  /** The model the client asked for (reported back as the server's own). */
  model?: string;
}

const ROLES = new Set(["system", "developer", "user", "assistant", "tool", "function"]);
/** Deepest nesting accepted in `tools` (JSON Schemas nest a few levels; hostile bodies nest thousands). */
const MAX_TOOLS_DEPTH = 32;

type Fields = Record<string, unknown>;

/** The checked request; throws a 400 ApiError naming the first bad field. */
export function parseChatRequest(body: unknown): ChatRequest {
  if (!isObject(body)) throw badRequest("invalid_body", "the request body must be a JSON object");
  const tools = parseTools(body.tools);
  const toolChoice = parseToolChoice(body.tool_choice, tools);
  const parallel = optionalType(body, "parallel_tool_calls", "boolean") ?? true;
  const stream = optionalType(body, "stream", "boolean") ?? false;
  const model = optionalType(body, "model", "string");
  optionalType(body, "user", "string");
  checkN(body.n);
  const query = routedText(body.messages);
  const maxTokens = parseMaxTokens(body, "max_completion_tokens") ?? parseMaxTokens(body, "max_tokens");
  const request: ChatRequest = {
    query: tools.length === 0 || toolChoice === "none" ? null : query,
    tools,
    toolChoice,
    parallelToolCalls: parallel,
    stream,
    includeUsage: parseIncludeUsage(body.stream_options),
  };
  if (maxTokens !== undefined) request.maxTokens = maxTokens;
  if (model !== undefined) request.model = model;
  return request;
}

/** The last user message's text, or null when the conversation ends with a tool result or an assistant turn. */
function routedText(messages: unknown): string | null {
  if (!Array.isArray(messages) || messages.length === 0) throw badRequest("invalid_messages", "messages must be a non-empty array of { role, content }", "messages");
  let lastUser = -1;
  let lastTurn = -1;
  for (const [i, message] of messages.entries()) {
    if (!isObject(message) || typeof message.role !== "string" || !ROLES.has(message.role)) {
      throw badRequest("invalid_message", `messages[${i}] must be an object with a role of ${[...ROLES].join(", ")}`, `messages[${i}]`);
    }
    if (message.role === "user") lastUser = i;
    if (message.role !== "system" && message.role !== "developer") lastTurn = i;
  }
  if (lastUser < 0) throw badRequest("no_user_message", "messages has no user message: Needle routes the last user message to a tool", "messages");
  const text = messageText(messages[lastUser] as Fields, lastUser);
  if (text.trim() === "") throw badRequest("empty_query", `messages[${lastUser}] (the last user message) has no text`, `messages[${lastUser}].content`);
  return lastTurn === lastUser ? text : null;
}

/** A user message's text: the string, or its text parts joined by spaces. */
function messageText(message: Fields, index: number): string {
  const content = message.content;
  if (typeof content === "string") return content;
  const param = `messages[${index}].content`;
  if (!Array.isArray(content)) throw badRequest("invalid_content", `${param} must be a string or an array of text parts`, param);
  return content.map((part, j) => {
    if (!isObject(part) || part.type !== "text" || typeof part.text !== "string") {
      throw badRequest("unsupported_content", `${param}[${j}] must be { type: "text", text }: Needle reads text only`, `${param}[${j}]`);
    }
    return part.text;
  }).join(" ");
}

function parseTools(value: unknown): OpenAITool[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw badRequest("invalid_tools", "tools must be an array of { type: \"function\", function: { name, description, parameters } }", "tools");
  for (const [i, tool] of value.entries()) {
    const param = `tools[${i}]`;
    if (!isObject(tool) || tool.type !== "function" || !isObject(tool.function)) {
      throw badRequest("invalid_tool", `${param} must be { type: "function", function: { name, description, parameters } }`, param);
    }
    if (typeof tool.function.name !== "string" || tool.function.name === "") throw badRequest("invalid_tool", `${param}.function.name must be a non-empty string`, `${param}.function.name`);
  }
  if (depth(value) > MAX_TOOLS_DEPTH) throw badRequest("invalid_tools", `tools nest more than ${MAX_TOOLS_DEPTH} levels deep`, "tools");
  return value as OpenAITool[];
}

function parseToolChoice(value: unknown, tools: readonly OpenAITool[]): RequestedToolChoice {
  if (value === undefined || value === null) return "auto";
  if (value === "auto" || value === "none" || value === "required") {
    if (value === "required" && tools.length === 0) throw badRequest("invalid_tool_choice", 'tool_choice "required" needs tools', "tool_choice");
    return value;
  }
  if (isObject(value) && value.type === "function" && isObject(value.function) && typeof value.function.name === "string") {
    const name = value.function.name;
    if (!tools.some((tool) => tool.function.name === name)) throw badRequest("invalid_tool_choice", `tool_choice names ${JSON.stringify(name)}, which is not among the tools`, "tool_choice");
    return { name };
  }
  throw badRequest("invalid_tool_choice", 'tool_choice must be "auto", "none", "required" or { type: "function", function: { name } }', "tool_choice");
}

/** max_tokens / max_completion_tokens: a positive integer, capped at Needle's decoder limit (511). */
function parseMaxTokens(body: Fields, field: string): number | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < 1) throw badRequest("invalid_max_tokens", `${field} must be a positive integer`, field);
  return Math.min(value, MAX_NEW_TOKENS);
}

function checkN(value: unknown): void {
  if (value === undefined || value === null || value === 1) return;
  if (typeof value === "number" && Number.isSafeInteger(value) && value > 1) throw badRequest("unsupported_n", "n > 1 is not supported: Needle decodes greedily, so every choice would be the same", "n");
  throw badRequest("invalid_n", "n must be 1", "n");
}

function parseIncludeUsage(value: unknown): boolean {
  if (value === undefined || value === null) return false;
  if (!isObject(value)) throw badRequest("invalid_stream_options", "stream_options must be an object", "stream_options");
  return optionalType(value, "include_usage", "boolean", "stream_options.") ?? false;
}

function optionalType<T extends "boolean" | "string">(body: Fields, field: string, type: T, prefix = ""): (T extends "boolean" ? boolean : string) | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== type) throw badRequest(`invalid_${field}`, `${prefix}${field} must be a ${type}`, `${prefix}${field}`);
  return value as T extends "boolean" ? boolean : string;
}

/** Nesting depth of a JSON value, without recursion (a hostile body may nest deeply). */
function depth(root: unknown): number {
  let deepest = 0;
  const stack: [unknown, number][] = [[root, 1]];
  while (stack.length > 0) {
    const [value, level] = stack.pop()!;
    if (value === null || typeof value !== "object") continue;
    if (level > deepest) deepest = level;
    if (deepest > MAX_TOOLS_DEPTH) break;
    for (const child of Object.values(value)) stack.push([child, level + 1]);
  }
  return deepest;
}

function isObject(value: unknown): value is Fields {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
