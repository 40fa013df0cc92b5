// Bad input to NeedleModel is refused with typed errors, and the instance
// keeps giving the same answers afterwards.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { NeedleModel } from "../lib/engine/model.ts";
import { CheckpointError, InputError, NeedleError } from "../lib/errors.ts";
import { randomCheckpoint } from "./twins/random-checkpoint.ts";

const checkpoint = randomCheckpoint({ vocab_size: 100, d_model: 16, num_heads: 2, num_kv_heads: 1, num_encoder_layers: 1, num_decoder_layers: 1, contrastive_dim: 4 }, { seed: 3 });
const model = await NeedleModel.fromCheckpoint(checkpoint, { maxEncoderLength: 10, maxDecoderLength: 6 });
const enc = [5, 6, 7];
const reference = model.logits(enc, [1, 9]);

function throwsCode(fn: () => unknown, type: new (...a: any[]) => NeedleError, code: string): void {
  try {
    fn();
  } catch (err) {
    assert.instance(err, type, `expected ${type.name}, got ${(err as Error)?.constructor?.name}: ${(err as Error)?.message}`);
    assert.is((err as NeedleError).code, code);
    assert.equal(model.logits(enc, [1, 9]), reference, "the model still answers the same after the error");
    return;
  }
  assert.unreachable(`expected ${code}`);
}

test("token ids out of range, negative, fractional or NaN are refused", () => {
  for (const bad of [100, -1, 1.5, NaN, 2 ** 40]) {
    throwsCode(() => model.logits([5, bad], [1]), InputError, "BAD_TOKEN_ID");
    throwsCode(() => model.logits([5], [1, bad]), InputError, "BAD_TOKEN_ID");
    throwsCode(() => model.embed([bad]), InputError, "BAD_TOKEN_ID");
  }
});

test("encoder and decoder lengths are limited", () => {
  throwsCode(() => model.logits([], [1]), InputError, "EMPTY_ENCODER_INPUT");
  throwsCode(() => model.logits(new Array(11).fill(5), [1]), InputError, "ENCODER_TOO_LONG");
  throwsCode(() => model.embed(new Array(11).fill(5)), InputError, "ENCODER_TOO_LONG");
  throwsCode(() => model.logits(enc, []), InputError, "EMPTY_DECODER_INPUT");
  throwsCode(() => model.logits(enc, new Array(7).fill(1)), InputError, "DECODER_TOO_LONG");
  assert.is(model.logits(enc, new Array(6).fill(1)).length, 100);
});

test("greedy maxTokens must fit the decoder buffer", () => {
  for (const bad of [-1, 6, 1.5, NaN]) throwsCode(() => model.greedy(enc, { maxTokens: bad }), InputError, "BAD_MAX_TOKENS");
  assert.ok(model.greedy(enc, { maxTokens: 5 }).length <= 5);
  assert.equal(model.greedy(enc, { maxTokens: 0 }), []);
});

test("decodeStep positions must continue or rewind the sequence", () => {
  model.encode(enc);
  throwsCode(() => model.decodeStep(1, 1), InputError, "BAD_POSITION");
  model.encode(enc);
  model.decodeStep(1, 0);
  throwsCode(() => model.decodeStep(1, 2), InputError, "BAD_POSITION");
});

test("ids that are not arrays are refused", () => {
  throwsCode(() => model.logits(null as never, [1]), InputError, "BAD_IDS");
  throwsCode(() => model.embed(42 as never), InputError, "BAD_IDS");
});

test("load options are checked", async () => {
  for (const bad of [0, -5, 1.5, 1 << 20]) {
    try {
      await NeedleModel.fromCheckpoint(checkpoint, { maxEncoderLength: bad });
      assert.unreachable("accepted");
    } catch (err) {
      assert.instance(err, InputError);
    }
  }
});

test("a checkpoint holding NaN or infinite weights is refused", async () => {
  for (const bits of [0x7e00, 0x7c00, 0xfc00]) {
    const broken = randomCheckpoint({ vocab_size: 50, d_model: 8, num_heads: 2, num_kv_heads: 1, num_encoder_layers: 1, num_decoder_layers: 1, contrastive_dim: 4 });
    const t = broken.tensors.get("decoder/layers/DecoderBlock_0/cross_attn/v_proj/kernel")!;
    new DataView(t.data.buffer, t.data.byteOffset).setUint16(6, bits, true);
    try {
      await NeedleModel.fromCheckpoint(broken);
      assert.unreachable("accepted");
    } catch (err) {
      assert.instance(err, CheckpointError);
      assert.is((err as CheckpointError).code, "NON_FINITE_WEIGHTS");
      assert.match((err as Error).message, /cross_attn\/v_proj/);
    }
  }
});

test("a disposed model refuses every call", () => {
  const logits = model.logits(enc, [1]);
  assert.is(logits.length, 100);
  model.dispose();
  for (const call of [() => model.logits(enc, [1]), () => model.greedy(enc), () => model.embed(enc), () => model.encode(enc)]) {
    try {
      call();
      assert.unreachable("worked after dispose");
    } catch (err) {
      assert.is((err as NeedleError).code, "DISPOSED");
    }
  }
});

test.run();
