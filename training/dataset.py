"""Tokenised examples and length-bucketed batches for training.

Each example becomes the reference's training pair (needle/dataset/dataset.py):
encoder ids = query + <tools> + normalised tools, decoder input =
[EOS, <tool_call>] + ids(answer), target = [<tool_call>] + ids(answer) + [EOS];
plus, for the contrastive head, the query alone and one called tool's JSON.
Tokenised splits are cached next to the JSONL, keyed by the tokenizer's and
the data's hash.
"""

import hashlib
import json
import os
import random

import numpy as np
import torch

from token_ids import PAD_ID, TOOLS_ID
from prompt import compact_json, decoder_pair, encoder_ids, normalize_tools, snake_answer

CONTRASTIVE_MAX_LEN = 256


def tokenize_row(sp, row):
    """Arrays (enc, dec_in, dec_tgt, query, tool) for one JSONL row (tool empty for no-call rows)."""
    enc = encoder_ids(sp, row["query"], row["tools"])
    normalized, name_map = normalize_tools(row["tools"])
    answer = snake_answer(row["answer"], name_map)
    dec_in, dec_tgt = decoder_pair(sp, answer)
    calls = json.loads(answer)
    tool = []
    if calls:
        spec = next((t for t in json.loads(normalized) if t["name"] == calls[0]["name"]), None)
        if spec is not None:
            tool = sp.encode(compact_json(spec))[:CONTRASTIVE_MAX_LEN]
    query = enc[:enc.index(TOOLS_ID)][:CONTRASTIVE_MAX_LEN]
    return tuple(np.array(x, dtype=np.int16) for x in (enc, dec_in, dec_tgt, query, tool))


def load_split(path, sp, model_path):
    """Tokenised rows of a JSONL split, cached as <path>.<hash of tokenizer and data>.pt."""
    digest = hashlib.md5()
    for name in (model_path, path):
        with open(name, "rb") as f:
            digest.update(f.read())
    digest = digest.hexdigest()[:10]
    cache = f"{path}.{digest}.pt"
    if os.path.exists(cache):
        return torch.load(cache)
    with open(path) as f:
        rows = [tokenize_row(sp, json.loads(line)) for line in f]
    torch.save(rows, cache)
    return rows


def pad(seqs):
    """Right-pad int16 arrays with PAD into a LongTensor [B, T]."""
    out = torch.full((len(seqs), max(len(s) for s in seqs)), PAD_ID, dtype=torch.long)
    for i, s in enumerate(seqs):
        out[i, :len(s)] = torch.from_numpy(s.astype(np.int64))
    return out


def bucketed_batches(rows, max_tokens, seed, pool=64):
    """Index batches grouped by encoder length: shuffle, sort within pools of
    `pool` batches' worth of rows, cut batches of at most max_tokens padded
    encoder tokens, shuffle the batch order."""
    rng = random.Random(seed)
    order = list(range(len(rows)))
    rng.shuffle(order)
    batches = []
    chunk = pool * max(1, max_tokens // 200)
    for start in range(0, len(order), chunk):
        part = sorted(order[start:start + chunk], key=lambda i: len(rows[i][0]))
        batch, longest = [], 0
        for i in part:
            n = len(rows[i][0])
            if batch and max(longest, n) * (len(batch) + 1) > max_tokens:
                batches.append(batch)
                batch, longest = [], 0
            batch.append(i)
            longest = max(longest, n)
        if batch:
            batches.append(batch)
    rng.shuffle(batches)
    return batches


def collate(rows, batch):
    """(enc [B,Te], dec_in [B,Td], dec_tgt [B,Td]) LongTensors for a batch of indices."""
    picked = [rows[i] for i in batch]
    return pad([r[0] for r in picked]), pad([r[1] for r in picked]), pad([r[2] for r in picked])


def contrastive_pairs(rows, batch, limit):
    """(queries [B,Tq], tools [B,Tt]) for up to `limit` rows of the batch that call a tool."""
    picked = [rows[i] for i in batch if len(rows[i][4]) and len(rows[i][3])][:limit]
    if len(picked) < 2:
        return None
    return pad([r[3] for r in picked]), pad([r[4] for r in picked])
