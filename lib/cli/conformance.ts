// `needle-wasm conformance`: run a file of expected outputs (the format of
// needle-rs's e2e_vectors.json) through Needle.call and report exact-match
// rates for token ids and text, with the first mismatches.

import { InputError, NeedleError, type CallResult, type Needle } from "../index.ts";
import { countOption, flag, requiredString, type ParsedArgs } from "./args.ts";
import type { CliIO, Command } from "./command.ts";
import { MODEL_OPTIONS, checkModelFiles, loadNeedle, modelFiles, readTextFile, type ModelFiles } from "./inputs.ts";
import { isNeedle2Goldens, runNeedle2Conformance } from "./conformance-cact.ts";
import type { Needle2Dtype } from "../needle2/model.ts";
import { shorten, toJson } from "./output.ts";
import { CaseCounter } from "./progress.ts";

/** One case: `tools` is a JSON string; expected ids start with `<tool_call>` (4) and exclude EOS. */
interface Vector {
  query: string;
  tools: string;
  expected_token_ids: number[];
  expected_text: string;
}

interface Mismatch {
  /** Index of the case in the file's `examples`. */
  index: number;
  query: string;
  expectedText: string;
  gotText: string;
  tokensMatch: boolean;
  textMatch: boolean;
  /** First token position where the ids differ (null when they are equal); a missing id is null. */
  firstDifference: { position: number; expected: number | null; got: number | null } | null;
  /** First character (UTF-16 index) where the texts differ; null when they are equal. */
  textDifferenceAt: number | null;
  /** Set when the call itself failed. */
  error?: { code: string; message: string };
}

interface ConformanceReport {
  vectors: string;
  constrained: boolean;
  cases: number;
  tokenMatches: number;
  textMatches: number;
  tokenRate: number;
  textRate: number;
  mismatches: Mismatch[];
}

/** Mismatches shown in the text report (the JSON report lists all). */
const SHOWN_MISMATCHES = 5;
const SHOWN_TEXT_CHARS = 80;
/** Characters shown before the first difference in a text excerpt. */
const EXCERPT_CONTEXT_CHARS = 20;

export const conformanceCommand: Command = {
  name: "conformance",
  summary: "Run a file of expected outputs and report exact-match rates for token ids and text.",
  usage: "conformance --vectors FILE [--weights FILE [--tokenizer FILE] | --model ID] [options]",
  options: {
    vectors: { type: "string", value: "FILE", required: true, help: 'cases: {"examples":[{query, tools, expected_token_ids, expected_text}]}' },
    ...MODEL_OPTIONS,
    limit: { type: "string", value: "N", help: "run only the first N cases" },
    "no-constrain": { type: "boolean", help: "decode unconstrained (the vectors are usually made constrained)" },
    json: { type: "boolean", help: "print the report as one JSON document, every mismatch included" },
  },
  positionals: { min: 0, max: 0 },
  notes: [
    "tools is a JSON string; expected_token_ids start with <tool_call> (4) and exclude the",
    "final EOS. Exit code 0 when the cases ran, whatever the rates; 1 when they could not run.",
    "--weights: a .needle bundle, or a needle.pkl checkpoint with --tokenizer (held as --dtype).",
    "A Needle 2 .cact runs a goldens file (tests/fixtures-needle2/goldens: cases with prompt_ids):",
    "first-step logits within 5e-4, greedy ids and teacher-forced argmax exact.",
    "",
    "examples:",
    "  needle-wasm conformance --vectors e2e_vectors.json --weights needle.pkl --tokenizer needle.model",
    "  needle-wasm conformance --vectors e2e_vectors.json --weights needle-int4.needle",
    "  needle-wasm conformance --vectors goldens/tiny_a.json --weights tiny_a.cact",
  ],
  run,
};

async function run(args: ParsedArgs, io: CliIO): Promise<number> {
  const vectorsPath = requiredString(args, "vectors");
  const files = modelFiles(args);
  const limit = countOption(args, "limit", 1);
  const constrained = !flag(args, "no-constrain");
  await checkModelFiles(files);
  const text = await readTextFile(vectorsPath, "vectors");
  const goldens = needle2Goldens(text);
  if (goldens) return runNeedle2Conformance({ ...goldens, cases: goldens.cases.slice(0, limit) }, files.weights, needle2Dtype(files), flag(args, "json"), vectorsPath, io);
  const vectors = parseVectors(text).slice(0, limit);
  const needle = await loadNeedle(files, io.err);
  const report = await runVectors(needle, vectors, constrained, vectorsPath, io);
  io.out(flag(args, "json") ? `${toJson(report)}\n` : formatReport(report).map((line) => `${line}\n`).join(""));
  return 0;
}

/** A Needle 2 goldens file (tests/fixtures-needle2/goldens), or null for needle-rs vectors. */
function needle2Goldens(text: string): Parameters<typeof runNeedle2Conformance>[0] | null {
  try {
    const root: unknown = JSON.parse(text);
    return isNeedle2Goldens(root) ? root : null;
  } catch {
    return null; // parseVectors reports it
  }
}

function needle2Dtype(files: ModelFiles): Needle2Dtype | undefined {
  if (files.dtype === undefined || files.dtype === "f32" || files.dtype === "int8") return files.dtype;
  throw new InputError("NOT_FOR_NEEDLE2", `--dtype ${files.dtype}: Needle 2 holds its matrices as f32 or int8`);
}

/** The cases of a vectors file, checked field by field. */
function parseVectors(text: string): Vector[] {
  let root: unknown;
  try {
    root = JSON.parse(text);
  } catch (err) {
    throw new InputError("BAD_VECTORS", `vectors: not JSON (${(err as Error).message})`);
  }
  const examples = (root as { examples?: unknown } | null)?.examples;
  if (!Array.isArray(examples)) throw new InputError("BAD_VECTORS", 'vectors: expected an object with an "examples" list');
  if (examples.length === 0) throw new InputError("BAD_VECTORS", "vectors: the examples list is empty");
  return examples.map(checkVector);
}

function checkVector(example: unknown, i: number): Vector {
  const v = example as Partial<Vector> | null;
  const bad = (field: string, what: string) => new InputError("BAD_VECTORS", `vectors: examples[${i}].${field} must be ${what}`);
  if (typeof v?.query !== "string") throw bad("query", "a string");
  if (typeof v.tools !== "string") throw bad("tools", "a string (the tools as JSON)");
  if (!Array.isArray(v.expected_token_ids) || !v.expected_token_ids.every((id) => Number.isInteger(id))) throw bad("expected_token_ids", "a list of integers");
  if (typeof v.expected_text !== "string") throw bad("expected_text", "a string");
  return { query: v.query, tools: v.tools, expected_token_ids: v.expected_token_ids, expected_text: v.expected_text };
}

async function runVectors(needle: Needle, vectors: Vector[], constrained: boolean, path: string, io: CliIO): Promise<ConformanceReport> {
  const counter = new CaseCounter(io.err, vectors.length);
  const mismatches: Mismatch[] = [];
  let tokenMatches = 0;
  let textMatches = 0;
  for (const [index, vector] of vectors.entries()) {
    counter.show(index + 1);
    const outcome = await callCase(needle, vector, constrained);
    const tokensMatch = outcome.result !== null && sameIds(outcome.result.tokens, vector.expected_token_ids);
    const textMatch = outcome.result !== null && outcome.result.text === vector.expected_text;
    if (tokensMatch) tokenMatches++;
    if (textMatch) textMatches++;
    if (!tokensMatch || !textMatch) mismatches.push(describeMismatch(index, vector, outcome, tokensMatch, textMatch));
  }
  counter.clear();
  const cases = vectors.length;
  return { vectors: path, constrained, cases, tokenMatches, textMatches, tokenRate: tokenMatches / cases, textRate: textMatches / cases, mismatches };
}

type Outcome = { result: CallResult; error: null } | { result: null; error: NeedleError };

/** One case's result; a NeedleError (bad tools in the file, say) counts as a mismatch, anything else stops the run. */
async function callCase(needle: Needle, vector: Vector, constrained: boolean): Promise<Outcome> {
  try {
    return { result: await needle.call(vector.query, vector.tools, { constrained }), error: null };
  } catch (err) {
    if (err instanceof NeedleError) return { result: null, error: err };
    throw err;
  }
}

function describeMismatch(index: number, vector: Vector, outcome: Outcome, tokensMatch: boolean, textMatch: boolean): Mismatch {
  const got = outcome.result?.tokens ?? [];
  return {
    index,
    query: vector.query,
    expectedText: vector.expected_text,
    gotText: outcome.result?.text ?? "",
    tokensMatch,
    textMatch,
    firstDifference: tokensMatch ? null : firstDifference(vector.expected_token_ids, got),
    textDifferenceAt: textMatch ? null : commonPrefixLength(vector.expected_text, outcome.result?.text ?? ""),
    ...(outcome.error ? { error: { code: outcome.error.code, message: outcome.error.message } } : {}),
  };
}

function sameIds(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((id, i) => id === b[i]);
}

function firstDifference(expected: readonly number[], got: readonly number[]): Mismatch["firstDifference"] {
  const position = commonPrefixLength(expected, got);
  return { position, expected: expected[position] ?? null, got: got[position] ?? null };
}

function commonPrefixLength<T extends string | readonly number[]>(a: T, b: T): number {
  let n = 0;
  while (n < a.length && n < b.length && a[n] === b[n]) n++;
  return n;
}

function formatReport(report: ConformanceReport): string[] {
  const rate = (matches: number) => `${matches}/${report.cases}  ${((100 * matches) / report.cases).toFixed(2)}%`;
  const shown = report.mismatches.slice(0, SHOWN_MISMATCHES);
  const lines = [
    `${report.cases} cases from ${report.vectors}, ${report.constrained ? "constrained" : "unconstrained"}`,
    `token ids  ${rate(report.tokenMatches)}`,
    `text       ${rate(report.textMatches)}`,
  ];
  if (shown.length) lines.push("", `first mismatches (${shown.length} of ${report.mismatches.length}):`);
  for (const m of shown) lines.push(...formatMismatch(m));
  return lines;
}

function formatMismatch(m: Mismatch): string[] {
  const lines = [`  #${m.index} ${JSON.stringify(shorten(m.query, SHOWN_TEXT_CHARS))}`];
  if (m.error) return [...lines, `    error ${m.error.code}: ${m.error.message}`];
  const d = m.firstDifference;
  if (d) lines.push(`    token ids differ at position ${d.position}: expected ${d.expected ?? "(end)"}, got ${d.got ?? "(end)"}`);
  if (m.textDifferenceAt !== null) {
    lines.push(
      `    text differs at character ${m.textDifferenceAt}:`,
      `      expected ${excerpt(m.expectedText, m.textDifferenceAt)}`,
      `      got      ${excerpt(m.gotText, m.textDifferenceAt)}`,
    );
  }
  return lines;
}

/** Up to SHOWN_TEXT_CHARS of `text` from a little before `at`, quoted; … marks what is left out. */
function excerpt(text: string, at: number): string {
  const start = Math.max(0, at - EXCERPT_CONTEXT_CHARS);
  const end = start + SHOWN_TEXT_CHARS;
  return `${start > 0 ? "…" : ""}${JSON.stringify(text.slice(start, end))}${end < text.length ? "…" : ""}`;
}
