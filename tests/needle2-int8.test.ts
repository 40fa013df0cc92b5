// Needle 2 with int8 matrices in memory (dtype "int8": each decoded CQ row
// requantised in groups of 32) against the same engine in f32: the greedy ids
// of every golden prompt, the argmax along the teacher-forced paths, and the
// logits within 5% of their largest magnitude.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { Needle2Model } from "../lib/needle2/model.ts";
import { argmax, NEEDLE2_MODELS, readNeedle2Golden, readNeedle2Model } from "./needle2-helpers.ts";

/** Largest |Δlogit| allowed, relative to the position's largest |logit|. */
const RELATIVE_TOL = 0.05;
/** Share of teacher-forced positions whose argmax must agree with f32's. */
const ARGMAX_AGREEMENT = 0.95;


for (const name of NEEDLE2_MODELS) {
  test(`${name}: int8 gives f32's greedy ids and, along the forced paths, its argmax and logits`, async () => {
    const golden = readNeedle2Golden(name);
    const f32 = await Needle2Model.fromBytes(readNeedle2Model(name));
    const int8 = await Needle2Model.fromBytes(readNeedle2Model(name), { dtype: "int8" });
    assert.ok(int8.weightBytes < f32.weightBytes);
    let positions = 0;
    let agree = 0;
    for (const c of golden.cases) {
      const steps = golden.settings.max_new_tokens;
      assert.equal(int8.greedy(c.prompt_ids, { maxTokens: steps }), f32.greedy(c.prompt_ids, { maxTokens: steps }));
      const seq = [...c.prompt_ids, ...c.teacher_forced_ids];
      for (let k = c.prompt_ids.length; k <= seq.length; k++) {
        const want = f32.logits(seq.slice(0, k));
        const got = int8.logits(seq.slice(0, k));
        let scale = 0;
        let diff = 0;
        for (let i = 0; i < want.length; i++) {
          scale = Math.max(scale, Math.abs(want[i]!));
          diff = Math.max(diff, Math.abs(want[i]! - got[i]!));
        }
        assert.ok(diff <= RELATIVE_TOL * scale, `position ${k}: |Δ| ${diff} > ${RELATIVE_TOL} × ${scale}`);
        positions++;
        if (argmax(got) === argmax(want)) agree++;
      }
    }
    assert.ok(agree >= ARGMAX_AGREEMENT * positions, `argmax agrees at ${agree} of ${positions} positions`);
    f32.dispose();
    int8.dispose();
  });
}

test("an unknown dtype is an InputError", async () => {
  try {
    await Needle2Model.fromBytes(readNeedle2Model("tiny_a"), { dtype: "int4" as "int8" });
    assert.unreachable();
  } catch (e) {
    assert.is((e as { code: string }).code, "BAD_DTYPE");
  }
});

test.run();
