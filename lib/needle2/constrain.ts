// Schema-constrained decoding for Needle 2: the answer's format at the token
// level around Needle 1's byte-level list grammar (lib/constrain/schema/).
//
//   ▁ <think>  reasoning  </think> \n <tool_call>  [calls]  </tool_call> <|im_end|>  EOS
//   (forced)   (free)     (forced once left)        (grammar)  (forced)
//
// The reasoning is free: any text token (normal and byte pieces), never EOS
// or another control or marker piece, until the model writes `</think>`, or
// has to so that the rest still fits in maxTokens. The list is decoded by a
// SchemaDecoder whose "end" token is `</tool_call>`, over the tokens left
// once the closing markers and EOS are set aside; every token outside the
// list is counted against its budget (SchemaDecoder.skipToken).

import type { TokenConstraint } from "../decode.ts";
import { NeedleError } from "../errors.ts";
import { SchemaDecoder, type LogitsEngine, type SchemaOutcome } from "../constrain/schema/decoder.ts";
import type { ToolGrammar } from "../constrain/schema/grammar.ts";
import { TokenBytes } from "../constrain/schema/token-bytes.ts";
import { CALL_CLOSE, CALL_OPEN, IM_END, THINK_CLOSE, THINK_OPEN } from "./calls.ts";
import { PIECE_BYTE, PIECE_NORMAL, type Needle2Tokenizer } from "./tokenizer.ts";

/** The format's fixed tokens for one tokenizer, and which ids the reasoning may hold. */
class Needle2Format {
  static readonly #cache = new WeakMap<Needle2Tokenizer, Needle2Format>();
  /** `▁<think>`: the dummy-prefix piece, then the marker (as training encodes the target). */
  readonly open: Int32Array;
  /** `</think>\n<tool_call>`: the first is how the reasoning ends. */
  readonly middle: Int32Array;
  /** `</tool_call>` (the list's end) and `<|im_end|>`; EOS follows. */
  readonly close: Int32Array;
  readonly eosId: number;
  /** 1 for the ids the reasoning may hold (text pieces, and `</think>` to end it). */
  readonly thinkAllows: Uint8Array;

  static for(tokenizer: Needle2Tokenizer): Needle2Format {
    let format = Needle2Format.#cache.get(tokenizer);
    if (format === undefined) {
      format = new Needle2Format(tokenizer);
      Needle2Format.#cache.set(tokenizer, format);
    }
    return format;
  }

  private constructor(tokenizer: Needle2Tokenizer) {
    const marker = (piece: string): number => {
      const id = tokenizer.pieceToId(piece);
      if (id < 0) throw new NeedleError("NOT_A_NEEDLE2_TOKENIZER", `the tokenizer has no ${piece} piece; Needle 2's answer format needs it`);
      return id;
    };
    const thinkClose = marker(THINK_CLOSE);
    marker(THINK_OPEN);
    marker(CALL_OPEN);
    this.open = Int32Array.from(tokenizer.encode(THINK_OPEN));
    const middle = tokenizer.encode(`${THINK_CLOSE}\n${CALL_OPEN}`);
    this.middle = Int32Array.from(middle.slice(middle.indexOf(thinkClose)));
    this.close = Int32Array.of(marker(CALL_CLOSE), marker(IM_END));
    this.eosId = tokenizer.eosId;
    this.thinkAllows = new Uint8Array(tokenizer.vocabSize);
    for (let id = 0; id < tokenizer.vocabSize; id++) {
      const type = tokenizer.pieceType(id);
      if (type === PIECE_NORMAL || type === PIECE_BYTE) this.thinkAllows[id] = 1;
    }
    this.thinkAllows[thinkClose] = 1;
  }
}

const OPEN = 0, THINK = 1, MIDDLE = 2, LIST = 3, CLOSE = 4;

export interface Needle2ConstraintOptions {
  /** Tokens the answer may have, EOS included (the loop's maxTokens). */
  maxTokens: number;
  /** The model whose last step wrote the logits (its Wasm argmax and log Σ exp). */
  engine?: LogitsEngine;
}

/**
 * One answer's constraint (see the file comment): argmax(logits) gives the
 * next token, feed(token) records it. Its confidences, warnings and
 * shapedByBudget are the list decoder's, with a reasoning cut by the budget
 * counted as shaped too.
 */
export class Needle2SchemaConstraint implements TokenConstraint, SchemaOutcome {
  readonly #format: Needle2Format;
  readonly #list: SchemaDecoder;
  /** The tokens (from the answer's first) within which the list must be closed: maxTokens less `</tool_call>`, `<|im_end|>` and EOS. */
  readonly #listTokens: number;
  readonly #engine: LogitsEngine | null;
  /**
   * maxTokens below this may leave the answer unfinished: the format's
   * fixed tokens, EOS and the shortest list (with a bytewise tokenizer).
   */
  readonly minTokens: number;
  #phase = OPEN;
  /** Tokens written so far. */
  #step = 0;
  /** Position in the current forced run (OPEN, MIDDLE, CLOSE). */
  #at = 0;
  #shapedByBudget = false;

  constructor(tokenizer: Needle2Tokenizer, grammar: ToolGrammar, options: Needle2ConstraintOptions) {
    const format = (this.#format = Needle2Format.for(tokenizer));
    this.#engine = options.engine ?? null;
    this.#listTokens = Math.max(0, options.maxTokens - format.close.length - 1);
    this.#list = new SchemaDecoder(TokenBytes.forNeedle2(tokenizer), grammar, {
      eosId: format.close[0]!, toolCallId: -1, maxTokens: this.#listTokens, ...(options.engine ? { engine: options.engine } : {}),
    });
    this.minTokens = format.open.length + format.middle.length + this.#list.minTokens + format.close.length + 1;
  }

  get warnings(): readonly string[] {
    return this.#list.warnings;
  }

  /** Finishing within maxTokens changed a choice: the reasoning was cut, or the list was shaped (SchemaDecoder). */
  get shapedByBudget(): boolean {
    return this.#shapedByBudget || this.#list.shapedByBudget;
  }

  get noCallConfidence(): number {
    return this.#list.noCallConfidence;
  }

  callConfidence(i: number): number {
    return this.#list.callConfidence(i);
  }

  argmax(logits: Float32Array): number {
    const format = this.#format;
    switch (this.#phase) {
      case OPEN: return format.open[this.#at]!;
      case THINK: return this.#think(logits);
      case MIDDLE: return format.middle[this.#at]!;
      case LIST: return this.#list.argmax(logits);
      default: return this.#at < format.close.length ? format.close[this.#at]! : format.eosId;
    }
  }

  feed(token: number): void {
    const format = this.#format;
    this.#step++;
    switch (this.#phase) {
      case OPEN:
        this.#list.skipToken();
        if (++this.#at === format.open.length) this.#enter(THINK);
        return;
      case THINK:
        this.#list.skipToken();
        if (token === format.middle[0]) this.#enter(MIDDLE, 1);
        return;
      case MIDDLE:
        this.#list.skipToken();
        if (++this.#at === format.middle.length) this.#enter(LIST);
        return;
      case LIST:
        if (token === format.close[0]) this.#enter(CLOSE, 1);
        else this.#list.feed(token);
        return;
      default:
        this.#at++;
    }
  }

  #enter(phase: number, at = 0): void {
    this.#phase = phase;
    this.#at = at;
    if (phase === MIDDLE && at === this.#format.middle.length) this.#phase = LIST;
  }

  /** A reasoning token: the best the reasoning may hold, or `</think>` once another token would leave no room for the rest. */
  #think(logits: Float32Array): number {
    const format = this.#format;
    const exit = format.middle[0]!;
    const top = this.#engine ? this.#engine.argmax() : -1;
    const room = this.#step + 1 + format.middle.length + this.#list.minTokens <= this.#listTokens;
    const best = top >= 0 && format.thinkAllows[top] === 1 ? top : this.#bestThinkToken(logits);
    if (room || best === exit) return best;
    this.#shapedByBudget = true;
    return exit;
  }

  /** The allowed id with the largest logit (the first on ties); `</think>` when none is above -Infinity. */
  #bestThinkToken(logits: Float32Array): number {
    const allows = this.#format.thinkAllows;
    let best = this.#format.middle[0]!;
    let bestValue = -Infinity;
    for (let id = 0, n = Math.min(allows.length, logits.length); id < n; id++) {
      const v = logits[id]!;
      if (v > bestValue && allows[id] === 1) {
        best = id;
        bestValue = v;
      }
    }
    return best;
  }
}
