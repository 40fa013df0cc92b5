import { test } from "uvu";
import * as assert from "uvu/assert";
import { PickleError } from "../lib/errors.ts";
import { NdArray, unpickle } from "../lib/load/pickle/reader.ts";
import { TINY_VARIANTS, pk, plain, runPython, throwsCode, tinyFixture, u32, u64 } from "./pickle-helpers.ts";

const P2 = [0x80, 2];
const P4 = [0x80, 4];
const P5 = [0x80, 5];

const rejects = (bytes: Uint8Array, code: string, message?: string | RegExp) => throwsCode(() => unpickle(bytes), PickleError, code, message);

/** Every array in a nested dict, by "/"-joined path. */
function arraysOf(tree: unknown, prefix = "", found = new Map<string, NdArray>()): Map<string, NdArray> {
  for (const [key, value] of Object.entries(tree as Record<string, unknown>)) {
    const path = prefix ? `${prefix}/${key}` : key;
    if (value instanceof NdArray) found.set(path, value);
    else if (typeof value === "object" && value !== null) arraysOf(value, path, found);
  }
  return found;
}

// Plain Python values at protocols 2 to 5, and as numpy 2.x writes them.
const VALUES_SCRIPT = String.raw`
shared = [1]
values = {
    "none": None, "true": True, "false": False,
    "ints": [0, 7, 255, 256, 65535, 65536, -1, -2**31, 2**31 - 1, 2**31, 2**40, 2**47, -2**47, 2**53 - 1],
    "bigints": [2**53 + 1, -2**53 - 1, 2**63, -2**63, 2**64, -2**70],
    "floats": [0.1, -2.5, 1e308, float("inf"), float("-inf"), float("nan")],
    "strs": ["", "héllo ✓ 𝄞", "\ufeffbom", "a" * 300, "ü✓" * 2000],
    "bytes": [b"", b"\x00\xff", bytes(range(256)) * 2],
    "bytearray": bytearray(b"xy"),
    "tuples": [(), (1,), (1, "a"), (1, 2, 3), (1, 2, 3, 4)],
    "nested": [[1], [2, [3]], {}],
    "ordered": collections.OrderedDict([("b", 1), ("a", 2)]),
    "long key": {"k" * 5000: 1},
    "scalars": [np.float64(3.5), np.float32(1.5), np.float16(0.5), np.int64(-7), np.int32(5), np.uint8(200),
                np.uint64(2**64 - 1), np.int64(2**60), np.bool_(True), np.bool_(False)],
    "p": shared, "q": shared,
}
for p in (2, 3, 4, 5):
    out[f"p{p}"] = pickle.dumps(values, p)
for p in (2, 4, 5):
    out[f"p{p}_numpy2"] = numpy2_dumps(values, p)
`;

const EXPECTED_VALUES = {
  none: null, true: true, false: false,
  ints: [0, 7, 255, 256, 65535, 65536, -1, -(2 ** 31), 2 ** 31 - 1, 2 ** 31, 2 ** 40, 2 ** 47, -(2 ** 47), 2 ** 53 - 1],
  bigints: [2n ** 53n + 1n, -(2n ** 53n) - 1n, 2n ** 63n, -(2n ** 63n), 2n ** 64n, -(2n ** 70n)],
  floats: [0.1, -2.5, 1e308, Infinity, -Infinity, NaN],
  strs: ["", "héllo ✓ 𝄞", "\ufeffbom", "a".repeat(300), "ü✓".repeat(2000)],
  bytes: [{ bytes: "" }, { bytes: "00ff" }, { bytes: Buffer.from([...Array(256).keys(), ...Array(256).keys()]).toString("hex") }],
  bytearray: { bytes: "7879" },
  tuples: [[], [1], [1, "a"], [1, 2, 3], [1, 2, 3, 4]],
  nested: [[1], [2, [3]], {}],
  ordered: { b: 1, a: 2 },
  "long key": { ["k".repeat(5000)]: 1 },
  scalars: [3.5, 1.5, 0.5, -7, 5, 200, 2n ** 64n - 1n, 2n ** 60n, true, false],
  p: [1], q: [1],
};

test("Python values of every kind read back at protocols 2-5 and from numpy 2 pickles", () => {
  const { out } = runPython(VALUES_SCRIPT);
  assert.is(out.size, 7);
  for (const [name, bytes] of out) {
    const value = unpickle(bytes) as Record<string, unknown>;
    assert.equal(plain(value), EXPECTED_VALUES, name);
    assert.is(Object.getPrototypeOf(value), null, `${name}: dicts are null-prototype objects`);
    assert.is(value.p, value.q, `${name}: shared references stay shared`);
  }
});

const ARRAYS_SCRIPT = String.raw`
arrays = {
    "f2": np.arange(6, dtype=np.float16).reshape(2, 3),
    "f4": (np.arange(24, dtype=np.float32) / 7).reshape(2, 3, 4),
    "f2_fortran": np.asfortranarray((np.arange(24, dtype=np.float16) - 5).reshape(2, 3, 4)),
    "f4_fortran": np.asfortranarray(np.linspace(-1, 1, 10, dtype=np.float32).reshape(2, 5)),
    "transposed": np.arange(6, dtype=np.float16).reshape(2, 3).T,
    "strided": np.arange(12, dtype=np.float32).reshape(3, 4)[:, ::2],
    "readonly": np.frombuffer(np.arange(3, dtype=np.float32).tobytes(), dtype=np.float32),
    "explicit_le": np.arange(3, dtype="<f2"),
    "zero_d": np.array(1.5, dtype=np.float32),
    "empty": np.zeros((0, 3), dtype=np.float16),
    "empty_fortran": np.asfortranarray(np.zeros((2, 0), dtype=np.float32)),
}
result = {k: {"dtype": str(a.dtype), "shape": list(a.shape), "hex": np.ascontiguousarray(a).tobytes().hex()} for k, a in arrays.items()}
for p in (2, 3, 4, 5):
    out[f"p{p}"] = pickle.dumps(arrays, p)
for p in (2, 4, 5):
    out[f"p{p}_numpy2"] = numpy2_dumps(arrays, p)
`;

test("float16/float32 arrays (C, Fortran, strided, read-only, 0-d, empty) equal numpy's C-order bytes", () => {
  const { out, result } = runPython(ARRAYS_SCRIPT);
  for (const [name, bytes] of out) assert.equal(plain(unpickle(bytes)), result, name);
});

test("the five tiny fixture variants give identical trees; protocols 4/5 keep arrays as views into the input", () => {
  const reference = unpickle(tinyFixture("p4_numpy1"));
  for (const variant of TINY_VARIANTS) {
    const input = tinyFixture(variant);
    const tree = unpickle(input) as Record<string, unknown>;
    assert.equal(plain(tree), plain(reference), variant);
    const arrays = arraysOf(tree.params);
    assert.is(arrays.size, 31, variant);
    for (const [path, array] of arrays) {
      const inInput = array.data.buffer === input.buffer;
      assert.is(inInput, variant !== "p2_numpy1", `${variant} ${path}: view into the input`);
    }
  }
});

const HOSTILE_SCRIPT = String.raw`
import builtins, os, subprocess
class Call:
    def __init__(self, f, args): self.f, self.args = f, args
    def __reduce__(self): return (self.f, self.args)
out["os.system p2"] = pickle.dumps(Call(os.system, ("echo pwned",)), 2)
out["os.system p4"] = pickle.dumps(Call(os.system, ("echo pwned",)), 4)
out["builtins.eval"] = pickle.dumps(Call(builtins.eval, ("1+1",)), 4)
out["subprocess.Popen"] = pickle.dumps(Call(subprocess.Popen, (["true"],)), 5)
out["collections.Counter"] = pickle.dumps(collections.Counter(a=1), 4)
out["int64"] = pickle.dumps({"w": np.arange(3, dtype=np.int64)}, 4)
out["float64"] = pickle.dumps({"w": np.arange(3, dtype=np.float64)}, 5)
out["object"] = pickle.dumps({"w": np.array([1, "a"], dtype=object)}, 4)
out["object p5"] = pickle.dumps({"w": np.array([1, "a"], dtype=object)}, 5)
out["complex64"] = pickle.dumps(np.zeros(2, dtype=np.complex64), 4)
out["datetime64"] = pickle.dumps(np.array(["2020-01-01"], dtype="datetime64[D]"), 4)
out["big-endian float16"] = pickle.dumps({"w": np.arange(3, dtype=">f2")}, 4)
out["big-endian float32 p5"] = pickle.dumps({"w": np.arange(3, dtype=">f4")}, 5)
out["structured"] = pickle.dumps(np.zeros(2, dtype=[("a", "<f2")]), 4)
out["protocol 0"] = pickle.dumps({"w": [1, 2.5, "x"]}, 0)
out["protocol 1"] = pickle.dumps({"w": [1, 2.5, "x"]}, 1)
out["out-of-band buffer"] = pickle.dumps(pickle.PickleBuffer(b"abc"), 5, buffer_callback=lambda b: False)
out["int key"] = pickle.dumps({1: 2}, 4)
cycle = []
cycle.append(cycle)
out["cycle"] = pickle.dumps(cycle, 4)
out["set"] = pickle.dumps({1, 2}, 4)
out["bare dtype"] = pickle.dumps(np.dtype("f2"), 4)
out["str scalar"] = pickle.dumps(np.str_("x"), 4)
`;

const HOSTILE_EXPECTED: Record<string, [string, string]> = {
  "os.system p2": ["FORBIDDEN_GLOBAL", "global posix.system is not allowed"],
  "os.system p4": ["FORBIDDEN_GLOBAL", "global posix.system is not allowed"],
  "builtins.eval": ["FORBIDDEN_GLOBAL", "global builtins.eval is not allowed"],
  "subprocess.Popen": ["FORBIDDEN_GLOBAL", "global subprocess.Popen is not allowed"],
  "collections.Counter": ["FORBIDDEN_GLOBAL", "global collections.Counter is not allowed"],
  int64: ["UNSUPPORTED_DTYPE", "int64 ('i8')"],
  float64: ["UNSUPPORTED_DTYPE", "float64 ('f8')"],
  object: ["UNSUPPORTED_DTYPE", "object ('O8')"],
  "object p5": ["UNSUPPORTED_DTYPE", "object ('O8')"],
  complex64: ["UNSUPPORTED_DTYPE", "complex64 ('c8')"],
  datetime64: ["UNSUPPORTED_DTYPE", "datetime64"],
  "big-endian float16": ["UNSUPPORTED_DTYPE", "float16 ('f2', big-endian)"],
  "big-endian float32 p5": ["UNSUPPORTED_DTYPE", "float32 ('f4', big-endian)"],
  structured: ["UNSUPPORTED_DTYPE", "structured"],
  "protocol 0": ["UNSUPPORTED_PROTOCOL", "protocol 0 and 1"],
  "protocol 1": ["UNSUPPORTED_PROTOCOL", "protocol 0 and 1"],
  "out-of-band buffer": ["UNSUPPORTED_OPCODE", "NEXT_BUFFER"],
  "int key": ["UNSUPPORTED_VALUE", "dict keys must be str, got number"],
  cycle: ["UNSUPPORTED_VALUE", "contains itself"],
  set: ["UNSUPPORTED_OPCODE", "EMPTY_SET"],
  "bare dtype": ["UNSUPPORTED_VALUE", "numpy.dtype"],
  "str scalar": ["UNSUPPORTED_DTYPE", "scalar dtype str"],
};

test("Python-made hostile and unsupported pickles raise the right PickleError", () => {
  const { out } = runPython(HOSTILE_SCRIPT);
  assert.equal([...out.keys()].sort(), Object.keys(HOSTILE_EXPECTED).sort());
  for (const [name, bytes] of out) {
    const [code, message] = HOSTILE_EXPECTED[name]!;
    rejects(bytes, code, message);
  }
});

test("a hand-written GLOBAL os.system is refused by name before anything runs", () => {
  const err = rejects(pk(P2, "cos\nsystem\n", "X", u32(4), "echo", 0x85, "R", "."), "FORBIDDEN_GLOBAL");
  assert.is(err.message, "pickle: global os.system is not allowed");
  rejects(pk(P4, 0x8c, 8, "builtins", 0x8c, 4, "eval", 0x93, "."), "FORBIDDEN_GLOBAL", "builtins.eval");
  rejects(pk(P2, "c__builtin__\ngetattr\n", "."), "FORBIDDEN_GLOBAL", "__builtin__.getattr");
});

test("declared lengths beyond the input are refused before allocating (4 GB in a 1 KB file)", () => {
  const before = process.memoryUsage().arrayBuffers;
  const pad = new Array(1000).fill(0);
  const cases: [string, number[]][] = [
    ["BINBYTES8", [0x8e, ...u64(2 ** 32)]],
    ["BYTEARRAY8", [0x96, ...u64(2n ** 63n)]],
    ["BINUNICODE8", [0x8d, ...u64(2n ** 64n - 1n)]],
    ["FRAME", [0x95, ...u64(2 ** 32)]],
    ["BINBYTES", [0x42, ...u32(0xffffffff)]],
    ["BINUNICODE", [0x58, ...u32(0xffffffff)]],
    ["LONG4", [0x8b, ...u32(0x7fffffff)]],
    ["SHORT_BINBYTES", [0x43, 255]],
  ];
  for (const [name, head] of cases) rejects(pk(P5, head, name === "SHORT_BINBYTES" ? [] : pad, "."), "TRUNCATED", `${name} at offset 2 needs`);
  assert.ok(process.memoryUsage().arrayBuffers - before < 1 << 20, "no large buffer was allocated");
  rejects(pk(P4, 0x8b, u32(0xffffffff), "."), "BAD_LENGTH", "negative byte count");
  rejects(pk(P4, 0x8b, u32(300), new Array(300).fill(1), "."), "UNSUPPORTED_VALUE", "300 bytes");
});

test("truncated streams raise TRUNCATED wherever they are cut", () => {
  const input = tinyFixture("p4_numpy1");
  for (const cut of [0, 1, 2, 5, 11, 100, 180, 1000, 500_000, input.length - 1]) rejects(input.subarray(0, cut), "TRUNCATED");
  rejects(pk(P4, "N"), "TRUNCATED", "without STOP");
  rejects(pk(P2, "cnumpy\nndar"), "TRUNCATED", "without a newline");
});

test("deep nesting is refused: nested tuples, lists and MARKs", () => {
  rejects(pk(P2, "N", new Array(100_000).fill(0x85), "."), "TOO_DEEP", "nests more than 256 containers");
  rejects(pk(P4, new Array(300).fill(0x5d), new Array(299).fill(0x61), "."), "TOO_DEEP");
  rejects(pk(P4, new Array(100_000).fill(0x28), "."), "TOO_DEEP", "MARKs");
  // 200 levels are fine.
  assert.ok(Array.isArray(unpickle(pk(P2, "N", new Array(200).fill(0x85), "."))));
});

test("memo bombs: shared doubling stays linear, and memo or DUP floods hit the object limit", () => {
  // x0 = None; x(i+1) = (x(i), x(i)): 2^200 leaves if expanded, 200 tuples in memory.
  const doubling: number[] = [0x4e, 0x94, 0x30];
  for (let i = 0; i < 200; i++) doubling.push(0x68, i, 0x68, i, 0x86, 0x94, 0x30);
  const root = unpickle(pk(P4, doubling, 0x68, 200, 0x2e)) as unknown[];
  // Linear, not expanded: at every one of the 200 levels both slots hold the same tuple, down to None.
  let node: unknown = root;
  for (let level = 0; level < 200; level++) {
    const pair = node as unknown[];
    assert.is(pair.length, 2);
    assert.is(pair[0], pair[1], `level ${level}`);
    node = pair[0];
  }
  assert.is(node, null);
  rejects(pk(P4, "N", new Array((1 << 20) + 1).fill(0x94), "."), "TOO_MANY_OBJECTS");
  rejects(pk(P4, "N", new Array((1 << 20) + 1).fill(0x32), "."), "TOO_MANY_OBJECTS");
  // A 100 kB str repeated 100,000 times through the memo is decoded once, not 10 GB worth.
  const gets: number[] = [];
  for (let i = 0; i < 100_000; i++) gets.push(0x68, 0);
  const heapBefore = process.memoryUsage().heapUsed;
  const repeated = unpickle(pk(P4, "X", u32(100_000), new TextEncoder().encode("é".repeat(50_000)), 0x94, "0", "]", "(", gets, "e", ".")) as string[];
  assert.is(repeated.length, 100_000);
  assert.is(repeated[99_999], "é".repeat(50_000));
  assert.ok(process.memoryUsage().heapUsed - heapBefore < 64 << 20);
  // A huge memo index is only a map key; reading a missing one is BAD_MEMO.
  assert.is(unpickle(pk(P4, "N", "r", u32(0xffffffff), "0", "j", u32(0xffffffff), ".")), null);
  rejects(pk(P4, "h", 5, "."), "BAD_MEMO", "memo 5");
});

test("stack and MARK misuse raise STACK_UNDERFLOW, MISSING_MARK, UNCLOSED_MARK, EXTRA_VALUES, TRAILING_DATA", () => {
  rejects(pk(P4, 0x85, "."), "STACK_UNDERFLOW", "TUPLE1 at offset 2");
  rejects(pk(P4, "N", "(", "0", "."), "STACK_UNDERFLOW", "POP at offset 4");
  rejects(pk(P4, "."), "STACK_UNDERFLOW");
  rejects(pk(P4, "N", "t", "."), "MISSING_MARK", "TUPLE at offset 3");
  rejects(pk(P4, "(", "N", "."), "UNCLOSED_MARK");
  rejects(pk(P4, "N", "N", "."), "EXTRA_VALUES");
  rejects(pk(P4, "N", ".", 0), "TRAILING_DATA");
  rejects(new Uint8Array(0), "TRUNCATED", "empty");
});

test("protocols other than 2-5, unknown and refused opcodes are named", () => {
  rejects(pk(0x80, 6, "N", "."), "UNSUPPORTED_PROTOCOL", "protocol 6");
  rejects(pk(0x80, 1, "N", "."), "UNSUPPORTED_PROTOCOL", "protocol 1");
  rejects(pk("N", "."), "UNSUPPORTED_PROTOCOL");
  rejects(pk(P4, 0x80, 4, "N", "."), "UNSUPPORTED_PROTOCOL", "first opcode");
  rejects(pk(P4, 0xff), "UNKNOWN_OPCODE", "0xff at offset 2");
  rejects(pk(P4, "Z"), "UNKNOWN_OPCODE", "0x5a");
  const refused: [number[], string][] = [
    [[0x50, ..."x\n".split("").map((c) => c.charCodeAt(0))], "PERSID"],
    [[0x4e, 0x51], "BINPERSID"],
    [[0x82, 1], "EXT1"],
    [[0x83, 1, 0], "EXT2"],
    [[0x84, ...u32(1)], "EXT4"],
    [[0x69], "INST"],
    [[0x28, 0x6f], "OBJ"],
    [[0x49], "INT (protocol 0 text)"],
    [[0x55, 1, 0x61], "SHORT_BINSTRING"],
    [[0x8f], "EMPTY_SET"],
    [[0x97], "NEXT_BUFFER"],
    [[0x98], "READONLY_BUFFER"],
  ];
  for (const [ops, name] of refused) rejects(pk(P5, ops, "."), "UNSUPPORTED_OPCODE", name);
});

test("REDUCE, NEWOBJ and BUILD only reach allowlisted constructors", () => {
  rejects(pk(P4, 0x8c, 1, "x", ")", "R", "."), "FORBIDDEN_CALL", "calls a str");
  rejects(pk(P2, "ccollections\nOrderedDict\n", ")", 0x81, "."), "FORBIDDEN_CALL", "instance of collections.OrderedDict");
  rejects(pk(P4, "ccollections\nOrderedDict\n", ")", "}", 0x92, "."), "FORBIDDEN_CALL", "NEWOBJ_EX");
  rejects(pk(P2, "cnumpy\nndarray\n", ")", "R", "."), "FORBIDDEN_CALL", "numpy.ndarray cannot be called");
  rejects(pk(P4, "}", "}", "b", "."), "FORBIDDEN_CALL", "BUILD on dict");
  rejects(pk(P2, "ccollections\nOrderedDict\n", "N", "R", "."), "BAD_ARGUMENTS", "argument tuple");
  rejects(pk(P2, "ccollections\nOrderedDict\n", "K", 1, 0x85, "R", "."), "BAD_ARGUMENTS", "collections.OrderedDict expects ()");
  assert.equal(plain(unpickle(pk(P2, "ccollections\nOrderedDict\n", ")", "R", "X", u32(1), "k", "K", 3, "s", "."))), { k: 3 });
});

test("protocol-2 bytes: latin-1 only, within the allocation budget", () => {
  const encode = (text: Uint8Array, encoding: string) => pk(P2, "c_codecs\nencode\n", "X", u32(text.length), text, "X", u32(encoding.length), encoding, 0x86, "R", ".");
  assert.equal(plain(unpickle(encode(new TextEncoder().encode("ÿ\u0000a"), "latin1"))), { bytes: "ff0061" });
  rejects(encode(new TextEncoder().encode("✓"), "latin1"), "BAD_ARGUMENTS", "U+2713");
  rejects(encode(new TextEncoder().encode("a"), "utf-8"), "BAD_ARGUMENTS", "_codecs.encode expects");
  // Long text is transcoded straight from its UTF-8 bytes.
  assert.equal(plain(unpickle(encode(new TextEncoder().encode("\u0000ÿa".repeat(3000)), "latin1"))), { bytes: "00ff61".repeat(3000) });
  rejects(encode(new TextEncoder().encode("ÿ".repeat(3000) + "✓"), "latin1"), "BAD_ARGUMENTS", "above U+00FF or invalid UTF-8");
  rejects(pk(P4, "X", u32(5000), new Array(5000).fill(0xff), "."), "BAD_STRING", "invalid UTF-8");
  // One 500-character string encoded again and again through the memo.
  const again = [0x68, 0, 0x68, 3, 0x52, 0x30];
  const bomb = pk(P2, "c_codecs\nencode\n", 0x71, 0, "X", u32(500), "a".repeat(500), 0x71, 1, "X", u32(6), "latin1", 0x86, 0x71, 3, "0",
    again, again, again, "N", ".");
  rejects(bomb, "ALLOCATION_LIMIT", "would allocate more than");
});

test("array shapes must match the bytes present exactly", () => {
  const frombuffer = (data: number[], shape: number[], order = "C") =>
    pk(P5, "cnumpy.core.numeric\n_frombuffer\n", "(", 0x96, u64(data.length), data, "cnumpy\ndtype\n", 0x8c, 2, "f2", 0x85, "R", shape, 0x8c, 1, order, "t", "R", ".");
  const tuple = (...items: number[][]) => [0x28, ...items.flat(), 0x74];
  const int = (n: number) => [0x4a, ...u32(n)];
  const long = (n: bigint) => [0x8a, 8, ...u64(n)];
  const ok = unpickle(frombuffer([0, 60, 0, 64], tuple(int(2)))) as NdArray;
  assert.equal([ok.dtype, ok.shape], ["float16", [2]]);
  rejects(frombuffer([0, 60, 0, 64], tuple(int(3))), "BAD_ARRAY", "needs 6 bytes, the pickle holds 4");
  rejects(frombuffer([0, 60, 0, 64], tuple(int(-2))), "BAD_ARRAY", "not an integer from 0 to 2^53");
  rejects(frombuffer([], tuple(long(2n ** 60n), int(0))), "BAD_ARRAY", "not an integer from 0 to 2^53");
  rejects(frombuffer([0, 60, 0, 64], tuple(long(2n ** 40n), long(2n ** 40n))), "BAD_ARRAY", "needs more than 4 bytes");
  rejects(frombuffer([0, 60, 0, 64], tuple(int(2)), "A"), "BAD_ARRAY", '"A"');
  assert.equal((unpickle(frombuffer([], tuple(long(2n ** 50n), int(0)))) as NdArray).shape, [2 ** 50, 0]);
});

test("bad operands, strings and half-built arrays are PickleErrors", () => {
  rejects(pk(P4, "}", "N", "a", "."), "BAD_OPERAND", "appends to a dict");
  rejects(pk(P4, "]", "N", "N", "s", "."), "BAD_OPERAND", "sets an item on a tuple/list");
  rejects(pk(P4, "}", "(", "N", "u", "."), "BAD_OPERAND", "odd number");
  rejects(pk(P4, "N", "N", 0x93, "."), "BAD_OPERAND", "two str");
  rejects(pk(P4, 0x8c, 2, 0xc3, 0x28, "."), "BAD_STRING", "invalid UTF-8");
  rejects(pk(P2, "c", "a".repeat(300), "\nx\n", "."), "BAD_STRING", "longer than 256");
  rejects(pk(P2, "cnumpy.core.multiarray\n_reconstruct\n", "cnumpy\nndarray\n", "K", 0, 0x85, "X", u32(1), "b", 0x87, "R", "."), "UNSUPPORTED_VALUE", "never given its state");
});

test("the process is healthy after all of the above", () => {
  const tree = unpickle(tinyFixture("p5_numpy2")) as Record<string, unknown>;
  assert.is(arraysOf(tree.params).size, 31);
});

test.run();
