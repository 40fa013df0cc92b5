import { test } from "uvu";
import * as assert from "uvu/assert";
import { expectedTensors, parseCheckpoint } from "../lib/load/checkpoint.ts";
import { resolveConfig } from "../lib/load/config.ts";
import { CheckpointError, PickleError } from "../lib/errors.ts";
import { runPython } from "./pickle-helpers.ts";

// A small but complete checkpoint (FFN path, a numpy-scalar config value),
// pickled five ways; Python also lists every opcode's offset and name.
const CONFIG = {
  vocab_size: 16, d_model: 8, num_heads: 2, num_kv_heads: 1, num_encoder_layers: 1, num_decoder_layers: 1,
  d_ff: 16, max_seq_len: 32, activation: "swiglu", no_feedforward: false, contrastive_dim: 4, rope_theta: 10000.0,
};

const SCRIPT = String.raw`
spec = json.load(sys.stdin)
rng = np.random.default_rng(1)
params = {}
for name, shape in spec["tensors"]:
    node = params
    *parents, leaf = name.split("/")
    for p in parents: node = node.setdefault(p, {})
    node[leaf] = rng.standard_normal(shape).astype(np.float16)
config = dict(spec["config"], rope_theta=np.float64(spec["config"]["rope_theta"]))
ck = {"params": params, "config": config}
pickles = {"p2": pickle.dumps(ck, 2), "p4": pickle.dumps(ck, 4), "p5": pickle.dumps(ck, 5),
           "p4_numpy2": numpy2_dumps(ck, 4), "p5_numpy2": numpy2_dumps(ck, 5)}
result = {}
for name, data in pickles.items():
    out[name] = data
    result[name] = [[pos, op.name] for op, arg, pos in pickletools.genops(data)]
`;

/** Width of the length, index or integer argument right after each opcode. */
const ARG_WIDTH: Record<string, number> = {
  PROTO: 1, FRAME: 8, BININT: 4, BININT1: 1, BININT2: 2, LONG1: 1, LONG4: 4,
  SHORT_BINBYTES: 1, BINBYTES: 4, BINBYTES8: 8, BYTEARRAY8: 8,
  SHORT_BINUNICODE: 1, BINUNICODE: 4, BINUNICODE8: 8,
  BINGET: 1, LONG_BINGET: 4, BINPUT: 1, LONG_BINPUT: 4,
};

const VARIANTS_PER_BASE = 2500;
const INTERESTING_BYTES = [0x00, 0x01, 0x7f, 0x80, 0xfe, 0xff, 0x28, 0x2e, 0x4e, 0x52, 0x62, 0x74, 0x85, 0x94];

function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Opcode = [offset: number, name: string];
type Mutation = (input: Uint8Array, ops: Opcode[], next: () => number) => Uint8Array;

const pick = <T>(items: readonly T[], next: () => number): T => items[Math.floor(next() * items.length)]!;
const below = (n: number, next: () => number) => Math.floor(next() * n);

const MUTATIONS: Record<string, Mutation> = {
  "bit flips": (input, _ops, next) => {
    const out = input.slice();
    for (let k = 1 + below(4, next); k > 0; k--) out[below(out.length, next)]! ^= 1 << below(8, next);
    return out;
  },
  "byte overwrites": (input, _ops, next) => {
    const out = input.slice();
    for (let k = 1 + below(4, next); k > 0; k--) out[below(out.length, next)] = next() < 0.5 ? pick(INTERESTING_BYTES, next) : below(256, next);
    return out;
  },
  "opcode replaced": (input, ops, next) => {
    const out = input.slice();
    out[pick(ops, next)[0]] = below(256, next);
    return out;
  },
  truncation: (input, _ops, next) => input.slice(0, below(input.length, next)),
  "duplicated span": (input, _ops, next) => {
    const from = below(input.length, next);
    const span = input.subarray(from, from + 1 + below(64, next));
    const at = below(input.length, next);
    return Uint8Array.from([...input.subarray(0, at), ...span, ...input.subarray(at)]);
  },
  "deleted span": (input, _ops, next) => {
    const from = below(input.length, next);
    return Uint8Array.from([...input.subarray(0, from), ...input.subarray(from + 1 + below(64, next))]);
  },
  "absurd length": (input, ops, next) => {
    const out = input.slice();
    const withArgs = ops.filter(([, name]) => ARG_WIDTH[name] !== undefined);
    const [offset, name] = pick(withArgs, next);
    const width = ARG_WIDTH[name]!;
    const view = new DataView(out.buffer);
    const remaining = out.length - offset - 1 - width;
    const values = [2n ** BigInt(8 * width) - 1n, 2n ** BigInt(8 * width - 1), 2n ** BigInt(8 * width - 1) - 1n, BigInt(Math.max(0, remaining + 1)), BigInt(Math.max(0, remaining - 1)), 0n, 2n ** 32n, 2n ** 53n];
    const value = pick(values, next) & (2n ** BigInt(8 * width) - 1n);
    for (let b = 0; b < width && offset + 1 + b < out.length; b++) view.setUint8(offset + 1 + b, Number((value >> BigInt(8 * b)) & 0xffn));
    return out;
  },
};

test(`${5 * VARIANTS_PER_BASE} mutated pickles either parse or throw PickleError/CheckpointError, fast and within the input's size`, () => {
  const tensors = [...expectedTensors(resolveConfig(CONFIG))];
  const { out: bases, result } = runPython(SCRIPT, JSON.stringify({ tensors, config: CONFIG }));
  const opcodes = result as Record<string, Opcode[]>;
  const outcomes = new Map<string, number>();
  const byMutation = new Map<string, number>();
  const failures: string[] = [];
  let slowest = 0;
  let mostGrowth = -Infinity;
  const next = prng(20260524);
  const names = Object.keys(MUTATIONS);
  const t0 = performance.now();
  for (const [baseName, base] of bases) {
    assert.is(parseCheckpoint(base).tensors.size, tensors.length, `${baseName} parses unmutated`);
    const ops = opcodes[baseName]!;
    for (let v = 0; v < VARIANTS_PER_BASE; v++) {
      // One mutation, or a stack of two or three.
      const applied = Array.from({ length: next() < 0.7 ? 1 : 2 + below(2, next) }, () => pick(names, next));
      const variant = applied.reduce((input, name) => MUTATIONS[name]!(input, ops, next), base);
      const before = process.memoryUsage().arrayBuffers;
      const start = performance.now();
      let outcome: string;
      try {
        const checkpoint = parseCheckpoint(variant);
        outcome = checkpoint.tensors.size === tensors.length ? "parsed" : "parsed with a wrong tensor count";
      } catch (err) {
        outcome = err instanceof PickleError || err instanceof CheckpointError ? `${err.name} ${err.code}` : `other: ${String(err)}`;
      }
      const ms = performance.now() - start;
      const growth = process.memoryUsage().arrayBuffers - before;
      slowest = Math.max(slowest, ms);
      mostGrowth = Math.max(mostGrowth, growth);
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      for (const name of applied) byMutation.set(name, (byMutation.get(name) ?? 0) + 1);
      const what = `${baseName} variant ${v} (${applied.join(" + ")})`;
      if (outcome.startsWith("other") || outcome.startsWith("parsed with")) failures.push(`${what}: ${outcome}`);
      if (ms > 1000) failures.push(`${what}: took ${ms.toFixed(0)} ms`);
      if (growth > variant.length + 65536) failures.push(`${what}: ArrayBuffers grew by ${growth} bytes for a ${variant.length}-byte input`);
    }
  }
  const total = performance.now() - t0;
  console.log(`  ${5 * VARIANTS_PER_BASE} variants of ${[...bases].map(([n, b]) => `${n} (${b.length} B)`).join(", ")} in ${(total / 1000).toFixed(1)} s; slowest ${slowest.toFixed(1)} ms; largest ArrayBuffer growth ${mostGrowth} B`);
  console.log(`  mutations applied: ${[...byMutation].map(([n, c]) => `${n} ${c}`).join(", ")}`);
  for (const [outcome, count] of [...outcomes].sort((a, b) => b[1] - a[1])) console.log(`  ${String(count).padStart(6)}  ${outcome}`);
  assert.equal(failures.slice(0, 20), []);
  assert.ok((outcomes.get("parsed") ?? 0) > 0, "some variants still parse");
  assert.ok(outcomes.size > 12, "rejections cover many error codes");
});

test.run();
