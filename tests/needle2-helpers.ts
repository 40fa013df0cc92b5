// Needle 2 fixtures (copied byte for byte from the shared set into the repository).

import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const NEEDLE2_FIXTURES = fileURLToPath(new URL("./fixtures-needle2/", import.meta.url));
export const NEEDLE2_MODELS = ["tiny_a", "tiny_b"] as const;

export function readNeedle2Model(name: string): Uint8Array {
  return new Uint8Array(readFileSync(`${NEEDLE2_FIXTURES}models/${name}.cact`));
}

export interface Needle2Case {
  prompt: { tools?: unknown[]; query?: string; system?: string; raw?: string };
  prompt_text: string;
  prompt_ids: number[];
  teacher_forced_ids: number[];
  teacher_forced_argmax: number[];
  teacher_forced_max_logit: number[];
  first_logits_f64_b64: string;
  greedy_ids: number[];
  greedy_ids_no_eos_stop: number[];
  greedy_chosen_logits: number[];
  text: string;
}

export interface Needle2Golden {
  header: Record<string, number | number[]>;
  settings: { max_new_tokens: number };
  cases: Needle2Case[];
}

export function readNeedle2Golden(name: string): Needle2Golden {
  return JSON.parse(readFileSync(`${NEEDLE2_FIXTURES}goldens/${name}.json`, "utf8")) as Needle2Golden;
}

/** A golden's first-step logits (base64 little-endian float64). */
export function firstLogits(c: Needle2Case): Float64Array {
  const bytes = Buffer.from(c.first_logits_f64_b64, "base64");
  return new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.length));
}

/** The first index of the largest value (numpy's argmax). */
export function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i]! > x[best]!) best = i;
  return best;
}
