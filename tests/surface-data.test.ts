// The tool-surface generator (training/surface.py): deterministic by seed,
// answers that name listed tools with arguments of their parameters and values
// copied from the request, fresh surfaces, held-out nouns kept out of training.
// Runs Debian's CPython on a small sample (no torch).

import { test } from "uvu";
import * as assert from "uvu/assert";
import { fileURLToPath } from "node:url";
import { prepareTools } from "../lib/tools.ts";
import { runPython } from "./python.ts";

const TRAINING = fileURLToPath(new URL("../training/", import.meta.url));

interface Example { query: string; tools: string; answer: string; split: string; family: string }

const sample = runPython<{ train: Example[]; again: Example[]; other: Example[]; test: Example[]; heldNouns: string[] }>(`
import sys
sys.path.insert(0, data["training"])
import lexicon, surface
surface.held_out_words_absent()
surface.eval_kinds_absent()
held = [n for i, n in enumerate(lexicon.NOUNS) if i % surface.HELD_OUT_NOUN_EVERY == surface.HELD_OUT_NOUN_EVERY - 1]
emit({"train": surface.generate("train", 1500, 3), "again": surface.generate("train", 1500, 3),
      "other": surface.generate("train", 200, 4), "test": surface.generate("test_composed", 300, 3),
      "heldNouns": [w for names, says in held for w in names]})`, { training: TRAINING });

test("the same seed gives the same examples, another seed others", () => {
  assert.ok(JSON.stringify(sample.train) === JSON.stringify(sample.again));
  const first = new Set(sample.train.map((e) => e.query));
  assert.ok(sample.other.filter((e) => first.has(e.query)).length < 20);
});

test("every answer names tools of its list, with arguments that are parameters of the right type, strings copied from the query", () => {
  for (const e of [...sample.train, ...sample.test]) {
    const prepared = prepareTools(e.tools);
    const flat = JSON.parse(prepared.json) as { parameters?: Record<string, { type: string; enum?: string[] }> }[];
    for (const call of JSON.parse(e.answer) as { name: string; arguments: Record<string, unknown> }[]) {
      const i = prepared.names.indexOf(call.name);
      assert.ok(i >= 0, `${call.name} not in ${e.tools}`);
      for (const [key, value] of Object.entries(call.arguments)) {
        const p = flat[i]!.parameters?.[key];
        assert.ok(p, `${call.name}.${key}: ${e.query}`);
        const type = typeof value === "number" ? (Number.isInteger(value) ? ["integer", "number"] : ["number"]) : [typeof value];
        assert.ok(type.includes(p.type), `${call.name}.${key}=${JSON.stringify(value)} is not ${p.type}`);
        if (p.enum) assert.ok(p.enum.includes(value as string), `${key}=${String(value)} not in enum`);
        else if (typeof value === "string") assert.ok(e.query.includes(value), `${JSON.stringify(value)} not in ${JSON.stringify(e.query)}`);
      }
    }
  }
});

test("the mix: composed and re-surfaced catalog tools, one to three calls, about a quarter no-call", () => {
  const answers = sample.train.map((e) => JSON.parse(e.answer) as unknown[]);
  const share = (f: (a: unknown[]) => boolean) => answers.filter(f).length / answers.length;
  assert.ok(share((a) => a.length === 0) > 0.15 && share((a) => a.length === 0) < 0.4);
  assert.ok(share((a) => a.length >= 2) > 0.1);
  assert.ok(share((a) => a.length === 3) > 0.005);
  const catalog = sample.train.filter((e) => e.family.startsWith("catalog")).length / sample.train.length;
  assert.ok(catalog > 0.3 && catalog < 0.5, `${catalog}`);
});

test("tool surfaces vary: many names per kind of tool, every naming style, descriptions sometimes absent", () => {
  const names = sample.train.flatMap((e) => (JSON.parse(e.tools) as { name: string; description?: string }[]));
  const styles = { snake: /^[a-z0-9]+(_[a-z0-9]+)+$/, camel: /^[a-z]+[A-Z]/, pascal: /^[A-Z][a-z]+[A-Z]/, dot: /\./, kebab: /-/ };
  for (const [style, re] of Object.entries(styles)) assert.ok(names.filter((t) => re.test(t.name)).length > 50, style);
  const noDescription = names.filter((t) => t.description === undefined).length / names.length;
  assert.ok(noDescription > 0.03 && noDescription < 0.3, `${noDescription}`);
  assert.ok(new Set(names.map((t) => t.name)).size > names.length / 4);
});

test("held-out nouns appear in test_composed and never in training tool names", () => {
  const held = new Set(sample.heldNouns);
  const words = (e: Example) => (JSON.parse(e.tools) as { name: string }[]).map((t) => t.name.toLowerCase().replace(/[^a-z0-9]/g, ""));
  const inTrain = sample.train.filter((e) => e.family === "composed").flatMap(words);
  for (const noun of held) {
    const n = noun.replace(/_/g, "");
    assert.not.ok(inTrain.some((name) => name.includes(n)), `${noun} is in a training tool name`);
  }
  const inTest = sample.test.flatMap(words);
  assert.ok([...held].filter((noun) => inTest.some((name) => name.includes(noun.replace(/_/g, "")))).length > held.size / 2);
});

test.run();
