// Needle: the API users call. A query and a tool list in, tool calls out:
// tools (lib/tools.ts) → prompt (lib/prompt.ts) → the generation loop
// (lib/decode.ts) under a constraint (lib/constrain/) → calls (lib/calls.ts),
// over one NeedleModel and Tokenizer; or, for a Needle 2 `.cact`, the same
// loop over a Needle2Model (lib/needle2/backend.ts: request, session, answer).

import { ConstrainedDecoder } from "./constrain/reference.ts";
import { resolveDecoding, type ToolChoice } from "./constrain/choice.ts";
import { SchemaDecoder, type SchemaOutcome } from "./constrain/schema/decoder.ts";
import { ToolGrammar } from "./constrain/schema/grammar.ts";
import { TokenBytes } from "./constrain/schema/token-bytes.ts";
import { InputError, NeedleError, SourceError } from "./errors.ts";
import { DEFAULT_MODEL_DESCRIPTION, defaultModelUrl } from "./assets.ts";
import { EmbeddingCache } from "./embedding-cache.ts";
import { requireWasmSimd } from "./engine/features.ts";
import { NeedleModel } from "./engine/model.ts";
import { type ModelLoadOptions } from "./engine/open.ts";
import { MAX_ENCODER_LEN, MAX_NEW_TOKENS, buildEncoderInput } from "./prompt.ts";
import { TOOL_CALL_TEXT, TextStream, outputText, parseCalls, type ToolCall, type Truncation } from "./calls.ts";
import { generate, type DecodePlan, type DecodeSession, type FinishReason } from "./decode.ts";
import { dumps, dumpsPlain, loads, type PyValue } from "./pyjson.ts";
import type { LoadProgress, Source } from "./load/source.ts";
import { prepareTools, type PreparedTools, type ToolsInput } from "./tools.ts";
import { MAX_QUERY_CHARS } from "./limits.ts";
import { checkCallOptions, checkModelOptions, optionError } from "./options.ts";
import { availableThreads } from "./engine/threads.ts";
import { Tokenizer } from "../tokenizer/index.ts";
import { resolveHubModel, type ModelOrigin } from "./hub/load.ts";
import { HUB_DEFAULT_DTYPE, type HubLoadOptions } from "./hub/options.ts";
import { Needle2Backend, Needle2TextStream, needle2LoadOptions } from "./needle2/backend.ts";
import { Needle2Model } from "./needle2/model.ts";
import type { Needle2Request } from "./needle2/request.ts";
import type { Needle2Tokenizer } from "./needle2/tokenizer.ts";

export interface NeedleLoadOptions extends ModelLoadOptions, HubLoadOptions {
  /**
   * A Needle checkpoint (`needle.pkl`), a `.needle` bundle or a Needle 2
   * `.cact` (recognised by its tag): path, URL, bytes, Response, Blob or
   * stream. Default: the small demo model that ships with the package
   * (weights/needle-demo.needle), not Cactus's Needle.
   */
  weights?: Source;
  /** Needle 2 only: positions reserved for prompt plus answer (default min(the file's max_seq_len, 1024)). */
  maxSequenceLength?: number;
  /** Needle 2 only: the sliding attention window (default 0, none; "header": the file's kv_window). */
  kvWindow?: number | "header";
  /** The matching SentencePiece model (`needle.model`); a bundle carries its own. */
  tokenizer?: Source;
}

export type { ToolChoice } from "./constrain/choice.ts";

export interface CallOptions {
  /**
   * "schema" (the default): only a list of calls that parses and fits the
   * tools' schemas can be written (lib/constrain/schema/), with each call's
   * `confidence`. "reference" (`true` is the same): the reference's
   * constraint on tool names and argument keys only, token for token as the
   * reference decodes. false: none. Needle 2: "schema" (its default, inside
   * the <think>…</think> format) or false.
   */
  constrained?: boolean | "schema" | "reference";
  /** Most tokens to generate, forced ones included (default 511). */
  maxTokens?: number;
  /** Aborts at the next token, throwing the signal's reason (an AbortError by default); the session stays usable. */
  signal?: AbortSignal;
  /** Text the answer is forced to begin with (fed as `<tool_call>` + its tokens). */
  prefix?: string;
  /**
   * "auto" (default): the model chooses; "none": no call, nothing decoded;
   * "required": at least one call; `{ name }`: exactly one call of that tool
   * (original or snake_case name). In schema mode the grammar enforces them;
   * in the other modes "required" and `{ name }` force the reference's
   * prefixes (see lib/constrain/choice.ts). Needle 2: "required" and
   * `{ name }` in schema mode only.
   */
  toolChoice?: ToolChoice;
  /**
   * A prompt over 1024 tokens: "truncate" cuts it as the reference does (the
   * query to 1022 tokens, the tools to what is left) and reports it in
   * `result.truncated`; "error" throws PROMPT_TOO_LONG (default "truncate").
   */
  overflow?: "truncate" | "error";
  /** Needle 2 only: system facts ("date: 2026-07-21; locale: en-US"), rendered as the system turn. */
  system?: string;
}

/** A call in the shape of OpenAI's `tool_calls`. */
export interface OpenAIToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

/** The model's text was not a JSON list of calls; `text` holds it unchanged. */
export class OutputParseError extends NeedleError {
  readonly text: string;
  constructor(code: string, message: string, text: string) {
    super(code, message);
    this.text = text;
  }
}

export interface CallResult {
  /** The calls, named as the caller named the tools; empty when the output did not parse. */
  calls: ToolCall[];
  /** The same calls as OpenAI `tool_calls`. */
  toolCalls: OpenAIToolCall[];
  /** The final output text (the reference's generate() text). */
  text: string;
  /** Generated ids, forced ones included, the final EOS excluded. */
  tokens: number[];
  /**
   * "stop": the model ended with EOS; "length": maxTokens was reached, or
   * (schema decoding) the answer was closed early to finish within it.
   */
  finishReason: FinishReason;
  /** Decoder steps run: the tokens, and the final EOS where the model wrote one (OpenAI's completion tokens). */
  steps: number;
  /** Set when `text` is not a JSON list of `{name, arguments}` objects. */
  error?: OutputParseError;
  /** Set when the prompt was cut to 1024 tokens: how many tokens were dropped. */
  truncated?: Truncation;
  /** Needle 2: the text of its `<think>` block (absent when it wrote none). */
  reasoning?: string;
  /**
   * Schema mode (and toolChoice "none"): the probability that no tool is to
   * be called, from the model's choice between `[]` and a first call
   * (README "Constrained decoding"). A router hands the request on when
   * neither this nor the calls' `confidence` is high.
   */
  noCallConfidence?: number;
  /** Schema mode: what the grammar could not enforce (e.g. a "pattern"); only when there is something to say. */
  warnings?: string[];
}

export type StreamEvent =
  | { type: "token"; token: number; text: string }
  | { type: "result"; result: CallResult };

export interface CallItem {
  query: string;
  tools: ToolsInput;
  options?: Omit<CallOptions, "signal">;
}

export interface CallManyOptions {
  /** Aborts the item in progress at its next token (and the items after it) with the signal's reason. */
  signal?: AbortSignal;
}

export interface RankedTool {
  index: number;
  score: number;
}

/** Tokens of a text the contrastive head sees (the reference's retrieval max_len). */
const RETRIEVAL_MAX_TOKENS = 256;
/** Internal, for tests: a session's rank() cache (set in Needle's static block). */
export let embeddingCacheOf: (needle: Needle) => EmbeddingCache;

/** Everything one generation needs, prepared before the engine runs. */
interface Plan extends DecodePlan {
  /** toolChoice "none": nothing to decode. */
  skip: boolean;
  /** The constraint when it decodes under the schema grammar (confidences and warnings come from it). */
  schema: SchemaOutcome | null;
  encoderIds: number[];
  toolsJson: string;
  nameMap: Readonly<Record<string, string>>;
  truncated?: Truncation;
  /** Needle 2: the request (the Needle 1 fields above are then empty). */
  needle2?: Needle2Request;
}

export interface Prompt {
  /** `query ids + <tools> + tools ids`, at most 1024 long (Needle 2: the prompt's ids, BOS first, that prefill runs). */
  encoderIds: number[];
  /** The tool list as the encoder sees it: snake_case names, Python's compact JSON (Needle 2: names as given). */
  toolsJson: string;
  /** snake_case name → the caller's name. */
  nameMap: Readonly<Record<string, string>>;
  truncated?: Truncation;
}

export class Needle {
  /** The model: a NeedleModel, or for a `.cact` a Needle2Model. */
  readonly model: NeedleModel | Needle2Model;
  readonly tokenizer: Tokenizer | Needle2Tokenizer;
  /** Set for a Needle 2 `.cact`: the per-model part of calls and rank(). */
  readonly #n2: Needle2Backend | null;
  /** For a model loaded by id ({ model }): repo, revision, commit and files; null otherwise. */
  origin: ModelOrigin | null = null;
  readonly #eosId: number;
  readonly #toolCallId: number;
  readonly #toolsId: number;
  readonly #tokenStrings: readonly string[];
  /** rank()'s embeddings by text: bounded, least recently used out first (lib/embedding-cache.ts). */
  readonly #embeddings = new EmbeddingCache();
  /** Calls run one at a time on the engine: each waits for the previous (#turn). */
  #queue: Promise<void> = Promise.resolve();

  constructor(model: NeedleModel, tokenizer: Tokenizer);
  /** Internal: Needle 2 (Needle.load builds it for a `.cact`). */
  constructor(backend: Needle2Backend);
  constructor(model: NeedleModel | Needle2Backend, tokenizer?: Tokenizer) {
    if (model instanceof Needle2Backend) {
      this.#n2 = model;
      this.model = model.model;
      this.tokenizer = model.tokenizer;
      this.#eosId = model.eosId;
      this.#toolCallId = -1;
      this.#toolsId = -1;
      this.#tokenStrings = [];
      return;
    }
    this.#n2 = null;
    if (!tokenizer) throw new InputError("MISSING_TOKENIZER", "new Needle(model, tokenizer) needs the tokenizer");
    if (tokenizer.vocabSize !== model.config.vocab_size) {
      throw new NeedleError("VOCAB_MISMATCH", `the tokenizer has ${tokenizer.vocabSize} pieces but the model's vocab_size is ${model.config.vocab_size}`);
    }
    for (const piece of [TOOL_CALL_TEXT, "<tools>"]) {
      if (!tokenizer.hasPiece(piece)) throw new NeedleError("NOT_A_NEEDLE_TOKENIZER", `the tokenizer has no ${piece} piece; Needle's tokenizer defines <tool_call> and <tools>`);
    }
    this.model = model;
    this.tokenizer = tokenizer;
    this.#eosId = tokenizer.eosId;
    this.#toolCallId = tokenizer.pieceToId(TOOL_CALL_TEXT);
    this.#toolsId = tokenizer.pieceToId("<tools>");
    this.#tokenStrings = tokenizer.tokenStrings();
  }

  /**
   * Load weights and tokenizer (in parallel) and check that they belong
   * together. A `.needle` bundle needs no separate tokenizer.
   */
  static async load(options: NeedleLoadOptions = {}): Promise<Needle> {
    if (options === null || typeof options !== "object") throw new InputError("BAD_OPTION", "Needle.load takes { weights, tokenizer, … } (or nothing, for the bundled demo model)");
    requireWasmSimd();
    checkModelOptions(options as Record<string, unknown>, options.threads === undefined ? 1 : await availableThreads());
    if (options.model != null) return Needle.#loadFromHub(options);
    if (options.weights == null) return Needle.#loadDefault(options);
    const tokenizerLoad = options.tokenizer == null ? null : Tokenizer.load(options.tokenizer, options);
    tokenizerLoad?.catch(() => undefined); // awaited below; do not report it unhandled meanwhile
    const loaded = await NeedleModel.loadWeights(options.weights, options);
    if (loaded.kind === "cact") return new Needle(new Needle2Backend(await Needle2Model.fromBytes(loaded.bytes, needle2LoadOptions(options as Record<string, unknown>))));
    for (const key of ["maxSequenceLength", "kvWindow"] as const) {
      if (options[key] === undefined) continue;
      loaded.model.dispose();
      throw new InputError("NOT_FOR_NEEDLE1", `${key} is a Needle 2 (.cact) option; Needle 1 has maxEncoderLength and maxDecoderLength`);
    }
    const { model, bundledTokenizer } = loaded;
    let tokenizer: Tokenizer;
    if (tokenizerLoad) tokenizer = await tokenizerLoad;
    else if (bundledTokenizer) tokenizer = Tokenizer.fromBytes(bundledTokenizer);
    else {
      model.dispose();
      throw new InputError("MISSING_TOKENIZER", "a needle.pkl checkpoint needs { tokenizer } (needle.model); .needle bundles carry their own");
    }
    return new Needle(model, tokenizer);
  }

  /** A Hugging Face model id: downloaded, verified and cached (lib/hub/), then loaded. */
  static async #loadFromHub(options: NeedleLoadOptions): Promise<Needle> {
    if (options.weights != null || options.tokenizer != null) throw new InputError("BAD_OPTION", "give either { model } (a Hugging Face id) or { weights, tokenizer }, not both");
    const { model, ...rest } = options;
    const dtype = options.dtype ?? HUB_DEFAULT_DTYPE;
    const found = await resolveHubModel(model!, { ...options, dtype });
    // The bundle (or the bytes) now come from the cache: their progress events say so.
    const onProgress = options.onProgress && ((event: LoadProgress) => options.onProgress!({ ...event, cached: true }));
    const needle = await Needle.load({ ...rest, dtype, onProgress, weights: found.weights, ...(found.tokenizer ? { tokenizer: found.tokenizer } : {}) });
    needle.origin = found.origin;
    return needle;
  }

  /** The bundled demo model, with a clear error where it cannot be read. */
  static async #loadDefault(options: NeedleLoadOptions): Promise<Needle> {
    try {
      return await Needle.load({ ...options, weights: defaultModelUrl() });
    } catch (err) {
      if (err instanceof SourceError) {
        throw new SourceError(err.code, `${DEFAULT_MODEL_DESCRIPTION} could not be read (${err.message}); pass { weights } (and { tokenizer }) to load a model`, { cause: err });
      }
      throw err;
    }
  }

  /** The prompt a call would run: encoder ids, the normalised tools JSON and the name map. */
  prompt(query: string, tools: ToolsInput, options: Pick<CallOptions, "overflow"> = {}): Prompt {
    const plan = this.#plan(query, tools, { ...options, constrained: false });
    if (plan.needle2) {
      const { promptIds, toolsJson, truncated } = plan.needle2;
      return { encoderIds: promptIds, toolsJson, nameMap: {}, ...(truncated ? { truncated } : {}) };
    }
    return { encoderIds: plan.encoderIds, toolsJson: plan.toolsJson, nameMap: plan.nameMap, ...(plan.truncated ? { truncated: plan.truncated } : {}) };
  }

  /** The tool calls the model makes for `query` given `tools`. */
  async call(query: string, tools: ToolsInput, options: CallOptions = {}): Promise<CallResult> {
    const plan = this.#plan(query, tools, options);
    if (plan.skip) return this.#result(plan, [], "stop");
    return this.#exclusive(async () => {
      const tokens: number[] = [];
      const run = generate(this.#session(plan), plan, { signal: options.signal, yieldEachToken: false });
      for (let next = await run.next(); ; next = await run.next()) {
        if (next.done) return this.#result(plan, tokens, next.value);
        tokens.push(next.value);
      }
    });
  }

  /**
   * Like call(), token by token: a `{ type: "token" }` event per generated
   * token (sent once the next one is chosen), whose `text` deltas add up to
   * the result's `text` (lib/calls.ts TextStream), then `{ type: "result" }`.
   */
  async *stream(query: string, tools: ToolsInput, options: CallOptions = {}): AsyncGenerator<StreamEvent, void, undefined> {
    const plan = this.#plan(query, tools, options);
    if (plan.skip) {
      yield { type: "result", result: this.#result(plan, [], "stop") };
      return;
    }
    const release = await this.#turn();
    try {
      const tokens: number[] = [];
      const shown = this.#n2 ? new Needle2TextStream() : new TextStream(plan.nameMap);
      // Each token's event waits for the next choice, so the last one can carry the end of the final text.
      let pending: StreamEvent & { type: "token" } | null = null;
      const run = generate(this.#session(plan), plan, { signal: options.signal, yieldEachToken: true });
      for (let next = await run.next(); ; next = await run.next()) {
        if (next.done) {
          const result = this.#result(plan, tokens, next.value);
          if (pending) yield { ...pending, text: pending.text + shown.finish(result.text) };
          yield { type: "result", result };
          return;
        }
        if (pending) yield pending;
        tokens.push(next.value);
        pending = { type: "token", token: next.value, text: shown.update(this.tokenizer.decode(tokens)) };
      }
    } finally {
      release();
    }
  }

  /** Several calls, in order; each result is what call() gives for that item. */
  async callMany(items: readonly CallItem[], options: CallManyOptions = {}): Promise<CallResult[]> {
    if (!Array.isArray(items)) throw new InputError("BAD_ITEMS", "callMany takes an array of { query, tools, options }");
    if (options === null || typeof options !== "object") throw new InputError("BAD_OPTION", "callMany's second argument is { signal? }");
    const { signal } = options;
    if (signal !== undefined && !(signal instanceof AbortSignal)) throw optionError("signal", signal, "an AbortSignal");
    const results: CallResult[] = [];
    for (const [i, item] of items.entries()) {
      if (item === null || typeof item !== "object") throw new InputError("BAD_ITEMS", `callMany: items[${i}] must be { query, tools, options? }, got ${item === null ? "null" : typeof item}`);
      results.push(await this.call(item.query, item.tools, { ...item.options, ...(signal ? { signal } : {}) }));
    }
    return results;
  }

  /**
   * The tools ranked by the contrastive retrieval head: cosine similarity of
   * the query's vector and each tool's (its compact JSON as text), best first.
   */
  async rank(query: string, tools: ToolsInput, k?: number): Promise<RankedTool[]> {
    checkQuery(query);
    const texts = this.#n2 ? this.#n2.toolTexts(tools) : toolTexts(prepareTools(tools));
    const limit = k ?? texts.length;
    if (!Number.isInteger(limit) || limit < 0) throw optionError("k", k, "a non-negative integer", "BAD_K");
    // The encoder is shared with generation: wait for calls in flight.
    return this.#exclusive(async () => {
      const q = this.#embed(query);
      const ranked = texts.map((text, index) => {
        const e = this.#embed(text);
        let score = 0;
        for (let i = 0; i < e.length; i++) score += e[i]! * q[i]!;
        return { index, score };
      });
      ranked.sort((a, b) => b.score - a.score || a.index - b.index);
      return ranked.slice(0, limit);
    });
  }

  static {
    embeddingCacheOf = (needle) => needle.#embeddings;
  }

  /** Release the engine. */
  dispose(): void {
    this.model.dispose();
    this.#embeddings.clear();
  }

  /** `using needle = await Needle.load()`: dispose() at the end of the scope. */
  [Symbol.dispose](): void {
    this.dispose();
  }

  /** `await using needle = await Needle.load()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    this.dispose();
  }

  #embed(text: string): Float32Array {
    let e = this.#embeddings.get(text);
    if (!e) {
      e = this.model.embed(this.tokenizer.encode(text).slice(0, RETRIEVAL_MAX_TOKENS));
      this.#embeddings.set(text, e);
    }
    return e;
  }

  /** Run `job` when every earlier call has finished. */
  async #exclusive<T>(job: () => Promise<T>): Promise<T> {
    const release = await this.#turn();
    try {
      return await job();
    } finally {
      release();
    }
  }

  /** Wait for the engine: resolves, once every earlier call has finished, to the function that hands it on. */
  #turn(): Promise<() => void> {
    let release!: () => void;
    const done = new Promise<void>((resolve) => (release = resolve));
    const previous = this.#queue;
    this.#queue = previous.then(() => done);
    return previous.then(() => release);
  }

  /** The engine's side of one generation: encode the prompt, then one decoder step per token. */
  #session(plan: Plan): DecodeSession {
    if (plan.needle2) return this.#n2!.session(plan.needle2);
    const model = this.#m1;
    let pos = 0;
    return {
      start: () => {
        model.encode(plan.encoderIds);
        return model.decodeStep(this.#eosId, pos++);
      },
      step: (token) => model.decodeStep(token, pos++),
      argmax: () => model.argmax(),
    };
  }

  /** Check the input and build the prompt, forced prefix and constraints. */
  #plan(query: string, tools: ToolsInput, options: CallOptions): Plan {
    if (this.#n2) {
      checkCallOptions(options, this.#n2.model.maxSequenceLength - 1);
      checkQuery(query);
      const needle2 = this.#n2.plan(query, tools, options as Record<string, unknown>);
      const schema = this.#n2.constraint(needle2);
      return { skip: needle2.skip, schema, encoderIds: [], forced: [], maxTokens: needle2.maxTokens, eosId: this.#eosId, constraint: schema, toolsJson: "", nameMap: {}, needle2 };
    }
    const maxDecoder = this.#m1.maxDecoderLength - 1;
    checkCallOptions(options, maxDecoder);
    if (options.system !== undefined) throw new InputError("NOT_FOR_NEEDLE1", "system is a Needle 2 (.cact) option: Needle 1's prompt has no system turn");
    checkQuery(query);
    const prepared = prepareTools(tools);
    const maxTokens = options.maxTokens ?? Math.min(MAX_NEW_TOKENS, maxDecoder);
    const queryIds = this.#t1.encode(query);
    const toolsIds = this.#t1.encode(prepared.json);
    const maxLen = Math.min(MAX_ENCODER_LEN, this.#m1.maxEncoderLength);
    const encoderIds = buildEncoderInput(queryIds, toolsIds, this.#toolsId, maxLen);
    const dropped = queryIds.length + 1 + toolsIds.length - encoderIds.length;
    let truncated: Plan["truncated"];
    if (dropped > 0) {
      if (options.overflow === "error") {
        throw new InputError("PROMPT_TOO_LONG", `the prompt has ${queryIds.length} query and ${toolsIds.length} tools tokens; with <tools> that is over the ${maxLen}-token limit`);
      }
      const queryKept = Math.min(queryIds.length, maxLen - 2);
      truncated = { queryTokens: queryIds.length - queryKept, toolsTokens: toolsIds.length - (encoderIds.length - queryKept - 1) };
    }
    const decoding = resolveDecoding(options, prepared);
    const forced = decoding.prefix === undefined ? [] : [this.#toolCallId, ...this.#t1.encode(decoding.prefix)];
    if (forced.length > maxTokens) {
      throw new InputError("PREFIX_TOO_LONG", `the forced prefix is ${forced.length} tokens, more than maxTokens (${maxTokens})`);
    }
    const schema = decoding.grammar
      ? new SchemaDecoder(TokenBytes.for(this.#t1), new ToolGrammar(prepared.json, decoding.grammar), { eosId: this.#eosId, toolCallId: this.#toolCallId, maxTokens, engine: this.#m1 })
      : null;
    const constraint = schema ?? (decoding.mode === false ? null : new ConstrainedDecoder(this.#tokenStrings, prepared.json));
    return {
      skip: decoding.skip, schema, encoderIds, forced, maxTokens, eosId: this.#eosId, constraint,
      toolsJson: prepared.json, nameMap: prepared.nameMap, ...(truncated ? { truncated } : {}),
    };
  }

  #result(plan: Plan, tokens: number[], finishReason: FinishReason): CallResult {
    if (plan.needle2) return this.#needle2Result(plan, plan.needle2, tokens, finishReason);
    const decoded = plan.skip ? "[]" : this.tokenizer.decode(tokens);
    const text = outputText(decoded, plan.nameMap);
    const parsed = parseCalls(decoded, plan.nameMap);
    const result = withSchemaOutcome(plan, {
      calls: parsed.ok ? parsed.calls : [],
      toolCalls: [],
      text,
      tokens,
      finishReason,
      steps: decoderSteps(plan, tokens, finishReason),
    });
    if (!parsed.ok) result.error = new OutputParseError(parsed.error.code, parsed.error.message, parsed.error.text);
    if (plan.truncated) result.truncated = plan.truncated;
    return result;
  }

  /** toolChoice "none" decodes nothing: no calls, and an empty answer text. */
  #needle2Result(plan: Plan, request: Needle2Request, tokens: number[], finishReason: FinishReason): CallResult {
    const answer = plan.skip ? null : this.#n2!.answer(tokens);
    const result = withSchemaOutcome(plan, { calls: answer?.calls ?? [], toolCalls: [], text: answer?.text ?? "", tokens, finishReason, steps: decoderSteps(plan, tokens, finishReason) });
    if (answer?.error) result.error = new OutputParseError(answer.error.code, answer.error.message, answer.error.text);
    if (request.truncated) result.truncated = request.truncated;
    if (answer && answer.reasoning !== null) result.reasoning = answer.reasoning;
    return result;
  }

  /** Needle 1's model and tokenizer (the paths that use them run only without #n2). */
  get #m1(): NeedleModel {
    return this.model as NeedleModel;
  }

  get #t1(): Tokenizer {
    return this.tokenizer as Tokenizer;
  }

}

function checkQuery(query: unknown): asserts query is string {
  if (typeof query !== "string") throw new InputError("BAD_QUERY", `the query must be a string, got ${query === null ? "null" : typeof query}`);
  if (query.trim() === "") throw new InputError("EMPTY_QUERY", "the query is empty");
  if (query.length > MAX_QUERY_CHARS) throw new InputError("QUERY_TOO_LONG", `the query has ${query.length} characters; the limit is ${MAX_QUERY_CHARS}`);
}

/** Decoder steps a generation ran: its tokens, and the EOS that ended it ("stop"); none when nothing was decoded. */
function decoderSteps(plan: Plan, tokens: readonly number[], finishReason: FinishReason): number {
  return plan.skip ? 0 : tokens.length + (finishReason === "stop" ? 1 : 0);
}

/**
 * The result with what schema decoding reports (lib/constrain/schema/decoder.ts
 * SchemaOutcome): each call's confidence, noCallConfidence (1 when nothing
 * was decoded), warnings, "length" where the budget shaped the answer; and
 * the calls as OpenAI tool calls.
 */
function withSchemaOutcome(plan: Plan, result: CallResult): CallResult {
  const schema = plan.schema;
  if (schema) result.calls = result.calls.map((call, i) => ({ ...call, confidence: schema.callConfidence(i) }));
  result.toolCalls = result.calls.map((call, i) => ({ id: `call_${i}`, type: "function", function: { name: call.name, arguments: dumpsPlain(call.arguments) } }));
  if (plan.skip) result.noCallConfidence = 1;
  if (schema) {
    if (schema.shapedByBudget) result.finishReason = "length";
    result.noCallConfidence = schema.noCallConfidence;
    if (schema.warnings.length > 0) result.warnings = [...schema.warnings];
  }
  return result;
}

/** Each tool's compact JSON in Needle's flat format, with the caller's name: its retrieval text. */
function toolTexts(prepared: PreparedTools): string[] {
  const list = loads(prepared.json) as PyValue[];
  return list.map((tool, i) => {
    (tool as Map<string, PyValue>).set("name", prepared.names[i]!);
    return dumps(tool);
  });
}
