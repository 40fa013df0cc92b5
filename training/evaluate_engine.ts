// Accuracy of a model on function-calling cases, run through OUR engine (the
// package's public API, not torch, with its default decoding): exact match of
// the calls (names and arguments, order-insensitive for several calls), name
// accuracy, and no-call precision and recall, per split.
//
//   node --import tsx training/evaluate_engine.ts [--weights F [--tokenizer F]] [--dtype f32|f16|int8|int4]
//        [--data FILE ...] [--limit N] [--constrained schema|reference|none] [--json] [--misses] [--pick N]
//
// --constrained picks the decoding (default: the package's, schema); --no-constrain is --constrained none.
// --misses also prints every case not answered exactly (id or query, expected, got).
// --pick N prints, instead of scores, the indices of up to N cases of the
// first data file the model answers exactly, taken round-robin across
// splits and answer kinds (one call, several, none): how
// weights/demo/regression_cases.json (the CI regression set) is chosen.
//
// Two line formats are read:
// - generated splits (training/data.py, training/surface.py): {query, tools,
//   answer, split, ...} with tools and answer as JSON strings;
// - the hand-written set (training/eval/handwritten.jsonl, see
//   training/eval/README.md): {id, kind, tool_kind, query, tools, answer}
//   with tools and answer as JSON values; its split is "handwritten/<kind>"
//   (catalog: kinds of tools the training catalog has; unseen: kinds it never had).
// Defaults: the bundled demo model; the hand-written set, plus
// training/data/test_id.jsonl and test_unseen.jsonl where they exist.

import { readFileSync, existsSync } from "node:fs";
import { basename } from "node:path";
import { parseArgs } from "node:util";
import { Needle, type WeightDtype } from "../lib/index.ts";

export interface Case {
  query: string;
  /** The tool list as JSON text. */
  tools: string;
  /** The expected calls as JSON text (a list of {name, arguments}). */
  answer: string;
  split: string;
  family?: string;
  /** The hand-written set's case id. */
  id?: string;
}

/** What evaluate() needs of a model: Needle's call(). */
export interface Caller {
  call(query: string, tools: string, options?: { constrained?: Constrained }): Promise<{ calls: { name: string; arguments: unknown }[]; error?: unknown }>;
}

export interface SplitScore {
  split: string;
  cases: number;
  /** Calls equal as a multiset of {name, arguments}. */
  exact: number;
  /** Tool names equal as a multiset. */
  names: number;
  /** Cases whose answer is no call, and how many of them got none (recall = noCall / noCallCases). */
  noCallCases: number;
  noCall: number;
  /** Cases the model answered with no call, right or wrong (precision = noCall / noCallAnswers). */
  noCallAnswers: number;
  /** Outputs that were not a list of calls. */
  unparsed: number;
}

/** JSON with object keys sorted, so equal values print equally. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${canonical((value as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return typeof value === "bigint" ? value.toString() : JSON.stringify(value);
}

const sortedStrings = (xs: string[]): string => JSON.stringify([...xs].sort());

/** Score one output against the expected answer (a JSON list of calls with the caller's names); only names and arguments count (not `confidence`). */
export function scoreCase(expected: { name: string; arguments: unknown }[], got: { name: string; arguments: unknown }[] | null) {
  const calls = (got ?? []).map(({ name, arguments: args }) => ({ name, arguments: args }));
  return {
    exact: got !== null && sortedStrings(expected.map(canonical)) === sortedStrings(calls.map(canonical)),
    names: got !== null && sortedStrings(expected.map((c) => c.name)) === sortedStrings(calls.map((c) => c.name)),
    noCall: expected.length === 0 ? got !== null && calls.length === 0 : undefined,
  };
}

/** The `constrained` option of a call; undefined: the package's default. */
type Constrained = boolean | "schema" | "reference" | undefined;

/** Scores per split, decoded with `constrained` (undefined: the call's default, no option passed). */
export async function evaluate(needle: Caller, cases: Case[], constrained?: Constrained, onMiss?: (c: Case, got: string) => void): Promise<SplitScore[]> {
  const bySplit = new Map<string, SplitScore>();
  for (const c of cases) {
    const score = bySplit.get(c.split) ?? { split: c.split, cases: 0, exact: 0, names: 0, noCallCases: 0, noCall: 0, noCallAnswers: 0, unparsed: 0 };
    bySplit.set(c.split, score);
    const result = await needle.call(c.query, c.tools, constrained === undefined ? {} : { constrained });
    const expected = JSON.parse(c.answer) as { name: string; arguments: unknown }[];
    const s = scoreCase(expected, result.error ? null : result.calls);
    score.cases++;
    if (s.exact) score.exact++;
    else onMiss?.(c, result.error ? `unparsed: ${String(result.error)}` : JSON.stringify(result.calls));
    if (s.names) score.names++;
    if (result.error) score.unparsed++;
    else if (result.calls.length === 0) score.noCallAnswers++;
    if (s.noCall !== undefined) {
      score.noCallCases++;
      if (s.noCall) score.noCall++;
    }
  }
  return [...bySplit.values()];
}

/** Indices of up to n exactly-answered cases, round-robin over (split, answer kind) buckets. */
export async function pickRegressionCases(needle: Needle, cases: Case[], n: number): Promise<number[]> {
  const buckets = new Map<string, number[]>();
  for (const [i, c] of cases.entries()) {
    const result = await needle.call(c.query, c.tools);
    const expected = JSON.parse(c.answer) as { name: string; arguments: unknown }[];
    if (!scoreCase(expected, result.error ? null : result.calls).exact) continue;
    const key = `${c.split}/${Math.min(expected.length, 2)}`;
    buckets.set(key, [...(buckets.get(key) ?? []), i]);
  }
  const picked: number[] = [];
  const queues = [...buckets.keys()].sort().map((k) => buckets.get(k)!);
  while (picked.length < n && queues.some((q) => q.length)) {
    for (const q of queues) if (q.length && picked.length < n) picked.push(q.shift()!);
  }
  return picked.sort((a, b) => a - b);
}

/** One JSONL line of either format as a Case. */
export function toCase(row: Record<string, unknown>, file: string): Case {
  const text = (v: unknown) => (typeof v === "string" ? v : JSON.stringify(v));
  const split = typeof row.split === "string" ? row.split : typeof row.kind === "string" ? `handwritten/${row.kind}` : basename(file, ".jsonl");
  return { query: String(row.query), tools: text(row.tools), answer: text(row.answer), split, ...(typeof row.family === "string" ? { family: row.family } : {}),
    ...(typeof row.id === "string" ? { id: row.id } : {}) };
}

export function readCases(files: string[], limit?: number): Case[] {
  const cases: Case[] = [];
  for (const file of files) {
    const lines = readFileSync(file, "utf8").split("\n").filter((l) => l.trim());
    for (const line of lines.slice(0, limit)) cases.push(toCase(JSON.parse(line) as Record<string, unknown>, file));
  }
  return cases;
}

function percent(n: number, d: number): string {
  return d === 0 ? "–" : `${((100 * n) / d).toFixed(1)}%`;
}

/** A Markdown table: no-call recall over the `[]` cases (their count in brackets), precision over the `[]` answers. */
export function formatScores(scores: SplitScore[]): string {
  const lines = ["| split | cases | exact match | name accuracy | no-call recall | no-call precision | unparsed |",
    "| --- | ---: | ---: | ---: | ---: | ---: | ---: |"];
  for (const s of scores) {
    lines.push(`| ${s.split} | ${s.cases} | ${percent(s.exact, s.cases)} | ${percent(s.names, s.cases)} | ${percent(s.noCall, s.noCallCases)} (${s.noCallCases}) | ${percent(s.noCall, s.noCallAnswers)} (${s.noCallAnswers}) | ${s.unparsed} |`);
  }
  return lines.join("\n");
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: {
      weights: { type: "string" },
      tokenizer: { type: "string" },
      dtype: { type: "string" },
      data: { type: "string", multiple: true },
      limit: { type: "string" },
      "no-constrain": { type: "boolean" },
      constrained: { type: "string" },
      json: { type: "boolean" },
      misses: { type: "boolean" },
      pick: { type: "string" },
    },
    strict: true,
  });
  const here = (f: string) => new URL(f, import.meta.url).pathname;
  const generated = [here("data/test_id.jsonl"), here("data/test_unseen.jsonl")].filter((f) => existsSync(f));
  const files = values.data ?? [here("eval/handwritten.jsonl"), ...generated];
  for (const f of files) {
    if (!existsSync(f)) {
      console.error(`evaluate_engine: ${f} is missing; make it with /usr/bin/python3 training/data.py`);
      process.exit(1);
    }
  }
  const needle = await Needle.load({
    ...(values.weights ? { weights: values.weights } : {}),
    ...(values.tokenizer ? { tokenizer: values.tokenizer } : {}),
    ...(values.dtype ? { dtype: values.dtype as WeightDtype } : {}),
  });
  if (values.pick) {
    console.log(JSON.stringify(await pickRegressionCases(needle, readCases(files.slice(0, 1)), Number(values.pick))));
    process.exit(0);
  }
  const started = performance.now();
  const modes: Record<string, Constrained> = { schema: "schema", reference: "reference", none: false };
  if (values.constrained !== undefined && !(values.constrained in modes)) {
    console.error(`evaluate_engine: --constrained must be schema, reference or none, got ${JSON.stringify(values.constrained)}`);
    process.exit(2);
  }
  const constrained = values["no-constrain"] ? false : values.constrained === undefined ? undefined : modes[values.constrained];
  const scores = await evaluate(needle, readCases(files, values.limit ? Number(values.limit) : undefined), constrained,
    values.misses ? (c, got) => console.log(`${c.id ?? c.split}\t${c.query}\n  expected ${c.answer}\n  got      ${got}`) : undefined);
  const seconds = (performance.now() - started) / 1000;
  if (values.json) console.log(JSON.stringify({ scores, seconds }));
  else console.log(`${formatScores(scores)}\n\n${scores.reduce((n, s) => n + s.cases, 0)} cases in ${seconds.toFixed(1)} s`);
}
