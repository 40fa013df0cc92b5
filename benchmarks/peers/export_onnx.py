"""Export a real-size Needle (random weights) to ONNX for the onnxruntime-web
peer benchmark, plus the same weights as an official-format checkpoint for
our engine.

    /usr/bin/python3 benchmarks/peers/export_onnx.py [--out DIR] [--seed N]

Debian's python3 with python3-torch (1.13) and numpy; nothing is downloaded.
Writes into benchmarks/peers/out/ (gitignored):

  needle-peer.pkl     {"params": flax-named float16 tree, "config": dict},
                      what NeedleModel.load reads
  encoder.onnx        ids [1, T] int64 -> encoder_out [1, T, d],
                      cross_bias [1, 1, 1, T] (0, or float32 min at padding),
                      cross_key_i / cross_value_i [1, kv_heads, T, head_dim]
                      for every decoder layer i (projected and k-normed once)
  decoder_step.onnx   token [1, 1] int64, position [1] int64, cross_bias,
                      past_key_i / past_value_i [1, kv_heads, P, head_dim],
                      cross_key_i / cross_value_i -> logits [1, vocab],
                      present_key_i / present_value_i [1, kv_heads, P + 1, head_dim]
  reference.json      encoder ids, decoder ids and float64 logits from
                      training/needle_torch.py for the benchmark's check

The model is built with training/needle_torch.py (imported read-only) and
the float16-rounded weights are loaded into it; the export graphs are small
modules of this file that hold the same weights per layer in float32 (plain
tensors, so the ONNX files carry one initializer per weight matrix instead of
Gathers into stacked tensors). Before exporting, the export modules are
checked against needle_torch's float64 forward pass (encoder output, cross
K/V and several KV-cached decoder steps).
"""

import argparse
import json
import math
import os
import pickle
import sys
import time

sys.dont_write_bytecode = True  # import needle_torch without writing into training/

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "training"))
import needle_torch as nt  # noqa: E402  (read-only: another engineer owns it)

ENC, DEC = nt.ENC, nt.DEC
OPSET = 17  # the highest torch 1.13's exporter supports

# Needle 1 as published: the keys real checkpoints store (defaults fill the rest).
STORED_CONFIG = {
    "vocab_size": 8192, "d_model": 512, "num_heads": 8, "num_kv_heads": 4,
    "num_encoder_layers": 12, "num_decoder_layers": 8, "d_ff": 2048,
    "max_seq_len": 1024, "dtype": "bfloat16", "activation": "drelu",
    "no_feedforward": True, "contrastive_dim": 128,
}
ROPE_POSITIONS = 1024  # RoPE table rows: covers the 1024-token encoder and the 512-slot decoder
BENCH_ENCODER_TOKENS = 256
CHECK_DECODER_STEPS = 4


def bench_encoder_ids(n, vocab):
    """The benchmark's encoder input (same formula as benchmarks/model.bench.ts)."""
    return [6 + ((i * 7919) % (vocab - 6)) for i in range(n)]


def bench_decoder_ids(n, vocab):
    """EOS, then arbitrary non-special ids."""
    return [nt.EOS_ID if i == 0 else 6 + ((i * 104729) % (vocab - 6)) for i in range(n)]


# ---- weights ---------------------------------------------------------------------

def distribution(name, shape, d):
    """Normal(mean, std) per tensor, as tests/twins/random-checkpoint.ts and the
    fixtures: decisive logits, so a wrong op shows up as a large difference."""
    fan_in = shape[-2] if len(shape) >= 2 else d
    if name == "embedding/embedding":
        return 0.0, 1 / math.sqrt(d)
    if name.endswith("out_proj/kernel") or name.endswith("down_proj/kernel"):
        return 0.0, 2 / math.sqrt(fan_in)
    if name.endswith("/kernel"):
        return 0.0, 1.25 / math.sqrt(fan_in)
    if name.endswith("_gate"):
        return 0.5, 1.0
    if name == "decoder/ZCRMSNorm_0/scale":
        return -1.0, 4.0
    if name.endswith("q_norm/scale") or name.endswith("k_norm/scale"):
        return 0.4, 0.2
    if name.endswith("/scale"):
        return 0.0, 0.2
    return 0.0, 0.1


def random_params(cfg, seed):
    """Flat {flax path: float16 ndarray} in needle_torch's tree order."""
    rng = np.random.default_rng(seed)
    flat = {}
    for name, shape in nt.param_shapes(cfg).items():
        mean, std = distribution(name, shape, cfg.d_model)
        flat[name] = np.asarray(mean + std * rng.standard_normal(shape), dtype=np.float16)  # 0-d stays an array
    return flat


def write_checkpoint(path, flat, stored_config):
    """The official format: {"params": nested float16 tree, "config": dict}, protocol 4."""
    with open(path, "wb") as f:
        pickle.dump({"params": nt.unflatten(flat), "config": dict(stored_config)}, f, protocol=4)


def reference_model(cfg, flat):
    """needle_torch's Needle holding exactly the float16 weights, in float64."""
    model = nt.Needle(cfg).double().eval()
    with torch.no_grad():
        for name, array in flat.items():
            model.params[name].copy_(torch.from_numpy(array.astype(np.float64)))
    return model


# ---- export modules ----------------------------------------------------------------

def rms_norm(x, scale1p):
    """ZCRMSNorm with (1 + scale) precomputed, written as x / sqrt(mean(x^2) + eps) * w:
    the RMSNorm pattern onnxruntime fuses into SimplifiedLayerNormalization."""
    return x / torch.sqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * scale1p


def rope(x, cos, sin):
    """Rotate-half RoPE; cos/sin broadcast against x[..., :half]."""
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)


def const(array):
    return torch.nn.Parameter(torch.as_tensor(np.asarray(array, dtype=np.float32)), requires_grad=False)


class Attention(torch.nn.Module):
    """One attention sublayer's weights (float32, [in, out] kernels)."""

    def __init__(self, flat, prefix, layer):
        super().__init__()
        self.wq = const(flat[prefix + "q_proj/kernel"][layer])
        self.wk = const(flat[prefix + "k_proj/kernel"][layer])
        self.wv = const(flat[prefix + "v_proj/kernel"][layer])
        self.wo = const(flat[prefix + "out_proj/kernel"][layer])
        self.q_norm = const(1.0 + flat[prefix + "q_norm/scale"][layer].astype(np.float32))
        self.k_norm = const(1.0 + flat[prefix + "k_norm/scale"][layer].astype(np.float32))


class Shapes:
    def __init__(self, cfg):
        self.d, self.h, self.kv, self.hd = cfg.d_model, cfg.num_heads, cfg.num_kv_heads, cfg.head_dim
        self.rep = self.h // self.kv


def rope_table(cfg):
    """cos/sin [ROPE_POSITIONS, head_dim/2], angles computed in float64."""
    i = np.arange(0, cfg.head_dim, 2, dtype=np.float64)
    angles = np.arange(ROPE_POSITIONS, dtype=np.float64)[:, None] * (cfg.rope_theta ** (-i / cfg.head_dim))[None, :]
    return const(np.cos(angles)), const(np.sin(angles))


def project_kv(s, attn, x, cos=None, sin=None):
    """K (normed, RoPE'd when cos is given) and V [1, KV, T, hd]."""
    k = (x @ attn.wk).reshape(1, -1, s.kv, s.hd).transpose(1, 2)
    v = (x @ attn.wv).reshape(1, -1, s.kv, s.hd).transpose(1, 2)
    k = rms_norm(k, attn.k_norm)
    if cos is not None:
        k = rope(k, cos, sin)
    return k, v


def attend(s, attn, x, k, v, bias=None, cos=None, sin=None):
    """Grouped-query attention of x [1, T, d] over k/v [1, KV, S, hd]: the query
    heads 2j, 2j+1 of kv head j are stacked as [1, KV, rep*T, hd], so K/V are
    never repeated. bias [1, 1, 1, S] is added to the scores."""
    q = (x @ attn.wq).reshape(1, -1, s.h, s.hd).transpose(1, 2)  # [1, H, T, hd]
    q = rms_norm(q, attn.q_norm)
    if cos is not None:
        q = rope(q, cos, sin)
    q = q.reshape(1, s.kv, -1, s.hd) * (1.0 / math.sqrt(s.hd))  # [1, KV, rep*T, hd]
    scores = q @ k.transpose(-1, -2)  # [1, KV, rep*T, S]
    if bias is not None:
        scores = scores + bias
    out = torch.softmax(scores, dim=-1) @ v  # [1, KV, rep*T, hd]
    out = out.reshape(1, s.h, -1, s.hd).transpose(1, 2).reshape(1, -1, s.d)
    return out @ attn.wo


class EncoderExport(torch.nn.Module):
    """ids [1, T] -> encoder_out, cross_bias, then (cross_key_i, cross_value_i) per decoder layer."""

    def __init__(self, cfg, flat):
        super().__init__()
        self.cfg, self.s = cfg, Shapes(cfg)
        self.embedding = const(flat["embedding/embedding"])
        self.cos, self.sin = rope_table(cfg)
        self.attn = torch.nn.ModuleList(Attention(flat, ENC + "self_attn/", l) for l in range(cfg.num_encoder_layers))
        self.norm = const(1.0 + flat[ENC + "ZCRMSNorm_0/scale"].astype(np.float32))  # [L, d]
        self.gate = const(1.0 / (1.0 + np.exp(-flat[ENC + "attn_gate"].astype(np.float64))))  # sigmoid, [L]
        self.final = const(1.0 + flat["encoder/final_norm/scale"].astype(np.float32))
        self.cross = torch.nn.ModuleList(Attention(flat, DEC + "cross_attn/", l) for l in range(cfg.num_decoder_layers))

    def forward(self, ids):
        s, cfg = self.s, self.cfg
        n = ids.shape[1]
        pad = (ids == cfg.pad_token_id).to(torch.float32)
        bias = (pad * nt.MASK_VALUE).reshape(1, 1, 1, -1)  # [1, 1, 1, T]
        cos, sin = self.cos[:n], self.sin[:n]  # [T, hd/2]
        x = self.embedding[ids] * math.sqrt(s.d)  # [1, T, d]
        for l, attn in enumerate(self.attn):
            h = rms_norm(x, self.norm[l])
            k, v = project_kv(s, attn, h, cos, sin)
            x = x + self.gate[l] * attend(s, attn, h, k, v, bias, cos, sin)
        out = rms_norm(x, self.final)
        cross = []
        for attn in self.cross:
            cross.extend(project_kv(s, attn, out))
        return (out, bias, *cross)


class DecoderStepExport(torch.nn.Module):
    """token [1, 1], position [1], cross_bias, past K/V..., cross K/V... ->
    logits [1, vocab], present K/V..."""

    def __init__(self, cfg, flat):
        super().__init__()
        self.cfg, self.s = cfg, Shapes(cfg)
        self.embedding = const(flat["embedding/embedding"])
        self.cos, self.sin = rope_table(cfg)
        L = cfg.num_decoder_layers
        self.self_attn = torch.nn.ModuleList(Attention(flat, DEC + "self_attn/", l) for l in range(L))
        self.cross_attn = torch.nn.ModuleList(Attention(flat, DEC + "cross_attn/", l) for l in range(L))
        self.norm0 = const(1.0 + flat[DEC + "ZCRMSNorm_0/scale"].astype(np.float32))
        self.norm1 = const(1.0 + flat[DEC + "ZCRMSNorm_1/scale"].astype(np.float32))
        self.self_gate = const(1.0 / (1.0 + np.exp(-flat[DEC + "self_attn_gate"].astype(np.float64))))
        self.cross_gate = const(1.0 / (1.0 + np.exp(-flat[DEC + "cross_attn_gate"].astype(np.float64))))
        self.final = const(1.0 + flat["decoder/ZCRMSNorm_0/scale"].astype(np.float32))

    def forward(self, token, position, cross_bias, *kv):
        s, L = self.s, self.cfg.num_decoder_layers
        past, cross = kv[:2 * L], kv[2 * L:]
        cos = self.cos[position].reshape(1, 1, 1, -1)  # [1, 1, 1, hd/2]
        sin = self.sin[position].reshape(1, 1, 1, -1)
        x = self.embedding[token] * math.sqrt(s.d)  # [1, 1, d]
        present = []
        for l in range(L):
            h = rms_norm(x, self.norm0[l])
            k, v = project_kv(s, self.self_attn[l], h, cos, sin)
            k = torch.cat([past[2 * l], k], dim=2)  # [1, KV, P+1, hd]
            v = torch.cat([past[2 * l + 1], v], dim=2)
            present += [k, v]
            x = x + self.self_gate[l] * attend(s, self.self_attn[l], h, k, v, None, cos, sin)
            h = rms_norm(x, self.norm1[l])
            x = x + self.cross_gate[l] * attend(s, self.cross_attn[l], h, cross[2 * l], cross[2 * l + 1], cross_bias)
        h = rms_norm(x, self.final).reshape(1, s.d)
        return (h @ self.embedding.t(), *present)


# ---- checks -------------------------------------------------------------------------

def max_diff(a, b):
    return float((a.double() - b.double()).abs().max())


@torch.no_grad()
def check_against_reference(cfg, ref, enc, dec, enc_ids, dec_ids):
    """Export modules (float32) vs needle_torch (float64) on one input; returns
    the reference's logits per decoder step."""
    ids = torch.tensor([enc_ids])
    ref_out, ref_mask = ref.encode(ids)
    ref_cross = ref.cross_kv(ref_out)
    got = enc(ids)
    report = {"encoder_out": max_diff(got[0], ref_out)}
    report["cross_kv"] = max(max_diff(got[2 + 2 * l + j], ref_cross[l][j]) for l in range(cfg.num_decoder_layers) for j in (0, 1))

    cache_ref = [None] * cfg.num_decoder_layers
    past = [torch.zeros(1, cfg.num_kv_heads, 0, cfg.head_dim)] * (2 * cfg.num_decoder_layers)
    ref_logits, step_diffs = [], []
    for pos, token in enumerate(dec_ids):
        h = ref.decoder_layers(ref.embed(torch.tensor([[token]])), pos, ref_mask, ref_cross, cache_ref)
        want = ref.logits(h)[:, -1]
        outs = dec(torch.tensor([[token]]), torch.tensor([pos]), got[1], *past, *got[2:])
        past = list(outs[1:])
        step_diffs.append(max_diff(outs[0], want))
        ref_logits.append(want[0])
    report["logits_per_step"] = step_diffs
    report["logits_abs_max"] = float(max(l.abs().max() for l in ref_logits))
    return report, ref_logits


def export(module, args, path, input_names, output_names, dynamic_axes):
    torch.onnx.export(module, args, path, opset_version=OPSET, do_constant_folding=True,
                      input_names=input_names, output_names=output_names, dynamic_axes=dynamic_axes)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default=os.path.join(HERE, "out"))
    parser.add_argument("--seed", type=int, default=26)
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    torch.manual_seed(args.seed)
    t0 = time.time()

    cfg = nt.NeedleConfig.from_dict(STORED_CONFIG)
    flat = random_params(cfg, args.seed)
    n_params = sum(a.size for a in flat.values())
    ckpt = os.path.join(args.out, "needle-peer.pkl")
    write_checkpoint(ckpt, flat, STORED_CONFIG)
    print(f"checkpoint: {ckpt} ({n_params / 1e6:.2f}M params, float16)")

    ref = reference_model(cfg, flat)
    enc = EncoderExport(cfg, flat).eval()
    dec = DecoderStepExport(cfg, flat).eval()
    enc_ids = bench_encoder_ids(BENCH_ENCODER_TOKENS, cfg.vocab_size)
    dec_ids = bench_decoder_ids(CHECK_DECODER_STEPS, cfg.vocab_size)
    report, ref_logits = check_against_reference(cfg, ref, enc, dec, enc_ids, dec_ids)
    print("export modules (float32) vs needle_torch (float64), max |diff|:", json.dumps(report))
    worst = max(report["encoder_out"], report["cross_kv"], *report["logits_per_step"])
    if worst > 2e-3:
        raise SystemExit(f"export modules disagree with needle_torch (max |diff| {worst:.3g})")

    L, kv, hd = cfg.num_decoder_layers, cfg.num_kv_heads, cfg.head_dim
    cross_names = [f"cross_{kind}_{l}" for l in range(L) for kind in ("key", "value")]
    past_names = [f"past_{kind}_{l}" for l in range(L) for kind in ("key", "value")]
    present_names = [f"present_{kind}_{l}" for l in range(L) for kind in ("key", "value")]

    # Trace with sizes that are not special (T = 11, P = 3) so nothing specialises on them.
    with torch.no_grad():
        sample_ids = torch.tensor([bench_encoder_ids(11, cfg.vocab_size)])
        enc_path = os.path.join(args.out, "encoder.onnx")
        export(enc, (sample_ids,), enc_path, ["ids"], ["encoder_out", "cross_bias", *cross_names],
               {"ids": {1: "T"}, "encoder_out": {1: "T"}, "cross_bias": {3: "T"}, **{n: {2: "T"} for n in cross_names}})
        print(f"exported {enc_path} ({os.path.getsize(enc_path) / 1e6:.1f} MB)")

        sample = enc(sample_ids)
        past = [torch.randn(1, kv, 3, hd) for _ in range(2 * L)]
        dec_path = os.path.join(args.out, "decoder_step.onnx")
        export(dec, (torch.tensor([[7]]), torch.tensor([3]), sample[1], *past, *sample[2:]), dec_path,
               ["token", "position", "cross_bias", *past_names, *cross_names], ["logits", *present_names],
               {"cross_bias": {3: "T"}, **{n: {2: "T"} for n in cross_names},
                **{n: {2: "P"} for n in past_names}, **{n: {2: "P1"} for n in present_names}})
        print(f"exported {dec_path} ({os.path.getsize(dec_path) / 1e6:.1f} MB)")

    reference = {
        "description": "float64 logits of training/needle_torch.py on needle-peer.pkl: decoder_ids fed one per step from position 0 after encoding encoder_ids",
        "opset": OPSET,
        "torch": torch.__version__,
        "seed": args.seed,
        "params": int(n_params),
        "stored_config": STORED_CONFIG,
        "encoder_ids": enc_ids,
        "decoder_ids": dec_ids,
        "export_check": report,
        "logits": [l.tolist() for l in ref_logits],
    }
    with open(os.path.join(args.out, "reference.json"), "w") as f:
        json.dump(reference, f)
    print(f"wrote {os.path.join(args.out, 'reference.json')} in {time.time() - t0:.0f} s")


if __name__ == "__main__":
    main()
