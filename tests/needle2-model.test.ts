// The Wasm Needle 2 engine (assembly/needle2/, lib/needle2/model.ts) in f32
// against the float64 goldens: first-step logits within 5e-4, greedy ids
// (EOS-stopped and not) and teacher-forced argmax exact; the KV cache reused
// across calls gives the same logits as a fresh run.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { InputError } from "../lib/errors.ts";
import { Needle2Model } from "../lib/needle2/model.ts";
import { assertClose } from "./helpers.ts";
import { argmax, firstLogits, NEEDLE2_MODELS, readNeedle2Golden, readNeedle2Model } from "./needle2-helpers.ts";

const TOL = 5e-4;


for (const name of NEEDLE2_MODELS) {
  const golden = readNeedle2Golden(name);
  const modelPromise = Needle2Model.fromBytes(readNeedle2Model(name));

  golden.cases.forEach((c, ci) => {
    test(`${name} case ${ci}: first-step logits, greedy ids, teacher-forced argmax`, async () => {
      const model = await modelPromise;
      assertClose(model.logits(c.prompt_ids), firstLogits(c), TOL, "first logits");
      assert.equal(model.greedy(c.prompt_ids, { maxTokens: golden.settings.max_new_tokens }), c.greedy_ids);
      const seq = [...c.prompt_ids];
      const noStop: number[] = [];
      const chosen: number[] = [];
      for (let k = 0; k < golden.settings.max_new_tokens; k++) {
        const logits = model.logits(seq);
        const next = argmax(logits);
        noStop.push(next);
        chosen.push(logits[next]!);
        seq.push(next);
      }
      assert.equal(noStop, c.greedy_ids_no_eos_stop);
      assertClose(chosen.slice(0, c.greedy_chosen_logits.length), c.greedy_chosen_logits, TOL, "chosen logits");
      const forced = [...c.prompt_ids];
      const am: number[] = [];
      const mx: number[] = [];
      for (let k = 0; k <= c.teacher_forced_ids.length; k++) {
        const logits = model.logits(forced);
        am.push(argmax(logits));
        mx.push(logits[am.at(-1)!]!);
        if (k < c.teacher_forced_ids.length) forced.push(c.teacher_forced_ids[k]!);
      }
      assert.equal(am, c.teacher_forced_argmax);
      assertClose(mx, c.teacher_forced_max_logit, TOL, "teacher-forced max logits");
    });
  });

  test(`${name}: a fresh model and one whose caches held other text give the same logits`, async () => {
    const model = await modelPromise;
    const ids = golden.cases[0]!.prompt_ids;
    const fresh = await Needle2Model.fromBytes(readNeedle2Model(name));
    const want = fresh.logits(ids);
    model.logits(golden.cases[1]!.prompt_ids);
    model.logits([...ids, 7, 8, 9]);
    assert.equal(Array.from(model.logits(ids)), Array.from(want));
    fresh.dispose();
  });
}

test("a prompt run position by position gives the logits of the batched run (32 positions per step)", async () => {
  for (const name of NEEDLE2_MODELS) {
    const ids = readNeedle2Golden(name).cases.map((c) => c.prompt_ids).reduce((a, b) => (b.length > a.length ? b : a));
    assert.ok(ids.length > 64, "the longest golden prompt spans several batched steps");
    const batched = await Needle2Model.fromBytes(readNeedle2Model(name));
    const stepped = await Needle2Model.fromBytes(readNeedle2Model(name));
    for (let k = 1; k < ids.length; k++) stepped.logits(ids.slice(0, k)); // one new position per call
    assertClose(stepped.logits(ids), batched.logits(ids), 1e-5, `${name} stepped vs batched`);
    batched.dispose();
    stepped.dispose();
  }
});

test("bad ids and lengths are InputErrors; a disposed model says so", async () => {
  const model = await Needle2Model.fromBytes(readNeedle2Model("tiny_a"), { maxSequenceLength: 16 });
  for (const ids of [[], [2, 512], [2, -1], [2, 1.5], new Array(17).fill(2)]) {
    try {
      model.logits(ids);
      assert.unreachable(`accepted ${ids}`);
    } catch (e) {
      assert.instance(e, InputError);
    }
  }
  assert.is(model.greedy(new Array(16).fill(2), { maxTokens: 5 }).length, 0);
  model.dispose();
  try {
    model.logits([2]);
    assert.unreachable();
  } catch (e) {
    assert.is((e as { code: string }).code, "DISPOSED");
  }
});

test.run();
