// Weight formats against f32 and the goldens. f16 holds a float16
// checkpoint exactly, so it must meet every golden like f32. int8 and int4
// quantise; their greedy runs may leave the golden path only where the
// golden decision margin is within reach of the quantisation error
// (a flip needs |Δlogit| ≥ margin/2), and the test reports where.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { NeedleModel } from "../lib/engine/model.ts";
import { type WeightDtype } from "../lib/engine/open.ts";
import { parseCheckpoint } from "../lib/load/checkpoint.ts";
import { assertClose, readFixture, readFixtureJson } from "./helpers.ts";

const suites = [
  { dir: "tiny", file: "needle_tiny.p4_numpy1.pkl" },
  { dir: "ffn", file: "needle_ffn.p4_numpy2.pkl" },
];

function decodeF64(b64: string): Float64Array {
  const bytes = Buffer.from(b64, "base64");
  return new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

function argmax(x: ArrayLike<number>): number {
  let best = 0;
  for (let i = 1; i < x.length; i++) if (x[i]! > x[best]!) best = i;
  return best;
}

const report: string[] = [];

for (const { dir, file } of suites) {
  const goldens = readFixtureJson(`${dir}/model_goldens.json`);
  const checkpoint = parseCheckpoint(readFixture(`${dir}/${file}`));
  const f32 = await NeedleModel.fromCheckpoint(checkpoint);

  test(`${dir}: f16 weights reproduce every golden (logits, encoder rows, greedy ids)`, async () => {
    const f16 = await NeedleModel.fromCheckpoint(checkpoint, { dtype: "f16" });
    assert.is(f16.dtype, "f16");
    for (const c of goldens.cases) {
      assertClose(f16.logits(c.encoder_input_ids, [1]), decodeF64(c.first_step_logits.b64_f64), 5e-4, `${c.id} logits`);
      f16.encode(c.encoder_input_ids);
      assertClose(f16.encoderOutput().subarray(0, c.encoder_output.rows.first.length), c.encoder_output.rows.first, 5e-4, `${c.id} encoder`);
      assert.equal(f16.greedy(c.encoder_input_ids, { maxTokens: c.unconstrained.max_gen_len - 1 }), c.unconstrained.ids, `${c.id} greedy`);
    }
    for (const item of goldens.contrastive.items) assertClose(f16.embed(item.ids), item.embedding, 1e-5, "embedding");
    f16.dispose();
  });

  for (const dtype of ["int8", "int4"] as WeightDtype[]) {
    test(`${dir}: ${dtype} greedy runs leave the golden path only where the margin is within the quantisation error`, async () => {
      const model = await NeedleModel.fromCheckpoint(checkpoint, { dtype });
      let top1 = 0;
      let identical = 0;
      let worstFirstStep = 0;
      for (const c of goldens.cases) {
        const logits = model.logits(c.encoder_input_ids, [1]);
        const golden = decodeF64(c.first_step_logits.b64_f64);
        worstFirstStep = Math.max(worstFirstStep, maxAbsDiff(logits, golden));
        if (argmax(logits) === argmax(golden)) top1++;
        const run = c.unconstrained;
        const ids = model.greedy(c.encoder_input_ids, { maxTokens: run.max_gen_len - 1 });
        let step = 0;
        while (step < ids.length && step < run.ids.length && ids[step] === run.ids[step]) step++;
        if (step === run.ids.length && ids.length === run.ids.length) {
          identical++;
          continue;
        }
        // Diverged at `step`: the logits there, on the golden prefix, against f32's.
        const prefix = [1, ...run.ids.slice(0, step)];
        const error = maxAbsDiff(model.logits(c.encoder_input_ids, prefix), f32.logits(c.encoder_input_ids, prefix));
        const margin = run.margins[step] as number;
        report.push(`${dir}/${c.id} ${dtype}: diverges at step ${step}/${run.ids.length}, golden margin ${margin.toFixed(4)}, max |Δlogit| ${error.toFixed(4)}`);
        assert.ok(margin <= 2 * error, `${dir}/${c.id} ${dtype} diverged at step ${step} though the margin ${margin} exceeds twice the logit error ${error}`);
      }
      report.push(`${dir} ${dtype}: first-step top-1 agreement ${top1}/${goldens.cases.length}, identical greedy runs ${identical}/${goldens.cases.length}, max first-step |Δlogit| ${worstFirstStep.toFixed(4)}`);
      model.dispose();
    });
  }
}

test("report", () => {
  console.log(`\n  ${report.join("\n  ")}`);
});

test.run();
