// Hostile tool lists: $ref fan-out, deep chains, wide targets, shared JS
// objects, huge strings and lists. Each is refused with a typed InputError
// before the work it would cause (or accepted within the limits); none may
// take the process down.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { InputError } from "../lib/errors.ts";
import { MAX_PREPARED_TOOLS_CHARS, MAX_SCHEMA_DEPTH, MAX_TOOLS, MAX_TOOLS_CHARS } from "../lib/limits.ts";
import { prepareTools } from "../lib/tools.ts";

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    if (err instanceof InputError) return err.code;
    throw err;
  }
  return "accepted";
}

/** $defs D0..D{depth-1}, each with `fan` properties that all refer to the next one. */
function fanOutDefs(depth: number, fan: number, description = "d"): Record<string, unknown> {
  const defs: Record<string, unknown> = {};
  for (let i = 0; i < depth; i++) {
    const properties: Record<string, unknown> = {};
    for (let j = 0; j < fan; j++) properties[`p${j}`] = i + 1 < depth ? { $ref: `#/$defs/D${i + 1}` } : { type: "string", enum: ["a", "b", "c"] };
    defs[`D${i}`] = { type: "object", description, properties };
  }
  return defs;
}

const refTool = (name: string, defs: Record<string, unknown>) => ({ name, parameters: { type: "object", $defs: defs, properties: { a: { $ref: "#/$defs/D0" } } } });

test("issue 20's probe: a 1.2 MB list of fan-out $ref tools (V8 aborted the process) is SCHEMA_TOO_LARGE", () => {
  const defs = fanOutDefs(6, 4); // 5,461 nodes per tool once inlined
  const json = JSON.stringify(Array.from({ length: 1000 }, (_, i) => refTool(`t${i}`, defs)));
  assert.ok(json.length > 1_000_000);
  assert.is(code(() => prepareTools(json)), "SCHEMA_TOO_LARGE");
});

test("the schema budget is shared by the list: tools within it alone, over it together", () => {
  const defs = fanOutDefs(6, 4);
  assert.is(code(() => prepareTools([refTool("one", defs)] as never)), "accepted");
  assert.is(code(() => prepareTools([refTool("one", defs), refTool("two", defs)] as never)), "SCHEMA_TOO_LARGE");
});

test("fan-out that stays under the node budget but repeats large text is refused as the JSON grows (TOOLS_TOO_LONG)", () => {
  const defs = fanOutDefs(6, 4, "x".repeat(150_000)); // ~800 MB once inlined
  assert.is(code(() => prepareTools(JSON.stringify([refTool("t", defs)]))), "TOOLS_TOO_LONG");
});

test("a wide $ref target inlined many times is SCHEMA_TOO_LARGE by copied keywords", () => {
  const wide: Record<string, unknown> = { type: "string" };
  for (let i = 0; i < 5000; i++) wide[`x-k${i}`] = i;
  const properties: Record<string, unknown> = {};
  for (let i = 0; i < 100; i++) properties[`p${i}`] = { $ref: "#/$defs/W" };
  assert.is(code(() => prepareTools([{ name: "t", parameters: { type: "object", $defs: { W: wide }, properties } }] as never)), "SCHEMA_TOO_LARGE");
});

test(`a $ref chain deeper than ${MAX_SCHEMA_DEPTH} levels is SCHEMA_TOO_DEEP; a shallower one converts`, () => {
  const chain = (n: number) => {
    const defs: Record<string, unknown> = {};
    for (let i = 0; i < n; i++) defs[`D${i}`] = i + 1 < n ? { $ref: `#/$defs/D${i + 1}` } : { type: "string" };
    return [refTool("t", defs)];
  };
  assert.is(code(() => prepareTools(chain(MAX_SCHEMA_DEPTH + 5) as never)), "SCHEMA_TOO_DEEP");
  const ok = prepareTools(chain(10) as never);
  assert.is(ok.json, '[{"name":"t","parameters":{"a":{"type":"string","required":false}}}]');
});

test("deeply nested properties (no $ref) are SCHEMA_TOO_DEEP, not a stack overflow", () => {
  let node: Record<string, unknown> = { type: "string" };
  for (let i = 0; i < 200; i++) node = { type: "object", properties: { p: node } };
  assert.is(code(() => prepareTools([{ name: "t", parameters: node }] as never)), "SCHEMA_TOO_DEEP");
});

test("tools as JS values: one shared object reached 2^40 times is TOOLS_TOO_LONG while walking", () => {
  let node: Record<string, unknown> = { type: "string", description: "leaf" };
  for (let i = 0; i < 40; i++) node = { a: node, b: node };
  assert.is(code(() => prepareTools([{ name: "t", description: "d", parameters: { p: { type: "object", properties: node } } }] as never)), "TOOLS_TOO_LONG");
});

test("tools as JS values: a description over the character limit is TOOLS_TOO_LONG (strings inside objects count)", () => {
  const description = "x".repeat(MAX_TOOLS_CHARS + 1);
  assert.is(code(() => prepareTools([{ name: "t", description }])), "TOOLS_TOO_LONG");
  assert.is(code(() => prepareTools([{ name: "t", description: "x".repeat(1000) }])), "accepted");
});

test("tools as JS values: a huge array inside a parameter is TOOLS_TOO_LONG by values", () => {
  const values = new Array(2_000_000).fill(0);
  assert.is(code(() => prepareTools([{ name: "t", parameters: { p: { type: "integer", enum: values } } }])), "TOOLS_TOO_LONG");
});

test("a tools JSON string over the character limit is TOOLS_TOO_LONG before it is parsed", () => {
  const json = `[{"name":"t","description":"${"x".repeat(MAX_TOOLS_CHARS)}"}]`;
  assert.is(code(() => prepareTools(json)), "TOOLS_TOO_LONG");
});

test(`more than ${MAX_TOOLS} tools is TOO_MANY_TOOLS, as a string and as an array`, () => {
  const list = Array.from({ length: MAX_TOOLS + 1 }, (_, i) => ({ name: `t${i}` }));
  assert.is(code(() => prepareTools(list)), "TOO_MANY_TOOLS");
  assert.is(code(() => prepareTools(JSON.stringify(list))), "TOO_MANY_TOOLS");
  assert.is(prepareTools(list.slice(0, MAX_TOOLS)).names.length, MAX_TOOLS);
});

test("fuzz: 150 random hostile schemas and tool lists are converted within the limits or refused with an InputError", () => {
  let seed = 2027;
  const next = () => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed / 2147483648;
  };
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const int = (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1));
  const bigString = () => pick(["", "é", "\u0000", "\ud800", "😀", "x"]).repeat(pick([1, 1, 1, 10, 100, 20_000]));
  // References go to later definitions (a DAG that fans out), rarely to any (recursion, dangling).
  let refFrom = 0;
  const DEFS = 10;
  const ref = (): unknown => (next() < 0.02 ? { $ref: `#/$defs/D${int(0, DEFS)}` } : refFrom < DEFS - 1 ? { $ref: `#/$defs/D${int(refFrom + 1, DEFS - 1)}` } : { type: "string" });
  const leaf = (): unknown => pick([() => ({ type: pick(["string", "integer", ["string", "null"]]) }), () => ({ type: "string", description: bigString() }), () => ({ type: "string" }),
    () => ({ enum: new Array(pick([1, 100, 2000])).fill(pick(["a", 1, null])) }), () => ({ anyOf: [{ type: "null" }, { type: "number" }] }), ref])();
  // `width` 1 gives deep narrow chains; wider ones stay shallow so the generator itself stays small.
  const schema = (depth: number, width: number): unknown => {
    if (depth <= 0 || (width > 1 && next() < 0.3)) return leaf();
    const properties: Record<string, unknown> = {};
    for (let i = int(1, width); i > 0; i--) properties[`p${i}`] = width > 1 && next() < 0.5 ? ref() : schema(depth - 1, width);
    return next() < 0.2 ? { type: "array", items: { type: "object", properties } } : { type: "object", properties, required: ["p1"] };
  };
  const counts = new Map<string, number>();
  for (let round = 0; round < 150; round++) {
    const $defs: Record<string, unknown> = {};
    for (let i = 0; i < DEFS; i++) $defs[`D${(refFrom = i)}`] = next() < 0.2 ? schema(int(40, 80), 1) : schema(int(0, 4), 6);
    refFrom = -1;
    const tools = Array.from({ length: pick([1, 3, 12, 40]) }, (_, i) => ({ name: `tool_${i}`, description: next() < 0.1 ? bigString() : "d", parameters: { type: "object", $defs, properties: { a: schema(3, 4), b: { $ref: "#/$defs/D0" } } } }));
    let outcome: string;
    try {
      const prepared = next() < 0.5 ? prepareTools(tools as never) : prepareTools(JSON.stringify(tools));
      assert.ok(prepared.json.length <= MAX_PREPARED_TOOLS_CHARS);
      outcome = "accepted";
    } catch (err) {
      if (!(err instanceof InputError)) throw err;
      outcome = err.code;
    }
    counts.set(outcome, (counts.get(outcome) ?? 0) + 1);
  }
  // The generator reaches each limit and also produces lists that convert.
  for (const expected of ["accepted", "BAD_PARAMETERS", "SCHEMA_TOO_LARGE", "SCHEMA_TOO_DEEP", "TOOLS_TOO_LONG"]) assert.ok((counts.get(expected) ?? 0) > 0, `${expected}: ${[...counts]}`);
});

test.run();
