// Cactus-Quants (CQ) decoding (export.py _cq_unpack / _unpack_lsb): per row a
// continuous LSB-first bitstream of codebook indices (ternary: 2-bit crumbs
// 3, 0, 1 for trits -1, 0, +1), then one fp16 L2 norm per group. A group is
//   w = (codebook[idx] * norm) @ H,  H = Walsh-Hadamard(group) / sqrt(group),
// and the pad columns past `in` are dropped.

import { CactError } from "../errors.ts";
import { halfToFloat, TERNARY_RECORD_BITS, type CactFile, type CactTensor } from "./cact.ts";

/** The 3-level Lloyd-Max centroid (quantize.py _TERNARY_CB); not stored in the file. */
const TERNARY_LEVEL = 1.2240064;

/** The codebook a CQ tensor's indices select from, as float32 values. */
export function cqCodebook(file: CactFile, t: CactTensor): Float32Array {
  if (t.bits === TERNARY_RECORD_BITS) {
    const c = TERNARY_LEVEL / Math.sqrt(t.group);
    return Float32Array.of(-c, 0, c);
  }
  return file.codebooks[t.bits as 2 | 3 | 4];
}

/** In-place fast Walsh-Hadamard transform of x[0..n), n a power of two (unnormalised). */
export function walshHadamard(x: Float64Array | Float32Array, n: number): void {
  for (let len = 1; len < n; len *= 2) {
    for (let i = 0; i < n; i += 2 * len) {
      for (let j = i; j < i + len; j++) {
        const a = x[j]!;
        const b = x[j + len]!;
        x[j] = a + b;
        x[j + len] = a - b;
      }
    }
  }
}

/**
 * Decodes rows [row0, row0 + rows) of a CQ tensor into `out` (rows x in,
 * row-major, float32), the group transform in float64.
 */
export function dequantRows(file: CactFile, t: CactTensor, row0: number, rows: number, out: Float32Array): void {
  const [outDim, inDim] = t.shape as [number, number];
  const g = t.group;
  const inPad = Math.ceil(inDim / g) * g;
  const groups = inPad / g;
  const ternary = t.bits === TERNARY_RECORD_BITS;
  const bits = ternary ? 2 : t.bits;
  const rowBytes = (inPad * bits) / 8;
  const cb = cqCodebook(file, t);
  const bytes = file.bytes;
  const packed = t.offset;
  const norms = new DataView(bytes.buffer, bytes.byteOffset + t.offset + outDim * rowBytes, outDim * groups * 2);
  const mask = (1 << bits) - 1;
  const scale = 1 / Math.sqrt(g);
  const buf = new Float64Array(g);
  for (let r = 0; r < rows; r++) {
    const row = row0 + r;
    const base = packed + row * rowBytes;
    for (let gi = 0; gi < groups; gi++) {
      const norm = halfToFloat(norms.getUint16((row * groups + gi) * 2, true));
      for (let k = 0; k < g; k++) {
        const bit = (gi * g + k) * bits;
        const at = base + (bit >> 3);
        const word = bytes[at]! | ((bit & 7) + bits > 8 ? bytes[at + 1]! << 8 : 0);
        let idx = (word >> (bit & 7)) & mask;
        if (ternary) {
          if (idx === 2) throw new CactError("cact_value", `.cact tensor ${t.name}: ternary crumb 2 (only 3, 0, 1 are trits) in row ${row}`);
          idx = idx === 3 ? 0 : idx + 1;
        }
        buf[k] = cb[idx]! * norm;
      }
      walshHadamard(buf, g);
      const col0 = gi * g;
      const o = r * inDim;
      for (let k = 0; k < g && col0 + k < inDim; k++) out[o + col0 + k] = buf[k]! * scale;
    }
  }
}

/** The whole CQ tensor as a float32 (out, in) matrix. */
export function dequant(file: CactFile, t: CactTensor): Float32Array {
  const out = new Float32Array(t.shape[0]! * t.shape[1]!);
  dequantRows(file, t, 0, t.shape[0]!, out);
  return out;
}
