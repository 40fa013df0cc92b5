// The hand-written evaluation set (training/eval/handwritten.jsonl, see
// training/eval/README.md): well-formed, as large and as varied as the issue
// asks, and absent from the training data that the generators emit.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { prepareTools, toSnakeCase } from "../lib/tools.ts";
import { readCases } from "../training/evaluate_engine.ts";
import { runPython } from "./python.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const FILE = `${ROOT}training/eval/handwritten.jsonl`;

interface Row {
  id: string;
  kind: string;
  tool_kind: string;
  query: string;
  tools: unknown[];
  answer: { name: string; arguments: Record<string, unknown> }[];
}
const rows: Row[] = readFileSync(FILE, "utf8").split("\n").filter((l) => l.trim()).map((l) => JSON.parse(l) as Row);

interface FlatParam { type?: unknown; enum?: unknown[]; required?: unknown }

function typeOk(type: unknown, value: unknown): boolean {
  switch (type) {
    case "string": return typeof value === "string";
    case "integer": return Number.isInteger(value);
    case "number": return typeof value === "number" && Number.isFinite(value);
    case "boolean": return typeof value === "boolean";
    default: return false;
  }
}

test("at least 150 cases with unique ids, two kinds, and at least 40 kinds of tools the catalog lacks", () => {
  assert.ok(rows.length >= 150, `${rows.length} cases`);
  assert.is(new Set(rows.map((r) => r.id)).size, rows.length);
  for (const r of rows) assert.ok(r.kind === "catalog" || r.kind === "unseen", `${r.id}: kind ${r.kind}`);
  const unseenKinds = new Set(rows.filter((r) => r.kind === "unseen").map((r) => r.tool_kind));
  assert.ok(unseenKinds.size >= 40, `${unseenKinds.size} unseen kinds`);
  const catalogKinds = new Set(rows.filter((r) => r.kind === "catalog").map((r) => r.tool_kind));
  for (const k of unseenKinds) assert.not.ok(catalogKinds.has(k), `${k} is marked both catalog and unseen`);
  assert.ok(rows.filter((r) => r.answer.length === 0).length >= 20, "no-call cases");
  assert.ok(rows.filter((r) => r.answer.length > 1).length >= 8, "multi-call cases");
  assert.is(new Set(rows.map((r) => r.query)).size, rows.length, "queries are unique");
});

test("tools come in Needle's flat format, OpenAI's and bare JSON Schema, and each list is accepted by prepareTools", () => {
  const formats = { flat: 0, openai: 0, schema: 0 };
  for (const r of rows) {
    prepareTools(JSON.stringify(r.tools));
    for (const t of r.tools as Record<string, unknown>[]) {
      if (t.type === "function") formats.openai++;
      else if ((t.parameters as Record<string, unknown> | undefined)?.type === "object") formats.schema++;
      else formats.flat++;
    }
  }
  for (const [format, n] of Object.entries(formats)) assert.ok(n >= 20, `${format}: ${n} tools`);
});

test("every expected call names a listed tool, with arguments valid for its (flattened) schema", () => {
  for (const r of rows) {
    const prepared = prepareTools(JSON.stringify(r.tools));
    const flat = JSON.parse(prepared.json) as { name: string; parameters?: Record<string, FlatParam> }[];
    for (const call of r.answer) {
      const index = prepared.names.indexOf(call.name);
      assert.ok(index >= 0, `${r.id}: ${call.name} is not in the list`);
      const params = flat[index]!.parameters ?? {};
      for (const [key, value] of Object.entries(call.arguments)) {
        const p = params[key];
        assert.ok(p, `${r.id}: ${call.name} has no parameter ${key}`);
        assert.ok(typeOk(p.type, value), `${r.id}: ${key}=${JSON.stringify(value)} is not a ${String(p.type)}`);
        if (p.enum) assert.ok(p.enum.includes(value), `${r.id}: ${key}=${JSON.stringify(value)} is not one of ${JSON.stringify(p.enum)}`);
      }
      for (const [key, p] of Object.entries(params)) {
        if (p.required === true) assert.ok(key in call.arguments, `${r.id}: ${call.name} misses required ${key}`);
      }
    }
  }
});

test("string arguments are copied from the query (enum values aside), as the model must copy them", () => {
  // A value that is not in the query would need world knowledge or rewriting, which the set does not test.
  for (const r of rows) {
    const prepared = prepareTools(JSON.stringify(r.tools));
    const flat = JSON.parse(prepared.json) as { parameters?: Record<string, FlatParam> }[];
    for (const call of r.answer) {
      const params = flat[prepared.names.indexOf(call.name)]!.parameters ?? {};
      for (const [key, value] of Object.entries(call.arguments)) {
        if (typeof value !== "string" || params[key]?.enum) continue;
        assert.ok(r.query.includes(value), `${r.id}: ${key}=${JSON.stringify(value)} is not in ${JSON.stringify(r.query)}`);
      }
    }
  }
});

const catalog = runPython<{ tools: string[] }>(`
import sys
sys.path.insert(0, data["training"])
from catalog import all_tools
emit({"tools": [t.name for t in all_tools()]})`, { training: `${ROOT}training` });

test("cases marked unseen never call a tool of the catalog by name", () => {
  const names = new Set(catalog.tools);
  assert.ok(names.size > 100);
  for (const r of rows.filter((row) => row.kind === "unseen")) {
    for (const call of r.answer) assert.not.ok(names.has(toSnakeCase(call.name)), `${r.id}: ${call.name} is a catalog tool`);
  }
});

test("the evaluator reads the set as splits handwritten/catalog and handwritten/unseen, tools and answers as JSON text", () => {
  const cases = readCases([FILE]);
  assert.is(cases.length, rows.length);
  assert.equal([...new Set(cases.map((c) => c.split))].sort(), ["handwritten/catalog", "handwritten/unseen"]);
  assert.equal(JSON.parse(cases[0]!.tools), rows[0]!.tools);
  assert.equal(JSON.parse(cases[0]!.answer), rows[0]!.answer);
  assert.is(cases[0]!.id, rows[0]!.id);
});

/** Lower case, runs of non-alphanumerics as one space: how a near-copy of a query would still be caught. */
const normal = (q: string) => q.toLowerCase().replace(/[^a-z0-9]+/g, " ").trim();

test("no hand-written query appears in the training data the generators emit (fixed seeds, small scale)", () => {
  const generated = runPython<{ queries: string[] }>(`
import sys
sys.path.insert(0, data["training"])
import data as catalog_data
import surface
queries = [ex["query"] for ex in catalog_data.generate("train", 3000, 7, augment=True)]
queries += [ex["query"] for ex in surface.generate("train", 3000, seed=11)]
emit({"queries": queries})`, { training: `${ROOT}training` });
  assert.ok(generated.queries.length === 6000);
  const seen = new Set(generated.queries.map(normal));
  for (const r of rows) assert.not.ok(seen.has(normal(r.query)), `${r.id}: ${JSON.stringify(r.query)} is in the generated training data`);
});

test.run();
