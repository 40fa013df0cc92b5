"""PyTorch port of Needle 1 (cactus-compute/needle, needle/model/architecture.py).

Parameters live in one flat dict keyed by the flax paths of the official
checkpoint (`encoder/layers/EncoderBlock_0/self_attn/q_proj/kernel`, ...), with
per-layer tensors stacked on a leading layer axis and Dense kernels stored
[in, out], so loading and saving `needle.pkl` is a plain copy.

The computation follows /work/shared/NEEDLE.md and the fixtures README:
ZCRMSNorm, grouped-query attention with per-head q/k norms before half-split
RoPE, masked scores set to the float32 minimum, sigmoid-gated residuals,
embedding * sqrt(d_model) on both sides and logits tied to the embedding.
"""

import math
import pickle
from dataclasses import dataclass, fields

import numpy as np
import torch
import torch.nn.functional as F

from token_ids import EOS_ID

MASK_VALUE = float(np.finfo(np.float32).min)
ENC = "encoder/layers/EncoderBlock_0/"
DEC = "decoder/layers/DecoderBlock_0/"


@dataclass
class NeedleConfig:
    """Needle's TransformerConfig with the reference dataclass defaults."""
    vocab_size: int = 8192
    d_model: int = 128
    num_heads: int = 4
    num_kv_heads: int = 2
    num_encoder_layers: int = 2
    num_decoder_layers: int = 2
    d_ff: int = 512
    max_seq_len: int = 128
    pad_token_id: int = 0
    rope_theta: float = 10000.0
    dtype: str = "bfloat16"
    activation: str = "drelu"
    num_memory_slots: int = 64
    dropout_rate: float = 0.1
    contrastive_dim: int = 128
    no_feedforward: bool = True

    @classmethod
    def from_dict(cls, stored):
        """A stored (possibly partial) config dict with missing fields defaulted."""
        known = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in stored.items() if k in known})

    def to_dict(self):
        return {f.name: getattr(self, f.name) for f in fields(self)}

    @property
    def head_dim(self):
        return self.d_model // self.num_heads

    @property
    def kv_dim(self):
        return self.num_kv_heads * self.head_dim


def param_shapes(cfg):
    """The flat flax parameter tree of Needle 1: path -> shape."""
    d, hd, kv, ff = cfg.d_model, cfg.head_dim, cfg.kv_dim, cfg.d_ff

    def attention(prefix, n):
        return {
            prefix + "q_proj/kernel": (n, d, d),
            prefix + "k_proj/kernel": (n, d, kv),
            prefix + "v_proj/kernel": (n, d, kv),
            prefix + "q_norm/scale": (n, hd),
            prefix + "k_norm/scale": (n, hd),
            prefix + "out_proj/kernel": (n, d, d),
        }

    def feed_forward(prefix, n, gate_norm):
        if cfg.no_feedforward:
            return {}
        return {
            prefix + "ffn_gate": (n,),
            prefix + gate_norm + "/scale": (n, d),
            prefix + "FeedForward_0/gate_proj/kernel": (n, d, ff),
            prefix + "FeedForward_0/up_proj/kernel": (n, d, ff),
            prefix + "FeedForward_0/down_proj/kernel": (n, ff, d),
        }

    ne, nd = cfg.num_encoder_layers, cfg.num_decoder_layers
    shapes = {"embedding/embedding": (cfg.vocab_size, d)}
    shapes[ENC + "attn_gate"] = (ne,)
    shapes[ENC + "ZCRMSNorm_0/scale"] = (ne, d)
    shapes.update(attention(ENC + "self_attn/", ne))
    shapes.update(feed_forward(ENC, ne, "ZCRMSNorm_1"))
    shapes["encoder/final_norm/scale"] = (d,)
    shapes[DEC + "self_attn_gate"] = (nd,)
    shapes[DEC + "ZCRMSNorm_0/scale"] = (nd, d)
    shapes.update(attention(DEC + "self_attn/", nd))
    shapes[DEC + "cross_attn_gate"] = (nd,)
    shapes[DEC + "ZCRMSNorm_1/scale"] = (nd, d)
    shapes.update(attention(DEC + "cross_attn/", nd))
    shapes.update(feed_forward(DEC, nd, "ZCRMSNorm_2"))
    shapes["decoder/ZCRMSNorm_0/scale"] = (d,)
    shapes["contrastive_hidden/kernel"] = (d, d // 4)
    shapes["contrastive_hidden/bias"] = (d // 4,)
    shapes["contrastive_proj/kernel"] = (d // 4, cfg.contrastive_dim)
    shapes["log_temp"] = ()
    return shapes


def init_value(path, shape, cfg, gen):
    """The reference initialisers: normal(0.02) for embedding and Dense kernels,
    normal(0.02/sqrt(2*total_layers)) for out/down projections, zeros for
    gates, norm scales, biases and log_temp."""
    if path.endswith("/kernel") or path == "embedding/embedding":
        std = 0.02
        if "out_proj" in path or "down_proj" in path:
            std /= math.sqrt(2 * (cfg.num_encoder_layers + cfg.num_decoder_layers))
        return torch.randn(shape, generator=gen) * std
    return torch.zeros(shape)


def mask_value(dtype):
    """The reference's masked score: the float32 minimum (the dtype's own
    minimum under bfloat16 autocast, where the float32 one does not fit)."""
    return MASK_VALUE if dtype in (torch.float32, torch.float64) else torch.finfo(dtype).min


def zc_rms_norm(x, scale):
    """ZCRMSNorm: (1 + scale) * x / sqrt(mean(x^2) + 1e-6) over the last axis."""
    return (1 + scale) * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6)


def rope_tables(n, head_dim, theta, dtype):
    """cos/sin [n, head_dim/2] with angle(t, i) = t * theta^(-2i/head_dim)."""
    i = torch.arange(0, head_dim, 2, dtype=torch.float64)
    freqs = 1.0 / theta ** (i / head_dim)
    angles = torch.arange(n, dtype=torch.float64)[:, None] * freqs[None, :]
    return torch.cos(angles).to(dtype), torch.sin(angles).to(dtype)


def apply_rope(x, cos, sin):
    """Rotate-half RoPE on x [B, H, T, hd] with cos/sin [T, hd/2]."""
    half = x.shape[-1] // 2
    x1, x2 = x[..., :half], x[..., half:]
    return torch.cat([x1 * cos - x2 * sin, x2 * cos + x1 * sin], dim=-1)


class Needle(torch.nn.Module):
    """Needle 1 encoder-decoder with parameters named as in the flax checkpoint."""

    def __init__(self, cfg, seed=0):
        super().__init__()
        self.cfg = cfg
        gen = torch.Generator().manual_seed(seed)
        self.params = torch.nn.ParameterDict({
            path: torch.nn.Parameter(init_value(path, shape, cfg, gen))
            for path, shape in param_shapes(cfg).items()
        })

    def p(self, path):
        return self.params[path]

    # ---- attention -------------------------------------------------------
    def project_kv(self, prefix, layer, x_kv, rope=None):
        """Keys (normed, optionally RoPE'd) and values [B, KV, T, hd] for one layer."""
        cfg = self.cfg
        B, T, _ = x_kv.shape
        k = x_kv @ self.p(prefix + "k_proj/kernel")[layer]
        v = x_kv @ self.p(prefix + "v_proj/kernel")[layer]
        k = k.view(B, T, cfg.num_kv_heads, cfg.head_dim).transpose(1, 2)
        v = v.view(B, T, cfg.num_kv_heads, cfg.head_dim).transpose(1, 2)
        k = zc_rms_norm(k, self.p(prefix + "k_norm/scale")[layer])
        if rope is not None:
            k = apply_rope(k, *rope)
        return k, v

    def attend(self, prefix, layer, x_q, k, v, mask, rope=None):
        """Queries from x_q against projected k/v; mask [B|1, 1, Tq, Tk] bool (True = keep)."""
        cfg = self.cfg
        B, T, _ = x_q.shape
        q = x_q @ self.p(prefix + "q_proj/kernel")[layer]
        q = q.view(B, T, cfg.num_heads, cfg.head_dim).transpose(1, 2)
        q = zc_rms_norm(q, self.p(prefix + "q_norm/scale")[layer])
        if rope is not None:
            q = apply_rope(q, *rope)
        repeats = cfg.num_heads // cfg.num_kv_heads
        if repeats > 1:
            k = k.repeat_interleave(repeats, dim=1)
            v = v.repeat_interleave(repeats, dim=1)
        scores = q @ k.transpose(-1, -2) / math.sqrt(cfg.head_dim)
        if mask is not None:
            scores = scores.masked_fill(~mask, mask_value(scores.dtype))
        out = torch.softmax(scores, dim=-1) @ v
        out = out.transpose(1, 2).reshape(B, T, cfg.d_model)
        return out @ self.p(prefix + "out_proj/kernel")[layer]

    def feed_forward(self, prefix, layer, x):
        """gate/up/down FFN with the configured activation."""
        gate = x @ self.p(prefix + "FeedForward_0/gate_proj/kernel")[layer]
        up = x @ self.p(prefix + "FeedForward_0/up_proj/kernel")[layer]
        act = self.cfg.activation
        if act == "swiglu":
            h = F.silu(gate) * up
        elif act == "geglu":
            h = F.gelu(gate, approximate="tanh") * up
        else:
            h = F.relu(gate) * F.relu(up)
        return h @ self.p(prefix + "FeedForward_0/down_proj/kernel")[layer]

    def gated(self, name, layer):
        return torch.sigmoid(self.p(name)[layer])

    # ---- encoder ---------------------------------------------------------
    def embed(self, ids):
        """Embedding rows * sqrt(d_model)."""
        return self.p("embedding/embedding")[ids] * math.sqrt(self.cfg.d_model)

    def encode(self, ids):
        """Encoder output [B, T, d] and key mask [B, 1, 1, T] for padded ids [B, T]."""
        cfg = self.cfg
        mask = (ids != cfg.pad_token_id)[:, None, None, :]
        x = self.embed(ids)
        rope = rope_tables(ids.shape[1], cfg.head_dim, cfg.rope_theta, x.dtype)
        for layer in range(cfg.num_encoder_layers):
            h = zc_rms_norm(x, self.p(ENC + "ZCRMSNorm_0/scale")[layer])
            k, v = self.project_kv(ENC + "self_attn/", layer, h, rope)
            x = x + self.gated(ENC + "attn_gate", layer) * self.attend(ENC + "self_attn/", layer, h, k, v, mask, rope)
            if not cfg.no_feedforward:
                h = zc_rms_norm(x, self.p(ENC + "ZCRMSNorm_1/scale")[layer])
                x = x + self.gated(ENC + "ffn_gate", layer) * self.feed_forward(ENC, layer, h)
        return zc_rms_norm(x, self.p("encoder/final_norm/scale")), mask

    # ---- decoder ---------------------------------------------------------
    def cross_kv(self, enc_out):
        """Cross-attention K/V per decoder layer, computed once per query."""
        return [self.project_kv(DEC + "cross_attn/", layer, enc_out)
                for layer in range(self.cfg.num_decoder_layers)]

    def decoder_layers(self, x, start, enc_mask, cross, cache=None):
        """Run all decoder layers on x [B, T, d] at positions start..start+T-1.

        With `cache` (a list of per-layer (k, v) or None) the new self-attention
        K/V are appended to it, so one token at a time gives the same result as
        the full causal pass."""
        cfg = self.cfg
        T = x.shape[1]
        cos, sin = rope_tables(start + T, cfg.head_dim, cfg.rope_theta, x.dtype)
        rope = (cos[start:], sin[start:])
        total = start + T
        causal = torch.ones(T, total, dtype=torch.bool).tril(start)[None, None]
        for layer in range(cfg.num_decoder_layers):
            h = zc_rms_norm(x, self.p(DEC + "ZCRMSNorm_0/scale")[layer])
            k, v = self.project_kv(DEC + "self_attn/", layer, h, rope)
            if cache is not None:
                if cache[layer] is not None:
                    k = torch.cat([cache[layer][0], k], dim=2)
                    v = torch.cat([cache[layer][1], v], dim=2)
                cache[layer] = (k, v)
            x = x + self.gated(DEC + "self_attn_gate", layer) * self.attend(DEC + "self_attn/", layer, h, k, v, causal, rope)
            h = zc_rms_norm(x, self.p(DEC + "ZCRMSNorm_1/scale")[layer])
            ck, cv = cross[layer]
            x = x + self.gated(DEC + "cross_attn_gate", layer) * self.attend(DEC + "cross_attn/", layer, h, ck, cv, enc_mask)
            if not cfg.no_feedforward:
                h = zc_rms_norm(x, self.p(DEC + "ZCRMSNorm_2/scale")[layer])
                x = x + self.gated(DEC + "ffn_gate", layer) * self.feed_forward(DEC, layer, h)
        return zc_rms_norm(x, self.p("decoder/ZCRMSNorm_0/scale"))

    def logits(self, h):
        """Tied output projection: h @ embedding^T."""
        return h @ self.p("embedding/embedding").t()

    def forward(self, enc_ids, dec_ids):
        """Teacher-forced logits [B, Tdec, vocab]."""
        enc_out, enc_mask = self.encode(enc_ids)
        h = self.decoder_layers(self.embed(dec_ids), 0, enc_mask, self.cross_kv(enc_out))
        return self.logits(h)

    # ---- contrastive head ------------------------------------------------
    def encode_contrastive(self, ids):
        """L2-normalised retrieval embedding [B, contrastive_dim] of padded ids."""
        enc_out, mask = self.encode(ids)
        keep = mask[:, 0, 0, :, None].to(enc_out.dtype)
        pooled = (enc_out * keep).sum(1) / keep.sum(1).clamp(min=1.0)
        h = F.relu(pooled @ self.p("contrastive_hidden/kernel") + self.p("contrastive_hidden/bias"))
        proj = h @ self.p("contrastive_proj/kernel")
        return proj / torch.sqrt(proj.pow(2).sum(-1, keepdim=True) + 1e-12)


@torch.no_grad()
def greedy_generate(model, enc_ids, max_gen_len=512):
    """Unconstrained greedy decoding from [EOS] for a batch of encoder inputs.

    Returns (ids per row without the final EOS, first-step logits [B, vocab]),
    stopping a row when it picks EOS or after max_gen_len - 1 tokens."""
    enc_out, enc_mask = model.encode(enc_ids)
    cross = model.cross_kv(enc_out)
    B = enc_ids.shape[0]
    cache = [None] * model.cfg.num_decoder_layers
    token = torch.full((B, 1), EOS_ID, dtype=torch.long)
    out = [[] for _ in range(B)]
    done = torch.zeros(B, dtype=torch.bool)
    first = None
    for pos in range(max_gen_len - 1):
        step = model.logits(model.decoder_layers(model.embed(token), pos, enc_mask, cross, cache))[:, -1]
        if first is None:
            first = step
        token = step.argmax(-1, keepdim=True)
        for b in range(B):
            if not done[b]:
                if token[b, 0].item() == EOS_ID:
                    done[b] = True
                else:
                    out[b].append(token[b, 0].item())
        if done.all():
            break
    return out, first


# ---- checkpoint I/O ------------------------------------------------------------

class _NumpyCompatUnpickler(pickle.Unpickler):
    """Reads numpy 2.x pickles (`numpy._core`) with numpy 1.x (`numpy.core`)."""

    def find_class(self, module, name):
        if module.startswith("numpy._core"):
            module = "numpy.core" + module[len("numpy._core"):]
        return super().find_class(module, name)


def flatten(tree, prefix=""):
    """Nested dict -> {"a/b/c": leaf}."""
    flat = {}
    for key, value in tree.items():
        path = prefix + key
        if isinstance(value, dict):
            flat.update(flatten(value, path + "/"))
        else:
            flat[path] = value
    return flat


def unflatten(flat):
    """{"a/b/c": leaf} -> nested dict."""
    tree = {}
    for path, value in flat.items():
        node = tree
        *parents, leaf = path.split("/")
        for part in parents:
            node = node.setdefault(part, {})
        node[leaf] = value
    return tree


def load_checkpoint(path, dtype=torch.float64):
    """Load an official `{"params", "config"}` pickle into a Needle module."""
    with open(path, "rb") as f:
        blob = _NumpyCompatUnpickler(f).load()
    cfg = NeedleConfig.from_dict(blob["config"])
    model = Needle(cfg)
    flat = flatten(blob["params"])
    expected = param_shapes(cfg)
    if set(flat) != set(expected):
        raise ValueError(f"parameter tree mismatch: missing {set(expected) - set(flat)}, extra {set(flat) - set(expected)}")
    with torch.no_grad():
        for name, array in flat.items():
            if tuple(array.shape) != expected[name]:
                raise ValueError(f"{name}: shape {array.shape}, expected {expected[name]}")
            model.params[name].copy_(torch.from_numpy(np.asarray(array, dtype=np.float64)))
    return model.to(dtype), blob["config"]


def save_checkpoint(model, path):
    """Write the official format: float16 numpy leaves in flax nesting (in the
    reference tree order), pickle protocol 4."""
    flat = {name: model.params[name].detach().cpu().double().numpy().astype(np.float16)
            for name in param_shapes(model.cfg)}
    blob = {"params": unflatten(flat), "config": model.cfg.to_dict()}
    with open(path, "wb") as f:
        pickle.dump(blob, f, protocol=4)
