import { InputError } from "./errors.ts";

/**
 * JSON exactly as Python's `json` module reads and writes it: `loads` is
 * `json.loads(text)`, `dumps` is `json.dumps(value, separators=(",", ":"))`
 * (ensure_ascii=True). Needle's prompt is that byte string, so every detail
 * matters: key order, duplicate keys, `\uXXXX` escapes, integers of any
 * size, Python's float repr, and the NaN/Infinity literals.
 *
 * Parsed values (PyValue):
 *   null, boolean, string  as in JS (strings are UTF-16, lone surrogates kept)
 *   PyInt                  an integer with its exact decimal digits
 *   PyFloat                a float (a JS number, NaN and ±Infinity included)
 *   PyValue[]              a list
 *   PyObject               a dict: a Map, so order and "__proto__" keys survive
 */
export type PyValue = null | boolean | string | PyInt | PyFloat | PyValue[] | PyObject;
export type PyObject = Map<string, PyValue>;

/** CPython's default cap on int <-> str conversions (sys.get_int_max_str_digits()). */
const INT_MAX_STR_DIGITS = 4300;

/** Deepest nesting we read or write; CPython raises RecursionError near here. */
const MAX_DEPTH = 1000;

/** A Python int: canonical decimal digits ("0", "-12", "12345678901234567890"). */
export class PyInt {
  readonly digits: string;
  constructor(digits: string) {
    if (digits.length - (digits.startsWith("-") ? 1 : 0) > INT_MAX_STR_DIGITS) {
      throw new InputError("INT_TOO_LONG",
        `integer has more than ${INT_MAX_STR_DIGITS} digits (Python: ValueError: Exceeds the limit (4300 digits) for integer string conversion)`);
    }
    this.digits = digits === "-0" ? "0" : digits;
  }
}

/** A Python float. */
export class PyFloat {
  constructor(readonly value: number) {}
}

/** json.JSONDecodeError: message, char offset (in code points, as Python counts), line and column. */
export class JsonDecodeError extends InputError {
  readonly msg: string;
  readonly pos: number;
  readonly lineno: number;
  readonly colno: number;
  constructor(msg: string, doc: string, index: number) {
    const pos = codePointOffset(doc, index);
    const before = doc.slice(0, index);
    const lineno = before.split("\n").length;
    const lastNewline = before.lastIndexOf("\n");
    const colno = lastNewline < 0 ? pos + 1 : pos - codePointOffset(doc, lastNewline);
    super("BAD_JSON", `${msg}: line ${lineno} column ${colno} (char ${pos})`);
    this.msg = msg;
    this.pos = pos;
    this.lineno = lineno;
    this.colno = colno;
  }
}

function codePointOffset(s: string, index: number): number {
  let n = 0;
  for (let i = 0; i < index; i++, n++) {
    const c = s.charCodeAt(i);
    if (c >= 0xd800 && c < 0xdc00 && i + 1 < index) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d < 0xe000) i++;
    }
  }
  return n;
}

// ---------------------------------------------------------------- reading

const WHITESPACE = /[ \t\n\r]*/y;
const NUMBER = /-?(?:0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)?/y;
/** A run of string characters that need no attention: not '"', '\\' or a control character. */
const PLAIN_RUN = /[^"\\\u0000-\u001f]+/y;
const ESCAPES: Readonly<Record<string, string>> = {
  '"': '"', "\\": "\\", "/": "/", b: "\b", f: "\f", n: "\n", r: "\r", t: "\t",
};
const HEX4 = /^[0-9a-fA-F]{4}$/;

/**
 * json.loads(text), following CPython's C scanner (Modules/_json.c): the same
 * accepted inputs, values, duplicate-key rule (first position, last value)
 * and JSONDecodeError messages and positions.
 */
export function loads(text: string): PyValue {
  if (text.startsWith("\ufeff")) throw new JsonDecodeError("Unexpected UTF-8 BOM (decode using utf-8-sig)", text, 0);
  const reader = new Reader(text);
  const start = reader.skipWhitespace(0);
  const [value, end] = reader.value(start, 0);
  const after = reader.skipWhitespace(end);
  if (after !== text.length) throw new JsonDecodeError("Extra data", text, after);
  return value;
}

class Reader {
  constructor(private readonly s: string) {}

  skipWhitespace(i: number): number {
    WHITESPACE.lastIndex = i;
    WHITESPACE.test(this.s);
    return WHITESPACE.lastIndex;
  }

  private expectingValue(i: number): never {
    throw new JsonDecodeError("Expecting value", this.s, i);
  }

  /** scan_once: one value starting exactly at i; returns it and the index after it. */
  value(i: number, depth: number): [PyValue, number] {
    const s = this.s;
    if (i >= s.length) this.expectingValue(i);
    const c = s[i];
    if (c === '"') return this.string(i + 1);
    if (c === "{" || c === "[") {
      if (depth >= MAX_DEPTH) {
        throw new InputError("JSON_TOO_DEEP", `JSON nested deeper than ${MAX_DEPTH} levels (Python: RecursionError)`);
      }
      return c === "{" ? this.object(i + 1, depth + 1) : this.array(i + 1, depth + 1);
    }
    if (c === "n" && s.startsWith("null", i)) return [null, i + 4];
    if (c === "t" && s.startsWith("true", i)) return [true, i + 4];
    if (c === "f" && s.startsWith("false", i)) return [false, i + 5];
    if (c === "N" && s.startsWith("NaN", i)) return [new PyFloat(NaN), i + 3];
    if (c === "I" && s.startsWith("Infinity", i)) return [new PyFloat(Infinity), i + 8];
    if (c === "-" && s.startsWith("-Infinity", i)) return [new PyFloat(-Infinity), i + 9];
    NUMBER.lastIndex = i;
    const m = NUMBER.exec(s);
    if (!m) this.expectingValue(i);
    const end = i + m[0].length;
    if (m[1] === undefined && m[2] === undefined) return [new PyInt(m[0]), end];
    return [new PyFloat(Number(m[0])), end];
  }

  /** scanstring: the string whose opening quote is just before `start`. */
  private string(start: number): [string, number] {
    const s = this.s;
    const begin = start - 1;
    let out = "";
    let i = start;
    for (;;) {
      PLAIN_RUN.lastIndex = i;
      if (PLAIN_RUN.test(s)) {
        out += s.slice(i, PLAIN_RUN.lastIndex);
        i = PLAIN_RUN.lastIndex;
      }
      if (i >= s.length) throw new JsonDecodeError("Unterminated string starting at", s, begin);
      const c = s[i]!;
      if (c === '"') return [out, i + 1];
      if (c !== "\\") throw new JsonDecodeError("Invalid control character at", s, i);
      i++;
      if (i >= s.length) throw new JsonDecodeError("Unterminated string starting at", s, begin);
      const e = s[i]!;
      if (e !== "u") {
        const decoded = ESCAPES[e];
        if (decoded === undefined) throw new JsonDecodeError("Invalid \\escape", s, i - 1);
        out += decoded;
        i++;
        continue;
      }
      // CPython wants a character after the four hex digits (end >= len is an error).
      const hex = s.slice(i + 1, i + 5);
      if (i + 5 >= s.length || !HEX4.test(hex)) throw new JsonDecodeError("Invalid \\uXXXX escape", s, i);
      // A \uD83D\uDE00 pair becomes one code point in Python; in UTF-16 the two units are that code point.
      out += String.fromCharCode(parseInt(hex, 16));
      i += 5;
    }
  }

  private object(start: number, depth: number): [PyObject, number] {
    const s = this.s;
    const obj: PyObject = new Map();
    let i = this.skipWhitespace(start);
    if (s[i] === "}") return [obj, i + 1];
    for (;;) {
      if (s[i] !== '"') throw new JsonDecodeError("Expecting property name enclosed in double quotes", s, i);
      const [key, afterKey] = this.string(i + 1);
      i = this.skipWhitespace(afterKey);
      if (s[i] !== ":") throw new JsonDecodeError("Expecting ':' delimiter", s, i);
      i = this.skipWhitespace(i + 1);
      const [value, afterValue] = this.value(i, depth);
      obj.set(key, value);
      i = this.skipWhitespace(afterValue);
      if (s[i] === "}") return [obj, i + 1];
      if (s[i] !== ",") throw new JsonDecodeError("Expecting ',' delimiter", s, i);
      i = this.skipWhitespace(i + 1);
    }
  }

  private array(start: number, depth: number): [PyValue[], number] {
    const s = this.s;
    const list: PyValue[] = [];
    let i = this.skipWhitespace(start);
    if (s[i] === "]") return [list, i + 1];
    for (;;) {
      const [value, afterValue] = this.value(i, depth);
      list.push(value);
      i = this.skipWhitespace(afterValue);
      if (s[i] === "]") return [list, i + 1];
      if (s[i] !== ",") throw new JsonDecodeError("Expecting ',' delimiter", s, i);
      i = this.skipWhitespace(i + 1);
    }
  }
}

// ---------------------------------------------------------------- writing

/**
 * json.dumps(value, separators=(",", ":")) with ensure_ascii=True. Accepts
 * PyValues; use dumpsPlain for ordinary JS values. Output longer than
 * `maxChars` is refused as it grows (InputError JSON_TOO_LONG), so a value
 * that shares one large part many times cannot exhaust memory.
 */
export function dumps(value: PyValue, maxChars = Infinity): string {
  const writer = new Writer(maxChars);
  writer.write(value, 0);
  return writer.parts.join("");
}

class Writer {
  readonly parts: string[] = [];
  private length = 0;
  constructor(private readonly maxChars: number) {}

  private push(s: string): void {
    this.length += s.length;
    if (this.length > this.maxChars) throw new InputError("JSON_TOO_LONG", `the JSON is longer than ${this.maxChars} characters`);
    this.parts.push(s);
  }

  write(v: PyValue, depth: number): void {
    if (v === null) this.push("null");
    else if (v === true) this.push("true");
    else if (v === false) this.push("false");
    else if (typeof v === "string") this.push(quoteString(v));
    else if (v instanceof PyInt) this.push(v.digits);
    else if (v instanceof PyFloat) this.push(formatFloat(v.value));
    else {
      if (depth >= MAX_DEPTH) throw new InputError("JSON_TOO_DEEP", `value nested deeper than ${MAX_DEPTH} levels (Python: RecursionError)`);
      if (Array.isArray(v)) {
        this.push("[");
        for (let i = 0; i < v.length; i++) {
          if (i > 0) this.push(",");
          this.write(v[i]!, depth + 1);
        }
        this.push("]");
      } else {
        this.push("{");
        let first = true;
        for (const [key, item] of v) {
          if (!first) this.push(",");
          first = false;
          this.push(quoteString(key));
          this.push(":");
          this.write(item, depth + 1);
        }
        this.push("}");
      }
    }
  }
}

const NEEDS_NO_ESCAPE = /^[\x20\x21\x23-\x5b\x5d-\x7e]*$/;
const SHORT_ESCAPES: Readonly<Record<number, string>> = {
  0x22: '\\"', 0x5c: "\\\\", 0x0a: "\\n", 0x0d: "\\r", 0x09: "\\t", 0x08: "\\b", 0x0c: "\\f",
};

/** py_encode_basestring_ascii: '"' + escaped + '"', everything outside ' '..'~' as \uxxxx. */
export function quoteString(s: string): string {
  if (NEEDS_NO_ESCAPE.test(s)) return `"${s}"`;
  let out = '"';
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x20 && c <= 0x7e && c !== 0x22 && c !== 0x5c) out += s[i];
    else out += SHORT_ESCAPES[c] ?? `\\u${c.toString(16).padStart(4, "0")}`;
  }
  return out + '"';
}

/**
 * float.__repr__ as json.dumps writes it: the shortest digits that round-trip
 * (JS's Number#toString finds the same ones), in fixed notation when the
 * decimal exponent is in [-4, 16) and as d.ddde±XX otherwise; "NaN",
 * "Infinity", "-Infinity" for the non-finite values.
 */
export function formatFloat(x: number): string {
  if (Number.isNaN(x)) return "NaN";
  if (x === Infinity) return "Infinity";
  if (x === -Infinity) return "-Infinity";
  if (x === 0) return Object.is(x, -0) ? "-0.0" : "0.0";
  const sign = x < 0 ? "-" : "";
  const [mantissa, exponent] = String(Math.abs(x)).split("e") as [string, string | undefined];
  const dot = mantissa.indexOf(".");
  const intPart = dot < 0 ? mantissa : mantissa.slice(0, dot);
  let digits = intPart + (dot < 0 ? "" : mantissa.slice(dot + 1));
  // value = 0.<digits> × 10^point
  let point = intPart.length + (exponent === undefined ? 0 : Number(exponent));
  const leadingZeros = digits.length - digits.replace(/^0+/, "").length;
  digits = digits.slice(leadingZeros).replace(/0+$/, "");
  point -= leadingZeros;
  const exp10 = point - 1;
  if (exp10 < -4 || exp10 >= 16) {
    const m = digits.length > 1 ? `${digits[0]}.${digits.slice(1)}` : digits;
    return `${sign}${m}e${exp10 < 0 ? "-" : "+"}${String(Math.abs(exp10)).padStart(2, "0")}`;
  }
  if (point <= 0) return `${sign}0.${"0".repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits.padEnd(point, "0")}.0`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

// ---------------------------------------------------------------- JS values

/**
 * An ordinary JS value as the PyValue Python would hold after json.loads of
 * JSON.stringify-like text, with one rule JS forces on us: a number that is
 * an integer becomes an int, any other number a float. `1.0` written in JS
 * is the number 1 and so serialises as `1`; pass tools as a JSON string to
 * keep Python's float formatting exactly. Like JSON.stringify: `toJSON` is
 * honoured, undefined/function/symbol properties are skipped (and are null in
 * arrays). A bigint is an int; Maps with string keys are dicts.
 *
 * `limits` bounds the walk as it goes (InputError JSON_TOO_LONG): the
 * characters of every string and key plus one per value, and the number of
 * values. An object reached twice (not a cycle) is converted, and counted,
 * twice.
 */
export function fromPlain(value: unknown, limits?: { maxChars: number; maxValues: number }): PyValue {
  return convertPlain(value, new Set(), 0, new PlainBudget(limits?.maxChars ?? Infinity, limits?.maxValues ?? Infinity));
}

class PlainBudget {
  private chars = 0;
  private values = 0;
  constructor(private readonly maxChars: number, private readonly maxValues: number) {}

  count(chars: number): void {
    this.chars += chars + 1;
    if (++this.values > this.maxValues) throw new InputError("JSON_TOO_LONG", `the value holds more than ${this.maxValues} values`);
    if (this.chars > this.maxChars) throw new InputError("JSON_TOO_LONG", `the value holds more than ${this.maxChars} characters`);
  }
}

function convertPlain(value: unknown, open: Set<object>, depth: number, budget: PlainBudget): PyValue {
  if (value instanceof PyInt || value instanceof PyFloat) {
    budget.count(0);
    return value;
  }
  if (value !== null && typeof value === "object" && typeof (value as { toJSON?: unknown }).toJSON === "function") {
    value = (value as { toJSON(): unknown }).toJSON();
  }
  budget.count(typeof value === "string" ? value.length : 0);
  switch (typeof value) {
    case "string":
    case "boolean":
      return value;
    case "number":
      return Number.isInteger(value) ? new PyInt(BigInt(value).toString()) : new PyFloat(value);
    case "bigint":
      return new PyInt(value.toString());
    case "object":
      break;
    default:
      throw new InputError("NOT_JSON", `cannot serialise a ${typeof value} as JSON`);
  }
  if (value === null) return null;
  if (open.has(value)) throw new InputError("NOT_JSON", "cannot serialise a value that contains itself");
  if (depth >= MAX_DEPTH) throw new InputError("JSON_TOO_DEEP", `value nested deeper than ${MAX_DEPTH} levels`);
  open.add(value);
  let result: PyValue;
  if (Array.isArray(value)) {
    result = value.map((item) => (isSkipped(item) ? null : convertPlain(item, open, depth + 1, budget)));
  } else {
    const entries = value instanceof Map ? [...value.entries()] : Object.entries(value);
    const obj: PyObject = new Map();
    for (const [key, item] of entries) {
      if (typeof key !== "string") throw new InputError("NOT_JSON", `cannot serialise a Map key of type ${typeof key}`);
      budget.count(key.length);
      if (!isSkipped(item)) obj.set(key, convertPlain(item, open, depth + 1, budget));
    }
    result = obj;
  }
  open.delete(value);
  return result;
}

function isSkipped(v: unknown): boolean {
  return v === undefined || typeof v === "function" || typeof v === "symbol";
}

/** json.dumps(value, separators=(",", ":")) for an ordinary JS value (see fromPlain). */
export function dumpsPlain(value: unknown): string {
  return dumps(fromPlain(value));
}

/**
 * A PyValue as ordinary JS: dicts become plain objects (JS puts integer-like
 * keys first), lists arrays, floats numbers, ints numbers when they are
 * safe integers and bigints otherwise.
 */
export function toPlain(value: PyValue): unknown {
  if (value instanceof PyInt) {
    const big = BigInt(value.digits);
    return big >= BigInt(Number.MIN_SAFE_INTEGER) && big <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(big) : big;
  }
  if (value instanceof PyFloat) return value.value;
  if (Array.isArray(value)) return value.map(toPlain);
  if (value instanceof Map) {
    const obj: Record<string, unknown> = {};
    for (const [key, item] of value) {
      Object.defineProperty(obj, key, { value: toPlain(item), enumerable: true, writable: true, configurable: true });
    }
    return obj;
  }
  return value;
}

/** Python's bool(value). */
export function isTruthy(value: PyValue): boolean {
  if (value instanceof PyInt) return value.digits !== "0";
  if (value instanceof PyFloat) return value.value !== 0;
  if (Array.isArray(value) || typeof value === "string") return value.length > 0;
  if (value instanceof Map) return value.size > 0;
  return value === true;
}

/** The JSON type of a value ("null", "boolean", "string", "number", "array", "object"), for messages. */
export function jsonTypeName(value: PyValue): string {
  if (value === null) return "null";
  if (value instanceof PyInt || value instanceof PyFloat) return "number";
  if (Array.isArray(value)) return "array";
  return value instanceof Map ? "object" : typeof value;
}

/** type(value).__name__, for messages that quote Python's. */
export function pyTypeName(value: PyValue): string {
  if (value === null) return "NoneType";
  if (typeof value === "boolean") return "bool";
  if (typeof value === "string") return "str";
  if (value instanceof PyInt) return "int";
  if (value instanceof PyFloat) return "float";
  return Array.isArray(value) ? "list" : "dict";
}
