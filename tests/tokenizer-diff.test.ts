/**
 * Differential test against SentencePiece itself (Debian's
 * python3-sentencepiece 0.1.97, run as /usr/bin/python3): identical ids and
 * identical decoded text for many random strings and id sequences, on the
 * fixture model, on a model trained here with Needle's settings on a
 * generated corpus, and on variants of both that switch every recorded
 * normalizer/trainer option we honour. Python runs twice in all: once to
 * train, once to answer every query (JSON over stdin/stdout).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { TokenizerError } from "../lib/errors.ts";
import { Tokenizer } from "../tokenizer/index.ts";
import {
  asUtf8Text,
  bytesField,
  editModel,
  fixtureModel,
  hasPythonSentencePiece,
  PIECE,
  PYTHON,
  randomText,
  readPieces,
  Rng,
  runPython,
  varint,
} from "./tokenizer-helpers.ts";

const NEEDLE_TRAINER_OPTIONS = {
  model_type: "bpe",
  vocab_size: 1000,
  pad_id: 0,
  eos_id: 1,
  bos_id: 2,
  unk_id: 3,
  user_defined_symbols: ["<tool_call>", "<tools>"],
  byte_fallback: true,
  normalization_rule_name: "identity",
};

const TRAIN_SCRIPT = String.raw`
import json, sys, sentencepiece as spm
req = json.loads(sys.stdin.buffer.read().decode("utf-8"))
for m in req["models"]:
    spm.SentencePieceTrainer.Train(input=req["corpus"], model_prefix=m["prefix"], minloglevel=2, **m["options"])
sys.stdout.write(json.dumps({"version": spm.__version__}))
`;

const QUERY_SCRIPT = String.raw`
import base64, json, sys, sentencepiece as spm
req = json.loads(sys.stdin.buffer.read().decode("utf-8"))
out = []
for job in req["jobs"]:
    sp = spm.SentencePieceProcessor()
    sp.LoadFromSerializedProto(base64.b64decode(job["model"]))
    n = sp.get_piece_size()
    encoded = [sp.encode(t) for t in job["texts"]]
    out.append({
        "vocab_size": n,
        "ids": [sp.unk_id(), sp.bos_id(), sp.eos_id(), sp.pad_id()],
        "pieces": [sp.id_to_piece(i) for i in range(n)],
        "scores": [sp.get_score(i) for i in range(n)],
        "kinds": [int(sp.is_control(i)) | int(sp.is_unknown(i)) << 1 | int(sp.is_byte(i)) << 2 | int(sp.is_unused(i)) << 3 for i in range(n)],
        "encoded": encoded,
        "decoded": [sp.decode(ids) for ids in encoded],
        "decoded_seqs": [sp.decode(ids) for ids in job["id_seqs"]],
        "piece_ids": [sp.piece_to_id(p) for p in job["piece_queries"]],
    })
sys.stdout.write(json.dumps(out))
`;

interface Answer {
  vocab_size: number;
  ids: number[];
  pieces: string[];
  scores: number[];
  kinds: number[];
  encoded: number[][];
  decoded: string[];
  decoded_seqs: string[];
  piece_ids: number[];
}

interface Case {
  name: string;
  model: Uint8Array;
  texts: string[];
  idSeqs: number[][];
  pieceQueries: string[];
}

/** Lines for training: Needle-style queries, tool lists and answers, prose, other scripts. */
function trainingCorpus(rng: Rng, lines: number): string {
  const syllables = ["ka", "ro", "mi", "ten", "sha", "bel", "ul", "or", "ing", "tion", "pre", "st", "qu", "é", "ü", "ñ", "ça", "ph", "gr", "ee", "a", "e", "i", "o", "u", "th", "er"];
  const words = Array.from({ length: 2500 }, () => Array.from({ length: rng.int(1, 4) }, () => rng.pick(syllables)).join(""));
  const intl = "café naïve São Zürich Kraków à über niño 東京 天気 서울 날씨 Москва погода القاهرة मौसम Αθήνα 😀 🚀 12:30 2024-05-17 +1 $3.50 42%".split(" ");
  const out: string[] = [];
  for (let i = 0; i < lines; i++) {
    const kind = rng.int(0, 5);
    if (kind === 0) {
      const tools = Array.from({ length: rng.int(1, 3) }, () => ({
        name: `${rng.pick(words)}_${rng.pick(words)}`,
        description: Array.from({ length: rng.int(3, 9) }, () => rng.pick(words)).join(" "),
        parameters: { [rng.pick(words)]: { type: rng.pick(["string", "integer", "number", "boolean"]), description: rng.pick(words), required: rng.chance(0.5) } },
      }));
      out.push(rng.chance(0.5) ? JSON.stringify(tools) : JSON.stringify(tools, null, 1).replace(/\n/g, " "));
    } else if (kind === 1) {
      out.push(`<tool_call>${JSON.stringify([{ name: rng.pick(words), arguments: { [rng.pick(words)]: rng.chance(0.5) ? rng.int(0, 5000) : rng.pick(words) } }])}`);
    } else if (kind === 2) {
      out.push(Array.from({ length: rng.int(2, 10) }, () => rng.pick(intl)).join(" "));
    } else {
      out.push(Array.from({ length: rng.int(4, 25) }, () => rng.pick(words)).join(rng.chance(0.9) ? " " : "  ") + rng.pick([".", "?", "!", ""]));
    }
  }
  return out.join("\n") + "\n";
}

/** Random id sequences that stress decoding: byte runs (valid and broken UTF-8), specials, "▁" pieces. */
function randomIdSeqs(rng: Rng, tok: Tokenizer, count: number): number[][] {
  const n = tok.vocabSize;
  const ids = Array.from({ length: n }, (_, i) => i);
  const bytePieces = ids.filter((i) => tok.isByte(i));
  const special = ids.filter((i) => tok.isControl(i) || tok.isUnknown(i) || tok.isUserDefined(i) || tok.isUnused(i));
  const spacey = ids.filter((i) => tok.idToPiece(i).includes("\u2581"));
  const byteId = (b: number) => tok.pieceToId(`<0x${b.toString(16).toUpperCase().padStart(2, "0")}>`);
  const seqs: number[][] = [];
  for (let k = 0; k < count; k++) {
    const seq: number[] = [];
    for (let len = rng.int(0, 30); len > 0; len--) {
      const kind = rng.int(0, 9);
      if (kind <= 2 || (bytePieces.length === 0 && kind <= 5)) seq.push(rng.int(0, n - 1));
      else if (kind <= 4 && bytePieces.length > 0) seq.push(rng.pick(bytePieces));
      else if (kind === 5 && bytePieces.length > 0) {
        const utf8 = new TextEncoder().encode(String.fromCodePoint(rng.pick([rng.int(0x80, 0x7ff), rng.int(0x800, 0xffff), rng.int(0x10000, 0x10ffff)])));
        const cut = rng.chance(0.3) ? rng.int(1, utf8.length) : utf8.length;
        for (const b of utf8.subarray(0, cut)) seq.push(byteId(b));
      } else if (kind <= 7 && special.length > 0) seq.push(rng.pick(special));
      else if (spacey.length > 0) seq.push(rng.pick(spacey));
      else seq.push(rng.int(0, n - 1));
    }
    seqs.push(seq);
  }
  return seqs;
}

function makeCase(name: string, model: Uint8Array, seed: number, textCount: number, seqCount: number, extraLiterals: string[] = []): Case {
  const tok = Tokenizer.fromBytes(model);
  const rng = new Rng(seed);
  const pieceTexts = Array.from({ length: tok.vocabSize }, (_, i) => tok.idToPiece(i).replaceAll("\u2581", " "));
  const texts = Array.from({ length: textCount }, () => randomText(rng, pieceTexts, extraLiterals));
  // Long texts (> 256 UTF-16 units) with repeated stretches, for the encoder's per-call stretch memo,
  // and a few of over 25,000 characters, which the encoder takes in several blocks.
  const longText = (parts: number, copies: number) => {
    const pieces = Array.from({ length: parts }, () => randomText(rng, pieceTexts, extraLiterals));
    return Array.from({ length: copies }, () => pieces.join(rng.pick([" ", "", "\n"]))).join(" ");
  };
  for (let k = 0; k < textCount / 50; k++) texts.push(longText(rng.int(10, 40), rng.int(2, 4)));
  for (let k = 0; k < textCount / 1000; k++) {
    let t = "";
    while (t.length < 25_000) t += longText(200, 3);
    texts.push(t);
  }
  const pieceQueries = [...Array.from({ length: 300 }, () => tok.idToPiece(rng.int(0, tok.vocabSize - 1))), "", "no such piece", "<unk>", "<s>", "▁", "<0x0A>"];
  return { name, model, texts, idSeqs: randomIdSeqs(rng, tok, seqCount), pieceQueries };
}

// --- Setup: train, build the cases, ask SentencePiece once. ---------------------

assert.ok(hasPythonSentencePiece(), `${PYTHON} cannot import sentencepiece; install python3-sentencepiece (apt)`);
const dir = mkdtempSync(join(tmpdir(), "needle-tokenizer-diff-"));
let cases: Case[];
let answers: Answer[];
try {
  const corpus = join(dir, "corpus.txt");
  writeFileSync(corpus, trainingCorpus(new Rng(20240517), 6000));
  const trained: [string, Record<string, unknown>][] = [
    ["needle-settings-1000", {}],
    ["whitespace-suffix", { treat_whitespace_as_suffix: true }],
    ["no-dummy-prefix", { add_dummy_prefix: false }],
    ["keep-extra-whitespace", { remove_extra_whitespaces: false }],
    ["no-prefix-keep-whitespace-default-ids", { add_dummy_prefix: false, remove_extra_whitespaces: false, pad_id: -1, eos_id: 2, bos_id: 1, unk_id: 0, user_defined_symbols: [] }],
    ["no-byte-fallback", { byte_fallback: false }],
    // Training-only options: the encoder must not care, and pieces may then span words or runs of "▁".
    ["split-digits", { split_digits: true }],
    ["pieces-across-words", { split_by_whitespace: false }],
    ["whitespace-only-pieces", { allow_whitespace_only_pieces: true, remove_extra_whitespaces: false }],
  ];
  runPython(TRAIN_SCRIPT, {
    corpus,
    models: trained.map(([name, options]) => ({ prefix: join(dir, name), options: { ...NEEDLE_TRAINER_OPTIONS, ...options } })),
  });
  const model = (name: string) => new Uint8Array(readFileSync(join(dir, `${name}.model`)));
  const base = model("needle-settings-1000");
  const inner = readPieces(model("pieces-across-words")).filter((p) => p.piece.slice(1).includes("\u2581")).length;
  assert.ok(inner > 0, "with split_by_whitespace=false some pieces contain '▁' after their start");
  console.log(`  pieces-across-words: ${inner} pieces with an inner "▁"`);

  // Extra user-defined symbols: overlapping the specials, containing spaces or "▁",
  // single characters; plus reserved pieces sharing a normal piece's text.
  const extraSymbols = ["<tool", "<tools>>", "a b", " q", "zz", "\u2581\u2581", "é", "🙂", "x y z", "<tool_call> ", "ing"];
  const withSymbols = editModel(base, {
    pieces: (pieces) => {
      const normal = new Set(pieces.filter((p) => p.type !== PIECE.CONTROL && p.type !== PIECE.UNKNOWN && p.type !== PIECE.BYTE).map((p) => p.piece));
      const added = extraSymbols.filter((s) => !normal.has(s)).map((piece) => ({ piece, score: 0, type: PIECE.USER_DEFINED }));
      // A control piece spelling a merged normal piece (the last, rarest merge) and one spelling a character.
      const lastMerge = pieces.filter((p) => p.type === PIECE.NORMAL && p.piece.length > 1).at(-1)!.piece;
      return [...pieces, ...added, { piece: lastMerge, score: 0, type: PIECE.CONTROL }, { piece: "¤", score: 0, type: PIECE.CONTROL }];
    },
  });
  assert.ok(readPieces(withSymbols).some((p) => p.piece === "ing" && p.type === PIECE.NORMAL), "'ing' stays a normal piece (filtered out)");

  cases = [
    makeCase("fixture needle_test.model", fixtureModel(), 1, 10_000, 2_000),
    makeCase("trained, Needle settings, vocab 1000", base, 2, 10_000, 2_000),
    ...trained.slice(1).map(([name], i) => makeCase(`trained, ${name}`, model(name), 10 + i, 1_500, 400)),
    makeCase("fixture, escape_whitespaces=false", editModel(fixtureModel(), { normalizer: [varint(5, false)] }), 20, 1_500, 400),
    makeCase("trained, no byte fallback, unk_surface <?>", editModel(model("no-byte-fallback"), { trainer: [bytesField(44, "<?>")] }), 21, 1_500, 400),
    makeCase(
      "trained, every 5th merged piece UNUSED",
      editModel(base, { pieces: (p) => p.map((x, i) => (x.type === PIECE.NORMAL && i % 5 === 0 && x.piece.length > 1 ? { ...x, type: PIECE.UNUSED } : x)) }),
      22,
      1_500,
      400,
    ),
    makeCase("trained, odd user-defined and reserved pieces", withSymbols, 23, 2_000, 400, [...extraSymbols, "¤", "a  b", "x y  z"]),
  ];
  answers = runPython<Answer[]>(QUERY_SCRIPT, {
    jobs: cases.map((c) => ({
      model: Buffer.from(c.model).toString("base64"),
      texts: c.texts.map(asUtf8Text), // what SentencePiece sees: lone surrogates as U+FFFD
      id_seqs: c.idSeqs,
      piece_queries: c.pieceQueries,
    })),
  });
} finally {
  rmSync(dir, { recursive: true, force: true });
}

const totals = { texts: 0, seqs: 0 };

for (const [k, c] of cases.entries()) {
  test(`${c.name}: ids and decoded text equal SentencePiece's`, () => {
    const want = answers[k]!;
    const tok = Tokenizer.fromBytes(c.model);
    let refused = 0;
    for (const [i, text] of c.texts.entries()) {
      let ids: number[];
      try {
        ids = tok.encode(text);
      } catch (err) {
        // SentencePiece fails on text that spells a control piece; its binding then returns [].
        assert.ok(err instanceof TokenizerError && err.code === "CONTROL_PIECE_IN_TEXT", String(err));
        assert.equal(want.encoded[i], [], `SentencePiece also refuses ${JSON.stringify(text)}`);
        refused++;
        continue;
      }
      assert.equal(ids, want.encoded[i], `ids of ${JSON.stringify(text)}`);
      assert.is(tok.decode(ids), want.decoded[i], `decode of ${JSON.stringify(text)}`);
    }
    for (const [i, seq] of c.idSeqs.entries()) assert.is(tok.decode(seq), want.decoded_seqs[i], `decode ${JSON.stringify(seq)}`);
    totals.texts += c.texts.length;
    totals.seqs += c.idSeqs.length;
    const refusals = refused > 0 ? ` (${refused} refused by both: they spell a control piece)` : "";
    console.log(`  ${c.name}: ${c.texts.length} strings${refusals}, ${c.idSeqs.length} id sequences identical`);
  });

  test(`${c.name}: vocabulary, piece kinds and special ids equal SentencePiece's`, () => {
    const want = answers[k]!;
    const tok = Tokenizer.fromBytes(c.model);
    assert.is(tok.vocabSize, want.vocab_size);
    assert.equal([tok.unkId, tok.bosId, tok.eosId, tok.padId], want.ids);
    for (let id = 0; id < tok.vocabSize; id++) {
      assert.is(tok.idToPiece(id), want.pieces[id], `piece ${id}`);
      assert.is(tok.score(id), want.scores[id], `score ${id}`);
      const kinds = Number(tok.isControl(id)) | (Number(tok.isUnknown(id)) << 1) | (Number(tok.isByte(id)) << 2) | (Number(tok.isUnused(id)) << 3);
      assert.is(kinds, want.kinds[id], `kinds of ${id}`);
    }
    assert.equal(c.pieceQueries.map((p) => tok.pieceToId(p)), want.piece_ids);
  });
}

test("the comparison covered at least 10,000 strings on the fixture and on the trained model", () => {
  assert.ok(cases[0]!.texts.length >= 10_000 && cases[1]!.texts.length >= 10_000);
  assert.ok(cases[0]!.texts.filter((t) => t.length > 256).length >= 200, "long texts exercise the stretch memo");
  assert.ok(cases[0]!.texts.filter((t) => t.length > 25_000).length >= 10, "very long texts span several encoder blocks");
  console.log(`  compared ${totals.texts} strings and ${totals.seqs} id sequences on ${cases.length} models with SentencePiece`);
});

test.run();
