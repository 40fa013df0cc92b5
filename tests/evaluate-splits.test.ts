// training/evaluate_engine.ts end to end on tiny cases: both line formats,
// per-split counts, no-call precision and recall apart, the default decoding,
// and the command itself on the bundled model.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { evaluate, formatScores, readCases, scoreCase, toCase, type Caller } from "../training/evaluate_engine.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const call = (name: string, args: Record<string, unknown>) => ({ name, arguments: args });

/** A caller that answers from a script keyed by query, and records the options it was given. */
function scripted(answers: Record<string, { calls: { name: string; arguments: unknown }[]; error?: unknown }>): Caller & { options: unknown[] } {
  const options: unknown[] = [];
  return {
    options,
    async call(query, _tools, opts) {
      options.push(opts);
      return answers[query]!;
    },
  };
}

const tools = [{ name: "roll_dice", parameters: { sides: { type: "integer" } } }];
const cases = [
  toCase({ id: "a", kind: "unseen", query: "roll a d20", tools, answer: [call("roll_dice", { sides: 20 })] }, "hw.jsonl"),
  toCase({ id: "b", kind: "unseen", query: "roll a d6", tools, answer: [call("roll_dice", { sides: 6 })] }, "hw.jsonl"),
  toCase({ id: "c", kind: "unseen", query: "hello", tools, answer: [] }, "hw.jsonl"),
  toCase({ id: "d", kind: "unseen", query: "bye", tools, answer: [] }, "hw.jsonl"),
  toCase({ query: "roll", tools: JSON.stringify(tools), answer: "[]", split: "test_x" }, "gen.jsonl"),
];

test("toCase reads both formats: JSON values (split from kind) and JSON strings (split as written)", () => {
  assert.is(cases[0]!.split, "handwritten/unseen");
  assert.equal(JSON.parse(cases[0]!.tools), tools);
  assert.is(cases[0]!.answer, '[{"name":"roll_dice","arguments":{"sides":20}}]');
  assert.is(cases[4]!.split, "test_x");
  assert.is(cases[4]!.tools, JSON.stringify(tools));
  assert.is(toCase({ query: "q", tools: "[]", answer: "[]" }, "/x/test_composed.jsonl").split, "test_composed");
});

test("no-call recall and precision are counted apart; unparsed output is neither a call nor a no-call answer", async () => {
  const caller = scripted({
    "roll a d20": { calls: [call("roll_dice", { sides: 20 })] }, // exact
    "roll a d6": { calls: [] }, // a wrong [] answer: hurts precision, not recall
    hello: { calls: [] }, // right []
    bye: { calls: [], error: new Error("not JSON") }, // unparsed: misses recall
    roll: { calls: [call("roll_dice", {})] }, // a call where none fits
  });
  const misses: string[] = [];
  const scores = await evaluate(caller, cases, undefined, (c) => misses.push(c.id ?? c.query));
  const hw = scores.find((s) => s.split === "handwritten/unseen")!;
  assert.equal(hw, { split: "handwritten/unseen", cases: 4, exact: 2, names: 2, noCallCases: 2, noCall: 1, noCallAnswers: 2, unparsed: 1 });
  const gen = scores.find((s) => s.split === "test_x")!;
  assert.equal(gen, { split: "test_x", cases: 1, exact: 0, names: 0, noCallCases: 1, noCall: 0, noCallAnswers: 0, unparsed: 0 });
  assert.equal(misses, ["b", "d", "roll"]);
  assert.ok(formatScores(scores).includes("| handwritten/unseen | 4 | 50.0% | 50.0% | 50.0% (2) | 50.0% (2) | 1 |"));
  // the default decoding: no option passed unless constrained decoding is turned off
  assert.equal(caller.options[0], {});
  await evaluate(caller, cases.slice(0, 1), false);
  assert.equal(caller.options.at(-1), { constrained: false });
  await evaluate(caller, cases.slice(0, 1), "reference");
  assert.equal(caller.options.at(-1), { constrained: "reference" });
});

test("the command scores a tiny hand-written file with the bundled model, per kind", () => {
  const dir = mkdtempSync(join(tmpdir(), "needle-eval-"));
  try {
    const file = join(dir, "tiny.jsonl");
    const rows = [
      { id: "t1", kind: "catalog", tool_kind: "timer", query: "set a timer for 5 minutes", answer: [call("set_timer", { minutes: 5 })],
        tools: [{ name: "set_timer", description: "Set a timer.", parameters: { minutes: { type: "integer", required: true } } }] },
      { id: "t2", kind: "unseen", tool_kind: "dice", query: "what is the capital of Peru", answer: [], tools },
    ];
    writeFileSync(file, rows.map((r) => JSON.stringify(r)).join("\n") + "\n");
    const out = JSON.parse(execFileSync(process.execPath, ["--import", "tsx", join(ROOT, "training", "evaluate_engine.ts"), "--data", file, "--json"],
      { cwd: ROOT, encoding: "utf8" })) as { scores: { split: string; cases: number; noCallCases: number }[] };
    assert.equal(out.scores.map((s) => [s.split, s.cases, s.noCallCases]), [["handwritten/catalog", 1, 0], ["handwritten/unseen", 1, 1]]);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("scoreCase compares names and arguments only: a call's confidence does not count", () => {
  const expected = [call("roll_dice", { sides: 20 }), call("flip_coin", {})];
  const got = [{ ...call("flip_coin", {}), confidence: 0.4 }, { ...call("roll_dice", { sides: 20 }), confidence: 0.9 }];
  assert.equal(scoreCase(expected, got), { exact: true, names: true, noCall: undefined });
  assert.is(scoreCase(expected, [got[0]!, { ...call("roll_dice", { sides: 6 }), confidence: 0.9 }]).exact, false);
});

test("readCases reads the hand-written file whole", () => {
  const all = readCases([join(ROOT, "training", "eval", "handwritten.jsonl")]);
  assert.ok(all.length >= 150);
  assert.ok(all.every((c) => c.id && c.split.startsWith("handwritten/")));
});

test.run();
