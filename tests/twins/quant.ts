// Plain TypeScript twins of the quantisation in assembly/quant.ts and
// assembly/convert.ts (storeRow), and of the quantized dot products.

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
