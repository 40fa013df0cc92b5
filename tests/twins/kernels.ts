// Plain TypeScript twins of the Wasm kernels (assembly/*.ts), written for
// clarity, not speed. Tests compare each kernel against its twin; the twin
// forward pass (forward.ts) is built from them.

import { FFN_DRELU, FFN_GEGLU, FFN_SWIGLU } from "../../assembly/abi.ts";

export function dot(a: ArrayLike<number>, b: ArrayLike<number>, n: number, aOff = 0, bOff = 0): number {
  let s = 0;
  for (let i = 0; i < n; i++) s += a[aOff + i]! * b[bOff + i]!;
  return s;
}

/** out[r] = Σ_i w[r][i] x[i]; w is [rows][cols]. */
export function gemv(w: ArrayLike<number>, x: ArrayLike<number>, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows);
  for (let r = 0; r < rows; r++) out[r] = dot(w, x, cols, r * cols, 0);
  return out;
}

/** out[t][r] = Σ_i x[t][i] w[r][i]. */
export function gemm(x: ArrayLike<number>, w: ArrayLike<number>, n: number, rows: number, cols: number): Float32Array {
  const out = new Float32Array(n * rows);
  for (let t = 0; t < n; t++) for (let r = 0; r < rows; r++) out[t * rows + r] = dot(x, w, cols, t * cols, r * cols);
  return out;
}

/** ZCRMSNorm with gain = 1 + scale, over x[off .. off+n). */
export function rmsnorm(x: ArrayLike<number>, gain: ArrayLike<number>, n: number, off = 0): Float32Array {
  let ss = 0;
  for (let i = 0; i < n; i++) ss += x[off + i]! ** 2;
  const inv = 1 / Math.sqrt(ss / n + 1e-6);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = gain[i]! * x[off + i]! * inv;
  return out;
}

/** Rotate-half RoPE of one head vector at a position. */
export function rope(v: ArrayLike<number>, pos: number, theta: number): Float32Array {
  const hd = v.length;
  const half = hd / 2;
  const out = new Float32Array(hd);
  for (let i = 0; i < half; i++) {
    const angle = pos * theta ** (-(2 * i) / hd);
    const c = Math.cos(angle);
    const s = Math.sin(angle);
    out[i] = v[i]! * c - v[i + half]! * s;
    out[i + half] = v[i + half]! * c + v[i]! * s;
  }
  return out;
}

export function softmax(x: ArrayLike<number>): Float32Array {
  let m = -Infinity;
  for (let i = 0; i < x.length; i++) m = Math.max(m, x[i]!);
  const out = new Float32Array(x.length);
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += out[i] = Math.exp(x[i]! - m);
  for (let i = 0; i < x.length; i++) out[i] = out[i]! / sum;
  return out;
}

export const MASKED = -3.4028234663852886e38;

/**
 * One query row, all heads, grouped-query: q [nHeads*hd]; keys/values rows
 * of `stride` floats at kOff/vOff; a key whose id is padId is masked.
 */
export function attend(
  q: ArrayLike<number>, kv: ArrayLike<number>, kOff: number, vOff: number, stride: number, nKeys: number,
  keyIds: ArrayLike<number>, padId: number, nHeads: number, nKvHeads: number, hd: number,
): Float32Array {
  const out = new Float32Array(nHeads * hd);
  const group = nHeads / nKvHeads;
  for (let h = 0; h < nHeads; h++) {
    const g = Math.floor(h / group);
    const scores = new Float64Array(nKeys);
    for (let j = 0; j < nKeys; j++) {
      scores[j] = keyIds[j] === padId ? MASKED : dot(q, kv, hd, h * hd, kOff + j * stride + g * hd) / Math.sqrt(hd);
    }
    const p = softmax(scores);
    for (let j = 0; j < nKeys; j++) {
      for (let i = 0; i < hd; i++) out[h * hd + i] += p[j]! * kv[vOff + j * stride + g * hd + i]!;
    }
  }
  return out;
}

export function gatedAdd(x: ArrayLike<number>, y: ArrayLike<number>, gate: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) out[i] = x[i]! + gate * y[i]!;
  return out;
}

export type FfnKind = "drelu" | "swiglu" | "geglu";

export function activation(kind: FfnKind, g: number, u: number): number {
  if (kind === "drelu") return Math.max(g, 0) * Math.max(u, 0);
  if (kind === "swiglu") return (g / (1 + Math.exp(-g))) * u;
  return 0.5 * g * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (g + 0.044715 * g ** 3))) * u;
}

/** The engine's code for each activation (assembly/abi.ts). */
export const FFN_KIND_CODE: Record<FfnKind, number> = { drelu: FFN_DRELU, swiglu: FFN_SWIGLU, geglu: FFN_GEGLU };
