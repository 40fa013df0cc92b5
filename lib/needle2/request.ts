// One Needle 2 call before and after the engine runs: the checked options,
// the prompt ids (lib/needle2/prompt.ts) cut as generate_cached cuts them, and
// the result read back from the generated ids (lib/needle2/calls.ts).

import { resolveDecoding, type ToolChoice } from "../constrain/choice.ts";
import { ToolGrammar } from "../constrain/schema/grammar.ts";
import { InputError } from "../errors.ts";
import { checkOptionsObject, optionError } from "../options.ts";
import { MAX_QUERY_CHARS } from "../limits.ts";
import { dumpsPlain } from "../pyjson.ts";
import type { ToolsInput } from "../tools.ts";
import type { Truncation } from "../calls.ts";
import { parseNeedle2Output, type Needle2ParseErrorCode } from "./calls.ts";
import { needle2PromptSpans } from "./prompt.ts";
import type { Needle2Tokenizer } from "./tokenizer.ts";
import { needle2GrammarTools, prepareNeedle2Tools } from "./tools.ts";

/** Most tokens a call generates by default (needle/__init__.py complete's max_new_tokens). */
export const NEEDLE2_MAX_NEW_TOKENS = 256;
/** Longest system text, in characters (as the query's limit). */
export const MAX_SYSTEM_CHARS = MAX_QUERY_CHARS;

/** Why Needle 2 refuses `constrained: true` / "reference" and `prefix`. */
const REFERENCE_ONLY = "the reference constraint is Needle 1's; Needle 2 decodes under its schema grammar (\"schema\", the default) or unconstrained (false)";
const NO_PREFIX = "Needle 2's answer starts with its <think> reasoning; a forced call prefix is not supported";

export interface Needle2Request {
  /** toolChoice "none": no call, nothing decoded. */
  skip: boolean;
  /** The answer's list grammar (schema mode), or null (constrained: false). */
  grammar: ToolGrammar | null;
  promptIds: number[];
  /** The tools as the prompt shows them (compact ensure_ascii JSON). */
  toolsJson: string;
  maxTokens: number;
  names: readonly string[];
  truncated?: Truncation;
}

/**
 * Checks options and renders the prompt. `constrained` is "schema" (the
 * default) or false; toolChoice "required" and `{ name }` need the grammar.
 * `limit` is the model's maxSequenceLength: the prompt and the answer share it.
 */
export function planNeedle2Request(tokenizer: Needle2Tokenizer, limit: number, query: string, tools: ToolsInput, options: Record<string, unknown>): Needle2Request {
  checkOptionsObject(options, "options");
  const constrained = options.constrained as boolean | "schema" | "reference" | undefined;
  if (constrained === true || constrained === "reference") throw new InputError("NOT_FOR_NEEDLE2", `option constrained: ${REFERENCE_ONLY}`);
  if (options.prefix !== undefined) throw new InputError("NOT_FOR_NEEDLE2", `option prefix: ${NO_PREFIX}`);
  const system = options.system;
  if (system !== undefined && typeof system !== "string") throw optionError("system", system, "a string");
  if (typeof system === "string" && system.length > MAX_SYSTEM_CHARS) throw new InputError("SYSTEM_TOO_LONG", `system has ${system.length} characters; the limit is ${MAX_SYSTEM_CHARS}`);
  const prepared = prepareNeedle2Tools(tools);
  const spans = needle2PromptSpans({ query, tools: prepared.list, ...(system ? { system } : {}) });
  const ids = [tokenizer.bosId, ...tokenizer.encode(spans.text)];
  const room = limit - 1;
  const maxTokens = options.maxTokens ?? Math.min(NEEDLE2_MAX_NEW_TOKENS, limit - 1);
  if (typeof maxTokens !== "number" || !Number.isInteger(maxTokens) || maxTokens < 1 || maxTokens > limit - 1) {
    throw optionError("maxTokens", maxTokens, `an integer from 1 to ${limit - 1} (maxSequenceLength - 1)`, "BAD_MAX_TOKENS");
  }
  const decoding = resolveDecoding({ ...(constrained === undefined ? {} : { constrained }), ...(options.toolChoice === undefined ? {} : { toolChoice: options.toolChoice as ToolChoice }) }, prepared.prepared);
  if (decoding.prefix !== undefined) throw new InputError("NOT_FOR_NEEDLE2", 'option toolChoice: Needle 2 enforces "required" and { name } with its schema grammar; give constrained "schema" (the default), not false');
  const only = decoding.grammar?.only;
  const grammar = decoding.grammar && !decoding.skip
    ? new ToolGrammar(needle2GrammarTools(prepared), { ...decoding.grammar, ...(only === undefined ? {} : { only: prepared.prepared.nameMap[only]! }) })
    : null;
  const request: Needle2Request = { skip: decoding.skip, grammar, promptIds: ids, toolsJson: dumpsPlain(prepared.list), maxTokens, names: prepared.names };
  if (ids.length > room) {
    if (options.overflow === "error") {
      throw new InputError("PROMPT_TOO_LONG", `the prompt is ${ids.length} tokens; the limit is ${room} (maxSequenceLength - 1)`);
    }
    // generate_cached keeps the first max_seq_len - 1 ids: the end of the query (and the turn markers) go first.
    request.truncated = droppedTokens(tokenizer, spans, room);
    request.promptIds = ids.slice(0, room);
  }
  return request;
}

/**
 * How many tools and query tokens a cut at `keep` ids drops. The tokenizer
 * matches the markers before it merges, so text up to the end of a span that
 * a marker follows encodes to a prefix of the whole prompt's ids.
 */
function droppedTokens(tokenizer: Needle2Tokenizer, spans: ReturnType<typeof needle2PromptSpans>, keep: number): Truncation {
  const idsBefore = (at: number): number => 1 + tokenizer.encode(spans.text.slice(0, at)).length;
  const cut = ([from, to]: [number, number]): number => {
    const start = idsBefore(from);
    const end = idsBefore(to);
    return Math.max(0, end - Math.max(start, keep));
  };
  return { queryTokens: cut(spans.query), toolsTokens: cut(spans.tools) };
}

/** What a Needle 2 call returns, in the CallResult shape, with the reasoning. */
export interface Needle2Result {
  calls: { name: string; arguments: Record<string, unknown> }[];
  text: string;
  reasoning: string | null;
  error?: { code: Needle2ParseErrorCode; message: string; text: string };
}

/** The generated ids read back: the decoded answer (generate_cached's text), its reasoning and calls. */
export function readNeedle2Answer(tokenizer: Needle2Tokenizer, tokens: readonly number[]): Needle2Result {
  const text = tokenizer.decode(tokens);
  const out = parseNeedle2Output(text);
  const result: Needle2Result = {
    calls: out.calls,
    text,
    reasoning: out.reasoning,
  };
  if (out.error) result.error = out.error;
  return result;
}
