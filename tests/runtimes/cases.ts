// The end-to-end case every runtime runs: the tiny fixture checkpoint and the
// test tokenizer, each golden case's query and tools, with the options of its
// constrained run and of every forced run. Expected: the reference's tokens,
// text and finish reason, and the calls that text parses to (none of the
// random model's golden texts parse, so those expect no calls and an
// OutputParseError code); plus one forced answer that stops right after a
// complete call list, which must come back as calls with the caller's names.

import * as assert from "uvu/assert";
import { FIXTURES, readFixtureJson } from "../helpers.ts";

export const WEIGHTS = `${FIXTURES}tiny/needle_tiny.p4_numpy1.pkl`;
export const TOKENIZER = `${FIXTURES}tokenizer/needle_test.model`;

export interface E2ECase {
  name: string;
  query: string;
  tools: unknown;
  options: { constrained?: boolean; maxTokens?: number; prefix?: string };
  expect: { tokens?: number[]; text?: string; finishReason: string; calls: unknown[]; error: boolean };
}

/** What a runtime reports for one case. */
export interface E2EResult {
  tokens: number[];
  text: string;
  finishReason: string;
  calls: unknown[];
  error: string | null;
}

const COMPLETE_ANSWER = '[{"name":"get_weather","arguments":{"location":"Paris"}}]';

/** `encode` is the test tokenizer's (the forced complete answer's length depends on it). */
export function e2eCases(encode: (text: string) => number[]): E2ECase[] {
  const goldens = readFixtureJson("tiny/model_goldens.json");
  const cases: E2ECase[] = [];
  for (const c of goldens.cases) {
    for (const [i, run] of [c.constrained, ...c.forced].entries()) {
      const calls = parsedCalls(run.text, c.name_map);
      cases.push({
        name: `${c.id} ${i === 0 ? "constrained" : `forced ${JSON.stringify(run.forced_text)}`}`,
        query: c.query,
        tools: c.tools,
        options: { constrained: run.constrained, maxTokens: run.max_gen_len - 1, ...(run.forced_ids.length ? { prefix: run.forced_text } : {}) },
        expect: { tokens: run.ids, text: run.text, finishReason: run.stopped_on_eos ? "stop" : "length", calls: calls ?? [], error: calls === null },
      });
    }
  }
  const camel = goldens.cases.find((c: { id: string }) => c.id === "camel_multi");
  cases.push({
    name: "camel_multi forced complete answer",
    query: camel.query,
    tools: camel.tools,
    options: { prefix: COMPLETE_ANSWER, maxTokens: 1 + encode(COMPLETE_ANSWER).length },
    expect: { finishReason: "length", calls: [{ name: "getWeather", arguments: { location: "Paris" } }], error: false },
  });
  return cases;
}

/** The calls a golden text parses to (names mapped back), or null when it is not a call list. */
function parsedCalls(text: string, nameMap: Record<string, string>): unknown[] | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  if (!Array.isArray(value)) return null;
  const calls = [];
  for (const call of value) {
    if (typeof call !== "object" || call === null || typeof call.name !== "string" || typeof call.arguments !== "object") return null;
    calls.push({ name: nameMap[call.name] ?? call.name, arguments: call.arguments });
  }
  return calls;
}

/** Assert a runtime's results, naming the runtime and the case in every failure. */
export function assertResults(runtime: string, cases: E2ECase[], results: E2EResult[]): void {
  assert.is(results.length, cases.length, `${runtime}: ${results.length} results for ${cases.length} cases`);
  for (const [i, c] of cases.entries()) {
    const r = results[i]!;
    const where = `${runtime}: ${c.name}`;
    if (c.expect.tokens) assert.equal(r.tokens, c.expect.tokens, `${where}: tokens differ from the golden run`);
    if (c.expect.text !== undefined) assert.is(r.text, c.expect.text, `${where}: text differs from the golden run`);
    assert.is(r.finishReason, c.expect.finishReason, `${where}: finish reason`);
    assert.equal(r.calls, c.expect.calls, `${where}: calls`);
    assert.is(r.error !== null, c.expect.error, `${where}: output parse error ${r.error}`);
  }
}
