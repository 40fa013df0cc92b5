import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { type Checkpoint, expectedTensors, parseCheckpoint } from "../lib/load/checkpoint.ts";
import { resolveConfig } from "../lib/load/config.ts";
import { CheckpointError, PickleError } from "../lib/errors.ts";
import { FIXTURES } from "./helpers.ts";
import { CHECKPOINT_SCRIPT, TINY_VARIANTS, ffnFixture, halfToFloat, plain, runPython, throwsCode, tinyFixture } from "./pickle-helpers.ts";

interface ModelGoldens {
  stored_config: Record<string, unknown>;
  effective_config: Record<string, unknown>;
  param_tree: Record<string, [number[], string]>;
}

const goldens = (name: "tiny" | "ffn") => JSON.parse(readFileSync(`${FIXTURES}${name}/model_goldens.json`, "utf8")) as ModelGoldens;
const TINY = goldens("tiny");
const FFN = goldens("ffn");

const rejects = (bytes: Uint8Array, code: string, message?: string | RegExp) => throwsCode(() => parseCheckpoint(bytes), CheckpointError, code, message);

function shapesOf(checkpoint: Checkpoint): [string, number[], string][] {
  return [...checkpoint.tensors].map(([name, t]) => [name, t.shape, t.dtype]);
}

function expectedEntries(tree: ModelGoldens["param_tree"]): [string, number[], string][] {
  return Object.entries(tree).map(([name, [shape, dtype]]) => [name, shape, dtype]);
}

test("expectedTensors lists the fixtures' param_tree exactly, with and without the FFN path", () => {
  for (const g of [TINY, FFN]) {
    const expected = [...expectedTensors(resolveConfig(g.stored_config))];
    assert.equal(expected, Object.entries(g.param_tree).map(([name, [shape]]) => [name, shape]));
  }
  const real = expectedTensors(resolveConfig({ d_model: 512, num_heads: 8, num_kv_heads: 4, num_encoder_layers: 12, num_decoder_layers: 8 }));
  assert.equal(real.get("contrastive_hidden/kernel"), [512, 128]);
  assert.equal(real.get("decoder/layers/DecoderBlock_0/cross_attn/k_proj/kernel"), [8, 512, 256]);
  assert.is(real.get("log_temp")!.length, 0);
  const odd = expectedTensors(resolveConfig({ d_model: 54, num_heads: 3, num_kv_heads: 1 }));
  assert.equal(odd.get("contrastive_proj/kernel"), [13, 128], "d_model / 4 rounds down");
});

test("every tiny variant and the ffn checkpoint parse to the goldens' config and tree", () => {
  const cases: [string, Uint8Array, ModelGoldens][] = [...TINY_VARIANTS.map((v): [string, Uint8Array, ModelGoldens] => [v, tinyFixture(v), TINY]), ["ffn", ffnFixture(), FFN]];
  for (const [name, bytes, g] of cases) {
    const checkpoint = parseCheckpoint(bytes);
    assert.equal({ ...checkpoint.config }, g.effective_config, `${name} config`);
    assert.equal(plain(checkpoint.storedConfig), g.stored_config, `${name} stored config`);
    assert.equal(shapesOf(checkpoint), expectedEntries(g.param_tree), `${name} tensors`);
  }
});

test("the five tiny variants hold byte-identical tensors", () => {
  const reference = parseCheckpoint(tinyFixture("p4_numpy1"));
  for (const variant of TINY_VARIANTS) {
    const checkpoint = parseCheckpoint(tinyFixture(variant));
    assert.equal({ ...checkpoint.config }, { ...reference.config }, variant);
    for (const [name, tensor] of reference.tensors) {
      assert.ok(Buffer.from(checkpoint.tensors.get(name)!.data).equals(tensor.data), `${variant} ${name}`);
    }
  }
});

const NUMPY_VALUES_SCRIPT = String.raw`
import hashlib
def flatten(tree, prefix=""):
    for k, v in tree.items():
        name = f"{prefix}/{k}" if prefix else k
        if isinstance(v, dict): yield from flatten(v, name)
        else: yield name, v
result = {}
for which, path in (("tiny", "tiny/needle_tiny.p4_numpy1.pkl"), ("ffn", "ffn/needle_ffn.p4_numpy2.pkl")):
    ck = load_fixture(path)
    result[which] = {name: {"sha256": hashlib.sha256(np.ascontiguousarray(a).tobytes()).hexdigest(),
                            "first": a.reshape(-1)[:3].astype(np.float64).tolist(),
                            "last": float(a.reshape(-1)[-1])}
                     for name, a in flatten(ck["params"])}
`;

test("tensor bytes and values equal what numpy reads", () => {
  const { result } = runPython(NUMPY_VALUES_SCRIPT);
  const numpy = result as Record<string, Record<string, { sha256: string; first: number[]; last: number }>>;
  for (const [which, bytes] of [["tiny", tinyFixture("p5_numpy2")], ["ffn", ffnFixture()]] as const) {
    const checkpoint = parseCheckpoint(bytes);
    assert.equal([...checkpoint.tensors.keys()].sort(), Object.keys(numpy[which]!).sort());
    for (const [name, tensor] of checkpoint.tensors) {
      const want = numpy[which]![name]!;
      assert.is(createHash("sha256").update(tensor.data).digest("hex"), want.sha256, `${which} ${name}`);
      const halves = new DataView(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
      const n = tensor.data.byteLength / 2;
      const values = [0, 1, 2].filter((i) => i < n).map((i) => halfToFloat(halves.getUint16(2 * i, true)));
      assert.equal(values, want.first, `${which} ${name} first values`);
      assert.is(halfToFloat(halves.getUint16(2 * (n - 1), true)), want.last, `${which} ${name} last value`);
    }
  }
});

// Variants of the tiny checkpoint, re-pickled by Python with one change each.
const VARIANTS_SCRIPT = String.raw`
import copy
TINY = load_fixture("tiny/needle_tiny.p4_numpy1.pkl")
FFN = load_fixture("ffn/needle_ffn.p4_numpy2.pkl")
def enc(ck): return ck["params"]["encoder"]["layers"]["EncoderBlock_0"]
def variant(name, mutate, protocol=4, base=TINY, dumps=pickle.dumps):
    ck = copy.deepcopy(base)
    mutate(ck)
    out[name] = dumps(ck, protocol)
def map_tree(tree, f):
    return {k: map_tree(v, f) if isinstance(v, dict) else f(v) for k, v in tree.items()}
def fortran(a):
    return np.asfortranarray(a) if a.ndim > 1 else a  # asfortranarray would make a 0-d array 1-d
def ordered(tree):
    return collections.OrderedDict((k, ordered(v) if isinstance(v, dict) else v) for k, v in tree.items())

# Loadable.
variant("protocol 3", lambda ck: None, 3)
variant("protocol 2 numpy 2", lambda ck: None, 2, dumps=numpy2_dumps)
variant("ordered dicts", lambda ck: ck.update(params=ordered(ck["params"]), config=collections.OrderedDict(ck["config"])))
variant("fortran kernels", lambda ck: ck.update(params=map_tree(ck["params"], fortran)), 4)
variant("fortran kernels p5 numpy 2", lambda ck: ck.update(params=map_tree(ck["params"], fortran)), 5, dumps=numpy2_dumps)
variant("float32 tensors", lambda ck: ck.update(params=map_tree(ck["params"], lambda a: a.astype(np.float32))), 5)
variant("numpy scalar config", lambda ck: ck["config"].update(d_model=np.int64(64), rope_theta=np.float64(10000.0), no_feedforward=np.bool_(True)))
variant("extra top-level keys", lambda ck: ck.update(format_version=2, step=1000, run={"name": "x", "lr": 1e-3}))

# Checkpoint-level problems.
variant("missing tensor", lambda ck: enc(ck)["self_attn"]["k_proj"].pop("kernel"))
variant("wrong shape", lambda ck: enc(ck)["self_attn"]["q_proj"].update(kernel=np.zeros((2, 64, 63), np.float16)))
variant("0-d float32 gate", lambda ck: enc(ck).update(attn_gate=np.array(0.5, np.float32)))
variant("extra tensor", lambda ck: enc(ck).update(extra_gate=np.zeros(2, np.float16)))
variant("ffn tensors in a no-FFN checkpoint", lambda ck: enc(ck).update(ffn_gate=np.zeros(2, np.float16)))
variant("ffn checkpoint without FFN weights", lambda ck: enc(ck).pop("FeedForward_0"), base=FFN)
variant("bad config: heads", lambda ck: ck["config"].update(num_heads=5))
variant("bad config: activation", lambda ck: ck["config"].update(activation="relu"))
variant("bad config: float d_model", lambda ck: ck["config"].update(d_model=64.5))
variant("bad config: huge int", lambda ck: ck["config"].update(d_model=2**70))
variant("bad config: list", lambda ck: ck["config"].update(d_model=[64]))
variant("bad config: array", lambda ck: ck["config"].update(rope_theta=np.zeros(3, np.float16)))
variant("config not a dict", lambda ck: ck.update(config=[("d_model", 64)]))
variant("no params", lambda ck: ck.pop("params"))
variant("leaf is a list", lambda ck: ck["params"].update(log_temp=[1.0]))
variant("slash in a key", lambda ck: ck["params"].update({"contrastive_proj/kernel": ck["params"].pop("contrastive_proj")["kernel"]}))
variant("repeated dict", lambda ck: ck["params"]["decoder"].update(extra=ck["params"]["contrastive_proj"]))
out["not a dict"] = pickle.dumps([1, 2], 4)
class Call:
    def __reduce__(self): return (eval, ("1+1",))
variant("eval in the config", lambda ck: ck["config"].update(d_model=Call()))
`;

test("re-pickled checkpoints load: protocol 3, numpy 2 at protocol 2, OrderedDicts, Fortran order, float32, numpy scalars, extra keys", () => {
  const { out } = runPython(VARIANTS_SCRIPT);
  const reference = parseCheckpoint(tinyFixture("p4_numpy1"));
  for (const name of ["protocol 3", "protocol 2 numpy 2", "ordered dicts", "fortran kernels", "fortran kernels p5 numpy 2", "float32 tensors", "numpy scalar config", "extra top-level keys"]) {
    const checkpoint = parseCheckpoint(out.get(name)!);
    assert.equal({ ...checkpoint.config }, TINY.effective_config, name);
    assert.is(checkpoint.tensors.size, reference.tensors.size, name);
    for (const [tensorName, tensor] of reference.tensors) {
      const got = checkpoint.tensors.get(tensorName)!;
      assert.equal(got.shape, tensor.shape, `${name} ${tensorName}`);
      if (name === "float32 tensors") {
        assert.is(got.dtype, "float32");
        const f32 = new DataView(got.data.buffer, got.data.byteOffset, got.data.byteLength);
        const f16 = new DataView(tensor.data.buffer, tensor.data.byteOffset, tensor.data.byteLength);
        for (let i = 0; i < Math.min(50, got.data.byteLength / 4); i++) assert.is(f32.getFloat32(4 * i, true), halfToFloat(f16.getUint16(2 * i, true)));
      } else {
        assert.ok(Buffer.from(got.data).equals(tensor.data), `${name} ${tensorName}`);
      }
    }
  }
  assert.equal(plain(parseCheckpoint(out.get("numpy scalar config")!).storedConfig), { ...TINY.stored_config, rope_theta: 10000 });
});

test("each checkpoint-level problem raises its CheckpointError naming the tensor and shapes", () => {
  const { out } = runPython(VARIANTS_SCRIPT);
  const enc = "encoder/layers/EncoderBlock_0";
  const cases: [string, string, string][] = [
    ["missing tensor", "MISSING_TENSOR", `tensor ${enc}/self_attn/k_proj/kernel [2, 64, 32] is missing`],
    ["wrong shape", "SHAPE_MISMATCH", `tensor ${enc}/self_attn/q_proj/kernel has shape [2, 64, 63], expected [2, 64, 64]`],
    ["0-d float32 gate", "SHAPE_MISMATCH", `tensor ${enc}/attn_gate has shape [], expected [2]`],
    ["extra tensor", "UNEXPECTED_TENSOR", `unexpected tensor ${enc}/extra_gate [2]`],
    ["ffn tensors in a no-FFN checkpoint", "UNEXPECTED_TENSOR", `${enc}/ffn_gate`],
    ["ffn checkpoint without FFN weights", "MISSING_TENSOR", `${enc}/FeedForward_0/gate_proj/kernel [2, 48, 96]`],
    ["bad config: heads", "BAD_CONFIG", "config.d_model must be divisible by num_heads"],
    ["bad config: activation", "BAD_CONFIG", "config.activation"],
    ["bad config: float d_model", "BAD_CONFIG", "config.d_model must be a non-negative integer"],
    ["bad config: huge int", "BAD_CONFIG", "config.d_model must be a number, string or bool (got bigint)"],
    ["bad config: list", "BAD_CONFIG", "config.d_model must be a number, string or bool (got list)"],
    ["bad config: array", "BAD_CONFIG", "config.rope_theta must be a number, string or bool (got array)"],
    ["config not a dict", "NOT_A_CHECKPOINT", 'expected dicts under "params" and "config", got dict and list'],
    ["no params", "NOT_A_CHECKPOINT", "got nothing and dict"],
    ["not a dict", "NOT_A_CHECKPOINT", "the pickle holds a list, not a dict"],
    ["leaf is a list", "NOT_A_TENSOR", "params/log_temp is a list"],
    ["slash in a key", "BAD_TREE", 'params/contrastive_proj/kernel has an empty key or one containing "/"'],
    ["repeated dict", "BAD_TREE", "params/contrastive_proj repeats a dict that appears elsewhere"],
  ];
  for (const [name, code, message] of cases) rejects(out.get(name)!, code, message);
  throwsCode(() => parseCheckpoint(out.get("eval in the config")!), PickleError, "FORBIDDEN_GLOBAL", "builtins.eval");
  assert.is(parseCheckpoint(tinyFixture("p4_numpy1")).tensors.size, 31, "still healthy");
});

// A small checkpoint written by Python (CHECKPOINT_SCRIPT); the real Needle's
// 52 MB shapes are timed in benchmarks/checkpoint.bench.ts.

test("a checkpoint pickled by Python in protocols 2, 4 and 5 parses to every tensor, byte for byte the same", () => {
  const config = { vocab_size: 512, d_model: 32, num_heads: 4, num_kv_heads: 2, num_encoder_layers: 2, num_decoder_layers: 2, d_ff: 64, max_seq_len: 64, dtype: "bfloat16", activation: "drelu", no_feedforward: true, contrastive_dim: 16 };
  const dir = mkdtempSync(join(tmpdir(), "needle-pickle-"));
  try {
    const tensors = [...expectedTensors(resolveConfig(config))];
    runPython(CHECKPOINT_SCRIPT, JSON.stringify({ tensors, config, dir }));
    const parsed = [2, 4, 5].map((p) => parseCheckpoint(new Uint8Array(readFileSync(join(dir, `needle.p${p}.pkl`)))));
    for (const checkpoint of parsed) {
      assert.is(checkpoint.tensors.size, tensors.length);
      assert.is(checkpoint.tensors.get("embedding/embedding")!.data.byteLength, 512 * 32 * 2);
      for (const [name, tensor] of checkpoint.tensors) assert.equal(tensor.data, parsed[0]!.tensors.get(name)!.data, name);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test.run();
