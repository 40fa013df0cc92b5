import { type Allocate, buildObject, callGlobal, resolveGlobal } from "./globals.ts";
import { Op, REFUSED, opName } from "./opcodes.ts";
import {
  PendingArray, PyDType, PyGlobal, Utf8Text, decodeUtf8, fail, isDict, narrowInt, newDict, pyTypeName,
} from "./values.ts";

export { NdArray } from "./values.ts";

/** Deepest MARK nesting and deepest container nesting of the result. */
const MAX_DEPTH = 256;
/** Most stack pushes plus memo entries one pickle may make. */
const MAX_OBJECTS = 1 << 20;
/** Longest LONG1/LONG4 integer, in bytes. */
const MAX_INT_BYTES = 256;
/** Longest module or name line of a GLOBAL opcode, in bytes. */
const MAX_GLOBAL_LINE = 256;
/** str payloads longer than this stay UTF-8 bytes until used (see Utf8Text). */
const LAZY_TEXT_BYTES = 4096;

/**
 * Read a Python pickle (protocol 2 to 5) without evaluating it.
 *
 * Python values become: dict → null-prototype object (str keys only; any
 * other key type is rejected), list and tuple → array, str → string,
 * int → number (bigint beyond 2^53), float → number, bool, None → null,
 * bytes and bytearray → Uint8Array (a view into `bytes` where possible),
 * numpy float16/float32 array → NdArray, numpy scalar → number/bool/bigint.
 * Only the globals in pickle-globals.ts may be named. Every problem is a
 * PickleError with a stable code; nothing is allocated beyond the input's
 * size in total, and the work is linear in the input.
 */
export function unpickle(bytes: Uint8Array): unknown {
  const input = new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return finish(new Machine(input).run());
}

/** The pickle virtual machine of pickletools: a stack, MARK positions and a memo. */
class Machine {
  private pos = 0;
  /** Offset of the opcode being executed, for messages. */
  private opStart = 0;
  private readonly view: DataView;
  private readonly stack: unknown[] = [];
  /** Stack heights at the open MARKs; values below the top one are out of reach. */
  private readonly marks: number[] = [];
  private readonly memo = new Map<number, unknown>();
  private objects = 0;
  private allocated = 0;

  constructor(private readonly input: Uint8Array) {
    this.view = new DataView(input.buffer, input.byteOffset, input.byteLength);
  }

  /** Fresh buffers (protocol 2 bytes, Fortran transposes) share one budget: the input's size. */
  private readonly allocate: Allocate = (byteLength) => {
    if (this.allocated + byteLength > this.input.length) {
      fail("ALLOCATION_LIMIT", `${this.here()} would allocate more than the input's ${this.input.length} bytes`);
    }
    this.allocated += byteLength;
    return new Uint8Array(byteLength);
  };

  run(): unknown {
    this.readProtocol();
    for (;;) {
      this.opStart = this.pos;
      const op = this.u8();
      switch (op) {
        case Op.BININT: this.push(this.view.getInt32(this.advance(4), true)); break;
        case Op.BININT1: this.push(this.u8()); break;
        case Op.BININT2: this.push(this.view.getUint16(this.advance(2), true)); break;
        case Op.LONG1: this.push(decodeLong(this.span(this.u8()))); break;
        case Op.LONG4: this.push(this.long4()); break;

        case Op.SHORT_BINBYTES: this.push(this.span(this.u8())); break;
        case Op.BINBYTES: this.push(this.span(this.u32())); break;
        case Op.BINBYTES8:
        case Op.BYTEARRAY8: this.push(this.span(this.u64())); break;

        case Op.NONE: this.push(null); break;
        case Op.NEWTRUE: this.push(true); break;
        case Op.NEWFALSE: this.push(false); break;

        case Op.SHORT_BINUNICODE: this.push(this.text(this.span(this.u8()))); break;
        case Op.BINUNICODE: this.push(this.longText(this.span(this.u32()))); break;
        case Op.BINUNICODE8: this.push(this.longText(this.span(this.u64()))); break;

        case Op.BINFLOAT: this.push(this.view.getFloat64(this.advance(8), false)); break;

        case Op.EMPTY_LIST:
        case Op.EMPTY_TUPLE: this.push([]); break;
        case Op.APPEND: {
          const item = this.pop();
          this.list().push(item);
          break;
        }
        case Op.APPENDS: {
          const items = this.popMark();
          const list = this.list();
          for (const item of items) list.push(item);
          break;
        }
        case Op.TUPLE: this.push(this.popMark()); break;
        case Op.TUPLE1: this.push([this.pop()]); break;
        case Op.TUPLE2: {
          const b = this.pop();
          this.push([this.pop(), b]);
          break;
        }
        case Op.TUPLE3: {
          const c = this.pop();
          const b = this.pop();
          this.push([this.pop(), b, c]);
          break;
        }
        case Op.EMPTY_DICT: this.push(newDict()); break;
        case Op.SETITEM: {
          const value = this.pop();
          const key = this.pop();
          this.setItem(key, value);
          break;
        }
        case Op.SETITEMS: {
          const items = this.popMark();
          if (items.length % 2 !== 0) fail("BAD_OPERAND", `${this.here()} has an odd number of keys and values`);
          for (let i = 0; i < items.length; i += 2) this.setItem(items[i], items[i + 1]);
          break;
        }

        case Op.POP: this.pop(); break;
        case Op.DUP: this.push(this.top()); break;
        case Op.MARK:
          if (this.marks.length >= MAX_DEPTH) fail("TOO_DEEP", `${this.here()} nests more than ${MAX_DEPTH} MARKs`);
          this.marks.push(this.stack.length);
          break;
        case Op.POP_MARK: this.popMark(); break;

        case Op.BINGET: this.push(this.memoGet(this.u8())); break;
        case Op.LONG_BINGET: this.push(this.memoGet(this.u32())); break;
        case Op.BINPUT: this.memoPut(this.u8()); break;
        case Op.LONG_BINPUT: this.memoPut(this.u32()); break;
        case Op.MEMOIZE: this.memoPut(this.memo.size); break;

        case Op.GLOBAL: {
          const module = this.line();
          this.push(resolveGlobal(module, this.line()));
          break;
        }
        case Op.STACK_GLOBAL: {
          const name = this.str(this.pop());
          const module = this.str(this.pop());
          if (module === null || name === null) fail("BAD_OPERAND", `${this.here()} needs two str`);
          this.push(resolveGlobal(module, name));
          break;
        }

        case Op.REDUCE: {
          const args = this.pop();
          const fn = this.pop();
          if (!(fn instanceof PyGlobal)) fail("FORBIDDEN_CALL", `${this.here()} calls a ${pyTypeName(fn)}, which is not an allowed callable`);
          if (!Array.isArray(args)) fail("BAD_ARGUMENTS", `${this.here()} passes ${pyTypeName(args)} as the argument tuple of ${fn.name}`);
          this.push(callGlobal(fn, args, this.allocate));
          break;
        }
        case Op.BUILD: {
          const state = this.pop();
          buildObject(this.top(), state, this.allocate);
          break;
        }
        case Op.NEWOBJ:
        case Op.NEWOBJ_EX: {
          if (op === Op.NEWOBJ_EX) this.pop(); // kwargs
          this.pop(); // args
          fail("FORBIDDEN_CALL", `${this.here()} would create an instance of ${pyTypeName(this.pop())}, which is not allowed`);
        }

        case Op.FRAME:
          // Frames only group opcodes for buffered reading; check the length and read on.
          this.requireBytes(this.u64());
          break;
        case Op.PROTO:
          fail("UNSUPPORTED_PROTOCOL", `${this.here()} is not the first opcode`);
        case Op.STOP:
          return this.stop();
        default:
          if (REFUSED.has(op)) fail("UNSUPPORTED_OPCODE", `opcode ${REFUSED.get(op)} at offset ${this.opStart} is not supported`);
          fail("UNKNOWN_OPCODE", `unknown opcode 0x${op.toString(16).padStart(2, "0")} at offset ${this.opStart}`);
      }
    }
  }

  /** Opcode name and offset, the prefix of most messages. */
  private here(): string {
    return `${opName(this.input[this.opStart]!)} at offset ${this.opStart}`;
  }

  private readProtocol(): void {
    if (this.input.length === 0) fail("TRUNCATED", "the input is empty");
    if (this.input[0] !== Op.PROTO) {
      fail("UNSUPPORTED_PROTOCOL", "the stream does not start with PROTO: protocol 0 and 1 pickles are not supported (save with protocol 2 to 5)");
    }
    this.pos = 1;
    const protocol = this.u8();
    if (protocol < 2 || protocol > 5) fail("UNSUPPORTED_PROTOCOL", `protocol ${protocol} is not supported (2 to 5 are)`);
  }

  private stop(): unknown {
    if (this.marks.length > 0) fail("UNCLOSED_MARK", `${this.here()} with ${this.marks.length} MARK(s) still open`);
    const value = this.pop();
    if (this.stack.length > 0) fail("EXTRA_VALUES", `${this.here()} leaves ${this.stack.length} more value(s) on the stack`);
    if (this.pos !== this.input.length) fail("TRAILING_DATA", `${this.input.length - this.pos} bytes follow STOP at offset ${this.opStart}`);
    return value;
  }

  // Reading the input. Every length is checked against what remains before anything is read or allocated.

  private requireBytes(n: number): void {
    const remaining = this.input.length - this.pos;
    if (n > remaining) {
      fail("TRUNCATED", this.pos === this.opStart ? `the input ends at offset ${this.pos} without STOP` : `${this.here()} needs ${n} bytes, ${remaining} remain`);
    }
  }

  /** Skip n bytes and return where they start. */
  private advance(n: number): number {
    this.requireBytes(n);
    const at = this.pos;
    this.pos += n;
    return at;
  }

  private span(n: number): Uint8Array {
    const at = this.advance(n);
    return this.input.subarray(at, at + n);
  }

  private u8(): number {
    return this.input[this.advance(1)]!;
  }

  private u32(): number {
    return this.view.getUint32(this.advance(4), true);
  }

  /** Exact below 2^53; anything larger is far beyond any input anyway. */
  private u64(): number {
    const at = this.advance(8);
    return this.view.getUint32(at, true) + this.view.getUint32(at + 4, true) * 2 ** 32;
  }

  private long4(): number | bigint {
    const n = this.view.getInt32(this.advance(4), true);
    if (n < 0) fail("BAD_LENGTH", `${this.here()} has a negative byte count ${n}`);
    return decodeLong(this.span(n));
  }

  private text(utf8: Uint8Array): string {
    return decodeUtf8(utf8) ?? fail("BAD_STRING", `${this.here()} holds invalid UTF-8`);
  }

  private longText(utf8: Uint8Array): string | Utf8Text {
    return utf8.length > LAZY_TEXT_BYTES ? new Utf8Text(utf8) : this.text(utf8);
  }

  /** A str operand as a JS string (decoding a lazy one), or null for anything else. */
  private str(v: unknown): string | null {
    if (v instanceof Utf8Text) return v.decode() ?? fail("BAD_STRING", `${this.here()} uses a str that holds invalid UTF-8`);
    return typeof v === "string" ? v : null;
  }

  /** One newline-terminated line of a GLOBAL opcode. */
  private line(): string {
    const limit = Math.min(this.input.length, this.pos + MAX_GLOBAL_LINE + 1);
    const end = this.input.subarray(this.pos, limit).indexOf(0x0a);
    if (end < 0) {
      if (limit === this.input.length) fail("TRUNCATED", `${this.here()} ends without a newline`);
      fail("BAD_STRING", `${this.here()} has a name longer than ${MAX_GLOBAL_LINE} bytes`);
    }
    const name = this.text(this.span(end));
    this.pos++;
    return name;
  }

  // The stack, MARKs and memo.

  private push(value: unknown): void {
    if (++this.objects > MAX_OBJECTS) fail("TOO_MANY_OBJECTS", `${this.here()}: more than ${MAX_OBJECTS} objects`);
    this.stack.push(value);
  }

  private floor(): number {
    return this.marks.length > 0 ? this.marks[this.marks.length - 1]! : 0;
  }

  private pop(): unknown {
    if (this.stack.length <= this.floor()) fail("STACK_UNDERFLOW", `${this.here()} pops from an empty stack`);
    return this.stack.pop();
  }

  private top(): unknown {
    if (this.stack.length <= this.floor()) fail("STACK_UNDERFLOW", `${this.here()} needs a value on the stack`);
    return this.stack[this.stack.length - 1];
  }

  /** The values pushed since the last MARK, which is removed. */
  private popMark(): unknown[] {
    const height = this.marks.pop();
    if (height === undefined) fail("MISSING_MARK", `${this.here()} finds no MARK`);
    return this.stack.splice(height);
  }

  private memoGet(index: number): unknown {
    if (!this.memo.has(index)) fail("BAD_MEMO", `${this.here()} reads memo ${index}, which was never stored`);
    return this.memo.get(index);
  }

  private memoPut(index: number): void {
    if (++this.objects > MAX_OBJECTS) fail("TOO_MANY_OBJECTS", `${this.here()}: more than ${MAX_OBJECTS} objects`);
    this.memo.set(index, this.top());
  }

  private list(): unknown[] {
    const list = this.top();
    if (!Array.isArray(list)) fail("BAD_OPERAND", `${this.here()} appends to a ${pyTypeName(list)}`);
    return list;
  }

  private setItem(key: unknown, value: unknown): void {
    const dict = this.top();
    if (!isDict(dict)) fail("BAD_OPERAND", `${this.here()} sets an item on a ${pyTypeName(dict)}`);
    const name = this.str(key);
    if (name === null) fail("UNSUPPORTED_VALUE", `${this.here()}: dict keys must be str, got ${pyTypeName(key)}`);
    dict[name] = value;
  }
}

/** LONG1/LONG4 payload: little-endian two's complement. */
function decodeLong(le: Uint8Array): number | bigint {
  if (le.length > MAX_INT_BYTES) fail("UNSUPPORTED_VALUE", `an int of ${le.length} bytes is too large (at most ${MAX_INT_BYTES})`);
  if (le.length <= 6) {
    let v = 0;
    for (let i = le.length - 1; i >= 0; i--) v = v * 256 + le[i]!;
    return le.length > 0 && le[le.length - 1]! >= 0x80 ? v - 2 ** (8 * le.length) : v;
  }
  let hex = "";
  for (let i = le.length - 1; i >= 0; i--) hex += le[i]!.toString(16).padStart(2, "0");
  let v = BigInt(`0x${hex}`);
  if (le[le.length - 1]! >= 0x80) v -= 1n << BigInt(8 * le.length);
  return narrowInt(v);
}

type Container = unknown[] | Record<string, unknown>;

function isContainer(v: unknown): v is Container {
  return Array.isArray(v) || isDict(v);
}

/** Swap a rebuilt array in for its placeholder; refuse interpreter internals in the result. */
function resultValue(v: unknown): unknown {
  if (v instanceof PendingArray) {
    if (v.array === null) fail("UNSUPPORTED_VALUE", "a numpy array was never given its state (no BUILD)");
    return v.array;
  }
  if (v instanceof PyDType || v instanceof PyGlobal) fail("UNSUPPORTED_VALUE", `a bare ${pyTypeName(v)} cannot be returned`);
  if (v instanceof Utf8Text) return v.decode() ?? fail("BAD_STRING", "a str in the result holds invalid UTF-8");
  return v;
}

/**
 * Walk the finished value once: resolve placeholders in place, reject
 * cycles and nesting deeper than MAX_DEPTH. Shared containers are visited
 * once (their height is remembered), so this stays linear however often
 * the memo repeats them.
 */
function finish(root: unknown): unknown {
  const value = resultValue(root);
  if (!isContainer(value)) return value;
  const heights = new Map<Container, number>();
  const open = new Set<Container>();
  const frames: { node: Container; keys: string[] | null; next: number; height: number }[] = [];
  const enter = (node: Container): void => {
    if (frames.length >= MAX_DEPTH) fail("TOO_DEEP", `the result nests more than ${MAX_DEPTH} containers`);
    open.add(node);
    frames.push({ node, keys: Array.isArray(node) ? null : Object.keys(node), next: 0, height: 1 });
  };
  const done = (node: Container, height: number): void => {
    if (height > MAX_DEPTH) fail("TOO_DEEP", `the result nests more than ${MAX_DEPTH} containers`);
    heights.set(node, height);
    open.delete(node);
    const parent = frames[frames.length - 1];
    if (parent) parent.height = Math.max(parent.height, height + 1);
  };
  enter(value);
  while (frames.length > 0) {
    const frame = frames[frames.length - 1]!;
    const { node, keys } = frame;
    const size = keys ? keys.length : (node as unknown[]).length;
    if (frame.next === size) {
      frames.pop();
      done(node, frame.height);
      continue;
    }
    const key = keys ? keys[frame.next]! : frame.next;
    frame.next++;
    const slot = node as Record<string | number, unknown>;
    const child = resultValue(slot[key]);
    if (child !== slot[key]) slot[key] = child;
    if (!isContainer(child)) continue;
    if (open.has(child)) fail("UNSUPPORTED_VALUE", "a container that contains itself is not supported");
    const known = heights.get(child);
    if (known === undefined) enter(child);
    else frame.height = Math.max(frame.height, known + 1);
  }
  return value;
}
