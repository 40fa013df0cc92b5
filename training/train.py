"""Trains the demo Needle on CPU, time-boxed, resuming from its latest checkpoint.

Float32 master weights with bfloat16 autocast (like Needle, which trains in
bfloat16; Debian's torch has only a reference BLAS for float32 but runs
bfloat16 matmuls through oneDNN, ~30x faster here). Teacher-forced cross-entropy on the decoder targets (padding ignored), plus
every `--contrastive-every` steps an in-batch CLIP loss for the retrieval
head (query vs. the JSON of a tool it calls). AdamW with linear warmup and a
cosine decay driven by elapsed training time, so the schedule always ends
inside `--max-minutes` of wall-clock training time (steps, validation and
checkpoints; not the one-off tokenisation) however busy the machine is. A checkpoint is written
every `--save-minutes`; running the same command again resumes from it.

Usage: /usr/bin/python3 training/train.py --run demo --max-minutes 110
"""

import argparse
import json
import math
import os
import time

import numpy as np
import sentencepiece as spm
import torch
import torch.nn.functional as F

from bundle import read_bundle
from dataset import bucketed_batches, collate, contrastive_pairs, load_split
from needle_torch import Needle, NeedleConfig
from runtime import setup
from token_ids import PAD_ID

HERE = os.path.dirname(os.path.abspath(__file__))
TOKENIZER = os.path.join(HERE, "..", "weights", "demo", "needle-demo.model")
MODEL_SHAPE = dict(d_model=192, num_heads=4, num_kv_heads=2, num_encoder_layers=4, num_decoder_layers=4,
                   d_ff=1024, max_seq_len=1024, dtype="float32", activation="drelu", no_feedforward=True,
                   contrastive_dim=128, rope_theta=10000.0)


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--run", default="demo", help="run name: checkpoints go to training/runs/<run>/")
    ap.add_argument("--data", default=os.path.join(HERE, "data"), help="folder holding train.jsonl and val.jsonl")
    ap.add_argument("--max-minutes", type=float, default=110.0, help="training time budget")
    ap.add_argument("--save-minutes", type=float, default=5.0)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--min-lr-ratio", type=float, default=0.05)
    ap.add_argument("--warmup-steps", type=int, default=200)
    ap.add_argument("--weight-decay", type=float, default=0.01)
    ap.add_argument("--batch-tokens", type=int, default=4096, help="padded encoder tokens per batch")
    ap.add_argument("--contrastive-every", type=int, default=4)
    ap.add_argument("--contrastive-weight", type=float, default=0.2)
    ap.add_argument("--layers", default="4,4", help="encoder,decoder layers")
    ap.add_argument("--d-model", type=int, default=192)
    ap.add_argument("--d-ff", type=int, default=0,
                    help="feed-forward width per layer (0: none, Needle's no_feedforward); with --init from a "
                         "bundle without feed-forwards, they are added as identities (zero down_proj)")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--init", help="start a new run from this f16/f32 .needle bundle (its config and tokenizer) "
                                   "instead of random weights")
    ap.add_argument("--transfer-vocab", action="store_true",
                    help="with --init: accept a bundle made with another tokenizer, mapping its embedding onto this one's")
    return ap.parse_args()


def model_config(args, vocab_size):
    enc, dec = (int(x) for x in args.layers.split(","))
    shape = dict(MODEL_SHAPE, d_model=args.d_model, num_encoder_layers=enc, num_decoder_layers=dec)
    if args.d_ff:
        shape.update(d_ff=args.d_ff, no_feedforward=False)
    return NeedleConfig(vocab_size=vocab_size, **shape)


def transferred_embedding(old_table, old_tokenizer, new_sp):
    """The embedding rows [new vocab, d_model] for new_sp's pieces from a table
    over old_tokenizer's (serialized model): the same piece's row where the
    old vocabulary has it, else the row of its word-initial form ("▁" + piece),
    else the mean of the rows the old tokenizer splits its text into."""
    old_sp = spm.SentencePieceProcessor(model_proto=old_tokenizer)
    old_ids = {old_sp.id_to_piece(i): i for i in range(old_sp.get_piece_size())}
    rows, same, initial = [], 0, 0
    for i in range(new_sp.get_piece_size()):
        piece = new_sp.id_to_piece(i)
        if piece in old_ids:
            rows.append(old_table[old_ids[piece]])
            same += 1
        elif "\u2581" + piece in old_ids:
            rows.append(old_table[old_ids["\u2581" + piece]])
            initial += 1
        else:
            rows.append(old_table[old_sp.encode(piece.replace("\u2581", " "))].mean(axis=0))
    print(f"embedding transferred: {same} pieces kept, {initial} from their word-initial form, "
          f"{len(rows) - same - initial} from their old pieces' mean", flush=True)
    return np.stack(rows)


def init_from_bundle(model, path, transfer_vocab=False):
    """Copy a bundle's weights into a new model; its config and tokenizer must be this run's.

    Two differences are allowed. A bundle without feed-forwards may start a run
    with them: the new blocks start as identities (down_proj zero), so the
    grown model computes exactly what the bundle did. With transfer_vocab, a
    bundle with another tokenizer may start a run: its embedding is mapped
    onto this run's pieces (transferred_embedding)."""
    cfg, tokenizer, params = read_bundle(path)
    with open(TOKENIZER, "rb") as f:
        if f.read() != tokenizer:
            if not transfer_vocab:
                raise SystemExit(f"{path}: its tokenizer is not {TOKENIZER} (--transfer-vocab maps its embedding)")
            new_sp = spm.SentencePieceProcessor(model_file=TOKENIZER)
            params["embedding/embedding"] = transferred_embedding(params["embedding/embedding"], tokenizer, new_sp)
            cfg = dict(cfg, vocab_size=new_sp.get_piece_size())
    stored, run = NeedleConfig.from_dict(cfg).to_dict(), model.cfg.to_dict()
    grow = stored["no_feedforward"] and not run["no_feedforward"]
    if grow:
        stored.update(no_feedforward=False, d_ff=run["d_ff"])
    if stored != run:
        raise SystemExit(f"{path}: its config {cfg} is not this run's {run}")
    with torch.no_grad():
        for name, value in params.items():
            model.params[name].copy_(torch.from_numpy(value))
        if grow:
            for name in model.params:
                if name.endswith("down_proj/kernel"):
                    model.params[name].zero_()
    print(f"initialised from {path}" + (f", feed-forwards of width {run['d_ff']} added" if grow else ""), flush=True)


def learning_rate(args, step, progress):
    """Linear warmup over warmup steps, then cosine from lr to lr*min_lr_ratio over the time budget."""
    warm = min(1.0, (step + 1) / args.warmup_steps)
    cosine = args.min_lr_ratio + (1 - args.min_lr_ratio) * 0.5 * (1 + math.cos(math.pi * min(1.0, progress)))
    return args.lr * warm * cosine


def make_optimizer(model, args):
    """AdamW with weight decay on kernels and the embedding only (not norms, gates, biases)."""
    decay = [p for n, p in model.params.items() if n.endswith("kernel") or n == "embedding/embedding"]
    rest = [p for n, p in model.params.items() if not (n.endswith("kernel") or n == "embedding/embedding")]
    return torch.optim.AdamW([{"params": decay, "weight_decay": args.weight_decay},
                              {"params": rest, "weight_decay": 0.0}], lr=args.lr, betas=(0.9, 0.98), eps=1e-8)


def decoder_loss(model, enc, dec_in, dec_tgt):
    """Mean cross-entropy over non-pad target tokens."""
    logits = model(enc, dec_in).float()
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), dec_tgt.reshape(-1), ignore_index=PAD_ID)


def contrastive_loss(model, queries, tools):
    """Symmetric in-batch InfoNCE between query and tool embeddings, scale exp(log_temp)."""
    q, t = model.encode_contrastive(queries).float(), model.encode_contrastive(tools).float()
    scale = model.params["log_temp"].exp().clamp(max=100.0)
    logits = scale * q @ t.t()
    labels = torch.arange(len(q))
    return 0.5 * (F.cross_entropy(logits, labels) + F.cross_entropy(logits.t(), labels))


@torch.no_grad()
def validation_loss(model, rows, max_tokens):
    """Token-weighted decoder loss over a whole split."""
    model.eval()
    total, count = 0.0, 0
    for batch in bucketed_batches(rows, max_tokens, seed=0):
        enc, dec_in, dec_tgt = collate(rows, batch)
        n = int((dec_tgt != PAD_ID).sum())
        with torch.cpu.amp.autocast(dtype=torch.bfloat16):
            total += float(decoder_loss(model, enc, dec_in, dec_tgt)) * n
        count += n
    model.train()
    return total / count


def save(path, state):
    """Atomic torch.save."""
    tmp = path + ".tmp"
    torch.save(state, tmp)
    os.replace(tmp, path)


def log(run_dir, record):
    print(json.dumps(record), flush=True)
    with open(os.path.join(run_dir, "log.jsonl"), "a") as f:
        f.write(json.dumps(record) + "\n")


def main():
    args = parse_args()
    setup(args.threads)
    torch.manual_seed(args.seed)
    run_dir = os.path.join(HERE, "runs", args.run)
    os.makedirs(run_dir, exist_ok=True)
    ckpt_path = os.path.join(run_dir, "checkpoint.pt")

    sp = spm.SentencePieceProcessor(model_file=TOKENIZER)
    train_rows = load_split(os.path.join(args.data, "train.jsonl"), sp, TOKENIZER)
    val_rows = load_split(os.path.join(args.data, "val.jsonl"), sp, TOKENIZER)

    cfg = model_config(args, sp.get_piece_size())
    model = Needle(cfg, seed=args.seed)
    if args.init and not os.path.exists(ckpt_path):
        init_from_bundle(model, args.init, args.transfer_vocab)
    optimizer = make_optimizer(model, args)
    state = {"step": 0, "epoch": 0, "batch": 0, "elapsed": 0.0}
    if os.path.exists(ckpt_path):
        saved = torch.load(ckpt_path)
        model.load_state_dict(saved["model"])
        optimizer.load_state_dict(saved["optimizer"])
        state = saved["state"]
        print(f"resumed from {ckpt_path} at step {state['step']}, {state['elapsed'] / 60:.1f} min", flush=True)
    n_params = sum(p.numel() for p in model.parameters())
    log(run_dir, {"event": "start", "config": cfg.to_dict(), "params": n_params, "train_examples": len(train_rows),
                  "args": vars(args), **state})

    budget = args.max_minutes * 60
    last_save = time.time()
    window = {"loss": 0.0, "closs": 0.0, "n": 0, "nc": 0, "examples": 0, "t": time.time()}
    model.train()
    tick = time.time()
    while state["elapsed"] < budget:
        batches = bucketed_batches(train_rows, args.batch_tokens, seed=args.seed * 1000 + state["epoch"])
        while state["batch"] < len(batches) and state["elapsed"] < budget:
            batch = batches[state["batch"]]
            lr = learning_rate(args, state["step"], state["elapsed"] / budget)
            for group in optimizer.param_groups:
                group["lr"] = lr
            enc, dec_in, dec_tgt = collate(train_rows, batch)
            with torch.cpu.amp.autocast(dtype=torch.bfloat16):
                loss = decoder_loss(model, enc, dec_in, dec_tgt)
                total = loss
                if args.contrastive_every and state["step"] % args.contrastive_every == 0:
                    pairs = contrastive_pairs(train_rows, batch, limit=32)
                    if pairs is not None:
                        closs = contrastive_loss(model, *pairs)
                        total = loss + args.contrastive_weight * closs
                        window["closs"] += float(closs)
                        window["nc"] += 1
            optimizer.zero_grad(set_to_none=True)
            total.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()

            state["step"] += 1
            state["batch"] += 1
            state["elapsed"] += time.time() - tick
            tick = time.time()
            window["loss"] += float(loss)
            window["n"] += 1
            window["examples"] += len(batch)
            if state["step"] % 50 == 0:
                now = time.time()
                log(run_dir, {"step": state["step"], "epoch": state["epoch"], "loss": round(window["loss"] / window["n"], 4),
                              "contrastive": round(window["closs"] / max(1, window["nc"]), 4), "lr": round(lr, 6),
                              "ex_per_s": round(window["examples"] / (now - window["t"]), 1),
                              "minutes": round(state["elapsed"] / 60, 2)})
                window = {"loss": 0.0, "closs": 0.0, "n": 0, "nc": 0, "examples": 0, "t": now}
            if time.time() - last_save > args.save_minutes * 60:
                save(ckpt_path, {"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                                 "state": state, "config": cfg.to_dict()})
                last_save = time.time()
        if state["batch"] >= len(batches):
            state["epoch"] += 1
            state["batch"] = 0
            log(run_dir, {"event": "epoch", "epoch": state["epoch"], "step": state["step"],
                          "val_loss": round(validation_loss(model, val_rows, args.batch_tokens), 4)})
            state["elapsed"] += time.time() - tick
            tick = time.time()

    val = validation_loss(model, val_rows, args.batch_tokens)
    save(ckpt_path, {"model": model.state_dict(), "optimizer": optimizer.state_dict(), "state": state,
                     "config": cfg.to_dict()})
    log(run_dir, {"event": "done", "step": state["step"], "epoch": state["epoch"],
                  "minutes": round(state["elapsed"] / 60, 2), "val_loss": round(val, 4)})


if __name__ == "__main__":
    main()
