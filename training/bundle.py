"""Reads a float16 or float32 `.needle` bundle back into flax-named parameters,
so a training run can start from a shipped model (`train.py --init`).

The bundle format is weights/FORMAT.md; this reader inverts what the engine
stores: matrices back to flax's [in, out] kernels (Q, K, V and the cross K, V
split apart again), norm gains `1 + scale` back to scales and gates
`sigmoid(gate)` back to gates. `log_temp` (training only) is not stored, so
it keeps its initial value.

`/usr/bin/python3 training/bundle.py [BUNDLE]` checks a bundle (by default the
shipped one) against weights/demo/golden.json: the first-step logits of its
weights run in torch must be within 5e-4 of the golden ones.
"""

import json
import struct
import zlib

import numpy as np

MAGIC = b"NEEDLEWM"
FIXED_BYTES = 24


def _align64(n):
    return (n + 63) & ~63


class _Image:
    """Walks the weight image's 64-aligned blocks in order."""

    def __init__(self, data, dtype):
        self.data, self.dtype, self.at = data, dtype, 0

    def take(self, nbytes):
        block = self.data[self.at:self.at + nbytes]
        if len(block) != nbytes:
            raise ValueError("bundle weights end early")
        self.at = _align64(self.at + nbytes)
        return block

    def vector(self, n):
        return np.frombuffer(self.take(4 * n), "<f4").astype(np.float64)

    def matrix(self, rows, cols, f32=False):
        """M(rows, cols) (row r feeds output r) as a [rows, cols] array."""
        if self.dtype == "f16" and not f32:
            return np.frombuffer(self.take(2 * rows * cols), "<f2").astype(np.float64).reshape(rows, cols)
        if self.dtype not in ("f16", "f32"):
            raise ValueError(f"cannot start training from a {self.dtype} bundle (only f16 or f32)")
        quads, chunks = -(-rows // 4), -(-cols // 4)
        raw = np.frombuffer(self.take(64 * quads * chunks), "<f4").astype(np.float64)
        # [quad][chunk][row in quad][column in chunk] -> [row][column]
        full = raw.reshape(quads, chunks, 4, 4).transpose(0, 2, 1, 3).reshape(4 * quads, 4 * chunks)
        return full[:rows, :cols]


def _logit(p):
    return float(np.log(p / (1.0 - p)))


def read_bundle(path):
    """(config dict, tokenizer bytes, {flax name: float64 array}) of a bundle."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:8] != MAGIC:
        raise ValueError(f"{path}: not a .needle bundle")
    version, header_len, header_crc, _ = struct.unpack("<IIII", data[8:FIXED_BYTES])
    if version != 1:
        raise ValueError(f"{path}: bundle version {version}, expected 1")
    header_bytes = data[FIXED_BYTES:FIXED_BYTES + header_len]
    if zlib.crc32(header_bytes) != header_crc:
        raise ValueError(f"{path}: header checksum mismatch")
    header = json.loads(header_bytes)
    sections = {}
    for key in ("tokenizer", "weights"):
        s = header[key]
        sections[key] = data[s["offset"]:s["offset"] + s["length"]]
        if len(sections[key]) != s["length"] or zlib.crc32(sections[key]) != s["crc32"]:
            raise ValueError(f"{path}: {key} section truncated or corrupt")
    cfg = header["config"]
    ffn = not cfg["no_feedforward"]
    d, heads, kv_heads = cfg["d_model"], cfg["num_heads"], cfg["num_kv_heads"]
    hd = d // heads
    kv = kv_heads * hd
    c4, con, ff = d // 4, cfg["contrastive_dim"], cfg["d_ff"]
    img = _Image(sections["weights"], header["dtype"])
    p = {}
    p["embedding/embedding"] = img.matrix(cfg["vocab_size"], d)
    p["encoder/final_norm/scale"] = img.vector(d) - 1
    p["decoder/ZCRMSNorm_0/scale"] = img.vector(d) - 1
    p["contrastive_hidden/kernel"] = img.matrix(c4, d, f32=True).T
    p["contrastive_hidden/bias"] = img.vector(c4)
    p["contrastive_proj/kernel"] = img.matrix(con, c4, f32=True).T

    def feed_forward(layer, gate, norm, norm_name):
        """With FFN: the gate and norm read earlier, then M(2F, d) gate_proj
        and up_proj rows and M(d, F) down_proj. Without FFN those slots hold zeros."""
        if not ffn:
            return
        layer["ffn_gate"] = _logit(gate)
        layer[norm_name + "/scale"] = norm - 1
        gate_up = img.matrix(2 * ff, d)
        layer["FeedForward_0/gate_proj/kernel"] = gate_up[:ff].T
        layer["FeedForward_0/up_proj/kernel"] = gate_up[ff:].T
        layer["FeedForward_0/down_proj/kernel"] = img.matrix(d, ff).T

    def stack(layers):
        return {name: np.stack([layer[name] for layer in layers]) for name in layers[0]}

    enc = []
    for _ in range(cfg["num_encoder_layers"]):
        layer = {"attn_gate": _logit(img.vector(1)[0])}
        ffn_gate = img.vector(1)[0]
        layer["ZCRMSNorm_0/scale"] = img.vector(d) - 1
        ffn_norm = img.vector(d)
        layer["self_attn/q_norm/scale"] = img.vector(hd) - 1
        layer["self_attn/k_norm/scale"] = img.vector(hd) - 1
        qkv = img.matrix(d + 2 * kv, d)
        layer["self_attn/q_proj/kernel"] = qkv[:d].T
        layer["self_attn/k_proj/kernel"] = qkv[d:d + kv].T
        layer["self_attn/v_proj/kernel"] = qkv[d + kv:].T
        layer["self_attn/out_proj/kernel"] = img.matrix(d, d).T
        feed_forward(layer, ffn_gate, ffn_norm, "ZCRMSNorm_1")
        enc.append(layer)
    for name, value in stack(enc).items():
        p["encoder/layers/EncoderBlock_0/" + name] = value

    dec = []
    for _ in range(cfg["num_decoder_layers"]):
        layer = {"self_attn_gate": _logit(img.vector(1)[0]), "cross_attn_gate": _logit(img.vector(1)[0])}
        ffn_gate = img.vector(1)[0]
        layer["ZCRMSNorm_0/scale"] = img.vector(d) - 1
        layer["ZCRMSNorm_1/scale"] = img.vector(d) - 1
        ffn_norm = img.vector(d)
        for part in ("self_attn/q_norm", "self_attn/k_norm", "cross_attn/q_norm", "cross_attn/k_norm"):
            layer[part + "/scale"] = img.vector(hd) - 1
        qkv = img.matrix(d + 2 * kv, d)
        layer["self_attn/q_proj/kernel"] = qkv[:d].T
        layer["self_attn/k_proj/kernel"] = qkv[d:d + kv].T
        layer["self_attn/v_proj/kernel"] = qkv[d + kv:].T
        layer["self_attn/out_proj/kernel"] = img.matrix(d, d).T
        layer["cross_attn/q_proj/kernel"] = img.matrix(d, d).T
        cross_kv = img.matrix(2 * kv, d)
        layer["cross_attn/k_proj/kernel"] = cross_kv[:kv].T
        layer["cross_attn/v_proj/kernel"] = cross_kv[kv:].T
        layer["cross_attn/out_proj/kernel"] = img.matrix(d, d).T
        feed_forward(layer, ffn_gate, ffn_norm, "ZCRMSNorm_2")
        dec.append(layer)
    for name, value in stack(dec).items():
        p["decoder/layers/DecoderBlock_0/" + name] = value
    if img.at < len(sections["weights"]):
        raise ValueError(f"{path}: weights section longer than the config needs")
    return cfg, sections["tokenizer"], p


def check_against_golden(bundle_path, golden_path):
    """Largest first-step logit difference between the bundle's weights run in
    torch (float64) and golden.json, which export.py made from the checkpoint."""
    import base64

    import torch

    from needle_torch import Needle, NeedleConfig, greedy_generate

    cfg, _, params = read_bundle(bundle_path)
    model = Needle(NeedleConfig.from_dict(cfg))
    with torch.no_grad():
        for name, value in params.items():
            model.params[name].copy_(torch.from_numpy(value))
    model = model.double()
    worst = 0.0
    with open(golden_path) as f:
        golden = json.load(f)
    for case in golden["cases"]:
        with torch.no_grad():
            _, first = greedy_generate(model, torch.tensor([case["encoder_input_ids"]]), 2)
        want = np.frombuffer(base64.b64decode(case["first_step_logits"]["b64_f32"]), "<f4")
        worst = max(worst, float(np.abs(first[0].numpy() - want).max()))
    return worst


if __name__ == "__main__":
    import os
    import sys

    here = os.path.dirname(os.path.abspath(__file__))
    bundle = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "..", "weights", "needle-demo.needle")
    golden = os.path.join(here, "..", "weights", "demo", "golden.json")
    worst = check_against_golden(bundle, golden)
    print(f"{bundle}: first-step logits within {worst:.2e} of golden.json")
    sys.exit(0 if worst < 5e-4 else 1)
