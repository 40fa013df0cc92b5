// Plain TypeScript twins of the quantisation in assembly/quant.ts and
// assembly/tensor_import.ts (storeRow), and of the quantized dot products.

export const GROUP = 32;

export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

export interface Quantized {
  /** [rows][groups*32] integers (zero-padded). */
  q: Int32Array;
  /** [rows][groups] scales. */
  scales: Float32Array;
  groups: number;
}

/** Symmetric per-group quantisation of rows of `cols` values to ±levels (clipped to [lo, levels]). */
export function quantizeRows(x: ArrayLike<number>, rows: number, cols: number, levels: number, lo = -levels, useInverse = false): Quantized {
  const groups = Math.ceil(cols / GROUP);
  const q = new Int32Array(rows * groups * GROUP);
  const scales = new Float32Array(rows * groups);
  for (let r = 0; r < rows; r++) {
    for (let g = 0; g < groups; g++) {
      let m = 0;
      for (let i = g * GROUP; i < Math.min(cols, (g + 1) * GROUP); i++) m = Math.max(m, Math.abs(x[r * cols + i]!));
      const scale = Math.fround(m / levels);
      const inv = m > 0 ? Math.fround(levels / m) : 0;
      scales[r * groups + g] = scale;
      for (let i = g * GROUP; i < Math.min(cols, (g + 1) * GROUP); i++) {
        const v = useInverse ? Math.fround(x[r * cols + i]! * inv) : scale > 0 ? Math.fround(x[r * cols + i]! / scale) : 0;
        q[r * groups * GROUP + i] = Math.min(Math.max(roundHalfEven(v), lo), levels);
      }
    }
  }
  return { q, scales, groups };
}

/** Activations as quantize_rows_i16 makes them. */
export function quantizeActivations(x: ArrayLike<number>, n: number, cols: number): Quantized {
  return quantizeRows(x, n, cols, 32767, -32767, true);
}

/** out[t][r] = Σ_g xs[t][g]·ws[r][g]·Σ_i xq·wq. */
export function quantizedProduct(x: Quantized, w: Quantized, n: number, rows: number): Float64Array {
  const out = new Float64Array(n * rows);
  const G = x.groups;
  for (let t = 0; t < n; t++) {
    for (let r = 0; r < rows; r++) {
      let s = 0;
      for (let g = 0; g < G; g++) {
        let dot = 0;
        for (let i = 0; i < GROUP; i++) dot += x.q[(t * G + g) * GROUP + i]! * w.q[(r * G + g) * GROUP + i]!;
        s += dot * Math.fround(x.scales[t * G + g]! * w.scales[r * G + g]!);
      }
      out[t * rows + r] = s;
    }
  }
  return out;
}

/** x quantized to int16 with scale = its L2 norm / 32767 (attention_q16.ts: queries, keys). */
function quantizeByNorm(x: ArrayLike<number>): { q: number[]; scale: number } {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += x[i]! * x[i]!;
  const norm = Math.fround(Math.sqrt(s) * (1 + 1e-6));
  const inv = norm > 0 ? Math.fround(32767 / norm) : 0;
  return { q: Array.from(x, (v) => roundHalfEven(Math.fround(v * inv))), scale: Math.fround(norm / 32767) };
}

/** x quantized to int16 with scale = max|x| / 32767 (attention_q16.ts: values). */
function quantizeByMax(x: ArrayLike<number>): { q: number[]; scale: number } {
  let m = 0;
  for (let i = 0; i < x.length; i++) m = Math.max(m, Math.abs(x[i]!));
  const inv = m > 0 ? Math.fround(32767 / m) : 0;
  return { q: Array.from(x, (v) => roundHalfEven(Math.fround(v * inv))), scale: Math.fround(m / 32767) };
}

/**
 * attend_q16 for one query position: keys and values of rows [nKeys][K heads | V heads]
 * (`stride` apart) and queries quantized to int16 as attention_q16.ts does, integer
 * dot products, f64 softmax, probabilities · value scales quantized by their sum.
 */
export function attendQ16(
  q: ArrayLike<number>, kv: ArrayLike<number>, stride: number, nKeys: number,
  keyIds: ArrayLike<number>, padId: number, nHeads: number, nKvHeads: number, hd: number,
): Float64Array {
  const out = new Float64Array(nHeads * hd);
  const group = nHeads / nKvHeads;
  const row = (j: number, s: number) => Array.from({ length: hd }, (_, e) => kv[j * stride + s * hd + e]!);
  for (let h = 0; h < nHeads; h++) {
    const g = Math.floor(h / group);
    const qq = quantizeByNorm(Array.from({ length: hd }, (_, e) => q[h * hd + e]!));
    const scores = Array.from({ length: nKeys }, (_, j) => {
      if (keyIds[j] === padId) return -Infinity;
      const k = quantizeByNorm(row(j, g));
      let dot = 0;
      for (let e = 0; e < hd; e++) dot += qq.q[e]! * k.q[e]!;
      return (dot * k.scale * qq.scale) / Math.sqrt(hd);
    });
    const max = Math.max(...scores.map((s) => (s === -Infinity ? -3.4e38 : s)));
    const e = scores.map((s) => (s === -Infinity ? (max === -3.4e38 ? 1 : 0) : Math.exp(s - max)));
    const total = e.reduce((a, b) => a + b, 0);
    const values = Array.from({ length: nKeys }, (_, j) => quantizeByMax(row(j, nKvHeads + g)));
    const weighted = e.map((x, j) => (x / total) * values[j]!.scale);
    const sum = weighted.reduce((a, b) => a + b, 0);
    const p16 = weighted.map((x) => Math.round((x * 32767) / sum));
    for (let i = 0; i < hd; i++) {
      let acc = 0;
      for (let j = 0; j < nKeys; j++) acc += p16[j]! * values[j]!.q[i]!;
      out[h * hd + i] = (acc * sum) / 32767;
    }
  }
  return out;
}
