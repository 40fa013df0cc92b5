// A plain TypeScript Needle forward pass over Float32Arrays, straight from
// the checkpoint's flax tensors ([in, out] kernels, stacked layers), with no
// KV cache: the decoder reruns over the whole prefix like the reference. It
// is the "no Wasm" baseline in benchmarks and an independent oracle for the
// engine on configs the fixtures do not cover.

import type { NeedleConfig } from "../../lib/config.ts";
import { MASKED, activation, rmsnorm, softmax } from "./kernels.ts";

export interface RawTensor {
  dtype: "float16" | "float32";
  shape: number[];
  data: Uint8Array;
}

export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24;
  if (exponent === 31) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

export function toFloat32(t: RawTensor): Float32Array {
  const n = t.shape.reduce((a, b) => a * b, 1);
  const view = new DataView(t.data.buffer, t.data.byteOffset, t.data.byteLength);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = t.dtype === "float16" ? halfToFloat(view.getUint16(2 * i, true)) : view.getFloat32(4 * i, true);
  return out;
}

/** x [n][inDim] @ w[layer] [inDim][outDim] → [n][outDim]. */
function matmul(x: Float32Array, n: number, w: Float32Array, inDim: number, outDim: number, layerOffset = 0): Float32Array {
  const out = new Float32Array(n * outDim);
  for (let t = 0; t < n; t++) {
    for (let o = 0; o < outDim; o++) {
      let s = 0;
      for (let i = 0; i < inDim; i++) s += x[t * inDim + i]! * w[layerOffset + i * outDim + o]!;
      out[t * outDim + o] = s;
    }
  }
  return out;
}

const sigmoid = (g: number): number => 1 / (1 + Math.exp(-g));

export class TwinModel {
  readonly d: number;
  readonly hd: number;
  readonly kvDim: number;
  private readonly w = new Map<string, Float32Array>();

  constructor(readonly config: NeedleConfig, tensors: Map<string, RawTensor>) {
    for (const [name, t] of tensors) this.w.set(name, toFloat32(t));
    this.d = config.d_model;
    this.hd = config.d_model / config.num_heads;
    this.kvDim = config.num_kv_heads * this.hd;
  }

  private t(name: string): Float32Array {
    const v = this.w.get(name);
    if (!v) throw new Error(`twin: missing ${name}`);
    return v;
  }

  private norm(x: Float32Array, n: number, scale: Float32Array, scaleOffset: number, width = this.d): Float32Array {
    const gain = new Float32Array(width);
    for (let i = 0; i < width; i++) gain[i] = 1 + scale[scaleOffset + i]!;
    const out = new Float32Array(n * width);
    for (let t = 0; t < n; t++) out.set(rmsnorm(x, gain, width, t * width), t * width);
    return out;
  }

  private embedRows(ids: ArrayLike<number>): Float32Array {
    const emb = this.t("embedding/embedding");
    const out = new Float32Array(ids.length * this.d);
    const scale = Math.sqrt(this.d);
    for (let t = 0; t < ids.length; t++) for (let i = 0; i < this.d; i++) out[t * this.d + i] = emb[ids[t]! * this.d + i]! * scale;
    return out;
  }

  /** Rotate-half RoPE of every head of every row, in place. */
  private rope(x: Float32Array, n: number, heads: number): void {
    const hd = this.hd;
    const half = hd / 2;
    for (let t = 0; t < n; t++) {
      for (let h = 0; h < heads; h++) {
        const o = (t * heads + h) * hd;
        for (let i = 0; i < half; i++) {
          const angle = t * this.config.rope_theta ** (-(2 * i) / hd);
          const [c, s] = [Math.cos(angle), Math.sin(angle)];
          const [a, b] = [x[o + i]!, x[o + i + half]!];
          x[o + i] = a * c - b * s;
          x[o + i + half] = b * c + a * s;
        }
      }
    }
  }

  private headNorm(x: Float32Array, n: number, heads: number, scale: Float32Array, layer: number): Float32Array {
    return this.norm(x, n * heads, scale, layer * this.hd, this.hd);
  }

  /** Multi-head attention as the reference computes it, for one layer of `prefix`. */
  private attention(prefix: string, layer: number, qIn: Float32Array, nq: number, kvIn: Float32Array, nk: number,
    keyIds: ArrayLike<number>, causal: boolean, rope: boolean): Float32Array {
    const { d, hd, kvDim } = this;
    const H = this.config.num_heads;
    const KV = this.config.num_kv_heads;
    const proj = (name: string, x: Float32Array, n: number, outDim: number, inDim = d) =>
      matmul(x, n, this.t(`${prefix}/${name}/kernel`), inDim, outDim, layer * inDim * outDim);
    const q = this.headNorm(proj("q_proj", qIn, nq, d), nq, H, this.t(`${prefix}/q_norm/scale`), layer);
    const k = this.headNorm(proj("k_proj", kvIn, nk, kvDim), nk, KV, this.t(`${prefix}/k_norm/scale`), layer);
    const v = proj("v_proj", kvIn, nk, kvDim);
    if (rope) {
      this.rope(q, nq, H);
      this.rope(k, nk, KV);
    }
    const merged = new Float32Array(nq * d);
    const group = H / KV;
    for (let h = 0; h < H; h++) {
      const g = Math.floor(h / group);
      for (let i = 0; i < nq; i++) {
        const scores = new Float64Array(nk);
        for (let j = 0; j < nk; j++) {
          const allowed = keyIds[j] !== this.config.pad_token_id && (!causal || j <= i);
          let s = 0;
          for (let e = 0; e < hd; e++) s += q[i * d + h * hd + e]! * k[j * kvDim + g * hd + e]!;
          scores[j] = allowed ? s / Math.sqrt(hd) : MASKED;
        }
        const p = softmax(scores);
        for (let j = 0; j < nk; j++) for (let e = 0; e < hd; e++) merged[i * d + h * hd + e] += p[j]! * v[j * kvDim + g * hd + e]!;
      }
    }
    return proj("out_proj", merged, nq, d);
  }

  private feedForward(prefix: string, layer: number, x: Float32Array, n: number): Float32Array {
    const { d } = this;
    const ff = this.config.d_ff;
    const gate = matmul(x, n, this.t(`${prefix}/FeedForward_0/gate_proj/kernel`), d, ff, layer * d * ff);
    const up = matmul(x, n, this.t(`${prefix}/FeedForward_0/up_proj/kernel`), d, ff, layer * d * ff);
    const h = new Float32Array(n * ff);
    for (let i = 0; i < h.length; i++) h[i] = activation(this.config.activation, gate[i]!, up[i]!);
    return matmul(h, n, this.t(`${prefix}/FeedForward_0/down_proj/kernel`), ff, d, layer * ff * d);
  }

  private residual(x: Float32Array, y: Float32Array, gate: number): void {
    const g = sigmoid(gate);
    for (let i = 0; i < x.length; i++) x[i] = x[i]! + g * y[i]!;
  }

  /** encoderOut [n][d]. */
  encode(ids: ArrayLike<number>): Float32Array {
    const n = ids.length;
    const P = "encoder/layers/EncoderBlock_0";
    const x = this.embedRows(ids);
    for (let l = 0; l < this.config.num_encoder_layers; l++) {
      const h = this.norm(x, n, this.t(`${P}/ZCRMSNorm_0/scale`), l * this.d);
      this.residual(x, this.attention(`${P}/self_attn`, l, h, n, h, n, ids, false, true), this.t(`${P}/attn_gate`)[l]!);
      if (!this.config.no_feedforward) {
        const h2 = this.norm(x, n, this.t(`${P}/ZCRMSNorm_1/scale`), l * this.d);
        this.residual(x, this.feedForward(P, l, h2, n), this.t(`${P}/ffn_gate`)[l]!);
      }
    }
    return this.norm(x, n, this.t("encoder/final_norm/scale"), 0);
  }

  /** Logits at the last position of decoderIds (the whole decoder rerun, as the reference does). */
  logits(encoderIds: ArrayLike<number>, decoderIds: ArrayLike<number>, encoderOut = this.encode(encoderIds)): Float32Array {
    const n = decoderIds.length;
    const P = "decoder/layers/DecoderBlock_0";
    const x = this.embedRows(decoderIds);
    for (let l = 0; l < this.config.num_decoder_layers; l++) {
      let h = this.norm(x, n, this.t(`${P}/ZCRMSNorm_0/scale`), l * this.d);
      this.residual(x, this.attention(`${P}/self_attn`, l, h, n, h, n, decoderIds, true, true), this.t(`${P}/self_attn_gate`)[l]!);
      h = this.norm(x, n, this.t(`${P}/ZCRMSNorm_1/scale`), l * this.d);
      this.residual(x, this.attention(`${P}/cross_attn`, l, h, n, encoderOut, encoderIds.length, encoderIds, false, false), this.t(`${P}/cross_attn_gate`)[l]!);
      if (!this.config.no_feedforward) {
        h = this.norm(x, n, this.t(`${P}/ZCRMSNorm_2/scale`), l * this.d);
        this.residual(x, this.feedForward(P, l, h, n), this.t(`${P}/ffn_gate`)[l]!);
      }
    }
    const last = this.norm(x.subarray((n - 1) * this.d), 1, this.t("decoder/ZCRMSNorm_0/scale"), 0);
    const emb = this.t("embedding/embedding");
    const out = new Float32Array(this.config.vocab_size);
    for (let v = 0; v < out.length; v++) {
      let s = 0;
      for (let i = 0; i < this.d; i++) s += last[i]! * emb[v * this.d + i]!;
      out[v] = s;
    }
    return out;
  }

  /** Contrastive vector: masked mean, relu(W1 x + b1), W2, L2 normalise. */
  embed(ids: ArrayLike<number>): Float32Array {
    const { d } = this;
    const enc = this.encode(ids);
    const pooled = new Float32Array(d);
    let count = 0;
    for (let t = 0; t < ids.length; t++) {
      if (ids[t] === this.config.pad_token_id) continue;
      count++;
      for (let i = 0; i < d; i++) pooled[i] += enc[t * d + i]!;
    }
    for (let i = 0; i < d; i++) pooled[i] = pooled[i]! / Math.max(count, 1);
    const hidden = Math.floor(d / 4);
    const h = matmul(pooled, 1, this.t("contrastive_hidden/kernel"), d, hidden);
    const b = this.t("contrastive_hidden/bias");
    for (let i = 0; i < hidden; i++) h[i] = Math.max(h[i]! + b[i]!, 0);
    const p = matmul(h, 1, this.t("contrastive_proj/kernel"), hidden, this.config.contrastive_dim);
    let ss = 0;
    for (const v of p) ss += v * v;
    const inv = 1 / Math.sqrt(ss + 1e-12);
    return p.map((v) => v * inv);
  }
}
