/**
 * Shared by the tokenizer tests (not a test file itself): the fixture paths,
 * a seeded PRNG, a random-text generator, a protobuf field reader/writer for
 * building edited .model files, and a bridge to Debian's python3-sentencepiece.
 * The protobuf code here is written independently of tokenizer/proto.ts so
 * the two check each other.
 */
import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { FIXTURES } from "./helpers.ts";

export const FIXTURE_MODEL_PATH = `${FIXTURES}tokenizer/needle_test.model`;
export const fixtureModel = (): Uint8Array => new Uint8Array(readFileSync(FIXTURE_MODEL_PATH));
export const readJson = <T>(name: string): T => JSON.parse(readFileSync(`${FIXTURES}${name}`, "utf8")) as T;

// ---------------------------------------------------------------------------
// Seeded PRNG (sfc32) and helpers.

export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  constructor(seed: number) {
    this.a = 0x9e3779b9;
    this.b = 0x243f6a88;
    this.c = 0xb7e15162;
    this.d = seed >>> 0;
    for (let i = 0; i < 15; i++) this.next();
  }
  /** Uniform 32-bit unsigned integer. */
  next(): number {
    this.a >>>= 0;
    this.b >>>= 0;
    this.c >>>= 0;
    this.d >>>= 0;
    let t = (this.a + this.b) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.d = (this.d + 1) | 0;
    t = (t + this.d) | 0;
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }
  /** Integer in [lo, hi]. */
  int(lo: number, hi: number): number {
    return lo + (this.next() % (hi - lo + 1));
  }
  chance(p: number): boolean {
    return this.next() / 4294967296 < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.next() % items.length]!;
  }
}

// ---------------------------------------------------------------------------
// Random text.

const ASCII_WORDS = (
  "the a of to in is what weather Paris London San Francisco get set send email timer minutes hello world " +
  "Turn off lights stock price AAPL name description parameters arguments location string required type " +
  "true false null value unit celsius fahrenheit query tools call function return city country date time " +
  "GNU GENERAL PUBLIC LICENSE Version program software copyright notice warranty supercalifragilistic " +
  "snake_case camelCase PascalCase kebab-case SCREAMING_SNAKE x y z I O"
).split(" ");
const INTL_WORDS = (
  "café naïve résumé São Zürich Kraków Reykjavík Köln à über niño façade crème brûlée Ærø Øresund " +
  "東京 北京 天気 天气 서울 날씨 Москва погода القاهرة الطقس मुंबई मौसम Αθήνα ภาษาไทย Tiếng Việt İstanbul ğüşıöç"
).split(" ");
const WHITESPACE = [" ", " ", " ", "  ", "   ", "\t", "\n", "\r\n", "\n\n", " \t ", "\u00a0", "\u3000", "\u2581", "\u2581 ", "\u200b", "\u2028", "\u000b", "\f"];
const PUNCT = "!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~";
const SPECIALS = ["<tool_call>", "<tools>", "<tool", "tools>", "<tool_call", "<<tools>>", "</s>", "<s>", "<unk>", "<pad>", "<0x41>", "<TOOLS>", "\u2581<tools>", " <tool_call> "];
const ASTRAL = ["😀", "🚀", "👍🏽", "👨‍👩‍👧‍👦", "🇫🇷", "🌧️", "❤️", "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "𐍈", "𠜎", "\u{1fffe}", "\u{10ffff}", "\u{e0041}", "\u{1f9ff}"];
const ODD = ["\ufffd", "\ufeff", "\uffff", "\ufffe", "e\u0301", "\u0300", "\u00ad", "\u200d", "\u2047", " \u2047 "];
const LONE_SURROGATES = ["\ud800", "\udbff", "\udc00", "\udfff", "\udc00\ud800", "a\ud83d", "\ude00b"];

/** A random small JSON value in Needle's tool-call style. */
function randomJson(rng: Rng, depth = 0): unknown {
  const kind = rng.int(0, depth > 2 ? 3 : 5);
  switch (kind) {
    case 0:
      return rng.pick([...ASCII_WORDS, ...INTL_WORDS]);
    case 1:
      return rng.chance(0.5) ? rng.int(-1000, 100000) : Math.round(rng.next() / 4294.967296) / 1000;
    case 2:
      return rng.pick([true, false, null]);
    case 3:
      return rng.pick(ASCII_WORDS) + " " + rng.pick(INTL_WORDS);
    case 4:
      return Array.from({ length: rng.int(0, 3) }, () => randomJson(rng, depth + 1));
    default: {
      const o: Record<string, unknown> = {};
      for (let i = rng.int(0, 4); i > 0; i--) o[rng.pick(["name", "arguments", "location", "description", "type", "required", rng.pick(ASCII_WORDS)])] = randomJson(rng, depth + 1);
      return o;
    }
  }
}

function asciiEscapedJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u0080-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
}

function randomCodePoint(rng: Rng): string {
  switch (rng.int(0, 6)) {
    case 0:
      return String.fromCharCode(rng.int(0, 0x1f));
    case 1:
      return String.fromCharCode(rng.int(0x7f, 0x9f));
    case 2:
      return String.fromCharCode(rng.int(0xa0, 0x24f));
    case 3:
      return String.fromCharCode(rng.pick([rng.int(0x4e00, 0x9fff), rng.int(0x3040, 0x30ff), rng.int(0xac00, 0xd7a3)]));
    case 4:
      return String.fromCodePoint(rng.int(0x1f300, 0x1faff));
    case 5:
      return String.fromCodePoint(rng.int(0x10000, 0x10ffff));
    default:
      return String.fromCharCode(rng.int(0, 0xffff)); // may be a lone surrogate
  }
}

/** One random string; `pieces` (vocabulary texts with ▁ as space) and `extraLiterals` add model-specific material. */
export function randomText(rng: Rng, pieces: readonly string[] = [], extraLiterals: readonly string[] = []): string {
  const parts: string[] = [];
  if (rng.chance(0.15)) parts.push(rng.pick(WHITESPACE));
  const segments = rng.chance(0.05) ? rng.int(20, 200) : rng.int(0, 12);
  for (let i = 0; i < segments; i++) {
    const kind = rng.int(0, 15);
    let s: string;
    switch (kind) {
      case 0:
      case 1:
      case 2:
        s = rng.pick(ASCII_WORDS);
        break;
      case 3:
        s = rng.pick(INTL_WORDS);
        break;
      case 4:
        s = rng.pick(WHITESPACE);
        break;
      case 5:
        s = Array.from({ length: rng.int(1, 3) }, () => PUNCT[rng.int(0, PUNCT.length - 1)]).join("");
        break;
      case 6:
        s = rng.chance(0.3) ? asciiEscapedJson(randomJson(rng)) : JSON.stringify(randomJson(rng));
        break;
      case 7:
        s = rng.pick([String(rng.int(0, 1e9)), `${rng.int(0, 99)}.${rng.int(0, 999)}`, `+1 (${rng.int(100, 999)}) ${rng.int(100, 999)}-${rng.int(1000, 9999)}`, `2024-0${rng.int(1, 9)}-1${rng.int(0, 9)}T12:30:00Z`, "0".repeat(rng.int(1, 30))]);
        break;
      case 8:
        s = rng.pick([...SPECIALS, ...extraLiterals]);
        break;
      case 9:
        s = rng.pick(ASTRAL);
        break;
      case 10:
        s = rng.pick(ODD);
        break;
      case 11:
        s = rng.pick(LONE_SURROGATES);
        break;
      case 12:
        s = Array.from({ length: rng.int(1, 4) }, () => randomCodePoint(rng)).join("");
        break;
      default:
        s = pieces.length > 0 ? Array.from({ length: rng.int(1, 4) }, () => rng.pick(pieces)).join("") : rng.pick(ASCII_WORDS);
    }
    parts.push(s);
    if (i + 1 < segments) parts.push(rng.chance(0.6) ? " " : rng.chance(0.5) ? "" : rng.pick(WHITESPACE));
  }
  if (rng.chance(0.15)) parts.push(rng.pick(WHITESPACE));
  return parts.join("");
}

/** The text SentencePiece sees for a JS string: its UTF-8 as TextEncoder writes it (lone surrogates → U+FFFD). */
export function asUtf8Text(text: string): string {
  return new TextDecoder("utf-8", { ignoreBOM: true }).decode(new TextEncoder().encode(text));
}

// ---------------------------------------------------------------------------
// Protobuf fields (independent of tokenizer/proto.ts).

export interface RawField {
  field: number;
  wireType: number;
  /** VARINT: the value; LEN, FIXED32, FIXED64: the payload bytes. */
  value: bigint | Uint8Array;
}

export function encodeVarint(value: bigint | number): number[] {
  if (typeof value === "number" && value >= 0 && value < 2 ** 31) {
    const out: number[] = [];
    let n = value;
    while (n >= 0x80) {
      out.push((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    out.push(n);
    return out;
  }
  let v = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    out.push(v > 0n ? b | 0x80 : b);
  } while (v > 0n);
  return out;
}

function readVarintAt(bytes: Uint8Array, pos: number): [bigint, number] {
  let small = 0; // exact while below 2^49
  let scale = 1;
  let big = 0n;
  for (let i = 0; ; i++) {
    if (pos >= bytes.length) throw new Error("helper: truncated varint");
    const b = bytes[pos++]!;
    if (i < 7) small += (b & 0x7f) * scale;
    else big |= BigInt(b & 0x7f) << BigInt(7 * i);
    scale *= 128;
    if (b < 0x80) return [i < 7 ? BigInt(small) : big | BigInt(small), pos];
  }
}

/** Top-level fields of a (well-formed) message, with where each one sits. */
export function readFields(bytes: Uint8Array): (RawField & { tagStart: number; valueStart: number; end: number })[] {
  const out: (RawField & { tagStart: number; valueStart: number; end: number })[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const tagStart = pos;
    const [tag, afterTag] = readVarintAt(bytes, pos);
    const field = Number(tag >> 3n);
    const wireType = Number(tag & 7n);
    pos = afterTag;
    if (wireType === 0) {
      const [v, after] = readVarintAt(bytes, pos);
      out.push({ field, wireType, value: v, tagStart, valueStart: pos, end: after });
      pos = after;
    } else if (wireType === 2) {
      const [len, after] = readVarintAt(bytes, pos);
      const end = after + Number(len);
      out.push({ field, wireType, value: bytes.slice(after, end), tagStart, valueStart: pos, end });
      pos = end;
    } else if (wireType === 5 || wireType === 1) {
      const n = wireType === 5 ? 4 : 8;
      out.push({ field, wireType, value: bytes.slice(pos, pos + n), tagStart, valueStart: pos, end: pos + n });
      pos += n;
    } else {
      throw new Error(`helper: unexpected wire type ${wireType}`);
    }
  }
  return out;
}

export function writeFields(fields: readonly RawField[]): Uint8Array {
  const chunks: Uint8Array[] = [];
  let total = 0;
  const add = (chunk: Uint8Array) => {
    chunks.push(chunk);
    total += chunk.length;
  };
  for (const f of fields) {
    add(Uint8Array.from(encodeVarint((f.field << 3) | f.wireType)));
    if (f.wireType === 0) add(Uint8Array.from(encodeVarint(f.value as bigint)));
    else {
      const payload = f.value as Uint8Array;
      if (f.wireType === 2) add(Uint8Array.from(encodeVarint(payload.length)));
      add(payload);
    }
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

export const varint = (field: number, value: number | bigint | boolean): RawField => ({ field, wireType: 0, value: BigInt.asUintN(64, BigInt(typeof value === "boolean" ? Number(value) : value)) });
export const bytesField = (field: number, value: string | Uint8Array): RawField => ({ field, wireType: 2, value: typeof value === "string" ? new TextEncoder().encode(value) : value });
export function float32(field: number, value: number): RawField {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setFloat32(0, value, true);
  return { field, wireType: 5, value: b };
}

// ---------------------------------------------------------------------------
// Editing .model files.

export const PIECE = { NORMAL: 1, UNKNOWN: 2, CONTROL: 3, USER_DEFINED: 4, UNUSED: 5, BYTE: 6 } as const;

export interface PieceRecord {
  piece: string;
  score: number;
  type: number;
}

export function encodePiece(p: PieceRecord): Uint8Array {
  const fields = [bytesField(1, p.piece), float32(2, p.score)];
  if (p.type !== PIECE.NORMAL) fields.push(varint(3, p.type));
  return writeFields(fields);
}

export function readPieces(model: Uint8Array): PieceRecord[] {
  return readFields(model)
    .filter((f) => f.field === 1)
    .map((f) => {
      const p: PieceRecord = { piece: "", score: 0, type: PIECE.NORMAL };
      for (const g of readFields(f.value as Uint8Array)) {
        if (g.field === 1) p.piece = new TextDecoder().decode(g.value as Uint8Array);
        if (g.field === 2) p.score = new DataView((g.value as Uint8Array).buffer).getFloat32(0, true);
        if (g.field === 3) p.type = Number(g.value);
      }
      return p;
    });
}

export interface ModelEdit {
  /** New piece list from the old one. */
  pieces?: (pieces: PieceRecord[]) => PieceRecord[];
  /** Fields set in trainer_spec (2) / normalizer_spec (3): existing fields with these numbers are replaced. */
  trainer?: RawField[];
  normalizer?: RawField[];
  /** Whole top-level fields to append (e.g. a denormalizer_spec). */
  append?: RawField[];
}

function setFields(message: Uint8Array, changes: readonly RawField[]): Uint8Array {
  const numbers = new Set(changes.map((c) => c.field));
  return writeFields([...readFields(message).filter((f) => !numbers.has(f.field)), ...changes]);
}

/** A copy of `model` with the edits applied (field order otherwise kept). */
export function editModel(model: Uint8Array, edit: ModelEdit): Uint8Array {
  const top = readFields(model);
  const out: RawField[] = [];
  let piecesWritten = false;
  for (const f of top) {
    if (f.field === 1 && edit.pieces) {
      if (!piecesWritten) {
        for (const p of edit.pieces(readPieces(model))) out.push(bytesField(1, encodePiece(p)));
        piecesWritten = true;
      }
      continue;
    }
    if (f.field === 2 && edit.trainer) out.push(bytesField(2, setFields(f.value as Uint8Array, edit.trainer)));
    else if (f.field === 3 && edit.normalizer) out.push(bytesField(3, setFields(f.value as Uint8Array, edit.normalizer)));
    else out.push(f);
  }
  out.push(...(edit.append ?? []));
  return writeFields(out);
}

// ---------------------------------------------------------------------------
// Debian's SentencePiece (python3-sentencepiece 0.1.97). Always /usr/bin/python3:
// the python3 first on PATH may be another interpreter without the module.

export const PYTHON = "/usr/bin/python3";

export function hasPythonSentencePiece(): boolean {
  const r = spawnSync(PYTHON, ["-c", "import sentencepiece"], { encoding: "utf8" });
  return r.status === 0;
}

/** Runs `script` once with `input` as JSON on stdin; returns its stdout parsed as JSON. */
export function runPython<T>(script: string, input: unknown): T {
  const r = spawnSync(PYTHON, ["-c", script], { input: JSON.stringify(input), maxBuffer: 1 << 30, encoding: "utf8" });
  if (r.status !== 0) throw new Error(`python failed (${r.status ?? r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout) as T;
}
