/**
 * Pickle opcode bytes, grouped and named as in CPython's Lib/pickletools.py
 * (the `opcodes` list there documents each one's argument and stack effect).
 * `Op` holds the opcodes the interpreter in pickle.ts executes; `REFUSED`
 * holds the ones it recognises and rejects on purpose.
 */
export const Op = {
  // pickletools "Ways to spell integers": BININT int4, BININT1 uint1,
  // BININT2 uint2, LONG1/LONG4 little-endian two's complement of n bytes.
  BININT: 0x4a,
  BININT1: 0x4b,
  BININT2: 0x4d,
  LONG1: 0x8a,
  LONG4: 0x8b,

  // "Ways to spell bytes (Python 3)" and bytearray (protocol 5).
  SHORT_BINBYTES: 0x43,
  BINBYTES: 0x42,
  BINBYTES8: 0x8e,
  BYTEARRAY8: 0x96,

  // "Ways to spell None" and bools.
  NONE: 0x4e,
  NEWTRUE: 0x88,
  NEWFALSE: 0x89,

  // "Ways to spell Unicode strings": UTF-8 with a 1-, 4- or 8-byte length.
  SHORT_BINUNICODE: 0x8c,
  BINUNICODE: 0x58,
  BINUNICODE8: 0x8d,

  // "Ways to spell floats": BINFLOAT is a big-endian IEEE double.
  BINFLOAT: 0x47,

  // "Ways to build lists", "tuples" and "dicts".
  EMPTY_LIST: 0x5d,
  APPEND: 0x61,
  APPENDS: 0x65,
  EMPTY_TUPLE: 0x29,
  TUPLE: 0x74,
  TUPLE1: 0x85,
  TUPLE2: 0x86,
  TUPLE3: 0x87,
  EMPTY_DICT: 0x7d,
  SETITEM: 0x73,
  SETITEMS: 0x75,

  // "Stack manipulation".
  POP: 0x30,
  DUP: 0x32,
  MARK: 0x28,
  POP_MARK: 0x31,

  // "Memo manipulation": binary indices only (GET/PUT are decimal text).
  BINGET: 0x68,
  LONG_BINGET: 0x6a,
  BINPUT: 0x71,
  LONG_BINPUT: 0x72,
  MEMOIZE: 0x94,

  // "Push a class object, or module function": checked against the allowlist.
  GLOBAL: 0x63,
  STACK_GLOBAL: 0x93,

  // "Build objects": only allowlisted callables and numpy states.
  REDUCE: 0x52,
  BUILD: 0x62,
  NEWOBJ: 0x81,
  NEWOBJ_EX: 0x92,

  // "Machine control" and framing (protocol 4).
  PROTO: 0x80,
  STOP: 0x2e,
  FRAME: 0x95,
} as const;

/** Opcodes Python defines that this interpreter refuses, with the reason shown in errors. */
export const REFUSED: ReadonlyMap<number, string> = new Map([
  // Protocol 0 text forms: a stream with these has no PROTO >= 2 header anyway.
  [0x49, "INT (protocol 0 text)"],
  [0x4c, "LONG (protocol 0 text)"],
  [0x46, "FLOAT (protocol 0 text)"],
  [0x53, "STRING (protocol 0 text)"],
  [0x56, "UNICODE (protocol 0 text)"],
  [0x67, "GET (protocol 0 text)"],
  [0x70, "PUT (protocol 0 text)"],
  [0x6c, "LIST (protocol 0)"],
  [0x64, "DICT (protocol 0)"],
  // Python 2 str, which Python 3 itself cannot load without an encoding.
  [0x54, "BINSTRING (Python 2 str)"],
  [0x55, "SHORT_BINSTRING (Python 2 str)"],
  // Sets: nothing in a checkpoint is a set.
  [0x8f, "EMPTY_SET"],
  [0x90, "ADDITEMS"],
  [0x91, "FROZENSET"],
  // Class instantiation and external references.
  [0x69, "INST"],
  [0x6f, "OBJ"],
  [0x50, "PERSID"],
  [0x51, "BINPERSID"],
  [0x82, "EXT1"],
  [0x83, "EXT2"],
  [0x84, "EXT4"],
  // Out-of-band buffers: we are only ever given one byte stream.
  [0x97, "NEXT_BUFFER (out-of-band buffer)"],
  [0x98, "READONLY_BUFFER (out-of-band buffer)"],
]);

const NAMES: ReadonlyMap<number, string> = new Map(Object.entries(Op).map(([name, code]) => [code, name]));

/** The pickletools name of an executed opcode, for error messages. */
export function opName(code: number): string {
  return NAMES.get(code) ?? `0x${code.toString(16).padStart(2, "0")}`;
}
