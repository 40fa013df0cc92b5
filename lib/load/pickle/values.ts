import { PickleError } from "../../errors.ts";

/**
 * The values the pickle interpreter works with besides plain JS data: the
 * arrays it returns, and the internal objects (allowlisted globals, numpy
 * dtypes, arrays awaiting their state, long str payloads) that never leave it.
 */

export function fail(code: string, detail: string): never {
  throw new PickleError(code, `pickle: ${detail}`);
}

/** A numpy array read from a pickle. */
export class NdArray {
  constructor(
    readonly dtype: "float16" | "float32",
    readonly shape: number[],
    /**
     * Little-endian element bytes in C order. A view into the pickle's own
     * bytes whenever it stores them contiguously in C order (protocols 3 to
     * 5); protocol 2 text and Fortran-order data are decoded into a new
     * buffer. Not necessarily aligned for a Float32Array view.
     */
    readonly data: Uint8Array,
  ) {}
}

export type GlobalKind = "reconstruct" | "ndarray" | "dtype" | "frombuffer" | "scalar" | "encode" | "bytearray" | "bytes" | "ordered_dict";

/** What GLOBAL / STACK_GLOBAL push: an allowlisted name, callable only through `callGlobal`. */
export class PyGlobal {
  constructor(readonly kind: GlobalKind, readonly name: string) {}
}

/** numpy.dtype(code): only the parts arrays and scalars need; BUILD may set the byte order. */
export class PyDType {
  byteOrder: string;
  readonly kind: string;
  readonly size: number;
  constructor(readonly code: string) {
    const m = /^([<>|=]?)([a-zA-Z])(\d{0,3})$/.exec(code);
    this.byteOrder = m?.[1] || "=";
    this.kind = m?.[2] ?? "?";
    this.size = m?.[3] ? Number(m[3]) : 0;
  }
  describe(): string {
    const name = DTYPE_KIND_NAMES[this.kind] ?? "unknown";
    const bits = "fiuc".includes(this.kind) ? String(this.size * 8) : "";
    const order = this.byteOrder === ">" ? ", big-endian" : "";
    return `${name}${bits} ('${this.code}'${order})`;
  }
}

const DTYPE_KIND_NAMES: Readonly<Record<string, string>> = {
  f: "float", i: "int", u: "uint", c: "complex", b: "bool", O: "object",
  U: "str", S: "bytes", V: "void", M: "datetime64", m: "timedelta64",
};

/**
 * A long str kept as its UTF-8 bytes until something needs it. Protocol 2
 * stores weights as latin-1 text for _codecs.encode, which transcodes these
 * bytes directly instead of building a JS string twice the data's size.
 */
export class Utf8Text {
  private decoded: string | null | undefined;
  constructor(readonly utf8: Uint8Array) {}
  /** The str, decoded once however often the memo repeats it; null when not UTF-8. */
  decode(): string | null {
    if (this.decoded === undefined) this.decoded = decodeUtf8(this.utf8);
    return this.decoded;
  }
}

const utf8Decoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/** Strict UTF-8, keeping a leading BOM as Python does; null when invalid. */
export function decodeUtf8(utf8: Uint8Array): string | null {
  try {
    return utf8Decoder.decode(utf8);
  } catch {
    return null;
  }
}

/** What numpy's _reconstruct returns: an array waiting for its BUILD state. */
export class PendingArray {
  array: NdArray | null = null;
}

export function newDict(): Record<string, unknown> {
  return Object.create(null) as Record<string, unknown>;
}

/** Python dicts are null-prototype objects; nothing else the interpreter makes is. */
export function isDict(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && Object.getPrototypeOf(v) === null;
}

/** The Python type of an interpreter value, for error messages. */
export function pyTypeName(v: unknown): string {
  if (v === null) return "None";
  if (typeof v === "boolean") return "bool";
  if (typeof v === "number") return "number";
  if (typeof v === "bigint") return "int";
  if (typeof v === "string" || v instanceof Utf8Text) return "str";
  if (v instanceof Uint8Array) return "bytes";
  if (Array.isArray(v)) return "tuple/list";
  if (v instanceof NdArray || v instanceof PendingArray) return "numpy.ndarray";
  if (v instanceof PyDType) return "numpy.dtype";
  if (v instanceof PyGlobal) return v.name;
  return isDict(v) ? "dict" : "object";
}

/** A Python int as a number when that is exact, otherwise a bigint. */
export function narrowInt(v: bigint): number | bigint {
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}
