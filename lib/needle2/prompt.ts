// Needle 2's chat prompt as the reference renders it (finetune.py
// render_example; decode.py generate_cached): an optional system turn, the
// user turn with the tools as compact ensure_ascii JSON (json.dumps with
// separators (",", ":"), keys in the order given) and the query, then the
// assistant turn; ids are [BOS] + encode(prompt), cut to max_seq_len - 1.

import { dumpsPlain } from "../pyjson.ts";
import type { Needle2Tokenizer } from "./tokenizer.ts";

export interface Needle2PromptInput {
  query: string;
  /** Tool schemas as the caller gives them (name, description, parameters, in that order). */
  tools: readonly unknown[];
  /** System facts, e.g. "date: 2026-07-21"; omitted when empty. */
  system?: string;
}

export function renderNeedle2Prompt(input: Needle2PromptInput): string {
  return needle2PromptSpans(input).text;
}

/** The prompt text and where in it the tools JSON and the query ("\n" + query) lie, as [start, end) character offsets. */
export function needle2PromptSpans(input: Needle2PromptInput): { text: string; tools: [number, number]; query: [number, number] } {
  const head = `${input.system ? `<|im_start|>system\n${input.system}<|im_end|>\n` : ""}<|im_start|>user\n<tools>`;
  const tools = dumpsPlain(input.tools);
  const toolsEnd = head.length + tools.length;
  const queryStart = toolsEnd + "</tools>".length;
  const query = `\n${input.query}`;
  return {
    text: `${head}${tools}</tools>${query}<|im_end|>\n<|im_start|>assistant\n`,
    tools: [head.length, toolsEnd],
    query: [queryStart, queryStart + query.length],
  };
}

/** [BOS] + encode(text), at most maxSeqLen - 1 ids (generate_cached's truncation). */
export function needle2PromptIds(tokenizer: Needle2Tokenizer, text: string, maxSeqLen: number): number[] {
  return [tokenizer.bosId, ...tokenizer.encode(text)].slice(0, maxSeqLen - 1);
}
