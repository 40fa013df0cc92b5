import { test } from "uvu";
import * as assert from "uvu/assert";
import { dumps, dumpsPlain, formatFloat, fromPlain, JsonDecodeError, loads, PyFloat, PyInt, toPlain } from "../lib/pyjson.ts";
import { InputError } from "../lib/errors.ts";
import { rng } from "./helpers.ts";
import { runPython } from "./python.ts";

/** What Python makes of each text: ["ok", dumps(loads(t))], ["err", str(JSONDecodeError)] or ["raise", type]. */
type PyOutcome = ["ok", string] | ["err", string] | ["raise", string];

const PY_ROUND_TRIP = `
out = []
for text in data:
    try:
        out.append(["ok", json.dumps(json.loads(text), separators=(",", ":"))])
    except json.JSONDecodeError as e:
        out.append(["err", str(e)])
    except (ValueError, RecursionError) as e:
        out.append(["raise", type(e).__name__])
emit(out)`;

function ours(text: string): PyOutcome {
  try {
    return ["ok", dumps(loads(text))];
  } catch (err) {
    if (err instanceof JsonDecodeError) return ["err", err.message];
    if (err instanceof InputError) return ["raise", err.code];
    throw err;
  }
}

const RAISE_CODES: Record<string, string> = { ValueError: "INT_TOO_LONG", RecursionError: "JSON_TOO_DEEP" };

function compareWithPython(texts: string[]): void {
  const expected = runPython<PyOutcome[]>(PY_ROUND_TRIP, texts);
  texts.forEach((text, i) => {
    const want = expected[i]!;
    const got = ours(text);
    const wantNormalized: PyOutcome = want[0] === "raise" ? ["raise", RAISE_CODES[want[1]] ?? want[1]] : want;
    assert.equal(got, wantNormalized, `text ${JSON.stringify(text.slice(0, 200))}`);
  });
}

test("tricky documents round-trip exactly as Python's loads+dumps", () => {
  compareWithPython([
    "1.0", "1e-05", "1e16", "1E16", "1.5e300", "0.1", "5e-324", "1e400", "-1E400", "1e-400", "-0.0", "-0", "0",
    "0.30000000000000004", "100", "1e2", "123456789012345678901234567890", "-98765432109876543210",
    "2.5e-3", "12345678901234567.0", "1e15", "1e22", "0.0001", "0.00001", "9007199254740993",
    "NaN", "Infinity", "-Infinity", "[NaN,Infinity,-Infinity]", "true", "false", "null",
    '"plain"', '"\\u00e9\\u4e2d\\ud83d\\ude00"', '"é中😀"', '"\\ud800"', '"\\udc00\\ud800"', '"\\ud800x"', '"\\ud83d\\u0041"',
    '"\\u0000\\u001f\\u007f\\u0080\\u2028\\uffff"', '"\\b\\f\\n\\r\\t\\/\\\\\\""', '"\u007f\u0085\u00a0"',
    '{"a":1,"a":2}', '{"a":1,"b":2,"a":3}', '{"b":{"x":1},"b":[1]}', '{"2":1,"1":2,"__proto__":3,"constructor":4}',
    '  [ 1 , { "k" : [ ] } , { } ]  ', "\t\n\r[]\r\n", '[[[[[[[[[[]]]]]]]]]]',
    '{"nested":{"list":[1,2.0,"3",[{"deep":null}]],"empty":{}}}',
    "1".repeat(4300), "1".repeat(4301), "-" + "9".repeat(4301), "[".repeat(1001) + "]".repeat(1001),
  ]);
});

test("malformed documents fail with Python's JSONDecodeError message and position", () => {
  compareWithPython([
    "", "   ", "nul", "tru", "[1,]", '{"a":1,}', '{"a" 1}', "[1 2]", '"abc', '"a\\x"', '"\\u12"', '"\\u12G4"',
    '"\\ud800\\uZZZZ"', "\ufeff[]", "01", "1.", "1e", "1e+", "-", "--1", "[", "{", '{"a"', '{"a":', "[1", '"\u0001"',
    '"tab\there"', "NaN1", "[1]x", "{'a':1}", "{a:1}", "[.5]", "+1", "0x10", "Infinityy", "-Inf", '"\\', '"x\\"',
    '{"é":1,"😀" 2}', "[\n1,\n2\n3]", "é", '["😀", x]', "[1]\n\n  x",
  ]);
});

/** A random JSON document (valid) built from pieces chosen to exercise every rule. */
function randomDocument(next: () => number, depth = 0): string {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(next() * xs.length)]!;
  const ws = () => (next() < 0.2 ? pick([" ", "\t", "\n", "\r", "  ", "\n  "]) : "");
  const r = next();
  if (depth < 4 && r < 0.15) {
    const n = Math.floor(next() * 5);
    return `[${ws()}${Array.from({ length: n }, () => randomDocument(next, depth + 1)).join(`${ws()},${ws()}`)}${ws()}]`;
  }
  if (depth < 4 && r < 0.3) {
    const n = Math.floor(next() * 5);
    const keys = ["a", "b", "name", "é", "2", "1", "__proto__", "", "k\\u00e9y", "\\ud800"];
    return `{${ws()}${Array.from({ length: n }, () => `"${pick(keys)}"${ws()}:${ws()}${randomDocument(next, depth + 1)}`).join(`${ws()},${ws()}`)}${ws()}}`;
  }
  if (r < 0.45) return randomString(next, pick);
  if (r < 0.6) return randomInteger(next, pick);
  if (r < 0.85) return randomFloatText(next, pick);
  return pick(["true", "false", "null", "NaN", "Infinity", "-Infinity"]);
}

function randomString(next: () => number, pick: <T>(xs: readonly T[]) => T): string {
  const pieces = [
    "a", "Z", " ", "~", "é", "中", "😀", "\u007f", "\u00a0", "\u2028", "\ud800", "\udfff",
    '\\"', "\\\\", "\\/", "\\b", "\\f", "\\n", "\\r", "\\t", "\\u0000", "\\u001F", "\\u00e9", "\\uD83D\\uDE00",
    "\\ud800", "\\udc00", "\\uffff", "\\u0041",
  ];
  const n = Math.floor(next() * 8);
  return `"${Array.from({ length: n }, () => pick(pieces)).join("")}"`;
}

function randomInteger(next: () => number, pick: <T>(xs: readonly T[]) => T): string {
  const digits = Math.floor(next() * 30) + 1;
  let s = String(1 + Math.floor(next() * 9));
  for (let i = 1; i < digits; i++) s += String(Math.floor(next() * 10));
  return pick(["", "", "-"]) + (next() < 0.1 ? "0" : s);
}

function randomFloatText(next: () => number, pick: <T>(xs: readonly T[]) => T): string {
  const int = next() < 0.3 ? "0" : randomInteger(next, pick).replace("-", "");
  const frac = next() < 0.6 ? "." + String(Math.floor(next() * 1e6)).padStart(Math.floor(next() * 8) + 1, "0") : "";
  const exp = frac === "" || next() < 0.4 ? pick(["e", "E"]) + pick(["", "+", "-"]) + String(Math.floor(next() * 330)) : "";
  return pick(["", "-"]) + int + frac + exp;
}

/** One random edit: a deletion, an insertion or a replacement, to make most documents invalid. */
function corrupt(next: () => number, text: string): string {
  const at = Math.floor(next() * (text.length + 1));
  const junk = [",", "]", "}", "[", "{", ":", '"', "\\", "x", " ", "\u0001", "1", "."][Math.floor(next() * 13)]!;
  const r = next();
  if (r < 0.4) return text.slice(0, at) + text.slice(at + 1);
  if (r < 0.8) return text.slice(0, at) + junk + text.slice(at);
  return text.slice(0, at) + junk + text.slice(at + 1);
}

test("600 random documents and 400 corrupted ones match Python (seeded)", () => {
  const next = rng(20260524);
  const docs = Array.from({ length: 600 }, () => randomDocument(next));
  const broken = Array.from({ length: 400 }, () => corrupt(next, randomDocument(next)));
  compareWithPython([...docs, ...broken]);
});

test("float formatting matches repr() on random doubles and decimal strings", () => {
  const next = rng(7);
  const values: number[] = [];
  const bits = new DataView(new ArrayBuffer(8));
  while (values.length < 3000) {
    bits.setUint32(0, Math.floor(next() * 2 ** 32));
    bits.setUint32(4, Math.floor(next() * 2 ** 32));
    const x = bits.getFloat64(0);
    if (Number.isFinite(x) && x !== 0) values.push(x);
  }
  for (let i = 0; i < 2000; i++) values.push(Number((next() * 10 ** Math.floor(next() * 40 - 20)).toPrecision(1 + Math.floor(next() * 17))));
  values.push(1, 1.5, 0.1, 1e16, 1e15, 9999999999999998, 1e-4, 1e-5, 0.00012345, 123456789.125, 5e-324, 1.7976931348623157e308, 2 ** 53, 2 ** 63);
  const texts = values.map((x) => String(x));
  const expected = runPython<string[]>("emit([repr(float(s)) for s in data])", texts);
  values.forEach((x, i) => assert.is(formatFloat(x), expected[i], `repr of ${texts[i]}`));
  assert.is(formatFloat(-0), "-0.0");
  assert.is(formatFloat(0), "0.0");
  assert.is(formatFloat(NaN), "NaN");
  assert.is(formatFloat(-Infinity), "-Infinity");
});

test("parsed numbers keep their int/float nature and exact digits", () => {
  const value = loads('[1, 1.0, -0, 12345678901234567890123, 1e2, -0.0]') as unknown[];
  assert.instance(value[0], PyInt);
  assert.instance(value[1], PyFloat);
  assert.is((value[2] as PyInt).digits, "0");
  assert.is((value[3] as PyInt).digits, "12345678901234567890123");
  assert.is((value[4] as PyFloat).value, 100);
  assert.ok(Object.is((value[5] as PyFloat).value, -0));
});

test("duplicate keys keep the first position and the last value", () => {
  const obj = loads('{"a":1,"b":2,"a":3}') as Map<string, unknown>;
  assert.equal([...obj.keys()], ["a", "b"]);
  assert.is((obj.get("a") as PyInt).digits, "3");
});

test("decode errors carry Python's msg, pos, lineno and colno (positions in code points)", () => {
  try {
    loads('["😀",\n  x]');
    assert.unreachable("should throw");
  } catch (err) {
    assert.instance(err, JsonDecodeError);
    const e = err as JsonDecodeError;
    assert.is(e.code, "BAD_JSON");
    assert.is(e.msg, "Expecting value");
    assert.is(e.pos, 8);
    assert.is(e.lineno, 2);
    assert.is(e.colno, 3);
  }
});

test("plain JS values serialise as Python would serialise the same values", () => {
  const expected = runPython<string>(`emit(json.dumps({
  "int": 1, "float": 1.5, "negzero": 0, "big": 10**30, "huge_double": int(1e21), "nan": float("nan"),
  "inf": float("-inf"), "text": "Météo 🌧️ \\u0000", "list": [None, None, True], "nested": {"2": 1, "1": 2},
  "date": "2024-01-02T03:04:05.000Z", "map": {"k": [1]}
}, separators=(",", ":")))`, null);
  const plain = {
    int: 1, float: 1.5, negzero: -0, big: 10n ** 30n, huge_double: 1e21, nan: NaN, inf: -Infinity,
    text: "Météo 🌧️ \u0000", skipped: undefined, fn: () => 1, list: [undefined, () => 1, true],
    nested: { "2": 1, "1": 2 }, date: new Date(Date.UTC(2024, 0, 2, 3, 4, 5)), map: new Map([["k", [1]]]),
  };
  // JS orders integer-like keys first, so build the expected order the same way.
  const reordered = dumps(fromPlain(toPlain(loads(expected))));
  assert.is(dumpsPlain(plain), reordered);
});

test("a JS number that is an integer is an int: 1.0 written in JS serialises as 1", () => {
  assert.is(dumpsPlain([1.0, 2.5, 1e300]), `[1,2.5,${BigInt(1e300)}]`);
  assert.is(dumps(loads("[1.0,2.5,1e300]")), "[1.0,2.5,1e+300]");
});

test("values that contain themselves, functions and non-string Map keys are rejected", () => {
  const loop: unknown[] = [];
  loop.push(loop);
  assert.throws(() => dumpsPlain(loop), (e: unknown) => e instanceof InputError && e.code === "NOT_JSON");
  assert.throws(() => dumpsPlain(() => 1), (e: unknown) => e instanceof InputError && e.code === "NOT_JSON");
  assert.throws(() => dumpsPlain(new Map([[1, 2]])), (e: unknown) => e instanceof InputError && e.code === "NOT_JSON");
});

test("the same object twice (not a cycle) is fine", () => {
  const shared = { a: 1 };
  assert.is(dumpsPlain([shared, shared]), '[{"a":1},{"a":1}]');
});

test("toPlain gives ordinary values: safe ints as numbers, big ints as bigints, own __proto__ keys", () => {
  const plain = toPlain(loads('{"n":42,"big":12345678901234567890,"f":1.0,"__proto__":{"x":[null]}}')) as Record<string, unknown>;
  assert.is(plain.n, 42);
  assert.is(plain.big, 12345678901234567890n);
  assert.is(plain.f, 1);
  assert.ok(Object.hasOwn(plain, "__proto__"));
  assert.equal(Object.getOwnPropertyDescriptor(plain, "__proto__")!.value, { x: [null] });
  assert.is(Object.getPrototypeOf(plain), Object.prototype);
});

test("ints over 4300 digits and nesting over 1000 levels raise, as in Python", () => {
  assert.throws(() => loads("7".repeat(4301)), (e: unknown) => e instanceof InputError && e.code === "INT_TOO_LONG");
  assert.throws(() => dumpsPlain(10n ** 4300n), (e: unknown) => e instanceof InputError && e.code === "INT_TOO_LONG");
  assert.not.throws(() => loads("[".repeat(1000) + "]".repeat(1000)));
  assert.throws(() => loads("[".repeat(1001) + "]".repeat(1001)), (e: unknown) => e instanceof InputError && e.code === "JSON_TOO_DEEP");
});

test.run();
