import { NeedleError } from "../../errors.ts";
import { GrammarMachine } from "./machine.ts";
import type { ToolGrammar } from "./grammar.ts";
import type { TokenBytes } from "./token-bytes.ts";

/**
 * Schema-constrained greedy decoding over one ToolGrammar. Per step,
 * `argmax(logits)` returns the highest-scoring token whose whole byte string
 * the grammar accepts and after which the answer can still be completed in
 * the tokens left (maxTokens); `feed(id)` advances by it. EOS is allowed
 * only, and then always, once the list is closed; `<tool_call>` only as
 * the first token (it writes no bytes of the answer).
 *
 * The model's argmax is tried first; only when it is refused are the other
 * ids scanned, skipping any whose logit is not above the best allowed so far
 * or whose first byte the grammar refuses. So greedy stays greedy within the
 * grammar, and a model that writes valid answers costs one trial per step.
 *
 * Finishing in time: each candidate is tried on a copy of the machine, and
 * taken only if the fewest bytes that complete the answer afterwards
 * (GrammarMachine.minRest) fit in the tokens left. With a tokenizer that has
 * a one-byte token for every printable ASCII byte (byte fallback; see
 * TokenBytes.bytewise) that keeps every answer completable, so a model
 * cannot run the answer out of tokens when maxTokens >= minTokens.
 * Where finishing in time changed a choice (the best token the grammar
 * allows would not have left room to finish, e.g. `[]` because no call
 * fits), `shapedByBudget` is set and the result's finishReason is "length".
 *
 * Confidence (see README "Constrained decoding"):
 * - callConfidence(i): the product, over the tokens that write any byte of
 *   call i (from its "{" through its closing "}"), of each chosen token's
 *   probability under the model's own softmax over the whole vocabulary.
 *   That is never above its probability under the grammar-renormalised
 *   distribution, and drops where the model wanted a token the grammar
 *   refused: the case a router should hand on.
 * - noCallConfidence: at the step whose token decides between `[]` and a
 *   first call, the softmax mass of the allowed tokens that close the empty
 *   list, over the mass of the allowed tokens that decide either way.
 *   0 when a call is required, 1 when no call is possible.
 */

/** exp(-d) for d in [0, EXP_RANGE) from a table at steps of 1/EXP_STEPS, refined by a second-order term (relative error < 1e-6). */
const EXP_STEPS = 64;
/** Softmax terms further than this below the largest logit are dropped (each under e^-30 of it). */
const EXP_RANGE = 30;
const EXP_TABLE = Float64Array.from({ length: EXP_RANGE * EXP_STEPS + 1 }, (_, k) => Math.exp(-k / EXP_STEPS));

function expBelow(d: number): number {
  const scaled = d * EXP_STEPS;
  if (!(scaled < EXP_RANGE * EXP_STEPS)) return 0; // far below, or NaN
  const k = scaled | 0;
  const x = (scaled - k) / EXP_STEPS;
  return EXP_TABLE[k]! * (1 - x * (1 - x * 0.5));
}
const UNLIMITED = 0x3fffffff;

/** A token's fit at this step: refused by the grammar, allowed but leaving no room to finish, or allowed. */
type Fit = 0 | 1 | 2;
const REFUSED = 0;
const OVER_BUDGET = 1;
const FITS = 2;

export interface SchemaDecoderOptions {
  eosId: number;
  /** `<tool_call>`, allowed as the first token; -1 if the tokenizer has none. */
  toolCallId: number;
  /** Tokens this answer may have, EOS and `<tool_call>` included (the loop's maxTokens). */
  maxTokens: number;
  /**
   * The engine whose last decodeStep wrote the logits argmax() is given
   * (NeedleModel): its Wasm argmax and log Σ exp replace the TypeScript pass
   * over the vocabulary.
   */
  engine?: LogitsEngine;
}

export interface LogitsEngine {
  argmax(): number;
  logSumExp(): number;
}

/** What a call's result reports from schema decoding (lib/needle.ts): Needle 1's SchemaDecoder, or Needle 2's constraint around one. */
export interface SchemaOutcome {
  /** Schema features the grammar could not enforce. */
  readonly warnings: readonly string[];
  /** Finishing within maxTokens changed at least one choice. */
  readonly shapedByBudget: boolean;
  /** Probability that the answer is `[]` (see the class comment). */
  readonly noCallConfidence: number;
  /** Probability of call i (see the class comment). */
  callConfidence(i: number): number;
}

export class SchemaDecoder implements SchemaOutcome {
  readonly grammar: ToolGrammar;
  readonly #bytes: TokenBytes;
  readonly #machine: GrammarMachine;
  readonly #trial: GrammarMachine;
  readonly #probe: GrammarMachine;
  /** Per first byte in the current state: 0 not yet known, 1 accepted, -1 refused. */
  readonly #firstByte = new Int8Array(256);
  readonly #eosId: number;
  readonly #toolCallId: number;
  readonly #maxTokens: number;
  readonly #engine: LogitsEngine | null;
  /** Log-probability of each call so far, by index. */
  readonly #callLogProb: Float64Array;
  #step = 0;
  #shapedByBudget = false;
  #lastLogProb = 0;
  #noCall = -1;

  constructor(bytes: TokenBytes, grammar: ToolGrammar, options: SchemaDecoderOptions) {
    this.grammar = grammar;
    this.#bytes = bytes;
    this.#machine = new GrammarMachine(grammar);
    this.#trial = new GrammarMachine(grammar);
    this.#probe = new GrammarMachine(grammar);
    this.#eosId = options.eosId;
    this.#toolCallId = options.toolCallId;
    this.#maxTokens = options.maxTokens;
    this.#engine = options.engine ?? null;
    this.#callLogProb = new Float64Array(options.maxTokens + 1);
    this.minTokens = this.#machine.minRest();
    if (grammar.tools === 0) this.#noCall = 1;
    else if (grammar.requireCall) this.#noCall = 0;
  }

  /** Schema features the grammar could not enforce (see ToolGrammar). */
  get warnings(): readonly string[] {
    return this.grammar.warnings;
  }

  /**
   * maxTokens below this may leave the answer unfinished: the bytes of the
   * shortest complete answer (with a bytewise tokenizer, at least the
   * tokens it needs).
   */
  readonly minTokens: number;

  /** Finishing within maxTokens changed at least one choice (see the class comment). */
  get shapedByBudget(): boolean {
    return this.#shapedByBudget;
  }

  /** The list of calls is closed. */
  get complete(): boolean {
    return this.#machine.complete;
  }

  /** Calls started so far. */
  get calls(): number {
    return this.#machine.calls;
  }

  /** Probability of call i (see the class comment). */
  callConfidence(i: number): number {
    return Math.exp(this.#callLogProb[i]!);
  }

  /** Probability that the answer is `[]` (see the class comment); 0 if the answer never got past its opening. */
  get noCallConfidence(): number {
    return this.#noCall < 0 ? 0 : this.#noCall;
  }

  /** The token to write next under `logits` (EOS once the list is closed). */
  argmax(logits: ArrayLike<number>): number {
    const n = Math.min(this.#bytes.size, logits.length);
    let top: number;
    let topValue: number;
    let logSum: number;
    const engine = this.#engine;
    if (engine) {
      top = engine.argmax();
      topValue = logits[top]!;
      logSum = engine.logSumExp();
    } else {
      // One pass: the largest logit and Σ exp(logit - largest), rescaled when the largest changes. NaNs are skipped.
      top = -1;
      topValue = -Infinity;
      let sum = 0;
      for (let i = 0; i < n; i++) {
        const v = logits[i]!;
        if (v > topValue) {
          sum = sum * Math.exp(topValue - v) + 1;
          topValue = v;
          top = i;
        } else {
          sum += expBelow(topValue - v);
        }
      }
      logSum = topValue + Math.log(sum);
    }
    const m = this.#machine;
    let chosen = this.#eosId;
    if (!m.complete) {
      const left = this.#maxTokens - this.#step - 1; // tokens after this one
      let limit = m.minRest() <= left + 1 ? left : UNLIMITED; // this token can write a byte of the shortest rest
      this.#firstByte.fill(0);
      const fit = top >= 0 && top !== this.#eosId ? this.#allows(top, limit) : REFUSED;
      chosen = fit === FITS ? top : this.#bestAllowed(logits, n, limit, fit === OVER_BUDGET);
      if (chosen < 0 && limit !== UNLIMITED) chosen = this.#bestAllowed(logits, n, (limit = UNLIMITED), false);
      if (chosen < 0) chosen = this.#eosId;
      else if (this.#noCall < 0 && m.undecided) this.#decide(logits, n, chosen, topValue, limit);
    }
    const logProb = logits[chosen]! - logSum;
    this.#lastLogProb = logProb === logProb ? Math.min(0, logProb) : -Infinity;
    return chosen;
  }

  /** Advance by the chosen token (not EOS), crediting its probability to every call it writes a byte of. */
  feed(id: number): void {
    const m = this.#machine;
    if (id === this.#toolCallId && this.#step === 0) {
      this.#step++;
      return;
    }
    if (!Number.isInteger(id) || id < 0 || id >= this.#bytes.size) throw new NeedleError("BAD_TOKEN_ID", `token id ${id} is outside the vocabulary`);
    const first = m.inCall ? m.calls - 1 : m.calls;
    const { start, data } = this.#bytes;
    const end = start[id + 1]!;
    if (start[id] === end) throw new NeedleError("GRAMMAR_REFUSED", `token ${id} writes nothing; the answer grammar cannot take it`);
    for (let i = start[id]!; i < end; i++) {
      if (!m.feed(data[i]!)) throw new NeedleError("GRAMMAR_REFUSED", `token ${id} does not continue the answer the grammar allows`);
    }
    for (let c = first; c < m.calls; c++) this.#callLogProb[c]! += this.#lastLogProb;
    this.#lastLogProb = 0;
    this.#step++;
  }

  /**
   * Count a token written outside the list (Needle 2's reasoning and the
   * markers around its list): it takes one of maxTokens and no byte.
   */
  skipToken(): void {
    this.#step++;
  }

  /**
   * The allowed id with the largest logit that fits in `limit`; marks the
   * answer shapedByBudget if a larger one was allowed but did not fit
   * (`topOverBudget`: the model's own argmax was such a one).
   */
  #bestAllowed(logits: ArrayLike<number>, n: number, limit: number, topOverBudget: boolean): number {
    let best = -1;
    let bestValue = -Infinity;
    let overBudgetValue = -Infinity;
    const toolCall = this.#step === 0 && this.#toolCallId >= 0 && this.#toolCallId < n ? this.#toolCallId : -1;
    if (toolCall >= 0) {
      const fit = this.#allows(toolCall, limit);
      if (fit === FITS) {
        best = toolCall;
        bestValue = logits[toolCall]!;
      } else if (fit === OVER_BUDGET) {
        overBudgetValue = logits[toolCall]!;
      }
    }
    // By first byte: a byte the grammar refuses here rules out its whole group unread.
    const { byFirst, firstStart } = this.#bytes;
    for (let b = 0; b < 256; b++) {
      const from = firstStart[b]!;
      const to = firstStart[b + 1]!;
      if (from === to || !this.#firstByteAllowed(b)) continue;
      for (let k = from; k < to; k++) {
        const id = byFirst[k]!;
        if (id >= n) continue;
        const v = logits[id]!;
        // The largest logit, the smallest id on ties (as a scan in id order finds it).
        if (best >= 0 && !(v > bestValue || (v === bestValue && id < best))) continue;
        const fit = this.#allows(id, limit);
        if (fit === FITS) {
          best = id;
          bestValue = v;
        } else if (fit === OVER_BUDGET && v > overBudgetValue) {
          overBudgetValue = v;
        }
      }
    }
    if (best >= 0 && (topOverBudget || overBudgetValue > bestValue)) this.#shapedByBudget = true;
    return best;
  }

  /** Whether token `id` may come next (FITS: leaving an answer that fits in `limit` more tokens). */
  #allows(id: number, limit: number): Fit {
    const m = this.#machine;
    if (id === this.#toolCallId && this.#step === 0) return m.minRest() <= limit ? FITS : OVER_BUDGET;
    const { start, data } = this.#bytes;
    let i = start[id]!;
    const end = start[id + 1]!;
    if (i === end) return REFUSED;
    if (!this.#firstByteAllowed(data[i]!)) return REFUSED;
    const t = this.#trial;
    t.copyFrom(m);
    for (; i < end; i++) if (!t.feed(data[i]!)) return REFUSED;
    return limit === UNLIMITED || t.minRest() <= limit ? FITS : OVER_BUDGET;
  }

  /** Whether the grammar takes byte b next (cached per step in #firstByte). */
  #firstByteAllowed(b: number): boolean {
    let known = this.#firstByte[b]!;
    if (known === 0) {
      this.#probe.copyFrom(this.#machine);
      known = this.#firstByte[b] = this.#probe.feed(b) ? 1 : -1;
    }
    return known > 0;
  }

  /**
   * If `chosen` decides between no call and a first call, set noCall from
   * the allowed tokens' softmax mass on either side.
   */
  #decide(logits: ArrayLike<number>, n: number, chosen: number, topValue: number, limit: number): void {
    const t = this.#trial;
    if (chosen === this.#toolCallId || this.#allows(chosen, limit) !== FITS || t.undecided) return;
    const chosenCalls = t.calls;
    let none = 0, call = 0;
    for (let id = 0; id < n; id++) {
      if (id === this.#eosId || id === this.#toolCallId || this.#allows(id, limit) !== FITS || t.undecided) continue;
      const p = Math.exp(logits[id]! - topValue);
      if (t.calls > 0) call += p;
      else none += p;
    }
    this.#noCall = none + call > 0 ? none / (none + call) : chosenCalls > 0 ? 0 : 1;
  }
}
