/**
 * The one generation loop. Greedy decoding over any model that can give
 * logits after its prompt and after each token it is fed (DecodeSession):
 * forced tokens first, then the constraint's choice or the plain argmax,
 * until EOS or the token budget. `call`, `stream`, `callMany` (lib/needle.ts)
 * and NeedleModel.greedy all run it.
 */

/** A model ready to generate after one prompt. Logits are views, valid until the next call. */
export interface DecodeSession {
  /** Run the prompt; the logits of the first generated token. */
  start(): Float32Array;
  /** Feed the token just chosen; the logits of the next. */
  step(token: number): Float32Array;
  /** The id of the largest of the last logits (first on ties, as numpy). */
  argmax(): number;
}

/** Restricts the choice of each generated token (lib/constrain/). */
export interface TokenConstraint {
  /** The allowed id with the largest logit. */
  argmax(logits: Float32Array): number;
  /** Record the token taken (forced or chosen), before the next choice. */
  feed(token: number): void;
}

export interface DecodePlan {
  /** Tokens the answer is forced to begin with. */
  forced: readonly number[];
  /** Most tokens to generate, forced ones included. */
  maxTokens: number;
  /** The token that ends the answer (never yielded). */
  eosId: number;
  constraint: TokenConstraint | null;
}

export type FinishReason = "stop" | "length";

/** Synchronous greedy decoding: yields each token, returns why it stopped. */
export function* decodeTokens(session: DecodeSession, plan: DecodePlan): Generator<number, FinishReason, undefined> {
  const { forced, maxTokens, eosId, constraint } = plan;
  if (maxTokens === 0) return "length";
  let logits = session.start();
  for (let i = 0; ; ) {
    const token = i < forced.length ? forced[i]! : constraint ? constraint.argmax(logits) : session.argmax();
    if (token === eosId) return "stop";
    constraint?.feed(token);
    yield token;
    if (++i === maxTokens) return "length";
    logits = session.step(token);
  }
}

/**
 * decodeTokens for async callers: between tokens it lets timers and I/O run
 * (when `yieldEachToken` or a signal asks for it) and stops with the
 * signal's reason once it is aborted.
 */
export async function* generate(
  session: DecodeSession,
  plan: DecodePlan,
  options: { signal?: AbortSignal | undefined; yieldEachToken: boolean },
): AsyncGenerator<number, FinishReason, undefined> {
  const { signal } = options;
  signal?.throwIfAborted();
  const tokens = decodeTokens(session, plan);
  for (;;) {
    const next = tokens.next();
    if (next.done) return next.value;
    yield next.value;
    if (options.yieldEachToken || signal) await nextMacrotask();
    signal?.throwIfAborted();
  }
}

/** Let timers and I/O run (so an abort can arrive) without the 4 ms clamp of nested setTimeout. */
function nextMacrotask(): Promise<void> {
  const g = globalThis as { setImmediate?: (fn: () => void) => unknown };
  if (typeof g.setImmediate === "function") return new Promise((resolve) => g.setImmediate!(resolve));
  if (typeof MessageChannel === "function") {
    return new Promise((resolve) => {
      const channel = new MessageChannel();
      channel.port1.onmessage = () => {
        channel.port1.close();
        resolve();
      };
      channel.port2.postMessage(null);
    });
  }
  return new Promise((resolve) => setTimeout(resolve, 0));
}
