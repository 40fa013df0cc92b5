// Needle 2's answer, read back into calls. The reference trains on the
// target (finetune.py render_example)
//   <think>{reasoning}</think>\n<tool_call>{json.dumps(answers, compact)}</tool_call><|im_end|>
// and ships no parser (the closed engine builds the result envelope), so the
// output is read as that target is written: an optional reasoning block,
// then the call block, whose JSON goes through Needle 1's parseCalls (Python
// json semantics, a list of {name, arguments}), names restored to the
// caller's. What follows `</tool_call>` (normally `<|im_end|>`) is ignored.

import { outputText, parseCalls, type ToolCall } from "../calls.ts";
import type { NameMap } from "../tools.ts";

export const THINK_OPEN = "<think>";
export const THINK_CLOSE = "</think>";
export const CALL_OPEN = "<tool_call>";
export const CALL_CLOSE = "</tool_call>";
export const IM_END = "<|im_end|>";

/** Needle 1's codes, and NO_TOOL_CALL: the output has no `<tool_call>` block. */
export type Needle2ParseErrorCode = "INVALID_JSON" | "NOT_A_LIST" | "BAD_CALL" | "NO_TOOL_CALL";

export interface Needle2ParseError {
  code: Needle2ParseErrorCode;
  message: string;
  /** The call text that was parsed ("" when there was no call block). */
  text: string;
}

export interface Needle2Output {
  /** The text between `<think>` and `</think>` (to the end when unclosed); null without a reasoning block. */
  reasoning: string | null;
  /**
   * The call block's text, between `<tool_call>` and `</tool_call>` (to the
   * end, less a trailing `<|im_end|>`, when unclosed), names restored; "" without one.
   */
  callText: string;
  /** Whether `</tool_call>` was reached. */
  closed: boolean;
  calls: ToolCall[];
  /** Set when there is no call block, or its text is not a JSON list of calls. */
  error?: Needle2ParseError;
}

/** Reads decode(output ids): `text` as the tokenizer decodes it, `nameMap` the model's names → the caller's. */
export function parseNeedle2Output(text: string, nameMap: Readonly<NameMap> = {}): Needle2Output {
  let rest = text.trimStart();
  let reasoning: string | null = null;
  if (rest.startsWith(THINK_OPEN)) {
    const end = rest.indexOf(THINK_CLOSE, THINK_OPEN.length);
    reasoning = rest.slice(THINK_OPEN.length, end < 0 ? rest.length : end);
    rest = end < 0 ? "" : rest.slice(end + THINK_CLOSE.length);
  }
  const open = rest.indexOf(CALL_OPEN);
  if (open < 0) {
    const message = reasoning !== null && !text.includes(THINK_CLOSE) ? "the output ended inside <think>, before any <tool_call>" : "the output has no <tool_call> block";
    return { reasoning, callText: "", closed: false, calls: [], error: { code: "NO_TOOL_CALL", message, text: "" } };
  }
  const body = rest.slice(open + CALL_OPEN.length);
  const close = body.indexOf(CALL_CLOSE);
  let raw = close < 0 ? body : body.slice(0, close);
  if (close < 0 && raw.endsWith(IM_END)) raw = raw.slice(0, -IM_END.length);
  const parsed = parseCalls(raw, nameMap);
  const callText = outputText(raw, nameMap);
  if (parsed.ok) return { reasoning, callText, closed: close >= 0, calls: parsed.calls };
  return { reasoning, callText, closed: close >= 0, calls: [], error: { ...parsed.error, text: raw } };
}
