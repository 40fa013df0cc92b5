// `needle-wasm conformance` of a Needle 2 `.cact` against a goldens file in
// the format of tests/fixtures-needle2/goldens (made by a float64 numpy
// implementation of the reference): per case, the first-step logits within
// a tolerance, the greedy ids (EOS-stopped) and the teacher-forced argmax exact.

import { createHash } from "node:crypto";
import { InputError } from "../errors.ts";
import { Needle2Model, type Needle2Dtype } from "../needle2/model.ts";
import type { CliIO } from "./command.ts";
import { readInputFile } from "./inputs.ts";
import { toJson } from "./output.ts";

/** The goldens' tolerance for an f32 engine against float64 (tests/fixtures-needle2/README.md). */
export const NEEDLE2_LOGITS_TOLERANCE = 5e-4;

interface GoldenCase {
  prompt_ids: number[];
  first_logits_f64_b64: string;
  greedy_ids: number[];
  teacher_forced_ids: number[];
  teacher_forced_argmax: number[];
}

interface Goldens {
  sha256?: string;
  settings: { max_new_tokens: number };
  cases: GoldenCase[];
}

/** Whether a vectors file is a Needle 2 goldens file (an object with `cases` holding `prompt_ids`). */
export function isNeedle2Goldens(root: unknown): root is Goldens {
  const cases = (root as { cases?: unknown } | null)?.cases;
  return Array.isArray(cases) && cases.length > 0 && Array.isArray((cases[0] as { prompt_ids?: unknown }).prompt_ids);
}

function checkGoldens(g: Goldens): void {
  const ids = (x: unknown): boolean => Array.isArray(x) && x.every((v) => Number.isInteger(v));
  if (!Number.isInteger(g.settings?.max_new_tokens) || g.settings.max_new_tokens < 1) throw new InputError("BAD_VECTORS", "goldens: settings.max_new_tokens must be a positive integer");
  g.cases.forEach((c, i) => {
    for (const key of ["prompt_ids", "greedy_ids", "teacher_forced_ids", "teacher_forced_argmax"] as const) {
      if (!ids(c[key])) throw new InputError("BAD_VECTORS", `goldens: cases[${i}].${key} must be a list of integers`);
    }
    if (typeof c.first_logits_f64_b64 !== "string") throw new InputError("BAD_VECTORS", `goldens: cases[${i}].first_logits_f64_b64 must be a base64 string`);
  });
}

function argmax(x: Float32Array): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i]! > x[best]!) best = i;
  return best;
}

export async function runNeedle2Conformance(goldens: Goldens, weightsPath: string, dtype: Needle2Dtype | undefined, json: boolean, vectorsPath: string, io: CliIO): Promise<number> {
  checkGoldens(goldens);
  const bytes = await readInputFile(weightsPath, "weights");
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const model = await Needle2Model.fromBytes(bytes, dtype ? { dtype } : {});
  const steps = goldens.settings.max_new_tokens;
  const rows = goldens.cases.map((c, index) => {
    const raw = Buffer.from(c.first_logits_f64_b64, "base64");
    const want = new Float64Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.length));
    const got = model.logits(c.prompt_ids);
    let maxDiff = want.length === got.length ? 0 : Infinity;
    for (let i = 0; i < got.length && i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got[i]! - want[i]!));
    const greedy = model.greedy(c.prompt_ids, { maxTokens: steps });
    const forced: number[] = [];
    for (let k = 0; k <= c.teacher_forced_ids.length; k++) forced.push(argmax(model.logits([...c.prompt_ids, ...c.teacher_forced_ids.slice(0, k)])));
    return {
      index,
      logitsMaxDiff: maxDiff,
      logitsOk: maxDiff <= NEEDLE2_LOGITS_TOLERANCE,
      greedyOk: greedy.length === c.greedy_ids.length && greedy.every((id, i) => id === c.greedy_ids[i]),
      forcedOk: forced.length === c.teacher_forced_argmax.length && forced.every((id, i) => id === c.teacher_forced_argmax[i]),
    };
  });
  model.dispose();
  const count = (key: "logitsOk" | "greedyOk" | "forcedOk"): number => rows.filter((r) => r[key]).length;
  const report = {
    vectors: vectorsPath, weights: weightsPath, dtype: dtype ?? "f32", sha256, sha256Matches: goldens.sha256 === undefined ? null : goldens.sha256 === sha256,
    cases: rows.length, tolerance: NEEDLE2_LOGITS_TOLERANCE, logitsMatches: count("logitsOk"), greedyMatches: count("greedyOk"), forcedMatches: count("forcedOk"), results: rows,
  };
  const rate = (n: number): string => `${n}/${rows.length}  ${((100 * n) / rows.length).toFixed(2)}%`;
  io.out(json ? `${toJson(report)}\n` : [
    `${rows.length} Needle 2 cases from ${vectorsPath}, ${report.dtype}${report.sha256Matches === false ? " (the goldens were made for another file: SHA-256 differs)" : ""}`,
    `first logits within ${NEEDLE2_LOGITS_TOLERANCE}  ${rate(report.logitsMatches)} (largest difference ${Math.max(...rows.map((r) => r.logitsMaxDiff)).toExponential(2)})`,
    `greedy ids                 ${rate(report.greedyMatches)}`,
    `teacher-forced argmax      ${rate(report.forcedMatches)}`,
  ].map((line) => `${line}\n`).join(""));
  return 0;
}
