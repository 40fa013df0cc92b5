// The engine against the fixtures' float64 reference goldens: encoder rows,
// first-step logits, greedy ids and contrastive embeddings, for every
// fixture checkpoint, within the tolerances of tests/fixtures/README.md.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { NeedleModel } from "../lib/engine/model.ts";
import { Tokenizer } from "../tokenizer/index.ts";
import { FIXTURES, assertClose, readFixtureJson } from "./helpers.ts";

const LOGIT_TOL = 5e-4;
const ENCODER_TOL = 5e-4;
const EMBED_TOL = 1e-5;

function decodeF64(b64: string): Float64Array {
  const bytes = Buffer.from(b64, "base64");
  return new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
}

const tokenizer = await Tokenizer.load(`${FIXTURES}tokenizer/needle_test.model`);

const suites = [
  { dir: "tiny", file: "needle_tiny.p4_numpy1.pkl" },
  { dir: "ffn", file: "needle_ffn.p4_numpy2.pkl" },
];

for (const { dir, file } of suites) {
  const goldens = readFixtureJson(`${dir}/model_goldens.json`);
  const model = await NeedleModel.load(`${FIXTURES}${dir}/${file}`);

  test(`${dir}: config equals the reference's effective config`, () => {
    assert.equal({ ...model.config }, goldens.effective_config);
  });

  for (const c of goldens.cases) {
    test(`${dir}/${c.id}: encoder output rows, column sums and mean |x| match`, () => {
      model.encode(c.encoder_input_ids);
      const out = model.encoderOutput();
      const [n, d] = c.encoder_output.shape;
      assert.is(out.length, n * d);
      const rows = c.encoder_output.rows;
      assertClose(out.subarray(0, d), rows.first, ENCODER_TOL, "first row");
      assertClose(out.subarray(rows.middle_index * d, (rows.middle_index + 1) * d), rows.middle, ENCODER_TOL, "middle row");
      assertClose(out.subarray((n - 1) * d), rows.last, ENCODER_TOL, "last row");
      const columnSum = new Float64Array(d);
      let meanAbs = 0;
      for (let i = 0; i < out.length; i++) {
        columnSum[i % d] += out[i]!;
        meanAbs += Math.abs(out[i]!) / out.length;
      }
      assertClose(columnSum, c.encoder_output.column_sum, ENCODER_TOL * n, "column sums");
      assertClose([meanAbs], [c.encoder_output.mean_abs], ENCODER_TOL, "mean |x|");
    });

    test(`${dir}/${c.id}: first-step logits match everywhere`, () => {
      const logits = model.logits(c.encoder_input_ids, [1]);
      assertClose(logits, decodeF64(c.first_step_logits.b64_f64), LOGIT_TOL, "logits");
    });

    test(`${dir}/${c.id}: unconstrained greedy ids are identical`, () => {
      const run = c.unconstrained;
      const ids = model.greedy(c.encoder_input_ids, { maxTokens: run.max_gen_len - 1 });
      assert.equal(ids, run.ids);
      assert.is(ids.length < run.max_gen_len - 1, run.stopped_on_eos);
    });
  }

  test(`${dir}: contrastive embeddings match for every text`, () => {
    for (const item of goldens.contrastive.items) {
      assert.equal(tokenizer.encode(item.text).slice(0, goldens.contrastive.max_len), item.ids);
      assertClose(model.embed(item.ids), item.embedding, EMBED_TOL, JSON.stringify(item.text));
    }
  });

  test(`${dir}: retrieval scores and rankings match`, () => {
    for (const r of goldens.contrastive.retrieval) {
      const ids = (text: string) => tokenizer.encode(text).slice(0, goldens.contrastive.max_len);
      const q = model.embed(ids(r.query));
      const scores = r.tools.map((t: string) => {
        const e = model.embed(ids(t));
        return e.reduce((s, v, i) => s + v * q[i]!, 0);
      });
      assertClose(scores, r.scores, EMBED_TOL, "scores");
      const ranking = scores.map((_: number, i: number) => i).sort((a: number, b: number) => scores[b] - scores[a]);
      assert.equal(ranking, r.ranking);
    }
  });
}

test("every pickle variant of tiny gives bit-identical logits", async () => {
  const goldens = readFixtureJson("tiny/model_goldens.json");
  const ids = goldens.cases[3].encoder_input_ids;
  let first: Float32Array | undefined;
  for (const { file } of goldens.checkpoints) {
    const model = await NeedleModel.load(`${FIXTURES}tiny/${file}`);
    const logits = model.logits(ids, [1, 4, 325]);
    model.dispose();
    if (first) assert.equal(logits, first, file);
    else first = logits;
  }
});

test.run();
