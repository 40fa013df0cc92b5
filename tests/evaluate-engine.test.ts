// The demo model's scoring rules (training/evaluate_engine.ts).

import { test } from "uvu";
import * as assert from "uvu/assert";
import { scoreCase } from "../training/evaluate_engine.ts";

const call = (name: string, args: Record<string, unknown>) => ({ name, arguments: args });

test("exact match ignores call order and argument key order, not values", () => {
  const expected = [call("a", { x: 1, y: "p" }), call("b", {})];
  assert.equal(scoreCase(expected, [call("b", {}), call("a", { y: "p", x: 1 })]), { exact: true, names: true, noCall: undefined });
  assert.equal(scoreCase(expected, [call("b", {}), call("a", { y: "p", x: 2 })]), { exact: false, names: true, noCall: undefined });
  assert.equal(scoreCase(expected, [call("a", { x: 1, y: "p" })]), { exact: false, names: false, noCall: undefined });
  assert.equal(scoreCase(expected, [call("a", { x: 1, y: "p" }), call("a", { x: 1, y: "p" })]), { exact: false, names: false, noCall: undefined });
});

test("no-call cases score an empty answer, and unparsed output is never right", () => {
  assert.equal(scoreCase([], []), { exact: true, names: true, noCall: true });
  assert.equal(scoreCase([], [call("a", {})]), { exact: false, names: false, noCall: false });
  assert.equal(scoreCase([], null), { exact: false, names: false, noCall: false });
  assert.equal(scoreCase([call("a", {})], null), { exact: false, names: false, noCall: undefined });
});

test("numbers compare by value (1 and 1.0 parse alike), strings exactly", () => {
  assert.is(scoreCase([call("t", { n: 1 })], [call("t", { n: 1.0 })]).exact, true);
  assert.is(scoreCase([call("t", { s: "Paris" })], [call("t", { s: "paris" })]).exact, false);
});

test.run();
