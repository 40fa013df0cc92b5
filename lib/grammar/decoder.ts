import { GrammarMachine } from "./machine.ts";
import { ToolGrammar } from "./schema.ts";
import type { TokenBytes } from "./token-bytes.ts";

/**
 * Schema-constrained greedy decoding: the chosen id is the best-scoring
 * token whose whole byte string the grammar accepts (EOS only once the list
 * is closed). The model's argmax is tried first; only when it is refused
 * are the other ids scanned, skipping any whose logit is not above the best
 * allowed so far or whose first byte the grammar refuses.
 *
 * Confidence: each chosen token's probability under the model's full
 * softmax (log-sum-exp over the logits within 16 of the maximum: the rest
 * change it by under 0.1 %), multiplied over the tokens of each call (every
 * token holding a byte of it) and over the whole answer.
 */

/** Logits further than this below the maximum are left out of the softmax's sum. */
const SOFTMAX_WINDOW = 16;

export class SchemaDecoder {
  private readonly machine: GrammarMachine;
  private readonly trial: GrammarMachine;
  /** Per first byte: 1 accepted, 0 refused, in the current state (filled when the argmax is refused). */
  private readonly firstByte = new Uint8Array(256);
  /** Log-probability of each call, by index. */
  private callLogProb: Float64Array;
  private answerLogProb = 0;
  private lastLogProb = 0;

  constructor(private readonly bytes: TokenBytes, readonly grammar: ToolGrammar, private readonly eosId: number, maxTokens: number) {
    this.machine = new GrammarMachine(grammar);
    this.trial = new GrammarMachine(grammar);
    this.callLogProb = new Float64Array(maxTokens + 1);
  }

  get warnings(): readonly string[] {
    return this.grammar.warnings;
  }

  /** The list of calls is complete. */
  get complete(): boolean {
    return this.machine.complete;
  }

  /** The best allowed id under `logits` (EOS when the list is complete or no token fits). */
  argmax(logits: ArrayLike<number>): number {
    const n = this.bytes.size;
    let top = 0;
    let topValue = logits[0]!;
    for (let i = 1; i < n; i++) {
      const v = logits[i]!;
      if (v > topValue || topValue !== topValue) {
        top = i;
        topValue = v;
      }
    }
    let chosen: number;
    if (this.machine.complete) chosen = this.eosId;
    else if (top !== this.eosId && this.allows(top, false)) chosen = top;
    else chosen = this.bestAllowed(logits);
    let sum = 0;
    const floor = topValue - SOFTMAX_WINDOW;
    for (let i = 0; i < n; i++) {
      const v = logits[i]!;
      if (v > floor) sum += Math.exp(v - topValue);
    }
    const logProb = logits[chosen]! - topValue - Math.log(sum);
    this.lastLogProb = logProb === logProb ? logProb : -Infinity;
    return chosen;
  }

  /** Advance by the chosen token (not EOS), crediting its probability to the calls it touches. */
  feed(id: number): void {
    const m = this.machine;
    const first = m.inCall ? m.calls - 1 : m.calls;
    const { start, data } = this.bytes;
    for (let i = start[id]!, end = start[id + 1]!; i < end; i++) m.feed(data[i]!);
    for (let c = first; c < m.calls; c++) this.callLogProb[c]! += this.lastLogProb;
    this.answerLogProb += this.lastLogProb;
  }

  /** Probability of call i (product of its tokens' probabilities). */
  callConfidence(i: number): number {
    return Math.exp(this.callLogProb[i]!);
  }

  /** Probability of the whole answer; for `[]`, the confidence that no tool fits. */
  get answerConfidence(): number {
    return Math.exp(this.answerLogProb);
  }

  private bestAllowed(logits: ArrayLike<number>): number {
    const m = this.machine;
    for (let b = 0; b < 256; b++) {
      this.trial.copyFrom(m);
      this.firstByte[b] = this.trial.feed(b) ? 1 : 0;
    }
    let best = -1;
    let bestValue = -Infinity;
    for (let id = 0, n = this.bytes.size; id < n; id++) {
      const v = logits[id]!;
      if ((best < 0 || v > bestValue) && id !== this.eosId && this.allows(id, true)) {
        best = id;
        bestValue = v;
      }
    }
    return best < 0 ? this.eosId : best;
  }

  private allows(id: number, firstKnown: boolean): boolean {
    const { start, data } = this.bytes;
    let i = start[id]!;
    const end = start[id + 1]!;
    if (i === end) return false;
    if (firstKnown && this.firstByte[data[i]!] === 0) return false;
    const t = this.trial;
    t.copyFrom(this.machine);
    for (; i < end; i++) if (!t.feed(data[i]!)) return false;
    return true;
  }
}
