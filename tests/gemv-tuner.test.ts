// lib/engine/gemv-tuner.ts: the choice between the two int8 decode GEMVs, on
// synthetic step times, and through NeedleModel: every form gives the same
// logits, so the tuner can only change speed.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { GemvTuner, MAX_TRIES, PAIRS, WARMUP_STEPS } from "../lib/engine/gemv-tuner.ts";
import { InputError } from "../lib/errors.ts";
import { NeedleModel } from "../lib/engine/model.ts";
import { randomCheckpoint } from "./twins/random-checkpoint.ts";

/** A fresh tuner fed step times by form until it decides (or `steps` run out). */
function drive(msFor: (wide: boolean, step: number) => number, steps = 10000): { tuner: GemvTuner; forms: boolean[]; wide: boolean } {
  let wide = false;
  const tuner = new GemvTuner((w) => (wide = w));
  const forms: boolean[] = [];
  for (let step = 0; step < steps && tuner.choice === null; step++) {
    forms.push(wide);
    tuner.record(msFor(wide, step));
  }
  return { tuner, forms, wide };
}

test("four quads are kept when clearly faster, after warm-up and PAIRS alternating pairs", () => {
  const { tuner, forms, wide } = drive((w) => (w ? 0.9 : 1.0));
  assert.is(tuner.choice, "wide");
  assert.is(wide, true);
  assert.is(forms.length, WARMUP_STEPS + 2 * PAIRS);
  assert.ok(forms.slice(0, WARMUP_STEPS).every((w) => !w), "warm-up runs one stream");
  forms.slice(WARMUP_STEPS).forEach((w, i) => assert.is(w, i % 2 === 1, `step ${WARMUP_STEPS + i}`));
});

test("one stream stays when four quads are not at least 3 % faster, or slower", () => {
  for (const ratio of [1.0, 0.98, 1.2]) {
    const { tuner, wide } = drive((w) => (w ? ratio : 1.0));
    assert.is(tuner.choice, "stream", `ratio ${ratio}`);
    assert.is(wide, false);
  }
});

test("the median decides: a few preempted steps do not flip it", () => {
  assert.is(drive((w, step) => (step % 7 === 0 ? 50 : w ? 0.8 : 1.0)).tuner.choice, "wide");
  assert.is(drive((w, step) => (step % 7 === 0 ? 0.01 : w ? 1.3 : 1.0)).tuner.choice, "stream");
});

test("a clock that does not move decides nothing, and one stream stays after MAX_TRIES pairs", () => {
  const { tuner, forms, wide } = drive(() => 0);
  assert.is(tuner.choice, "stream");
  assert.is(wide, false);
  assert.is(forms.length, WARMUP_STEPS + 2 * MAX_TRIES);
});

test("a new encoder input drops the step waiting for its partner", () => {
  let wide = false;
  const t = new GemvTuner((w) => (wide = w));
  for (let i = 0; i < WARMUP_STEPS; i++) t.record(1);
  t.record(1); // one stream, waiting for its pair
  assert.is(wide, true);
  t.newInput();
  assert.is(wide, false, "the next step runs one stream again");
  t.record(100); // a fresh first step; its partner below makes the first ratio
  t.record(90);
  assert.is(t.choice, null);
});

const checkpoint = randomCheckpoint({ vocab_size: 300, d_model: 64, num_heads: 4, num_kv_heads: 2, num_encoder_layers: 1, num_decoder_layers: 2, contrastive_dim: 8 }, { seed: 11 });

test("int8 models decode the same bits with either GEMV form, and with auto while it times and after", async () => {
  const models = await Promise.all((["stream", "wide", "auto"] as const).map((decodeGemv) => NeedleModel.fromCheckpoint(checkpoint, { dtype: "int8", decodeGemv, maxEncoderLength: 32, maxDecoderLength: 24 })));
  assert.equal(models.map((m) => m.decodeGemv), ["stream", "wide", "auto"]);
  const steps = 20;
  for (let input = 0; input * steps < WARMUP_STEPS + 2 * PAIRS + 20; input++) {
    const enc = Array.from({ length: 5 + input }, (_, i) => 6 + ((i * 37 + input * 11) % 290));
    for (const m of models) m.encode(enc);
    for (let pos = 0; pos < steps; pos++) {
      const token = pos === 0 ? 1 : 6 + ((pos * 53 + input) % 290);
      const [a, b, c] = models.map((m) => m.decodeStep(token, pos).slice());
      for (let i = 0; i < a!.length; i++) {
        if (!Object.is(a![i], b![i]) || !Object.is(a![i], c![i])) assert.unreachable(`input ${input} pos ${pos} logit ${i}: ${a![i]} ${b![i]} ${c![i]}`);
      }
    }
  }
  assert.ok(["stream", "wide"].includes(models[2]!.decodeGemv!), `auto has decided: ${models[2]!.decodeGemv}`);
  for (const m of models) m.dispose();
});

test("decodeGemv is checked, and null for dtypes other than int8", async () => {
  try {
    await NeedleModel.fromCheckpoint(checkpoint, { dtype: "int8", decodeGemv: "fast" as never });
    assert.unreachable("accepted");
  } catch (err) {
    assert.instance(err, InputError);
    assert.match((err as Error).message, /decodeGemv must be one of auto, stream, wide/);
  }
  const f32 = await NeedleModel.fromCheckpoint(checkpoint, { decodeGemv: "wide", maxEncoderLength: 8, maxDecoderLength: 4 });
  assert.is(f32.decodeGemv, null);
  f32.dispose();
});

test.run();
