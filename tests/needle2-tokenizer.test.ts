// Needle 2's tokenizer from the .cact RAW blob against SentencePiece itself
// (Debian's python3-sentencepiece) on the fixture's tokenizer.model: the
// pieces, the golden prompts, and thousands of random strings.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readCact } from "../lib/needle2/cact.ts";
import { Needle2Tokenizer, parseTokenizerBlob, PIECE_BYTE, PIECE_CONTROL, PIECE_UNKNOWN } from "../lib/needle2/tokenizer.ts";
import { toWellFormed } from "../tokenizer/utf8.ts";
import { NEEDLE2_FIXTURES, NEEDLE2_MODELS, readNeedle2Golden, readNeedle2Model } from "./needle2-helpers.ts";
import { hasPythonSentencePiece, PYTHON, randomText, Rng, runPython } from "./tokenizer-helpers.ts";

const SP_SCRIPT = String.raw`
import json, sys, sentencepiece as spm
req = json.loads(sys.stdin.buffer.read().decode("utf-8"))
sp = spm.SentencePieceProcessor(model_file=req["model"])
n = sp.get_piece_size()
enc = [sp.encode(t) for t in req["texts"]]
sys.stdout.write(json.dumps({
    "pieces": [sp.id_to_piece(i) for i in range(n)],
    "scores": [sp.get_score(i) for i in range(n)],
    "kinds": [int(sp.is_control(i)) | int(sp.is_unknown(i)) << 1 | int(sp.is_byte(i)) << 2 for i in range(n)],
    "ids": [sp.pad_id(), sp.eos_id(), sp.bos_id(), sp.unk_id()],
    "encoded": enc,
    "decoded": [sp.decode(e) for e in enc],
}))
`;

interface SpAnswer {
  pieces: string[];
  scores: number[];
  kinds: number[];
  ids: number[];
  encoded: number[][];
  decoded: string[];
}

function tokenizerOf(name: string): Needle2Tokenizer {
  const file = readCact(readNeedle2Model(name));
  const t = file.tokenizer!;
  return new Needle2Tokenizer(parseTokenizerBlob(file.bytes.subarray(t.offset, t.offset + t.nbytes), file.header.vocab));
}

const tok = tokenizerOf("tiny_a");
const markers = ["<|im_start|>", "<|im_end|>", "<think>", "</think>", "<tools>", "</tools>", "<tool_call>", "</tool_call>", "<tool_result>", "</tool_result>"];
const rngText = new Rng(26);
const random = Array.from({ length: 3000 }, () => toWellFormed(randomText(rngText, [], markers)));
const prompts = NEEDLE2_MODELS.flatMap((m) => readNeedle2Golden(m).cases.map((c) => c.prompt_text));

assert.ok(hasPythonSentencePiece(), `${PYTHON} cannot import sentencepiece; install python3-sentencepiece (apt)`);
const sp = runPython<SpAnswer>(SP_SCRIPT, { model: `${NEEDLE2_FIXTURES}models/tokenizer.model`, texts: [...prompts, ...random] });

test("both fixtures embed the same blob", () => {
  const b = tokenizerOf("tiny_b");
  for (let i = 0; i < tok.vocabSize; i++) assert.is(b.idToPiece(i), tok.idToPiece(i));
});

test("the blob's pieces, scores, kinds and special ids are SentencePiece's", () => {
  const file = readCact(readNeedle2Model("tiny_a"));
  const t = file.tokenizer!;
  const blob = parseTokenizerBlob(file.bytes.subarray(t.offset, t.offset + t.nbytes), file.header.vocab);
  assert.equal(blob.pieces, sp.pieces);
  assert.equal(Array.from(blob.scores), sp.scores.map((s) => Math.fround(s)));
  const kinds = Array.from(blob.types, (k) => (k === PIECE_CONTROL ? 1 : 0) | (k === PIECE_UNKNOWN ? 2 : 0) | (k === PIECE_BYTE ? 4 : 0));
  assert.equal(kinds, sp.kinds);
  assert.equal([blob.padId, blob.eosId, blob.bosId, blob.unkId], sp.ids);
});

test("the golden prompts encode to their recorded ids (BOS first)", () => {
  for (const m of NEEDLE2_MODELS) {
    for (const c of readNeedle2Golden(m).cases) assert.equal([tok.bosId, ...tok.encode(c.prompt_text)], c.prompt_ids, c.prompt_text);
  }
});

test("the golden prompts and 3000 random strings encode and decode as SentencePiece does", () => {
  const texts = [...prompts, ...random];
  let markersSeen = 0;
  texts.forEach((text, i) => {
    const ids = tok.encode(text);
    assert.equal(ids, sp.encoded[i], JSON.stringify(text));
    assert.is(tok.decode(ids), sp.decoded[i], JSON.stringify(text));
    if (ids.some((id) => id >= 4 && id <= 13)) markersSeen++;
  });
  assert.ok(markersSeen > 100, `only ${markersSeen} strings with markers`);
});

test("decode follows RefTokenizer: control ids skipped, byte runs as UTF-8, one leading space dropped", () => {
  const byte = (b: number): number => sp.pieces.indexOf(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
  assert.is(tok.decode([tok.bosId, byte(0xc3), byte(0xa9), tok.eosId]), "é");
  assert.is(tok.decode([byte(0x20), byte(0x41)]), "A");
  assert.is(tok.decode([byte(0xff)]), "\ufffd");
  assert.equal(tok.encode(""), []);
});

test.run();
