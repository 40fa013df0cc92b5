// Needle 2's probe heads (contrastive for rank(), confidence) in the engine
// against architecture.py's probe_pool / ContrastiveHead / ConfidenceHead
// written out in float64 here over the plain twin's cells (x0 and the lane
// mean after every layer, per position): a two-pass softmax over all cells,
// projection, bias, and the contrastive L2 normalisation.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { floatValues, readCact, type ProbeHead } from "../lib/needle2/cact.ts";
import { Needle2Model } from "../lib/needle2/model.ts";
import { assertClose } from "./helpers.ts";
import { readNeedle2Golden, readNeedle2Model } from "./needle2-helpers.ts";
import { Needle2Twin } from "./twins/needle2.ts";

const TOL = 5e-4;

/** probe_pool then the head's Dense: p = proj · flatten(pooled) + bias. */
function headOutput(head: ProbeHead, file: ReturnType<typeof readCact>, cells: Float64Array[]): Float64Array {
  const probes = floatValues(file, head.probes);
  const proj = floatValues(file, head.proj);
  const bias = floatValues(file, head.bias);
  const d = file.header.dModel;
  const P = head.probes.shape[0]!;
  const pooled = new Float64Array(P * d);
  for (let k = 0; k < P; k++) {
    const scores = cells.map((c) => {
      let s = 0;
      for (let i = 0; i < d; i++) s += c[i]! * probes[k * d + i]!;
      return s / Math.sqrt(d);
    });
    const max = Math.max(...scores);
    const w = scores.map((s) => Math.exp(s - max));
    const total = w.reduce((a, b) => a + b, 0);
    cells.forEach((c, j) => {
      for (let i = 0; i < d; i++) pooled[k * d + i]! += (w[j]! / total) * c[i]!;
    });
  }
  const out = Float64Array.from(bias);
  for (let o = 0; o < out.length; o++) for (let i = 0; i < P * d; i++) out[o]! += proj[o * P * d + i]! * pooled[i]!;
  return out;
}

const file = readCact(readNeedle2Model("tiny_a"));
const twin = new Needle2Twin(file);
const golden = readNeedle2Golden("tiny_a");

test("tiny_a's contrastive embedding and confidence logit match probe_pool over the twin's cells", async () => {
  const model = await Needle2Model.fromBytes(readNeedle2Model("tiny_a"));
  assert.equal(model.probeHeads, ["contrastive", "confidence"]);
  for (const c of golden.cases) {
    // A prompt, and a prompt with its forced answer (what the confidence head scores).
    for (const ids of [c.prompt_ids, [...c.prompt_ids, ...c.teacher_forced_ids]]) {
      twin.reset();
      for (const id of ids) twin.step(id);
      const cells = twin.cells.flat();
      const p = headOutput(file.heads[0]!, file, cells);
      const norm = Math.sqrt(p.reduce((a, v) => a + v * v, 0) + 1e-12);
      assertClose(model.embed(ids), p.map((v) => v / norm), TOL, "contrastive");
      assertClose([model.confidenceLogit(ids)], headOutput(file.heads[1]!, file, cells), TOL, "confidence");
    }
  }
  // Pooling leaves generation as it was.
  const ids = golden.cases[0]!.prompt_ids;
  const fresh = await Needle2Model.fromBytes(readNeedle2Model("tiny_a"));
  assert.equal(Array.from(model.logits(ids)), Array.from(fresh.logits(ids)));
  model.dispose();
  fresh.dispose();
});

test("a file without probe heads says so", async () => {
  const model = await Needle2Model.fromBytes(readNeedle2Model("tiny_b"));
  assert.equal(model.probeHeads, []);
  for (const run of [() => model.embed([2, 40]), () => model.confidenceLogit([2, 40])]) {
    try {
      run();
      assert.unreachable();
    } catch (e) {
      assert.is((e as { code: string }).code, "NO_PROBE_HEAD");
    }
  }
  model.dispose();
});

test.run();
