import { InputError } from "./errors.ts";
import { JsonDecodeError, jsonTypeName, loads, toPlain } from "./pyjson.ts";
import { restoreToolNames, type NameMap } from "./tools.ts";

/**
 * The prompt going in and the calls coming out, as the reference's
 * generate() builds and reads them (cactus-compute/needle,
 * needle/model/run.py: _build_encoder_input, generate).
 */

/** Id of `<tools>`, between the query and the tools JSON. */
export const TOOLS_SEPARATOR_ID = 5;
/** DEFAULT_MAX_ENC_LEN. */
export const MAX_ENCODER_LEN = 1024;
/** Most tokens one call generates: generate()'s max_gen_len of 512 decoder positions, less the start token. */
export const MAX_NEW_TOKENS = 511;
/** The decoded text of id 4, which starts every trained answer. */
export const TOOL_CALL_TEXT = "<tool_call>";

/**
 * _build_encoder_input: query ids cut to maxLen - 2, then the separator,
 * then tools ids cut so the whole is at most maxLen long.
 */
export function buildEncoderInput(
  queryIds: readonly number[],
  toolsIds: readonly number[],
  toolsSeparatorId = TOOLS_SEPARATOR_ID,
  maxLen = MAX_ENCODER_LEN,
): number[] {
  if (!Number.isInteger(maxLen) || maxLen < 2) throw new InputError("BAD_MAX_LEN", `maxLen must be an integer of at least 2, got ${maxLen}`);
  const query = queryIds.slice(0, maxLen - 2);
  const tools = toolsIds.slice(0, maxLen - query.length - 1);
  return [...query, toolsSeparatorId, ...tools];
}

/** generate()'s final text: decode(ids) without a leading `<tool_call>`, tool names restored. */
export function outputText(decoded: string, nameMap: Readonly<NameMap>): string {
  const text = stripToolCall(decoded);
  try {
    return restoreToolNames(text, nameMap);
  } catch (err) {
    // Where Python raises (a list as a call name, an int over 4300 digits,
    // nesting past the recursion limit) the model's text is returned as is.
    if (err instanceof InputError) return text;
    throw err;
  }
}

/** The text without one leading `<tool_call>`, if it has one. */
export function stripToolCall(decoded: string): string {
  return decoded.startsWith(TOOL_CALL_TEXT) ? decoded.slice(TOOL_CALL_TEXT.length) : decoded;
}

/** One tool call, named as the caller named the tool. */
export interface ToolCall {
  name: string;
  /** Argument values as ordinary JS (see pyjson toPlain: big integers are bigints). */
  arguments: Record<string, unknown>;
}

export type CallParseErrorCode = "INVALID_JSON" | "NOT_A_LIST" | "BAD_CALL";

export interface CallParseError {
  code: CallParseErrorCode;
  message: string;
  /** The text that was parsed (after stripping `<tool_call>`). */
  text: string;
}

export type ParsedCalls = { ok: true; calls: ToolCall[] } | { ok: false; error: CallParseError };

/**
 * The calls in the model's output: `decoded` is decode(ids), with or without
 * its leading `<tool_call>`, names still in snake_case; `nameMap` maps them
 * back (names not in it are kept). The text must be a JSON list of
 * `{"name": string, "arguments": object}`; anything else is returned as a
 * CallParseError, never thrown.
 */
export function parseCalls(decoded: string, nameMap: Readonly<NameMap>): ParsedCalls {
  const text = stripToolCall(decoded);
  const fail = (code: CallParseErrorCode, message: string): ParsedCalls => ({ ok: false, error: { code, message, text } });
  let value;
  try {
    value = loads(text);
  } catch (err) {
    if (err instanceof InputError) return fail("INVALID_JSON", err instanceof JsonDecodeError ? `output is not valid JSON: ${err.message}` : err.message);
    throw err;
  }
  if (!Array.isArray(value)) return fail("NOT_A_LIST", `output is not a list of calls (got ${jsonTypeName(value)})`);
  const calls: ToolCall[] = [];
  for (const [i, call] of value.entries()) {
    if (!(call instanceof Map)) return fail("BAD_CALL", `call ${i} is not an object (got ${jsonTypeName(call)})`);
    const name = call.get("name");
    if (typeof name !== "string") return fail("BAD_CALL", `call ${i} has no string "name"`);
    const args = call.get("arguments");
    if (!(args instanceof Map)) return fail("BAD_CALL", `call ${i} (${name}) has no "arguments" object`);
    calls.push({
      name: Object.hasOwn(nameMap, name) ? nameMap[name]! : name,
      arguments: toPlain(args) as Record<string, unknown>,
    });
  }
  return { ok: true, calls };
}
