"""Exports a training run to the official checkpoint format and writes the golden file.

- weights/demo/needle-demo.pkl: `{"params": flax-named float16 tree, "config"}`,
  pickle protocol 4, plain numpy arrays (as in the shared fixtures).
- weights/demo/golden.json: the checkpoint's size and SHA-256 (the shipped
  bundle's header records the same) and, for a few held-out cases,
  computed in float64 from the exported float16 weights (so an engine
  holding those weights, as the f16 bundle does, must match):
  query, tools, normalised tools, encoder input ids, encoder output summary,
  first-step logits (top 20, all logits as base64 little-endian float32, mean,
  std) and the unconstrained greedy ids, raw text and final text with the
  per-step margin (top-1 minus top-2).

Usage: /usr/bin/python3 training/export.py --run demo
"""

import argparse
import base64
import hashlib
import json
import os

import numpy as np
import sentencepiece as spm
import torch

from needle_torch import Needle, NeedleConfig, greedy_generate, load_checkpoint, save_checkpoint
from prompt import encoder_ids, normalize_tools, restore_tool_names
from runtime import setup
from token_ids import TOOL_CALL_ID

HERE = os.path.dirname(os.path.abspath(__file__))
OUT_DIR = os.path.join(HERE, "..", "weights", "demo")
SAMPLE = os.path.join(HERE, "heldout_sample.jsonl")
GOLDEN_CASES = 3
MAX_GEN_LEN = 128


def export_pickle(run, path):
    """Training checkpoint -> official float16 pickle."""
    saved = torch.load(os.path.join(HERE, "runs", run, "checkpoint.pt"))
    model = Needle(NeedleConfig.from_dict(saved["config"]))
    model.load_state_dict(saved["model"])
    save_checkpoint(model, path)


def greedy_with_margins(model, enc_ids, max_gen_len):
    """Unconstrained greedy ids and the top-1 minus top-2 logit margin of each step."""
    enc_out, enc_mask = model.encode(enc_ids)
    cross = model.cross_kv(enc_out)
    cache = [None] * model.cfg.num_decoder_layers
    token = torch.tensor([[1]])
    ids, margins, stopped = [], [], False
    for pos in range(max_gen_len - 1):
        logits = model.logits(model.decoder_layers(model.embed(token), pos, enc_mask, cross, cache))[0, -1]
        top2 = torch.topk(logits, 2).values
        margins.append(float(top2[0] - top2[1]))
        nxt = int(logits.argmax())
        if nxt == 1:
            stopped = True
            break
        ids.append(nxt)
        token = torch.tensor([[nxt]])
    return ids, margins, stopped


def golden_case(model, sp, row):
    """Everything an engine needs to check itself against torch on one case."""
    normalized, name_map = normalize_tools(row["tools"])
    enc = encoder_ids(sp, row["query"], row["tools"])
    ids_t = torch.tensor([enc])
    with torch.no_grad():
        enc_out = model.encode(ids_t)[0][0].numpy()
        _, first = greedy_generate(model, ids_t, 2)
        ids, margins, stopped = greedy_with_margins(model, ids_t, MAX_GEN_LEN)
    logits = first[0].numpy()
    top = np.argsort(-logits)[:20]
    raw = sp.decode(ids)
    text_ids = ids[1:] if ids and ids[0] == TOOL_CALL_ID else ids
    text = sp.decode(text_ids)
    try:
        final = json.dumps(restore_tool_names(json.loads(text), name_map), separators=(",", ":"))
    except ValueError:
        final = text
    return {
        "query": row["query"], "tools": row["tools"], "expected_answer": row["answer"],
        "split": row["split"], "normalized_tools": normalized, "name_map": name_map,
        "encoder_input_ids": enc,
        "encoder_output": {"shape": list(enc_out.shape), "first": enc_out[0].tolist(), "last": enc_out[-1].tolist(),
                           "column_sum": enc_out.sum(0).tolist(), "mean_abs": float(np.abs(enc_out).mean())},
        "first_step_logits": {"top": [[int(i), float(logits[i])] for i in top],
                              "b64_f32": base64.b64encode(logits.astype("<f4").tobytes()).decode(),
                              "mean": float(logits.mean()), "std": float(logits.std())},
        "unconstrained": {"max_gen_len": MAX_GEN_LEN, "ids": ids, "raw_text": raw, "text": final,
                          "stopped_on_eos": stopped, "margins": [round(m, 6) for m in margins],
                          "min_margin": min(margins)},
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--run", default="demo")
    ap.add_argument("--out", default=OUT_DIR)
    args = ap.parse_args()
    setup(2)
    pkl = os.path.join(args.out, "needle-demo.pkl")
    export_pickle(args.run, pkl)
    model, stored = load_checkpoint(pkl, torch.float64)
    model.eval()
    sp = spm.SentencePieceProcessor(model_file=os.path.join(args.out, "needle-demo.model"))
    with open(SAMPLE) as f:
        rows = [json.loads(line) for line in f]
    picks = pick_cases(rows)
    golden = {
        "about": "Torch float64 reference computed from weights/demo/needle-demo.pkl (float16 weights as stored). "
                 "Tolerances as in the shared fixtures: logits and encoder values 5e-4, greedy ids exact "
                 "while the recorded margin exceeds the logit error.",
        "checkpoint": {"file": "needle-demo.pkl", "bytes": os.path.getsize(pkl), "sha256": sha256(pkl)},
        "tokenizer": "needle-demo.model", "config": stored,
        "cases": [golden_case(model, sp, row) for row in picks],
    }
    with open(os.path.join(args.out, "golden.json"), "w") as f:
        json.dump(golden, f, indent=1)
    print(f"wrote {pkl} ({os.path.getsize(pkl)} bytes) and golden.json with {len(golden['cases'])} cases")


def sha256(path):
    with open(path, "rb") as f:
        return hashlib.sha256(f.read()).hexdigest()


def pick_cases(rows):
    """An in-distribution single call, an unseen-family call and a no-call case."""
    def first(pred):
        return next(r for r in rows if pred(r))
    return [
        first(lambda r: r["split"] == "test_id" and r["answer"].count('"name"') == 1),
        first(lambda r: r["split"] == "test_unseen" and r["answer"] != "[]"),
        first(lambda r: r["answer"] == "[]"),
    ][:GOLDEN_CASES]


if __name__ == "__main__":
    main()
