import { pathToFileURL } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { InputError, NeedleError, SourceError, TokenizerError } from "../lib/errors.ts";
import { Tokenizer } from "../tokenizer/index.ts";
import { decodeUtf8Strict } from "../tokenizer/utf8.ts";
import {
  bytesField,
  editModel,
  encodeVarint,
  FIXTURE_MODEL_PATH,
  fixtureModel,
  PIECE,
  readFields,
  readJson,
  Rng,
  varint,
  writeFields,
  type PieceRecord,
  type RawField,
} from "./tokenizer-helpers.ts";

interface EncodeCase {
  text: string;
  ids: number[];
  pieces: string[];
  decoded: string;
  spm_encode_ids?: number[];
}
interface Goldens {
  vocab_size: number;
  special_ids: Record<string, number>;
  piece_kinds_summary: Record<string, number>;
  encode_cases: EncodeCase[];
  decode_cases: { ids: number[]; text: string }[];
}

const goldens = readJson<Goldens>("tokenizer_goldens.json");
const tokenStrings = readJson<{ token_strings: string[] }>("constrained_goldens.json").token_strings;
const modelBytes = fixtureModel();
const tok = Tokenizer.fromBytes(modelBytes);

/** Asserts that `fn` throws a TokenizerError with `code`. */
function throwsTokenizerError(fn: () => unknown, code: string, what: string): void {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof TokenizerError, `${what}: expected a TokenizerError, got ${String(err)}`);
    assert.ok(err instanceof NeedleError);
    assert.is((err as TokenizerError).code, code, `${what}: ${(err as Error).message}`);
    return;
  }
  assert.unreachable(`${what}: expected TokenizerError ${code}, nothing was thrown`);
}

const load = (bytes: Uint8Array) => Tokenizer.fromBytes(bytes);
const withPieces = (edit: (pieces: PieceRecord[]) => PieceRecord[]) => editModel(modelBytes, { pieces: edit });

// --- Goldens ---------------------------------------------------------------

test("encode gives the golden ids and pieces for every fixture string", () => {
  assert.is(goldens.encode_cases.length, 120);
  for (const c of goldens.encode_cases) {
    const ids = tok.encode(c.text);
    assert.equal(ids, c.ids, `ids of ${JSON.stringify(c.text)}`);
    assert.equal(ids.map((id) => tok.idToPiece(id)), c.pieces, `pieces of ${JSON.stringify(c.text)}`);
    if (c.spm_encode_ids) assert.equal(ids, c.spm_encode_ids, `spm_encode ids of ${JSON.stringify(c.text)}`);
  }
});

test("decode of every golden encoding gives the golden text", () => {
  for (const c of goldens.encode_cases) assert.is(tok.decode(c.ids), c.decoded, `decode of ${JSON.stringify(c.text)}`);
});

test("decode gives the golden text for every golden id sequence", () => {
  assert.is(goldens.decode_cases.length, 54);
  for (const c of goldens.decode_cases) assert.is(tok.decode(c.ids), c.text, `decode ${JSON.stringify(c.ids)}`);
});

test("tokenStrings equals constrained_goldens token_strings exactly", () => {
  const table = tok.tokenStrings();
  assert.is(table.length, tokenStrings.length);
  for (let id = 0; id < table.length; id++) assert.is(table[id], tokenStrings[id], `token string ${id}`);
  assert.ok(Object.isFrozen(table));
  assert.is(tok.tokenStrings(), table, "the table is built once");
});

test("special ids and piece kinds match the goldens", () => {
  assert.is(tok.vocabSize, goldens.vocab_size);
  const s = goldens.special_ids;
  assert.equal([tok.padId, tok.eosId, tok.bosId, tok.unkId], [s.pad, s.eos, s.bos, s.unk]);
  assert.is(tok.pieceToId("<tool_call>"), s["<tool_call>"]);
  assert.is(tok.pieceToId("<tools>"), s["<tools>"]);
  const count = { control: 0, unknown: 0, user_defined: 0, byte: 0, normal: 0 };
  for (let id = 0; id < tok.vocabSize; id++) {
    if (tok.isControl(id)) count.control++;
    else if (tok.isUnknown(id)) count.unknown++;
    else if (tok.isUserDefined(id)) count.user_defined++;
    else if (tok.isByte(id)) count.byte++;
    else count.normal++;
  }
  assert.equal(count, goldens.piece_kinds_summary);
});

// --- API -----------------------------------------------------------------

test("load reads a path, a file URL, a URL string, an ArrayBuffer, a Uint8Array and a Response", async () => {
  const want = tok.encode("What is the weather in Paris?");
  const copy = new Uint8Array(modelBytes);
  const sources = [
    FIXTURE_MODEL_PATH,
    pathToFileURL(FIXTURE_MODEL_PATH),
    pathToFileURL(FIXTURE_MODEL_PATH).href,
    copy.buffer,
    copy,
    new Response(copy),
  ];
  for (const source of sources) {
    const t = await Tokenizer.load(source);
    assert.equal(t.encode("What is the weather in Paris?"), want, `source ${Object.prototype.toString.call(source)}`);
  }
});

test("fromBytes accepts an ArrayBuffer and a view at an offset", () => {
  const padded = new Uint8Array(modelBytes.length + 7);
  padded.set(modelBytes, 3);
  const view = new DataView(padded.buffer, 3, modelBytes.length);
  assert.is(Tokenizer.fromBytes(view).vocabSize, 8192);
  assert.is(Tokenizer.fromBytes(modelBytes.slice().buffer).vocabSize, 8192);
});

test("load of a missing file is a SourceError", async () => {
  try {
    await Tokenizer.load("/nonexistent/needle.model");
    assert.unreachable("should throw");
  } catch (err) {
    assert.ok(err instanceof SourceError, String(err));
    assert.is((err as SourceError).code, "NOT_FOUND");
  }
});

test("idToPiece, pieceToId and hasPiece follow SentencePiece", () => {
  assert.is(tok.idToPiece(0), "<pad>");
  assert.is(tok.idToPiece(6), "<0x00>");
  assert.is(tok.idToPiece(261), "<0xFF>");
  assert.is(tok.pieceToId("\u2581"), 8089);
  assert.is(tok.pieceToId("<0x41>"), 6 + 0x41);
  assert.is(tok.pieceToId("no such piece"), tok.unkId, "an unknown piece maps to the unknown id");
  assert.ok(tok.hasPiece("<tools>"));
  assert.not.ok(tok.hasPiece("no such piece"));
  for (let id = 0; id < tok.vocabSize; id++) assert.is(tok.pieceToId(tok.idToPiece(id)), id);
});

test("piece predicates classify the fixture's id layout", () => {
  assert.ok(tok.isControl(0) && tok.isControl(1) && tok.isControl(2));
  assert.ok(tok.isUnknown(3) && !tok.isControl(3));
  assert.ok(tok.isUserDefined(4) && tok.isUserDefined(5));
  assert.ok(tok.isByte(6) && tok.isByte(261) && !tok.isByte(262));
  assert.not.ok(tok.isUnused(300));
  assert.type(tok.score(300), "number");
});

test("ids out of range are InputErrors", () => {
  for (const bad of [-1, 8192, 1.5, Number.NaN, Infinity]) {
    for (const fn of [() => tok.decode([4, bad]), () => tok.idToPiece(bad), () => tok.isByte(bad), () => tok.isControl(bad)]) {
      try {
        fn();
        assert.unreachable(`id ${bad} should throw`);
      } catch (err) {
        assert.ok(err instanceof InputError, String(err));
        assert.is((err as InputError).code, "ID_OUT_OF_RANGE");
      }
    }
  }
});

test("decode accepts typed arrays", () => {
  const ids = tok.encode("Hello, World! 😀");
  assert.is(tok.decode(Int32Array.from(ids)), "Hello, World! 😀");
  assert.is(tok.decode(new Uint16Array(ids)), "Hello, World! 😀");
});

test("a lone surrogate encodes as U+FFFD, as TextEncoder writes it", () => {
  for (const [lone, replaced] of [
    ["a\ud800b", "a\ufffdb"],
    ["\udc00", "\ufffd"],
    ["x\ud83d", "x\ufffd"],
    ["\ude00\ud83d", "\ufffd\ufffd"],
  ] as const) {
    assert.equal(tok.encode(lone), tok.encode(replaced), JSON.stringify(lone));
  }
  assert.equal(tok.encode("\ud83d\ude00"), [8089, 246, 165, 158, 134], "a valid pair is one character");
});

test("encode adds no BOS/EOS and is repeatable across calls of different sizes", () => {
  const short = "Set a timer for 10 minutes";
  const first = tok.encode(short);
  assert.not.ok(first.includes(tok.bosId) || first.includes(tok.eosId));
  const long = "The quick brown fox jumps over the lazy dog. ".repeat(2000);
  const longIds = tok.encode(long);
  assert.equal(tok.encode(short), first);
  assert.is(tok.decode(longIds), long.trim());
  assert.equal(tok.encode(long), longIds);
});

test("encode rejects non-strings with an InputError", () => {
  try {
    tok.encode(42 as unknown as string);
    assert.unreachable("should throw");
  } catch (err) {
    assert.ok(err instanceof InputError);
  }
});

test("the strict UTF-8 decoder used for piece texts agrees with TextDecoder (fatal) on random bytes", () => {
  const fatal = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
  const rng = new Rng(99);
  const interesting = [0x00, 0x41, 0x7f, 0x80, 0xbf, 0xc0, 0xc1, 0xc2, 0xdf, 0xe0, 0xed, 0xef, 0xf0, 0xf4, 0xf5, 0xff, 0xa0, 0x9f, 0x90, 0x8f];
  for (let k = 0; k < 20000; k++) {
    const bytes = Uint8Array.from({ length: rng.int(0, k % 100 === 0 ? 400 : 8) }, () => (rng.chance(0.7) ? rng.pick(interesting) : rng.int(0, 255)));
    let want: string | null;
    try {
      want = fatal.decode(bytes);
    } catch {
      want = null;
    }
    assert.is(decodeUtf8Strict(bytes, 0, bytes.length), want, `bytes ${Array.from(bytes)}`);
  }
});

// --- Format handling ----------------------------------------------------------

test("unknown fields, unknown groups, self-test data and split message fields are read as protobuf does", () => {
  const group = [...encodeVarint((101 << 3) | 3), ...encodeVarint((1 << 3) | 0), 7, ...encodeVarint((102 << 3) | 3), ...encodeVarint((102 << 3) | 4), ...encodeVarint((101 << 3) | 4)];
  const extra: RawField[] = [
    varint(100, 123456789012n),
    { field: 103, wireType: 1, value: new Uint8Array(8) },
    { field: 104, wireType: 5, value: new Uint8Array(4) },
    bytesField(4, writeFields([bytesField(1, writeFields([bytesField(1, "hello"), bytesField(2, "▁hello")]))])),
    bytesField(2, writeFields([varint(3, 2), varint(35, true)])), // a second trainer_spec merges into the first
  ];
  const edited = Uint8Array.from([...editModel(modelBytes, { append: extra }), ...group]);
  const t = load(edited);
  for (const c of goldens.encode_cases.slice(0, 40)) assert.equal(t.encode(c.text), c.ids);
});

test("the rule name alone does not matter: only compiled rules are refused", () => {
  const named = load(editModel(modelBytes, { normalizer: [bytesField(1, "nmt_nfkc")] }));
  assert.equal(named.encode("café ①"), tok.encode("café ①"));
  const charsmap = editModel(modelBytes, { normalizer: [bytesField(1, "nmt_nfkc"), bytesField(2, new Uint8Array([4, 0, 0, 0, 1, 2, 3, 4, 0]))] });
  throwsTokenizerError(() => load(charsmap), "UNSUPPORTED_NORMALIZER", "precompiled_charsmap");
  const denorm = editModel(modelBytes, { append: [bytesField(5, writeFields([bytesField(2, new Uint8Array([1, 2, 3, 4, 5]))]))] });
  throwsTokenizerError(() => load(denorm), "UNSUPPORTED_DENORMALIZER", "denormalizer charsmap");
  const emptyDenorm = editModel(modelBytes, { append: [bytesField(5, writeFields([bytesField(1, "identity")]))] });
  assert.equal(load(emptyDenorm).encode("a b"), tok.encode("a b"));
});

test("model types other than BPE are refused, including the UNIGRAM default", () => {
  for (const type of [1, 3, 4, 9]) {
    throwsTokenizerError(() => load(editModel(modelBytes, { trainer: [varint(3, type)] })), "UNSUPPORTED_MODEL_TYPE", `model_type ${type}`);
  }
  const noTrainer = writeFields(readFields(modelBytes).filter((f) => f.field !== 2));
  throwsTokenizerError(() => load(noTrainer), "UNSUPPORTED_MODEL_TYPE", "no trainer_spec");
});

test("malformed wire data gives typed errors", () => {
  throwsTokenizerError(() => load(new Uint8Array(0)), "EMPTY_MODEL", "empty file");
  throwsTokenizerError(() => load(modelBytes.subarray(0, modelBytes.length - 3)), "TRUNCATED", "truncated");
  throwsTokenizerError(() => load(Uint8Array.from([0x0a, 0xff, 0xff, 0xff, 0xff, 0x0f])), "TRUNCATED", "absurd length");
  throwsTokenizerError(() => load(Uint8Array.from([0x08, 0x01])), "BAD_WIRE_TYPE", "pieces as a varint");
  throwsTokenizerError(() => load(Uint8Array.from([0x0f])), "BAD_WIRE_TYPE", "wire type 7");
  throwsTokenizerError(() => load(Uint8Array.from([0x20, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])), "BAD_VARINT", "11-byte varint");
  throwsTokenizerError(() => load(Uint8Array.from([0x00, 0x00])), "BAD_TAG", "field 0");
  throwsTokenizerError(() => load(Uint8Array.from([0xab, 0x06, 0x08])), "TRUNCATED", "unclosed group");
  try {
    load(new TextEncoder().encode('{"model": "not a protobuf"}'));
    assert.unreachable("a JSON file should not load");
  } catch (err) {
    assert.ok(err instanceof TokenizerError, String(err));
  }
});

test("piece-level problems give typed errors", () => {
  const cases: [string, (p: PieceRecord[]) => PieceRecord[]][] = [
    ["EMPTY_PIECE", (p) => p.map((x, i) => (i === 400 ? { ...x, piece: "" } : x))],
    ["NUL_IN_PIECE", (p) => p.map((x, i) => (i === 400 ? { ...x, piece: "a\0b" } : x))],
    ["DUPLICATE_PIECE", (p) => p.map((x, i) => (i === 401 ? { ...x, piece: p[400]!.piece } : x))],
    ["DUPLICATE_UNKNOWN", (p) => p.map((x, i) => (i === 0 ? { ...x, type: PIECE.UNKNOWN } : x))],
    ["NO_UNKNOWN_PIECE", (p) => p.map((x) => (x.type === PIECE.UNKNOWN ? { ...x, type: PIECE.CONTROL } : x))],
    ["MISSING_BYTE_PIECES", (p) => p.map((x) => (x.piece === "<0x41>" ? { ...x, type: PIECE.NORMAL } : x))],
    ["BAD_BYTE_PIECE", (p) => p.map((x, i) => (i === 400 ? { ...x, piece: "<0x4g>", type: PIECE.BYTE } : x))],
    ["UNSUPPORTED_PIECE_TYPE", (p) => p.map((x, i) => (i === 400 ? { ...x, type: 9 } : x))],
  ];
  for (const [code, edit] of cases) throwsTokenizerError(() => load(withPieces(edit)), code, code);
  throwsTokenizerError(() => load(editModel(modelBytes, { trainer: [varint(35, false)] })), "BYTE_PIECE_WITHOUT_FALLBACK", "byte pieces without byte_fallback");
  const badUtf8 = writeFields([bytesField(1, writeFields([bytesField(1, Uint8Array.from([0x61, 0xc3]))]))]);
  throwsTokenizerError(() => load(badUtf8), "BAD_UTF8", "invalid UTF-8 piece");
});

test("a normal and a reserved piece may share a text; PieceToId prefers the reserved one, as SentencePiece does", () => {
  const t = load(withPieces((p) => [...p, { piece: "e", score: 0, type: PIECE.CONTROL }]));
  const control = t.vocabSize - 1;
  assert.is(t.pieceToId("e"), control);
  assert.ok(t.isControl(control));
});

test("text that spells a control piece is refused (SentencePiece fails on it too), and the next call is unaffected", () => {
  const t = load(withPieces((p) => [...p, { piece: "\u00a4", score: 0, type: PIECE.CONTROL }]));
  const long = "Hello world ".repeat(100);
  try {
    t.encode(long + "\u00a4");
    assert.unreachable("should throw");
  } catch (err) {
    assert.ok(err instanceof TokenizerError);
    assert.is((err as TokenizerError).code, "CONTROL_PIECE_IN_TEXT");
  }
  assert.equal(t.encode("Hello world"), tok.encode("Hello world"));
  assert.equal(t.encode("\u00a5"), tok.encode("\u00a5"));
});

test("without byte_fallback an unknown character is the unknown id, and runs of them merge", () => {
  const nobyte = load(
    editModel(modelBytes, {
      trainer: [varint(35, false)],
      pieces: (p) => p.map((x) => (x.type === PIECE.BYTE ? { ...x, type: PIECE.UNUSED } : x)),
    }),
  );
  // 中 and 文 are not pieces: one <unk> for the run, after the dummy prefix.
  assert.equal(nobyte.encode("中文"), [8089, 3]);
  assert.is(nobyte.decode([8089, 3]), " \u2047 ");
});

test.run();
