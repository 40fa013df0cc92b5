// The plain TypeScript Needle 2 twin (tests/twins/needle2.ts) against the
// float64 goldens: first-step logits, greedy ids (stopping at EOS and not)
// with their chosen logits, teacher-forced argmax and max logit. This checks
// the reading of the spec (mHC lanes and Sinkhorn, engram hashing and conv,
// Hadamard MLP, gated attention, zero-centred RMS norms) before the engine.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readCact } from "../lib/needle2/cact.ts";
import { assertClose } from "./helpers.ts";
import { argmax, firstLogits, NEEDLE2_MODELS, readNeedle2Golden, readNeedle2Model } from "./needle2-helpers.ts";
import { Needle2Twin } from "./twins/needle2.ts";

const TOL = 5e-4;
const EOS = 1;


for (const name of NEEDLE2_MODELS) {
  const twin = new Needle2Twin(readCact(readNeedle2Model(name)));
  const golden = readNeedle2Golden(name);
  golden.cases.forEach((c, ci) => {
    test(`${name} case ${ci}: first-step logits and greedy ids`, () => {
      twin.reset();
      let logits: Float64Array<ArrayBufferLike> = new Float64Array(0);
      for (const id of c.prompt_ids) logits = twin.step(id);
      assertClose(logits, firstLogits(c), TOL, "first logits");
      const ids: number[] = [];
      const chosen: number[] = [];
      for (let k = 0; k < golden.settings.max_new_tokens; k++) {
        const nxt = argmax(logits);
        ids.push(nxt);
        chosen.push(logits[nxt]!);
        logits = twin.step(nxt);
      }
      assert.equal(ids, c.greedy_ids_no_eos_stop);
      const stop = ids.indexOf(EOS);
      assert.equal(stop < 0 ? ids : ids.slice(0, stop), c.greedy_ids);
      assertClose(chosen.slice(0, c.greedy_chosen_logits.length), c.greedy_chosen_logits, TOL, "chosen logits");
    });

    test(`${name} case ${ci}: teacher-forced argmax and max logit`, () => {
      twin.reset();
      let logits: Float64Array<ArrayBufferLike> = new Float64Array(0);
      for (const id of c.prompt_ids) logits = twin.step(id);
      const am: number[] = [argmax(logits)];
      const mx: number[] = [logits[am[0]!]!];
      for (const id of c.teacher_forced_ids) {
        logits = twin.step(id);
        am.push(argmax(logits));
        mx.push(logits[am.at(-1)!]!);
      }
      assert.equal(am, c.teacher_forced_argmax);
      assertClose(mx, c.teacher_forced_max_logit, TOL, "max logits");
    });
  });
}

test.run();
