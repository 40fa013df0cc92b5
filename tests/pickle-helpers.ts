// Shared by the pickle and checkpoint tests: Python-made pickles generated at
// test time with Debian's /usr/bin/python3 and its numpy (CI: apt
// python3-numpy), hand-assembled opcode streams, and error assertions.

import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import * as assert from "uvu/assert";
import { NeedleError } from "../lib/errors.ts";
import { NdArray } from "../lib/load/pickle/reader.ts";
import { FIXTURES } from "./helpers.ts";

export const TINY_VARIANTS = ["p2_numpy1", "p4_numpy1", "p4_numpy2", "p5_numpy1", "p5_numpy2"] as const;

export function tinyFixture(variant: (typeof TINY_VARIANTS)[number]): Uint8Array {
  return new Uint8Array(readFileSync(`${FIXTURES}tiny/needle_tiny.${variant}.pkl`));
}

export function ffnFixture(): Uint8Array {
  return new Uint8Array(readFileSync(`${FIXTURES}ffn/needle_ffn.p4_numpy2.pkl`));
}

/** `python3` on PATH may be a pyenv without numpy; Debian's has it. */
const PYTHON = "/usr/bin/python3";

const PRELUDE = String.raw`
import base64, collections, io, json, pickle, pickletools, sys, types
import numpy as np

FIXTURES = ${JSON.stringify(FIXTURES)}

# numpy 1.x cannot load numpy 2 pickles on its own: alias numpy._core to numpy.core.
sys.modules.setdefault("numpy._core", np.core)
sys.modules.setdefault("numpy._core.multiarray", np.core.multiarray)
sys.modules.setdefault("numpy._core.numeric", np.core.numeric)

def load_fixture(path):
    with open(FIXTURES + path, "rb") as f:
        return pickle.load(f)

_NUMPY2 = {
    np.core.multiarray._reconstruct: ("numpy._core.multiarray", "_reconstruct"),
    np.core.multiarray.scalar: ("numpy._core.multiarray", "scalar"),
    np.core.numeric._frombuffer: ("numpy._core.numeric", "_frombuffer"),
}

class _Numpy2Pickler(pickle._Pickler):
    def memoize(self, obj):
        # The pure-Python pickler memoizes each in-band PickleBuffer copy; two empty
        # arrays share the b"" singleton, which it would assert on.
        if id(obj) not in self.memo:
            super().memoize(obj)

    def reducer_override(self, obj):
        if isinstance(obj, (np.ndarray, np.generic)):
            rv = obj.__reduce_ex__(self.proto)
            if rv[0] in _NUMPY2:
                return (_Numpy2Global(*_NUMPY2[rv[0]]),) + tuple(rv[1:])
        return NotImplemented

class _Numpy2Global:
    """Pickles as the global reference module.name (written by numpy2_dumps)."""
    def __init__(self, module, name):
        self.module, self.name = module, name
    def __call__(self, *args):
        raise RuntimeError("only pickled, never called")
    def __reduce__(self):
        return self.name

def numpy2_dumps(obj, protocol):
    """pickle.dumps as numpy 2.x writes it (numpy._core.* globals), made with numpy 1.x."""
    buf = io.BytesIO()
    pickler = _Numpy2Pickler(buf, protocol)
    def save_global(obj, name=None, _orig=pickler.save_global):
        if isinstance(obj, _Numpy2Global):
            return _write_global(pickler, obj.module, obj.name)
        return _orig(obj, name)
    pickler.save_global = save_global
    pickler.dump(obj)
    return buf.getvalue()

def _write_global(pickler, module, name):
    if pickler.proto >= 4:
        pickler.save(module)
        pickler.save(name)
        pickler.write(pickle.STACK_GLOBAL)
    else:
        pickler.write(pickle.GLOBAL + module.encode() + b"\n" + name.encode() + b"\n")

out = {}
result = None
`;

const EPILOGUE = String.raw`
sys.stdout.write(json.dumps({"out": {k: base64.b64encode(v).decode() for k, v in out.items()}, "result": result}))
`;

export interface PythonRun {
  /** Whatever the script put in `out` (name → bytes). */
  out: Map<string, Uint8Array>;
  /** Whatever the script assigned to `result` (JSON). */
  result: unknown;
}

/** Run a Python snippet (numpy imported as np, helpers above) and collect `out` and `result`. */
export function runPython(script: string, stdin = ""): PythonRun {
  const stdout = execFileSync(PYTHON, ["-c", `${PRELUDE}\n${script}\n${EPILOGUE}`], {
    input: stdin,
    maxBuffer: 1 << 28,
    encoding: "utf8",
  });
  const parsed = JSON.parse(stdout) as { out: Record<string, string>; result: unknown };
  const out = new Map<string, Uint8Array>();
  for (const [name, b64] of Object.entries(parsed.out)) out.set(name, new Uint8Array(Buffer.from(b64, "base64")));
  return { out, result: parsed.result };
}

/** A hand-written pickle: numbers are single bytes, strings latin-1 bytes. */
export function pk(...parts: (number | string | number[] | Uint8Array)[]): Uint8Array {
  const bytes: number[] = [];
  for (const part of parts) {
    if (typeof part === "number") bytes.push(part);
    else if (typeof part === "string") for (let i = 0; i < part.length; i++) bytes.push(part.charCodeAt(i));
    else for (const b of part) bytes.push(b);
  }
  return new Uint8Array(bytes);
}

export function u32(n: number): number[] {
  return [n & 0xff, (n >>> 8) & 0xff, (n >>> 16) & 0xff, (n >>> 24) & 0xff];
}

export function u64(n: number | bigint): number[] {
  const v = BigInt(n);
  return [...u32(Number(v & 0xffffffffn)), ...u32(Number(v >> 32n))];
}

/** Assert that `fn` throws a NeedleError of exactly this class and code (and message part). */
export function throwsCode(fn: () => unknown, type: typeof NeedleError, code: string, message?: string | RegExp): NeedleError {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof NeedleError && err.constructor === type, `expected ${type.name} ${code}, got ${String(err)}`);
    const e = err as NeedleError;
    assert.is(e.code, code, `expected code ${code}, got ${e.code}: ${e.message}`);
    if (typeof message === "string") assert.ok(e.message.includes(message), `message ${JSON.stringify(e.message)} lacks ${JSON.stringify(message)}`);
    else if (message) assert.match(e.message, message);
    return e;
  }
  assert.unreachable(`expected ${type.name} ${code}, nothing was thrown`);
  throw new Error("unreachable");
}

/** Results as plain JSON-like data for deep equality: dicts → objects, arrays and bytes → hex. */
export function plain(v: unknown): unknown {
  if (v instanceof NdArray) return { dtype: v.dtype, shape: v.shape, hex: Buffer.from(v.data).toString("hex") };
  if (v instanceof Uint8Array) return { bytes: Buffer.from(v).toString("hex") };
  if (Array.isArray(v)) return v.map(plain);
  if (typeof v === "object" && v !== null) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)]));
  return v;
}

/** IEEE half bits → number. */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}

/** Python: pickle a random float16 checkpoint (stdin: { tensors: [name, shape][], config, dir }) to dir/needle.p{2,4,5}.pkl. */
export const CHECKPOINT_SCRIPT = String.raw`
spec = json.load(sys.stdin)
rng = np.random.default_rng(0)
params = {}
for name, shape in spec["tensors"]:
    node = params
    *parents, leaf = name.split("/")
    for p in parents: node = node.setdefault(p, {})
    node[leaf] = rng.standard_normal(int(np.prod(shape)), dtype=np.float32).astype(np.float16).reshape(shape)
ck = {"params": params, "config": spec["config"]}
for p in (2, 4, 5):
    with open(f"{spec['dir']}/needle.p{p}.pkl", "wb") as f:
        pickle.dump(ck, f, p)
`;
