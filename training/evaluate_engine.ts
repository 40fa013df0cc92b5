// Accuracy of a model on held-out function-calling cases, run through OUR
// engine (the package's public API, not torch): exact match of the calls
// (names and arguments, order-insensitive for several calls), name
// accuracy, and no-call accuracy, per split.
//
//   node --import tsx training/evaluate_engine.ts [--weights F [--tokenizer F]] [--dtype f32|f16|int8|int4]
//        [--data FILE ...] [--limit N] [--no-constrain] [--json] [--pick N]
//
// --pick N prints, instead of scores, the indices of up to N cases of the
// first data file the model answers exactly, taken round-robin across
// splits and answer kinds (one call, several, none): how
// weights/demo/regression_cases.json (the CI regression set) is chosen.
//
// Defaults: the bundled demo model, and training/data/test_id.jsonl plus
// training/data/test_unseen.jsonl (made by `/usr/bin/python3 training/data.py`);
// each line {query, tools, answer, split, family, template}.

import { readFileSync, existsSync } from "node:fs";
import { parseArgs } from "node:util";
import { Needle, type WeightDtype } from "../lib/index.ts";

export interface Case {
  query: string;
  tools: string;
  answer: string;
  split: string;
  family?: string;
}

export interface SplitScore {
  split: string;
  cases: number;
  /** Calls equal as a multiset of {name, arguments}. */
  exact: number;
  /** Tool names equal as a multiset. */
  names: number;
  /** Cases whose answer is no call, and how many of them got none. */
  noCallCases: number;
  noCall: number;
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

/** Score one output against the expected answer (a JSON list of calls with the caller's names). */
export function scoreCase(expected: { name: string; arguments: unknown }[], got: { name: string; arguments: unknown }[] | null) {
  const calls = got ?? [];
  return {
    exact: got !== null && sortedStrings(expected.map(canonical)) === sortedStrings(calls.map(canonical)),
    names: got !== null && sortedStrings(expected.map((c) => c.name)) === sortedStrings(calls.map((c) => c.name)),
    noCall: expected.length === 0 ? got !== null && calls.length === 0 : undefined,
  };
}

export async function evaluate(needle: Needle, cases: Case[], constrained = true): Promise<SplitScore[]> {
  const bySplit = new Map<string, SplitScore>();
  for (const c of cases) {
    const score = bySplit.get(c.split) ?? { split: c.split, cases: 0, exact: 0, names: 0, noCallCases: 0, noCall: 0, unparsed: 0 };
    bySplit.set(c.split, score);
    const result = await needle.call(c.query, c.tools, { constrained });
    const expected = JSON.parse(c.answer) as { name: string; arguments: unknown }[];
    const s = scoreCase(expected, result.error ? null : result.calls.map((call) => ({ name: call.name, arguments: call.arguments })));
    score.cases++;
    if (s.exact) score.exact++;
    if (s.names) score.names++;
    if (result.error) score.unparsed++;
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

export function readCases(files: string[], limit?: number): Case[] {
  const cases: Case[] = [];
  for (const file of files) {
    const lines = readFileSync(file, "utf8").split("\n").filter((l) => l.trim());
    for (const line of lines.slice(0, limit)) cases.push(JSON.parse(line) as Case);
  }
  return cases;
}

function percent(n: number, d: number): string {
  return d === 0 ? "–" : `${((100 * n) / d).toFixed(1)}%`;
}

export function formatScores(scores: SplitScore[]): string {
  const lines = ["| split | cases | exact match | name accuracy | no-call accuracy | unparsed |", "| --- | ---: | ---: | ---: | ---: | ---: |"];
  for (const s of scores) {
    lines.push(`| ${s.split} | ${s.cases} | ${percent(s.exact, s.cases)} | ${percent(s.names, s.cases)} | ${percent(s.noCall, s.noCallCases)} (${s.noCallCases}) | ${s.unparsed} |`);
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
      json: { type: "boolean" },
      pick: { type: "string" },
    },
    strict: true,
  });
  const here = (f: string) => new URL(f, import.meta.url).pathname;
  const files = values.data ?? [here("data/test_id.jsonl"), here("data/test_unseen.jsonl")];
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
  const scores = await evaluate(needle, readCases(files, values.limit ? Number(values.limit) : undefined), !values["no-constrain"]);
  const seconds = (performance.now() - started) / 1000;
  if (values.json) console.log(JSON.stringify({ scores, seconds }));
  else console.log(`${formatScores(scores)}\n\n${scores.reduce((n, s) => n + s.cases, 0)} cases in ${seconds.toFixed(1)} s`);
}
