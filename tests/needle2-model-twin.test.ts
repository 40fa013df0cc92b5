// The Wasm Needle 2 engine against the float64 twin (tests/twins/needle2.ts)
// on random .cact files (tests/twins/random-cact.ts) in geometries the
// fixtures do not cover: one lane and three, no engram site, order-1 and
// order-4 n-grams, odd widths padded to CQ groups, head sizes not multiples
// of 4, ternary and 2/3-bit weights.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readCact } from "../lib/needle2/cact.ts";
import { Needle2Model } from "../lib/needle2/model.ts";
import { assertClose, rng } from "./helpers.ts";
import { readNeedle2Golden, readNeedle2Model } from "./needle2-helpers.ts";
import { Needle2Twin } from "./twins/needle2.ts";
import { writeRandomCact, type RandomCactGeometry } from "./twins/random-cact.ts";

const BASE = { vocab: 300, maxSeqLen: 64, ropeTheta: 10000, kvWindow: 0, engramSlots: 37 };
const GEOMETRIES: RandomCactGeometry[] = [
  { ...BASE, dModel: 40, numHeads: 4, numKvHeads: 2, headDim: 10, numLayers: 3, mhcLanes: 3, engramHeads: 1, orders: [2, 3], sites: [0, 2], group: 16, bits: 3 },
  { ...BASE, dModel: 32, numHeads: 2, numKvHeads: 1, headDim: 8, numLayers: 2, mhcLanes: 1, engramHeads: 2, orders: [1, 4], sites: [1], group: 8, bits: 5 },
  { ...BASE, dModel: 24, numHeads: 3, numKvHeads: 3, headDim: 6, numLayers: 2, mhcLanes: 2, engramHeads: 1, orders: [2], sites: [], group: 32, bits: 2 },
  { ...BASE, dModel: 36, numHeads: 6, numKvHeads: 2, headDim: 4, numLayers: 4, mhcLanes: 4, engramHeads: 3, orders: [2, 3, 5], sites: [3], group: 64, bits: 4, vocab: 97 },
];
const TOL = 5e-4;
const codebooks = (() => {
  const f = readCact(readNeedle2Model("tiny_a"));
  return Float32Array.from([...f.codebooks[2], ...f.codebooks[3], ...f.codebooks[4]]);
})();

GEOMETRIES.forEach((g, gi) => {
  test(`random geometry ${gi}: engine logits at every position equal the twin's`, async () => {
    const bytes = writeRandomCact(g, codebooks, 100 + gi);
    const twin = new Needle2Twin(readCact(bytes));
    const model = await Needle2Model.fromBytes(bytes);
    assert.is(model.tokenizer, null);
    const next = rng(gi);
    const ids = Array.from({ length: 20 }, () => Math.floor(next() * g.vocab));
    for (let p = 0; p < ids.length; p++) {
      const want = twin.step(ids[p]!);
      assertClose(model.logits(ids.slice(0, p + 1)), want, TOL, `geometry ${gi} position ${p}`);
    }
    model.dispose();
  });
});

test("kvWindow: each position attends to its last kvWindow keys only, as decode.py's kv_window (the twin with the same window)", async () => {
  for (const name of ["tiny_a", "tiny_b"]) {
    const bytes = readNeedle2Model(name);
    const c = readNeedle2Golden(name).cases[0]!;
    const ids = [...c.prompt_ids, ...c.teacher_forced_ids];
    const window = 8;
    const twin = new Needle2Twin(readCact(bytes), window);
    const model = await Needle2Model.fromBytes(bytes, { kvWindow: window });
    const batched = await Needle2Model.fromBytes(bytes, { kvWindow: window });
    const plain = await Needle2Model.fromBytes(bytes);
    let differs = false;
    for (let p = 0; p < ids.length; p++) {
      const want = twin.step(ids[p]!);
      const got = model.logits(ids.slice(0, p + 1));
      assertClose(got, want, TOL, `${name} window ${window} position ${p}`);
      if (p > window) differs ||= Math.abs(got[0]! - plain.logits(ids.slice(0, p + 1))[0]!) > 1e-3;
    }
    assertClose(batched.logits(ids), model.logits(ids), 1e-5, `${name}: batched prefill with a window`);
    assert.ok(differs, `${name}: the window changes the logits`);
    const header = await Needle2Model.fromBytes(bytes, { kvWindow: "header" });
    assert.is(header.kvWindow, readCact(bytes).header.kvWindow);
    for (const m of [model, batched, plain, header]) m.dispose();
  }
  try {
    await Needle2Model.fromBytes(readNeedle2Model("tiny_a"), { kvWindow: -1 });
    assert.unreachable();
  } catch (e) {
    assert.is((e as { code: string }).code, "BAD_KV_WINDOW");
  }
});

test.run();
