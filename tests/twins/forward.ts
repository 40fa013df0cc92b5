// A plain TypeScript Needle forward pass over Float32Arrays, straight from
// the checkpoint's flax tensors ([in, out] kernels, stacked layers). It is
// an independent oracle for the engine on configs the fixtures do not cover,
// and the "no Wasm" baseline in benchmarks: same algorithm (KV cache, cross
// K/V once per query), no SIMD, no layout tricks.

import type { NeedleConfig } from "../../lib/load/config.ts";
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

/** x [n][inDim] @ w (layer slice at wOffset) [inDim][outDim] → [n][outDim]. */
function matmul(x: Float32Array, n: number, w: Float32Array, inDim: number, outDim: number, wOffset = 0): Float32Array {
  const out = new Float32Array(n * outDim);
  for (let t = 0; t < n; t++) {
    for (let i = 0; i < inDim; i++) {
      const xi = x[t * inDim + i]!;
      const row = wOffset + i * outDim;
      for (let o = 0; o < outDim; o++) out[t * outDim + o] += xi * w[row + o]!;
    }
  }
  return out;
}

const sigmoid = (g: number): number => 1 / (1 + Math.exp(-g));
const ENC = "encoder/layers/EncoderBlock_0";
const DEC = "decoder/layers/DecoderBlock_0";

export class TwinModel {
  readonly d: number;
  readonly hd: number;
  readonly kvDim: number;
  private readonly w = new Map<string, Float32Array>();
  // Per query: encoder ids and output; per decoder layer, cross K/V [n][kvDim].
  private encIds: number[] = [];
  private encoderOut: Float32Array = new Float32Array(0);
  private crossK: Float32Array[] = [];
  private crossV: Float32Array[] = [];
  // Decoder tokens so far and, per layer, their self-attention K/V rows.
  private decTokens: number[] = [];
  private selfK: Float32Array[][] = [];
  private selfV: Float32Array[][] = [];

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

  /** ZCRMSNorm of each of n rows of `width` values, scale = tensor slice at offset. */
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

  /** Rotate-half RoPE of every head of row t (at position firstPos + t), in place. */
  private rope(x: Float32Array, n: number, heads: number, firstPos: number): void {
    const hd = this.hd;
    const half = hd / 2;
    for (let t = 0; t < n; t++) {
      for (let h = 0; h < heads; h++) {
        const o = (t * heads + h) * hd;
        for (let i = 0; i < half; i++) {
          const angle = (firstPos + t) * this.config.rope_theta ** (-(2 * i) / hd);
          const [c, s] = [Math.cos(angle), Math.sin(angle)];
          const [a, b] = [x[o + i]!, x[o + i + half]!];
          x[o + i] = a * c - b * s;
          x[o + i + half] = b * c + a * s;
        }
      }
    }
  }

  private proj(prefix: string, name: string, layer: number, x: Float32Array, n: number, inDim: number, outDim: number): Float32Array {
    return matmul(x, n, this.t(`${prefix}/${name}/kernel`), inDim, outDim, layer * inDim * outDim);
  }

  /** q: [nq][d] (normed, roped); keys/values: [nk][kvDim]; key j visible to query i when allowed(i, j). */
  private attend(q: Float32Array, nq: number, k: Float32Array, v: Float32Array, nk: number, allowed: (i: number, j: number) => boolean): Float32Array {
    const { d, hd, kvDim } = this;
    const H = this.config.num_heads;
    const group = H / this.config.num_kv_heads;
    const merged = new Float32Array(nq * d);
    for (let h = 0; h < H; h++) {
      const g = Math.floor(h / group);
      for (let i = 0; i < nq; i++) {
        const scores = new Float64Array(nk);
        for (let j = 0; j < nk; j++) {
          let s = 0;
          for (let e = 0; e < hd; e++) s += q[i * d + h * hd + e]! * k[j * kvDim + g * hd + e]!;
          scores[j] = allowed(i, j) ? s / Math.sqrt(hd) : MASKED;
        }
        const p = softmax(scores);
        for (let j = 0; j < nk; j++) for (let e = 0; e < hd; e++) merged[i * d + h * hd + e] += p[j]! * v[j * kvDim + g * hd + e]!;
      }
    }
    return merged;
  }

  private queries(prefix: string, layer: number, x: Float32Array, n: number): Float32Array {
    const q = this.proj(prefix, "q_proj", layer, x, n, this.d, this.d);
    return this.norm(q, n * this.config.num_heads, this.t(`${prefix}/q_norm/scale`), layer * this.hd, this.hd);
  }

  private keys(prefix: string, layer: number, x: Float32Array, n: number): Float32Array {
    const k = this.proj(prefix, "k_proj", layer, x, n, this.d, this.kvDim);
    return this.norm(k, n * this.config.num_kv_heads, this.t(`${prefix}/k_norm/scale`), layer * this.hd, this.hd);
  }

  private feedForward(prefix: string, layer: number, x: Float32Array, n: number): Float32Array {
    const { d } = this;
    const ff = this.config.d_ff;
    const gate = this.proj(prefix, "FeedForward_0/gate_proj", layer, x, n, d, ff);
    const up = this.proj(prefix, "FeedForward_0/up_proj", layer, x, n, d, ff);
    const h = new Float32Array(n * ff);
    for (let i = 0; i < h.length; i++) h[i] = activation(this.config.activation, gate[i]!, up[i]!);
    return this.proj(prefix, "FeedForward_0/down_proj", layer, h, n, ff, d);
  }

  private residual(x: Float32Array, y: Float32Array, gate: number): void {
    const g = sigmoid(gate);
    for (let i = 0; i < x.length; i++) x[i] = x[i]! + g * y[i]!;
  }

  private runEncoder(ids: ArrayLike<number>): Float32Array {
    const n = ids.length;
    const pad = this.config.pad_token_id;
    const x = this.embedRows(ids);
    for (let l = 0; l < this.config.num_encoder_layers; l++) {
      const h = this.norm(x, n, this.t(`${ENC}/ZCRMSNorm_0/scale`), l * this.d);
      const q = this.queries(`${ENC}/self_attn`, l, h, n);
      const k = this.keys(`${ENC}/self_attn`, l, h, n);
      const v = this.proj(`${ENC}/self_attn`, "v_proj", l, h, n, this.d, this.kvDim);
      this.rope(q, n, this.config.num_heads, 0);
      this.rope(k, n, this.config.num_kv_heads, 0);
      const merged = this.attend(q, n, k, v, n, (_i, j) => ids[j] !== pad);
      this.residual(x, this.proj(`${ENC}/self_attn`, "out_proj", l, merged, n, this.d, this.d), this.t(`${ENC}/attn_gate`)[l]!);
      if (!this.config.no_feedforward) {
        const h2 = this.norm(x, n, this.t(`${ENC}/ZCRMSNorm_1/scale`), l * this.d);
        this.residual(x, this.feedForward(ENC, l, h2, n), this.t(`${ENC}/ffn_gate`)[l]!);
      }
    }
    return this.norm(x, n, this.t("encoder/final_norm/scale"), 0);
  }

  /** Encode a query and project every decoder layer's cross K/V; returns encoderOut [n][d]. */
  encode(ids: ArrayLike<number>): Float32Array {
    const n = ids.length;
    this.encIds = Array.from(ids);
    this.encoderOut = this.runEncoder(ids);
    this.crossK = [];
    this.crossV = [];
    for (let l = 0; l < this.config.num_decoder_layers; l++) {
      this.crossK.push(this.keys(`${DEC}/cross_attn`, l, this.encoderOut, n));
      this.crossV.push(this.proj(`${DEC}/cross_attn`, "v_proj", l, this.encoderOut, n, this.d, this.kvDim));
    }
    this.decTokens = [];
    this.selfK = this.crossK.map(() => []);
    this.selfV = this.crossK.map(() => []);
    return this.encoderOut;
  }

  /** One decoder step at position pos (earlier steps kept, later ones dropped) → logits. */
  decodeStep(token: number, pos: number): Float32Array {
    const { d, kvDim } = this;
    const pad = this.config.pad_token_id;
    this.decTokens.length = pos;
    this.decTokens.push(token);
    const x = this.embedRows([token]);
    for (let l = 0; l < this.config.num_decoder_layers; l++) {
      let h = this.norm(x, 1, this.t(`${DEC}/ZCRMSNorm_0/scale`), l * d);
      const q = this.queries(`${DEC}/self_attn`, l, h, 1);
      const k = this.keys(`${DEC}/self_attn`, l, h, 1);
      this.rope(q, 1, this.config.num_heads, pos);
      this.rope(k, 1, this.config.num_kv_heads, pos);
      this.selfK[l]!.length = pos;
      this.selfV[l]!.length = pos;
      this.selfK[l]!.push(k);
      this.selfV[l]!.push(this.proj(`${DEC}/self_attn`, "v_proj", l, h, 1, d, kvDim));
      const keys = new Float32Array((pos + 1) * kvDim);
      const values = new Float32Array((pos + 1) * kvDim);
      for (let j = 0; j <= pos; j++) {
        keys.set(this.selfK[l]![j]!, j * kvDim);
        values.set(this.selfV[l]![j]!, j * kvDim);
      }
      let merged = this.attend(q, 1, keys, values, pos + 1, (_i, j) => this.decTokens[j] !== pad);
      this.residual(x, this.proj(`${DEC}/self_attn`, "out_proj", l, merged, 1, d, d), this.t(`${DEC}/self_attn_gate`)[l]!);

      h = this.norm(x, 1, this.t(`${DEC}/ZCRMSNorm_1/scale`), l * d);
      const cq = this.queries(`${DEC}/cross_attn`, l, h, 1);
      merged = this.attend(cq, 1, this.crossK[l]!, this.crossV[l]!, this.encIds.length, (_i, j) => this.encIds[j] !== pad);
      this.residual(x, this.proj(`${DEC}/cross_attn`, "out_proj", l, merged, 1, d, d), this.t(`${DEC}/cross_attn_gate`)[l]!);

      if (!this.config.no_feedforward) {
        h = this.norm(x, 1, this.t(`${DEC}/ZCRMSNorm_2/scale`), l * d);
        this.residual(x, this.feedForward(DEC, l, h, 1), this.t(`${DEC}/ffn_gate`)[l]!);
      }
    }
    const last = this.norm(x, 1, this.t("decoder/ZCRMSNorm_0/scale"), 0);
    const emb = this.t("embedding/embedding");
    const out = new Float32Array(this.config.vocab_size);
    for (let v = 0; v < out.length; v++) {
      let s = 0;
      for (let i = 0; i < d; i++) s += last[i]! * emb[v * d + i]!;
      out[v] = s;
    }
    return out;
  }

  /** Logits at the last position of decoderIds. */
  logits(encoderIds: ArrayLike<number>, decoderIds: ArrayLike<number>): Float32Array {
    this.encode(encoderIds);
    let out: Float32Array = new Float32Array(0);
    for (let pos = 0; pos < decoderIds.length; pos++) out = this.decodeStep(decoderIds[pos]!, pos);
    return out;
  }

  /** Contrastive vector: masked mean, relu(W1 x + b1), W2, L2 normalise. */
  embed(ids: ArrayLike<number>): Float32Array {
    const { d } = this;
    const enc = this.runEncoder(ids);
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
