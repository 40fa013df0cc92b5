"""Proves the torch port against the shared float64 fixtures.

Checks prompt rendering (to_snake_case, normalize_tools and encoder input ids
against text_goldens.json and the cases). For the `tiny` and `ffn` checkpoints, every case's encoder_input_ids are run in
float64 and compared with model_goldens.json: encoder output rows, column sums
and mean |x| (5e-4), all first-step logits (5e-4), the unconstrained greedy ids
(exact, both from the cached greedy decoder and from the teacher-forced
training pass), and the contrastive embeddings (1e-5). Exits non-zero on any failure.

Usage: /usr/bin/python3 training/check_fixtures.py [fixtures_dir]
(default: tests/fixtures in this repository, wherever it is run from)
"""

import base64
import json
import os
import sys

import numpy as np
import torch

import sentencepiece as spm

from needle_torch import greedy_generate, load_checkpoint
from prompt import encoder_ids, normalize_tools, to_snake_case

FIXTURES = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "fixtures")
CHECKPOINTS = [("tiny", "needle_tiny.p4_numpy1.pkl"), ("ffn", "needle_ffn.p4_numpy2.pkl")]
TOL = 5e-4
TOL_CONTRASTIVE = 1e-5


def decode_f64(b64):
    """The fixtures' base64 little-endian float64 arrays."""
    return np.frombuffer(base64.b64decode(b64), dtype="<f8")


def check_case(model, case):
    """Max errors of one case and whether its greedy ids match exactly."""
    ids = torch.tensor([case["encoder_input_ids"]])
    with torch.no_grad():
        enc_out, _ = model.encode(ids)
    enc = enc_out[0].numpy()
    want = case["encoder_output"]
    rows = want["rows"]
    enc_err = max(
        np.abs(enc[0] - rows["first"]).max(),
        np.abs(enc[rows["middle_index"]] - rows["middle"]).max(),
        np.abs(enc[-1] - rows["last"]).max(),
        np.abs(enc.sum(0) - want["column_sum"]).max() / max(1, enc.shape[0]),
        abs(np.abs(enc).mean() - want["mean_abs"]),
    )
    run = case["unconstrained"]
    gen, first = greedy_generate(model, ids, run["max_gen_len"])
    logit_err = np.abs(first[0].numpy() - decode_f64(case["first_step_logits"]["b64_f64"])).max()
    return enc_err, logit_err, gen[0] == run["ids"] and teacher_forced_ids(model, ids, run["ids"]) == run["ids"]


def teacher_forced_ids(model, enc_ids, ids):
    """Argmax of the full causal (training) pass fed [EOS] + ids: equals ids
    when the training path and the cached greedy path agree."""
    dec = torch.tensor([[1] + ids[:-1]]) if ids else torch.tensor([[1]])
    with torch.no_grad():
        logits = model(enc_ids, dec)[0]
    return logits.argmax(-1).tolist()[:len(ids)]


def check_contrastive(model, goldens):
    """Max error of the contrastive embeddings over the golden texts."""
    err = 0.0
    for item in goldens["contrastive"]["items"]:
        ids = torch.tensor([item["ids"] or [0]])
        with torch.no_grad():
            emb = model.encode_contrastive(ids)[0].numpy()
        err = max(err, np.abs(emb - item["embedding"]).max())
    return err


def check_prompt(fixtures):
    """to_snake_case / normalize_tools goldens and every case's encoder_input_ids
    rebuilt from query + tools with the fixture tokenizer; returns mismatches."""
    with open(os.path.join(fixtures, "text_goldens.json")) as f:
        text = json.load(f)
    bad = [x["input"] for x in text["to_snake_case"] if to_snake_case(x["input"]) != x["output"]]
    bad += [x["input"] for x in text["normalize_tools"]
            if "error" not in x and normalize_tools(x["input"]) != (x["output"], x["name_map"])]
    sp = spm.SentencePieceProcessor(model_file=os.path.join(fixtures, "tokenizer", "needle_test.model"))
    for name, _ in CHECKPOINTS:
        with open(os.path.join(fixtures, name, "model_goldens.json")) as f:
            cases = json.load(f)["cases"]
        bad += [c["id"] for c in cases if encoder_ids(sp, c["query"], c["tools"]) != c["encoder_input_ids"]]
    return bad


def main(fixtures):
    torch.set_num_threads(2)
    bad = check_prompt(fixtures)
    ok = not bad
    print(f"prompt rendering (snake_case, normalize_tools, encoder ids): {'ok' if ok else 'FAIL ' + repr(bad)}")
    for name, file in CHECKPOINTS:
        model, _ = load_checkpoint(os.path.join(fixtures, name, file), torch.float64)
        with open(os.path.join(fixtures, name, "model_goldens.json")) as f:
            goldens = json.load(f)
        for case in goldens["cases"]:
            enc_err, logit_err, ids_equal = check_case(model, case)
            passed = enc_err <= TOL and logit_err <= TOL and ids_equal
            ok &= passed
            print(f"{name:5} {case['id']:18} encoder {enc_err:.2e}  logits {logit_err:.2e}  "
                  f"greedy ids {'equal' if ids_equal else 'DIFFER'}  {'ok' if passed else 'FAIL'}")
        c_err = check_contrastive(model, goldens)
        ok &= c_err <= TOL_CONTRASTIVE
        print(f"{name:5} contrastive max err {c_err:.2e}  {'ok' if c_err <= TOL_CONTRASTIVE else 'FAIL'}")
    print("all fixtures match" if ok else "FIXTURE MISMATCH")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else FIXTURES))
