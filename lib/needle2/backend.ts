// Needle 2 behind class Needle (lib/needle.ts): the per-model part of a call
// — the request, the DecodeSession the one generation loop (lib/decode.ts)
// drives and the constraint it decodes under, the answer, the stream's text
// — and rank()'s tool texts. Loading options of Needle 1 that Needle 2 has
// no counterpart for are refused here, by name.

import type { DecodeSession } from "../decode.ts";
import { InputError } from "../errors.ts";
import { dumpsPlain } from "../pyjson.ts";
import type { ToolsInput } from "../tools.ts";
import { Needle2SchemaConstraint } from "./constrain.ts";
import type { Needle2Dtype, Needle2LoadOptions, Needle2Model } from "./model.ts";
import { planNeedle2Request, readNeedle2Answer, type Needle2Request, type Needle2Result } from "./request.ts";
import type { Needle2Tokenizer } from "./tokenizer.ts";
import { prepareNeedle2Tools } from "./tools.ts";

/** Load options that only Needle 1 has, and why Needle 2 refuses them. */
const NEEDLE1_LOAD_ONLY: Readonly<Record<string, string>> = {
  tokenizer: "a .cact carries its own tokenizer",
  maxEncoderLength: "Needle 2 has no encoder; use maxSequenceLength",
  maxDecoderLength: "Needle 2's prompt and answer share maxSequenceLength",
  decodeGemv: "the Needle 2 engine has one decode GEMV",
};

/** Load options for a `.cact` (a subset of NeedleLoadOptions, checked by name). */
export function needle2LoadOptions(options: Record<string, unknown>): Needle2LoadOptions {
  for (const [key, why] of Object.entries(NEEDLE1_LOAD_ONLY)) {
    if (options[key] !== undefined) throw new InputError("NOT_FOR_NEEDLE2", `option ${key}: ${why}`);
  }
  const dtype = options.dtype;
  if (dtype !== undefined && dtype !== "f32" && dtype !== "int8") throw new InputError("NOT_FOR_NEEDLE2", `option dtype: Needle 2 holds its matrices as f32 or int8, not ${String(dtype)}`);
  const threads = options.threads;
  if (threads !== undefined && threads !== 1 && threads !== "auto") throw new InputError("NOT_FOR_NEEDLE2", `option threads: the Needle 2 engine runs on one thread (threads 1 or "auto"), got ${String(threads)}`);
  const { maxSequenceLength, kvWindow, wasmModule, onProgress, cache } = options as Needle2LoadOptions;
  return {
    ...(kvWindow !== undefined ? { kvWindow } : {}),
    ...(dtype !== undefined ? { dtype: dtype as Needle2Dtype } : {}),
    ...(maxSequenceLength !== undefined ? { maxSequenceLength } : {}),
    ...(wasmModule !== undefined ? { wasmModule } : {}),
    ...(onProgress !== undefined ? { onProgress } : {}),
    ...(cache !== undefined ? { cache } : {}),
  };
}

export class Needle2Backend {
  readonly model: Needle2Model;
  readonly tokenizer: Needle2Tokenizer;

  constructor(model: Needle2Model) {
    if (!model.tokenizer) throw new InputError("MISSING_TOKENIZER", "this .cact carries no tokenizer blob");
    this.model = model;
    this.tokenizer = model.tokenizer;
  }

  get eosId(): number {
    return this.tokenizer.eosId;
  }

  /** The checked request; maxTokens is cut to the room the prompt leaves in maxSequenceLength. */
  plan(query: string, tools: ToolsInput, options: Record<string, unknown>): Needle2Request {
    const request = planNeedle2Request(this.tokenizer, this.model.maxSequenceLength, query, tools, options);
    request.maxTokens = Math.min(request.maxTokens, this.model.maxSequenceLength - request.promptIds.length);
    return request;
  }

  /** Schema mode's TokenConstraint for a planned request (its maxTokens final); null when it decodes unconstrained or not at all. */
  constraint(request: Needle2Request): Needle2SchemaConstraint | null {
    if (request.skip || !request.grammar) return null;
    return new Needle2SchemaConstraint(this.tokenizer, request.grammar, { maxTokens: request.maxTokens, engine: this.model });
  }

  /** The engine's side of one generation: the prompt (its longest cached prefix reused), then one step per token. */
  session(request: Needle2Request): DecodeSession {
    const model = this.model;
    return { start: () => model.prefill(request.promptIds), step: (token) => model.step(token), argmax: () => model.argmax() };
  }

  answer(tokens: readonly number[]): Needle2Result {
    return readNeedle2Answer(this.tokenizer, tokens);
  }

  /** rank()'s text of each tool: its compact JSON as the prompt shows it. */
  toolTexts(tools: ToolsInput): string[] {
    return prepareNeedle2Tools(tools).list.map((tool) => dumpsPlain(tool));
  }
}

/**
 * The answer's text as a stream shows it: what is decoded so far, holding
 * back a trailing partial character, so the deltas add up to the result's
 * text (the whole decoded answer, as generate_cached returns it).
 */
export class Needle2TextStream {
  #shown = "";

  update(decoded: string): string {
    return this.#advance(decoded.replace(/\uFFFD+$/, ""));
  }

  finish(finalText: string): string {
    return this.#advance(finalText);
  }

  #advance(text: string): string {
    if (text.length <= this.#shown.length || !text.startsWith(this.#shown)) return "";
    const delta = text.slice(this.#shown.length);
    this.#shown = text;
    return delta;
  }
}
