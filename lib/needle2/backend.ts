// Needle 2 behind class Needle (lib/needle.ts): the per-model part of a
// call — the request, the engine steps the one generation loop drives, the
// result — and rank() over the contrastive head. Loading options of Needle 1
// that Needle 2 has no counterpart for are refused here, by name.

import { InputError } from "../errors.ts";
import { EmbeddingCache } from "../embedding-cache.ts";
import { dumpsPlain } from "../pyjson.ts";
import type { ToolsInput } from "../tools.ts";
import { Needle2Model, type Needle2Dtype, type Needle2LoadOptions } from "./model.ts";
import { planNeedle2Request, readNeedle2Answer, type Needle2Request, type Needle2Result } from "./request.ts";
import type { Needle2Tokenizer } from "./tokenizer.ts";
import { prepareNeedle2Tools } from "./tools.ts";

/** Tokens of a text the contrastive head sees (as Needle 1's retrieval: encode(text)[:256]). */
const RETRIEVAL_MAX_TOKENS = 256;

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
  const { maxSequenceLength, wasmModule, onProgress, cache } = options as Needle2LoadOptions;
  return {
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
  readonly #embeddings = new EmbeddingCache();

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

  /** Run the prompt: the first answer token's logits are ready. */
  start(request: Needle2Request): void {
    this.model.prefill(request.promptIds);
  }

  /** The greedy id at answer position `pos`, after feeding `token` (the id chosen at pos - 1; nothing at 0). */
  next(token: number, pos: number): number {
    if (pos > 0) this.model.step(token);
    return this.model.argmax();
  }

  /** The answer's text so far as a stream shows it (mid-stream without a trailing partial character). */
  text(tokens: readonly number[], final: boolean): string {
    const text = this.tokenizer.decode(tokens);
    return final ? text : text.replace(/\uFFFD+$/, "");
  }

  answer(tokens: readonly number[]): Needle2Result {
    return readNeedle2Answer(this.tokenizer, tokens);
  }

  /** The tools by the contrastive head's cosine similarity to the query, best first (NO_PROBE_HEAD without one). */
  rank(query: string, tools: ToolsInput, limit: number): { index: number; score: number }[] {
    const texts = prepareNeedle2Tools(tools).list.map((tool) => dumpsPlain(tool));
    const q = this.#embed(query);
    const ranked = texts.map((text, index) => {
      const e = this.#embed(text);
      let score = 0;
      for (let i = 0; i < e.length; i++) score += e[i]! * q[i]!;
      return { index, score };
    });
    ranked.sort((a, b) => b.score - a.score || a.index - b.index);
    return ranked.slice(0, limit);
  }

  #embed(text: string): Float32Array {
    let e = this.#embeddings.get(text);
    if (!e) {
      e = this.model.embed(this.tokenizer.encode(text).slice(0, RETRIEVAL_MAX_TOKENS));
      this.#embeddings.set(text, e);
    }
    return e;
  }

  dispose(): void {
    this.model.dispose();
    this.#embeddings.clear();
  }
}
