/**
 * The only Python globals a pickle may name, and what calling them does here.
 * Nothing is imported or evaluated: each name maps to a small built-in
 * constructor that checks its arguments. Covers what numpy 1.x and 2.x
 * write for dicts of float16/float32 arrays under protocols 2 to 5.
 */

import {
  type GlobalKind, NdArray, PendingArray, PyDType, PyGlobal, Utf8Text, fail, narrowInt, newDict, pyTypeName,
} from "./values.ts";

/** Allocates a fresh buffer within the interpreter's budget. */
export type Allocate = (byteLength: number) => Uint8Array;

const ALLOWED_GLOBALS: ReadonlyMap<string, GlobalKind> = new Map<string, GlobalKind>([
  // ndarray.__reduce__: _reconstruct(ndarray, (0,), b"b") then BUILD with the array state.
  ["numpy.core.multiarray._reconstruct", "reconstruct"],
  ["numpy._core.multiarray._reconstruct", "reconstruct"],
  ["numpy.ndarray", "ndarray"],
  // ndarray.__reduce_ex__(5) for contiguous arrays: _frombuffer(buffer, dtype, shape, order).
  ["numpy.core.numeric._frombuffer", "frombuffer"],
  ["numpy._core.numeric._frombuffer", "frombuffer"],
  // dtype.__reduce__: dtype("f2", False, True) then BUILD with (3, "<", None, ...).
  ["numpy.dtype", "dtype"],
  // numpy scalars (np.float64 in a config): scalar(dtype, raw bytes).
  ["numpy.core.multiarray.scalar", "scalar"],
  ["numpy._core.multiarray.scalar", "scalar"],
  // Protocol 2 has no bytes opcode: bytes are _codecs.encode(latin-1 text, "latin1"), b"" is bytes().
  ["_codecs.encode", "encode"],
  ["builtins.bytes", "bytes"],
  ["__builtin__.bytes", "bytes"],
  ["builtins.bytearray", "bytearray"],
  ["__builtin__.bytearray", "bytearray"],
  // OrderedDict.__reduce__: OrderedDict() then SETITEMS.
  ["collections.OrderedDict", "ordered_dict"],
]);

export function resolveGlobal(module: string, name: string): PyGlobal {
  const full = `${module}.${name}`;
  const kind = ALLOWED_GLOBALS.get(full);
  if (kind === undefined) fail("FORBIDDEN_GLOBAL", `global ${full} is not allowed`);
  return new PyGlobal(kind, full);
}

/** REDUCE: call an allowlisted global with a tuple of arguments. */
export function callGlobal(fn: PyGlobal, args: unknown[], alloc: Allocate): unknown {
  function bad(expected: string): never {
    return fail("BAD_ARGUMENTS", `${fn.name} expects ${expected}, got (${args.map(pyTypeName).join(", ")})`);
  }
  switch (fn.kind) {
    case "reconstruct": {
      const [subtype, , typecode] = args;
      if (args.length !== 3 || !(subtype instanceof PyGlobal) || subtype.kind !== "ndarray" || !(typecode instanceof Uint8Array || typeof typecode === "string")) {
        bad("(numpy.ndarray, shape, typecode)");
      }
      return new PendingArray();
    }
    case "frombuffer": {
      const [buffer, dtype, shape, order] = args;
      if (args.length !== 4 || !(dtype instanceof PyDType)) bad("(buffer, dtype, shape, order)");
      const itemType = arrayItemType(dtype);
      if (!(buffer instanceof Uint8Array)) bad("(buffer, dtype, shape, order)");
      if (order !== "C" && order !== "F") fail("BAD_ARRAY", `array order ${JSON.stringify(order)} is not "C" or "F"`);
      return makeArray(itemType, shape, buffer, order === "F", alloc);
    }
    case "dtype": {
      const [code, align, copy] = args;
      if (args.length < 1 || args.length > 3 || typeof code !== "string" || code.length > 64) bad("(typecode[, align, copy])");
      if ((align !== undefined && typeof align !== "boolean") || (copy !== undefined && typeof copy !== "boolean")) bad("(typecode[, align, copy])");
      return new PyDType(code);
    }
    case "scalar": {
      const [dtype, data] = args;
      if (args.length !== 2 || !(dtype instanceof PyDType)) bad("(dtype, data)");
      return scalarValue(dtype, data);
    }
    case "encode": {
      const [text, encoding] = args;
      if (args.length !== 2 || !isText(text) || !isLatin1Name(encoding)) bad('(str, "latin1")');
      return latin1Bytes(text, alloc);
    }
    case "bytearray": {
      if (args.length === 0) return alloc(0);
      const [source, encoding] = args;
      if (args.length === 1 && source instanceof Uint8Array) return source;
      if (args.length === 2 && isText(source) && isLatin1Name(encoding)) return latin1Bytes(source, alloc);
      return bad('(), (bytes) or (str, "latin-1")');
    }
    case "bytes":
      if (args.length !== 0) bad("()");
      return alloc(0);
    case "ordered_dict":
      if (args.length !== 0) bad("()");
      return newDict();
    case "ndarray":
      return fail("FORBIDDEN_CALL", "numpy.ndarray cannot be called (only passed to _reconstruct)");
  }
}

/** BUILD: give a pending array or a dtype its state; nothing else accepts a state. */
export function buildObject(target: unknown, state: unknown, alloc: Allocate): void {
  if (target instanceof PendingArray) target.array = arrayFromState(state, alloc);
  else if (target instanceof PyDType) setDTypeState(target, state);
  else fail("FORBIDDEN_CALL", `BUILD on ${pyTypeName(target)} is not allowed`);
}

function isLatin1Name(encoding: unknown): boolean {
  return encoding === "latin1" || encoding === "latin-1";
}

function isText(v: unknown): v is string | Utf8Text {
  return typeof v === "string" || v instanceof Utf8Text;
}

/** str.encode("latin-1"): every character must be below U+0100. */
function latin1Bytes(text: string | Utf8Text, alloc: Allocate): Uint8Array {
  if (text instanceof Utf8Text) return latin1FromUtf8(text.utf8, alloc);
  const out = alloc(text.length);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0xff) fail("BAD_ARGUMENTS", `latin-1 text has character U+${c.toString(16).toUpperCase().padStart(4, "0")} at index ${i}`);
    out[i] = c;
  }
  return out;
}

/**
 * The same from UTF-8 bytes: ASCII bytes, or a C2/C3 lead and one
 * continuation byte for U+0080-U+00FF. Branch-free, because weight bytes
 * make the two kinds alternate at random.
 */
function latin1FromUtf8(utf8: Uint8Array, alloc: Allocate): Uint8Array {
  let leads = 0;
  for (let i = 0; i < utf8.length; i++) leads += utf8[i]! >>> 6 === 3 ? 1 : 0;
  const out = alloc(utf8.length - leads);
  let o = 0;
  let prev = 0;
  let prevLead = 0;
  let bad = 0;
  for (let i = 0; i < utf8.length; i++) {
    const c = utf8[i]!;
    const isLead = c >>> 6 === 3 ? 1 : 0;
    const isContinuation = c >>> 6 === 2 ? 1 : 0;
    bad |= (prevLead ^ isContinuation) | (isLead & ((c & 0xfe) !== 0xc2 ? 1 : 0));
    // A lead's slot is overwritten by its continuation, which completes the character.
    out[o] = isContinuation ? ((prev & 3) << 6) | (c & 0x3f) : c;
    o += 1 - isLead;
    prev = c;
    prevLead = isLead;
  }
  if (bad | prevLead) fail("BAD_ARGUMENTS", "latin-1 text has a character above U+00FF or invalid UTF-8");
  return out;
}

/** numpy's dtype state: (3, byteorder, subarray, names, fields, elsize, alignment, flags[, metadata]). */
function setDTypeState(dtype: PyDType, state: unknown): void {
  if (!Array.isArray(state) || (state.length !== 8 && state.length !== 9) || typeof state[1] !== "string" || !/^[<>|=]$/.test(state[1])) {
    fail("BAD_ARGUMENTS", "numpy.dtype state must be (version, byteorder, subarray, names, fields, elsize, alignment, flags)");
  }
  if (state[2] !== null || state[3] !== null || state[4] !== null) fail("UNSUPPORTED_DTYPE", "structured and subarray dtypes are not supported");
  dtype.byteOrder = state[1];
}

/** The only array element types we return, and their byte sizes. */
function arrayItemType(dtype: PyDType): "float16" | "float32" {
  const ok = dtype.kind === "f" && (dtype.size === 2 || dtype.size === 4) && dtype.byteOrder !== ">";
  if (!ok) fail("UNSUPPORTED_DTYPE", `array dtype ${dtype.describe()} is not supported; only little-endian float16 and float32 are`);
  return dtype.size === 2 ? "float16" : "float32";
}

/** numpy's ndarray state: ([1,] shape, dtype, is_fortran, raw bytes). */
function arrayFromState(state: unknown, alloc: Allocate): NdArray {
  if (!Array.isArray(state) || (state.length !== 4 && state.length !== 5) || (state.length === 5 && state[0] !== 1)) {
    fail("BAD_ARGUMENTS", "numpy array state must be (1, shape, dtype, is_fortran, data)");
  }
  const [shape, dtype, fortran, data] = state.length === 5 ? state.slice(1) : state;
  if (!(dtype instanceof PyDType)) return fail("BAD_ARGUMENTS", `numpy array state has ${pyTypeName(dtype)} where the dtype belongs`);
  const itemType = arrayItemType(dtype);
  if (typeof fortran !== "boolean" || !(data instanceof Uint8Array)) {
    fail("BAD_ARGUMENTS", `numpy array state has (${pyTypeName(fortran)}, ${pyTypeName(data)}) where (is_fortran, bytes) belong`);
  }
  return makeArray(itemType, shape, data, fortran, alloc);
}

const MAX_NDIM = 64;

/** Check the shape against the bytes actually present, then wrap them (or transpose a Fortran-order copy). */
function makeArray(itemType: "float16" | "float32", shape: unknown, data: Uint8Array, fortran: boolean, alloc: Allocate): NdArray {
  if (!Array.isArray(shape) || shape.length > MAX_NDIM) fail("BAD_ARRAY", `array shape must be a tuple of at most ${MAX_NDIM} sizes`);
  for (const d of shape) {
    if (typeof d !== "number" || !Number.isInteger(d) || d < 0) fail("BAD_ARRAY", `array shape (${shape.join(", ")}) has a size that is not an integer from 0 to 2^53`);
  }
  const dims = shape as number[];
  const itemSize = itemType === "float16" ? 2 : 4;
  const maxCount = data.length / itemSize;
  // Multiply until the count exceeds what the data could hold, so huge shapes stay exact enough to refuse.
  let count = dims.includes(0) ? 0 : 1;
  let next = 0;
  while (next < dims.length && count <= maxCount) count *= dims[next++]!;
  if (count * itemSize !== data.length) {
    const needs = next === dims.length && Number.isSafeInteger(count * itemSize) ? String(count * itemSize) : `more than ${data.length}`;
    fail("BAD_ARRAY", `${itemType} array of shape (${dims.join(", ")}) needs ${needs} bytes, the pickle holds ${data.length}`);
  }
  return new NdArray(itemType, [...dims], fortran && dims.length > 1 ? fortranToC(data, dims, itemSize, alloc) : data);
}

/** Copy Fortran-order (first axis fastest) elements into C order (last axis fastest). */
function fortranToC(src: Uint8Array, dims: number[], itemSize: number, alloc: Allocate): Uint8Array {
  const out = alloc(src.length);
  const ndim = dims.length;
  const fStride: number[] = [];
  for (let k = 0, s = 1; k < ndim; k++) {
    fStride.push(s);
    s *= dims[k]!;
  }
  const index = new Array<number>(ndim).fill(0);
  let from = 0;
  for (let to = 0; to < out.length; to += itemSize) {
    for (let b = 0; b < itemSize; b++) out[to + b] = src[from * itemSize + b]!;
    for (let k = ndim - 1; k >= 0; k--) {
      index[k]!++;
      from += fStride[k]!;
      if (index[k]! < dims[k]!) break;
      from -= fStride[k]! * dims[k]!;
      index[k] = 0;
    }
  }
  return out;
}

/** A numpy scalar as a JS value: bool, int (number, or bigint beyond 2^53) or float. */
function scalarValue(dtype: PyDType, data: unknown): boolean | number | bigint {
  const type = `${dtype.kind}${dtype.size}`;
  if (!SCALAR_TYPES.has(type)) fail("UNSUPPORTED_DTYPE", `scalar dtype ${dtype.describe()} is not supported`);
  if (!(data instanceof Uint8Array) || data.length !== dtype.size) {
    fail("BAD_ARGUMENTS", `numpy scalar of dtype '${dtype.code}' needs ${dtype.size} bytes, got ${pyTypeName(data)}`);
  }
  const view = new DataView(data.buffer, data.byteOffset, data.length);
  const le = dtype.byteOrder !== ">";
  switch (type) {
    case "b1": return data[0] !== 0;
    case "i1": return view.getInt8(0);
    case "u1": return view.getUint8(0);
    case "i2": return view.getInt16(0, le);
    case "u2": return view.getUint16(0, le);
    case "i4": return view.getInt32(0, le);
    case "u4": return view.getUint32(0, le);
    case "i8": return narrowInt(view.getBigInt64(0, le));
    case "u8": return narrowInt(view.getBigUint64(0, le));
    case "f2": return halfToNumber(view.getUint16(0, le));
    case "f4": return view.getFloat32(0, le);
    default: return view.getFloat64(0, le);
  }
}

const SCALAR_TYPES = new Set(["b1", "i1", "u1", "i2", "u2", "i4", "u4", "i8", "u8", "f2", "f4", "f8"]);

function halfToNumber(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const fraction = h & 0x3ff;
  if (exponent === 0) return sign * fraction * 2 ** -24;
  if (exponent === 0x1f) return fraction ? NaN : sign * Infinity;
  return sign * (1 + fraction / 1024) * 2 ** (exponent - 15);
}
