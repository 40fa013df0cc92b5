// The engine against the plain TypeScript twin (tests/twins/forward.ts) on
// random configs the fixtures do not cover: multi-query and grouped heads,
// odd widths and head sizes, every FFN activation, other pad ids and RoPE
// thetas, padding inside encoder and decoder inputs, long decoder prefixes.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { NeedleModel } from "../lib/engine/model.ts";
import type { NeedleConfig } from "../lib/load/config.ts";
import { parseCheckpoint } from "../lib/load/checkpoint.ts";
import { assertClose, randomInt, readFixture, readFixtureJson, rng } from "./helpers.ts";
import { TwinModel } from "./twins/forward.ts";
import { randomCheckpoint } from "./twins/random-checkpoint.ts";

const CONFIGS: Partial<NeedleConfig>[] = [
  { vocab_size: 300, d_model: 48, num_heads: 3, num_kv_heads: 1, num_encoder_layers: 2, num_decoder_layers: 2, d_ff: 40, activation: "swiglu", no_feedforward: false, contrastive_dim: 16 },
  { vocab_size: 257, d_model: 36, num_heads: 6, num_kv_heads: 3, num_encoder_layers: 1, num_decoder_layers: 3, d_ff: 37, activation: "geglu", no_feedforward: false, contrastive_dim: 7, rope_theta: 500000 },
  { vocab_size: 512, d_model: 64, num_heads: 4, num_kv_heads: 4, num_encoder_layers: 3, num_decoder_layers: 1, d_ff: 50, activation: "drelu", no_feedforward: false, contrastive_dim: 12 },
  { vocab_size: 199, d_model: 20, num_heads: 2, num_kv_heads: 1, num_encoder_layers: 2, num_decoder_layers: 2, contrastive_dim: 5, pad_token_id: 7 },
  { vocab_size: 640, d_model: 128, num_heads: 8, num_kv_heads: 2, num_encoder_layers: 2, num_decoder_layers: 2, contrastive_dim: 32 },
];

const TOL = 5e-4;
const next = rng(909);

test("the twin itself reproduces the fixtures' first-step logits (so it is a fair oracle)", () => {
  for (const [dir, file] of [["tiny", "needle_tiny.p5_numpy2.pkl"], ["ffn", "needle_ffn.p4_numpy2.pkl"]]) {
    const goldens = readFixtureJson(`${dir}/model_goldens.json`);
    const ckpt = parseCheckpoint(readFixture(`${dir}/${file}`));
    const twin = new TwinModel(ckpt.config, ckpt.tensors);
    for (const c of goldens.cases.slice(0, 3)) {
      const bytes = Buffer.from(c.first_step_logits.b64_f64, "base64");
      const want = new Float64Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
      assertClose(twin.logits(c.encoder_input_ids, [1]), want, TOL, `${dir}/${c.id}`);
    }
  }
});

for (const [index, stored] of CONFIGS.entries()) {
  const checkpoint = randomCheckpoint(stored, { seed: 100 + index, dtype: index % 2 ? "float32" : "float16" });
  const config = checkpoint.config;
  const twin = new TwinModel(config, checkpoint.tensors);
  const model = await NeedleModel.fromCheckpoint(checkpoint, { maxEncoderLength: 80, maxDecoderLength: 24 });
  const name = `d${config.d_model} h${config.num_heads}/${config.num_kv_heads} ${config.no_feedforward ? "no-ffn" : config.activation}`;
  const randomIds = (n: number, padRate: number) =>
    Array.from({ length: n }, () => (next() < padRate ? config.pad_token_id : randomInt(next, 0, config.vocab_size - 1)));

  test(`${name}: encoder output equals the twin's, with padding in the input`, () => {
    for (const n of [1, 2, 5, 17, 80]) {
      const ids = randomIds(n, 0.15);
      ids[0] = (config.pad_token_id + 1) % config.vocab_size;
      model.encode(ids);
      assertClose(model.encoderOutput(), twin.encode(ids), TOL, `n=${n}`);
    }
  });

  test(`${name}: decoder logits equal the twin's at every position, with padding in the decoder input`, () => {
    const encIds = randomIds(randomInt(next, 3, 40), 0.1);
    encIds[0] = 1;
    const decIds = [1, ...randomIds(12, 0.2)];
    twin.encode(encIds);
    model.encode(encIds);
    for (let pos = 0; pos < decIds.length; pos++) {
      assertClose(model.decodeStep(decIds[pos]!, pos), twin.decodeStep(decIds[pos]!, pos), TOL, `pos ${pos}`);
    }
  });

  test(`${name}: going back to an earlier position recomputes from there`, () => {
    const encIds = randomIds(9, 0);
    const a = model.logits(encIds, [1, 5, 6, 7]);
    model.encode(encIds);
    for (const [pos, t] of [1, 9, 9, 9].entries()) model.decodeStep(t, pos);
    model.decodeStep(5, 1);
    model.decodeStep(6, 2);
    assertClose(model.decodeStep(7, 3), a, 0, "rewound");
  });

  test(`${name}: embeddings equal the twin's, including the empty text`, () => {
    for (const n of [0, 1, 4, 30]) {
      const ids = randomIds(n, 0.2);
      assertClose(model.embed(ids), twin.embed(ids), 1e-5, `n=${n}`);
    }
  });

  test(`${name}: greedy ids follow the twin's argmax`, () => {
    const encIds = randomIds(15, 0);
    const ids = model.greedy(encIds, { maxTokens: 10 });
    const dec = [1];
    for (const id of ids) {
      const logits = twin.logits(encIds, dec);
      let best = 0;
      for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
      assert.is(id, best);
      dec.push(id);
    }
  });
}

test.run();
