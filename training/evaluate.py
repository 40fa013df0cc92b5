"""Torch-side greedy evaluation of the demo model on the held-out splits.

Runs the reference's unconstrained greedy decoding (from [EOS], stop at EOS)
in float32 on the exported float16 weights (or a training checkpoint), parses
the text after <tool_call> as JSON, maps names back to the originals, and
scores each split:
- exact: the calls equal the answer as a multiset (names and arguments; call
  order ignored; 5 and 5.0 count as equal),
- names: the multiset of called names is right,
- no_call: share of the split's `[]` answers answered with `[]`,
- calls_exact: exact match over the examples that need at least one call,
- invalid: outputs that are not a JSON list.

Usage: /usr/bin/python3 training/evaluate.py [--weights weights/demo/needle-demo.pkl]
           [--splits val,test_id,test_unseen] [--limit N] [--out training/eval_results.json]
"""

import argparse
import json
import os
import time

import numpy as np
import sentencepiece as spm
import torch

from dataset import bucketed_batches, pad
from needle_torch import Needle, NeedleConfig, greedy_generate, load_checkpoint
from prompt import encoder_ids, normalize_tools, parse_output
from runtime import setup

HERE = os.path.dirname(os.path.abspath(__file__))
TOKENIZER = os.path.join(HERE, "..", "weights", "demo", "needle-demo.model")
WEIGHTS = os.path.join(HERE, "..", "weights", "demo", "needle-demo.pkl")


def canonical(value):
    """JSON value with integral floats as ints and dict keys sorted, as a string."""
    def norm(v):
        if isinstance(v, float) and v.is_integer():
            return int(v)
        if isinstance(v, dict):
            return {k: norm(x) for k, x in v.items()}
        if isinstance(v, list):
            return [norm(x) for x in v]
        return v
    return json.dumps(norm(value), sort_keys=True)


def call_keys(calls):
    """Sorted canonical (name, arguments) strings of a call list."""
    return sorted(canonical({"name": c.get("name"), "arguments": c.get("arguments", {})})
                  if isinstance(c, dict) else canonical(c) for c in calls)


def score(rows, predictions):
    """Metrics of one split from expected rows and predicted call lists (None = invalid)."""
    m = {"n": len(rows), "exact": 0, "names": 0, "no_call_n": 0, "no_call": 0, "calls_n": 0,
         "calls_exact": 0, "invalid": 0}
    for row, pred in zip(rows, predictions):
        want = json.loads(row["answer"])
        if pred is None:
            m["invalid"] += 1
            pred = [{"name": None}]
        exact = call_keys(pred) == call_keys(want)
        m["exact"] += exact
        m["names"] += sorted(str(c.get("name")) if isinstance(c, dict) else "" for c in pred) == \
            sorted(c["name"] for c in want)
        if want:
            m["calls_n"] += 1
            m["calls_exact"] += exact
        else:
            m["no_call_n"] += 1
            m["no_call"] += pred == []
    return {
        "n": m["n"], "exact": m["exact"] / m["n"], "names": m["names"] / m["n"],
        "no_call": m["no_call"] / max(1, m["no_call_n"]), "no_call_n": m["no_call_n"],
        "calls_exact": m["calls_exact"] / max(1, m["calls_n"]), "calls_n": m["calls_n"],
        "invalid": m["invalid"] / m["n"],
    }


def predict(model, sp, rows, max_gen_len, batch_tokens):
    """Greedy predictions (call lists or None) for JSONL rows, batched by length."""
    encoded = [(np.array(encoder_ids(sp, r["query"], r["tools"]), dtype=np.int16),) for r in rows]
    preds = [None] * len(rows)
    for batch in bucketed_batches(encoded, batch_tokens, seed=0):
        enc = pad([encoded[i][0] for i in batch])
        out, _ = greedy_generate(model, enc, max_gen_len)
        for i, ids in zip(batch, out):
            _, name_map = normalize_tools(rows[i]["tools"])
            preds[i] = parse_output(sp, ids, name_map)
    return preds


def load_model(path):
    """A float32 model from an exported pickle or a training checkpoint."""
    if path.endswith(".pkl"):
        return load_checkpoint(path, torch.float32)[0]
    saved = torch.load(path)
    model = Needle(NeedleConfig.from_dict(saved["config"]))
    model.load_state_dict(saved["model"])
    return model


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--weights", default=WEIGHTS, help=".pkl export or training checkpoint.pt")
    ap.add_argument("--splits", default="val,test_id,test_unseen")
    ap.add_argument("--data", default=os.path.join(HERE, "data"))
    ap.add_argument("--limit", type=int, default=0, help="first N examples per split (0 = all)")
    ap.add_argument("--max-gen-len", type=int, default=128)
    ap.add_argument("--batch-tokens", type=int, default=8192)
    ap.add_argument("--out", default="")
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    setup(args.threads)

    sp = spm.SentencePieceProcessor(model_file=TOKENIZER)
    model = load_model(args.weights).eval()
    results = {}
    for split in args.splits.split(","):
        with open(os.path.join(args.data, f"{split}.jsonl")) as f:
            rows = [json.loads(line) for line in f]
        if args.limit:
            rows = rows[:args.limit]
        t0 = time.time()
        results[split] = score(rows, predict(model, sp, rows, args.max_gen_len, args.batch_tokens))
        results[split]["seconds"] = round(time.time() - t0, 1)
        r = results[split]
        print(f"{split:12} n={r['n']:5}  exact {r['exact']:.3f}  names {r['names']:.3f}  "
              f"no-call {r['no_call']:.3f} (n={r['no_call_n']})  calls-exact {r['calls_exact']:.3f}  "
              f"invalid {r['invalid']:.3f}  [{r['seconds']}s]", flush=True)
    if args.out:
        with open(args.out, "w") as f:
            json.dump({"weights": os.path.relpath(args.weights, HERE), "max_gen_len": args.max_gen_len,
                       "results": results}, f, indent=2)


if __name__ == "__main__":
    main()
