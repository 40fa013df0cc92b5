"""Trains the demo SentencePiece BPE with Needle's trainer settings.

Settings as in the fixtures README: model_type bpe, pad 0, eos 1, bos 2,
unk 3, user-defined `<tool_call>` (4) and `<tools>` (5), byte_fallback,
normalization_rule_name identity, everything else at SentencePiece defaults.
The corpus is what the model reads and writes: training queries, the
normalised tools JSON and the snake_case answers.

`--space-piece` makes "▁" a piece of its own (a user-defined symbol), so a
word is the same pieces after a space as after a quote (`▁`,`Denver` in the
query, `":"`,`Denver` in the answer); `--split-digits` writes every digit as
its own piece. Both are off for the shipped tokenizer (see training/README,
"Stage 9 experiment").

Usage: /usr/bin/python3 training/tokenizer.py [--vocab 4096] [--train FILE ...]
"""

import argparse
import json
import os
import random

import sentencepiece as spm

from prompt import normalize_tools, snake_answer

HERE = os.path.dirname(os.path.abspath(__file__))
DEFAULT_MODEL = os.path.join(HERE, "..", "weights", "demo", "needle-demo")
MAX_LINE_BYTES = 4000  # SentencePiece skips longer lines (max_sentence_length 4192)


def corpus_lines(train_path, n_examples, seed):
    """Query, tools and answer text of a sample of training examples; tool lists
    too long for one line are written one tool per line."""
    with open(train_path) as f:
        rows = [json.loads(line) for line in f]
    rng = random.Random(seed)
    for row in rng.sample(rows, min(n_examples, len(rows))):
        tools, name_map = normalize_tools(row["tools"])
        yield row["query"]
        yield snake_answer(row["answer"], name_map)
        if len(tools.encode()) <= MAX_LINE_BYTES:
            yield tools
        else:
            for tool in json.loads(tools):
                yield json.dumps(tool, separators=(",", ":"))


def train(train_paths, prefix, vocab_size, n_examples, seed=0, space_piece=False, split_digits=False):
    corpus = prefix + ".corpus.txt"
    with open(corpus, "w") as f:
        for path in train_paths:
            for line in corpus_lines(path, n_examples, seed):
                f.write(line + "\n")
    symbols = ["<tool_call>", "<tools>"] + (["\u2581"] if space_piece else [])
    spm.SentencePieceTrainer.Train(
        input=corpus, model_prefix=prefix, model_type="bpe", vocab_size=vocab_size,
        pad_id=0, eos_id=1, bos_id=2, unk_id=3, user_defined_symbols=symbols, split_digits=split_digits,
        byte_fallback=True, normalization_rule_name="identity", train_extremely_large_corpus=False,
        minloglevel=2)
    os.remove(corpus)
    os.remove(prefix + ".vocab")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--train", nargs="+", default=[os.path.join(HERE, "data", "train.jsonl")],
                    help="training splits whose text makes the corpus (--examples from each)")
    ap.add_argument("--prefix", default=DEFAULT_MODEL)
    ap.add_argument("--vocab", type=int, default=4096)
    ap.add_argument("--examples", type=int, default=40000)
    ap.add_argument("--space-piece", action="store_true", help='"▁" as a piece of its own')
    ap.add_argument("--split-digits", action="store_true", help="every digit a piece of its own")
    args = ap.parse_args()
    os.makedirs(os.path.dirname(args.prefix), exist_ok=True)
    train(args.train, args.prefix, args.vocab, args.examples, space_piece=args.space_piece,
          split_digits=args.split_digits)
    sp = spm.SentencePieceProcessor(model_file=args.prefix + ".model")
    print(f"wrote {args.prefix}.model: {sp.get_piece_size()} pieces; "
          f"ids 0-5 = {[sp.id_to_piece(i) for i in range(6)]}")


if __name__ == "__main__":
    main()
