// Picks the faster of the engine's two int8 decode GEMVs on the machine it
// runs on (assembly/quant.ts: one weight stream, or four quads side by side).
// Which one wins depends on the cache and the hardware prefetcher (measured:
// one stream on an AMD EPYC guest, four quads on an Intel Xeon guest), and
// both give the same bits, so the choice changes only speed.
//
// After WARMUP_STEPS decode steps (V8 compiles the kernels' optimised code
// meanwhile), steps alternate between the two forms; each pair of
// neighbouring steps (one stream, then four quads, same encoder input)
// gives a time ratio. After PAIRS ratios the median decides, once and for
// all: four quads only if at least 3 % faster. A clock that does not move
// (Cloudflare Workers stop it during a request) decides nothing, and after
// MAX_TRIES pairs the one-stream form stays.

/** The form of the int8 decode GEMV: "auto" times both on the first decode steps and keeps the faster. */
export type DecodeGemv = "auto" | "stream" | "wide";

export const DECODE_GEMV_FORMS: readonly DecodeGemv[] = ["auto", "stream", "wide"];

export const WARMUP_STEPS = 8;
export const PAIRS = 24;
export const MAX_TRIES = 4 * PAIRS;
/** Four quads must beat one stream by this factor (median time ratio) to be kept. */
export const WIDE_MARGIN = 0.97;

export class GemvTuner {
  readonly #setWide: (wide: boolean) => void;
  #steps = 0;
  #tries = 0;
  /** Milliseconds of the last one-stream step, waiting for its four-quad partner (-1: none). */
  #pending = -1;
  readonly #ratios: number[] = [];
  #choice: "stream" | "wide" | null = null;

  /** `setWide` switches the engine's form; the engine starts with one stream. */
  constructor(setWide: (wide: boolean) => void) {
    this.#setWide = setWide;
  }

  /** The form kept, or null while still timing. */
  get choice(): "stream" | "wide" | null {
    return this.#choice;
  }

  /** The duration of the decode step just run; sets the form of the next one. */
  record(ms: number): void {
    if (this.#choice !== null) return;
    this.#steps++;
    if (this.#steps <= WARMUP_STEPS) return;
    if (this.#pending < 0) {
      this.#pending = ms;
      this.#setWide(true);
      return;
    }
    const first = this.#pending;
    this.#pending = -1;
    this.#tries++;
    if (first > 0 && ms > 0) this.#ratios.push(ms / first);
    if (this.#ratios.length >= PAIRS) this.#decide(median(this.#ratios) < WIDE_MARGIN ? "wide" : "stream");
    else if (this.#tries >= MAX_TRIES) this.#decide("stream");
    else this.#setWide(false);
  }

  /** A new encoder input: a step waiting for its partner is dropped (the pair would compare different inputs). */
  newInput(): void {
    if (this.#choice !== null || this.#pending < 0) return;
    this.#pending = -1;
    this.#setWide(false);
  }

  #decide(form: "stream" | "wide"): void {
    this.#choice = form;
    this.#setWide(form === "wide");
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}
