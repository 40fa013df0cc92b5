// Multi-threaded prefill (build/needle-mt.wasm + workers) gives the same
// results as one thread, bit for bit, for every weight format and shape.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { NeedleModel } from "../lib/engine/model.ts";
import { type WeightDtype } from "../lib/engine/open.ts";
import { InputError } from "../lib/errors.ts";
import { parseCheckpoint } from "../lib/load/checkpoint.ts";
import { readFixture, readFixtureJson } from "./helpers.ts";
import { randomCheckpoint } from "./twins/random-checkpoint.ts";

const goldens = readFixtureJson("tiny/model_goldens.json");
const tiny = parseCheckpoint(readFixture("tiny/needle_tiny.p4_numpy1.pkl"));

test("2 and 3 threads equal 1 thread exactly on the fixture, for every format", async () => {
  for (const dtype of ["f32", "f16", "int8", "int4"] as WeightDtype[]) {
    const one = await NeedleModel.fromCheckpoint(tiny, { dtype });
    for (const threads of [2, 3]) {
      const many = await NeedleModel.fromCheckpoint(tiny, { dtype, threads });
      assert.is(many.threads, threads);
      for (const c of goldens.cases) {
        many.encode(c.encoder_input_ids);
        one.encode(c.encoder_input_ids);
        assert.equal(many.encoderOutput(), one.encoderOutput(), `${dtype} ${threads} threads ${c.id}`);
        assert.equal(many.greedy(c.encoder_input_ids, { maxTokens: 12 }), one.greedy(c.encoder_input_ids, { maxTokens: 12 }));
      }
      many.dispose();
    }
    one.dispose();
  }
});

test("threads on odd shapes: FFN, MQA, lengths not multiples of the shares", async () => {
  const ckpt = randomCheckpoint({ vocab_size: 300, d_model: 48, num_heads: 3, num_kv_heads: 1, num_encoder_layers: 2, num_decoder_layers: 2, d_ff: 40, activation: "geglu", no_feedforward: false, contrastive_dim: 8 });
  const one = await NeedleModel.fromCheckpoint(ckpt, { maxEncoderLength: 64 });
  const two = await NeedleModel.fromCheckpoint(ckpt, { maxEncoderLength: 64, threads: 2 });
  for (const n of [1, 2, 3, 5, 17, 64]) {
    const ids = Array.from({ length: n }, (_, i) => 7 + ((i * 37) % 280));
    one.encode(ids);
    two.encode(ids);
    assert.equal(two.encoderOutput(), one.encoderOutput(), `n=${n}`);
    assert.equal(two.embed(ids), one.embed(ids));
  }
  one.dispose();
  two.dispose();
});

test("the threads option is checked, and \"auto\" picks at least one", async () => {
  for (const bad of [0, -1, 1.5, 100, "all"]) {
    await NeedleModel.fromCheckpoint(tiny, { threads: bad as never }).then(
      () => assert.unreachable(`accepted ${bad}`),
      (err) => assert.instance(err, InputError),
    );
  }
  const auto = await NeedleModel.fromCheckpoint(tiny, { threads: "auto" });
  assert.ok(auto.threads >= 1);
  auto.dispose();
});

test.run();
