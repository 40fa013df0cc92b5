// A .cact writer for random weights (tests and benchmarks) (export.py's byte layout): the header,
// the codebooks, the canonical directory and 64-byte aligned blobs, every CQ
// tensor random codes with plausible group norms. For speed and memory
// measurements at the published geometry; the weights mean nothing.

import { CACT_TAG, TERNARY_RECORD_BITS } from "../../lib/needle2/cact.ts";
import { cqBlobBytes } from "../../lib/needle2/cact.ts";

export interface RandomCactGeometry {
  vocab: number; dModel: number; numHeads: number; numKvHeads: number; headDim: number; numLayers: number;
  maxSeqLen: number; mhcLanes: number; engramSlots: number; engramHeads: number; orders: number[]; sites: number[];
  group: number; bits: 2 | 3 | 4 | typeof TERNARY_RECORD_BITS; ropeTheta: number; kvWindow: number;
}

/** The published preset ("needle": d 768, 12 / 6 heads, 27 layers, engram (2, 15)), 4-bit, group 128. */
export const PUBLISHED_GEOMETRY: RandomCactGeometry = {
  vocab: 8192, dModel: 768, numHeads: 12, numKvHeads: 6, headDim: 64, numLayers: 27, maxSeqLen: 2048, mhcLanes: 4,
  engramSlots: 8192, engramHeads: 3, orders: [2, 3], sites: [2, 15], group: 128, bits: 4, ropeTheta: 100000, kvWindow: 480,
};

/** `codebook4` etc.: Lloyd-Max codebooks for the group (e.g. a fixture's, rescaled). */
export function writeRandomCact(g: RandomCactGeometry, codebooks: Float32Array, seed = 1): Uint8Array {
  const d = g.dModel;
  const n = g.mhcLanes;
  const L = g.numLayers;
  const attn = g.numHeads * g.headDim;
  const kv = g.numKvHeads * g.headDim;
  const tables = g.orders.length * g.engramHeads;
  const sub = Math.floor(d / tables);
  const hadaN = 2 ** Math.ceil(Math.log2(d));
  type T = { cq: boolean; shape: number[] };
  const ts: T[] = [{ cq: true, shape: [g.vocab, d] }];
  for (let i = 0; i < L; i++) {
    ts.push({ cq: false, shape: [d] }, { cq: true, shape: [attn, d] }, { cq: true, shape: [kv, d] }, { cq: true, shape: [kv, d] },
      { cq: false, shape: [g.headDim] }, { cq: false, shape: [g.headDim] }, { cq: true, shape: [attn, d] }, { cq: true, shape: [d, attn] },
      { cq: false, shape: [d] }, { cq: false, shape: [1] }, { cq: false, shape: [d] }, { cq: false, shape: [hadaN] }, { cq: false, shape: [hadaN] }, { cq: false, shape: [hadaN] });
  }
  ts.push({ cq: false, shape: [L] }, { cq: false, shape: [L] }, { cq: false, shape: [L] }, { cq: false, shape: [L, n] }, { cq: false, shape: [L, n] },
    { cq: false, shape: [L, n, n] }, { cq: true, shape: [L * n, n * d] }, { cq: true, shape: [L * n, n * d] }, { cq: true, shape: [L * n * n, n * d] });
  for (let s = 0; s < g.sites.length; s++) {
    ts.push({ cq: true, shape: [tables * g.engramSlots, sub] }, { cq: true, shape: [d, tables * sub] }, { cq: true, shape: [d, tables * sub] }, { cq: false, shape: [4, d] });
  }
  ts.push({ cq: false, shape: [d] });
  const sizes = ts.map((t) => (t.cq ? cqBlobBytes(t.shape[0]!, t.shape[1]!, g.group, g.bits) : 2 * t.shape.reduce((a, b) => a * b, 1)));
  const align = (x: number): number => Math.ceil(x / 64) * 64;
  let pos = 120 + 28 * 4 + 44 * ts.length;
  const offsets = sizes.map((size) => {
    pos = align(pos);
    const at = pos;
    pos += size;
    return at;
  });
  const out = new Uint8Array(pos);
  const view = new DataView(out.buffer);
  const hdr = [CACT_TAG, ts.length, 28, g.kvWindow, 8, g.vocab, d, g.numHeads, g.numKvHeads, L, g.headDim, g.maxSeqLen, hadaN, n,
    g.engramSlots, sub, tables, 4, Math.max(...g.orders), g.orders.length, ...[...g.orders, 0, 0, 0, 0].slice(0, 4), g.sites.length, ...[...g.sites, 0, 0, 0, 0].slice(0, 4)];
  hdr.forEach((v, i) => view.setUint32(4 * i, v, true));
  view.setFloat32(116, g.ropeTheta, true);
  codebooks.forEach((v, i) => view.setFloat32(120 + 4 * i, v, true));
  let state = seed >>> 0;
  const random = (): number => ((state = (Math.imul(state, 1664525) + 1013904223) >>> 0) >>> 24);
  ts.forEach((t, i) => {
    const r = 120 + 28 * 4 + 44 * i;
    view.setUint8(r, t.cq ? 3 : 1);
    view.setUint8(r + 1, t.shape.length);
    t.shape.forEach((v, k) => view.setUint32(r + 4 + 4 * k, v, true));
    view.setBigUint64(r + 20, BigInt(offsets[i]!), true);
    view.setBigUint64(r + 28, BigInt(sizes[i]!), true);
    if (t.cq) {
      view.setUint32(r + 36, g.group, true);
      view.setUint32(r + 40, g.bits, true);
      const [rows, cols] = t.shape as [number, number];
      const groups = Math.ceil(cols / g.group);
      const normsAt = offsets[i]! + sizes[i]! - rows * groups * 2;
      // Ternary bytes: four crumbs, each 3, 0 or 1 (never 2).
      const trit = (): number => [3, 0, 1][random() % 3]!;
      for (let b = offsets[i]!; b < normsAt; b++) out[b] = g.bits === TERNARY_RECORD_BITS ? trit() | (trit() << 2) | (trit() << 4) | (trit() << 6) : random();
      // Norms 0.125 .. 0.25 in fp16 (exponent 12): weights of about 0.02 per element for group 128.
      for (let b = normsAt; b < offsets[i]! + sizes[i]!; b += 2) view.setUint16(b, (12 << 10) | (random() << 2), true);
    } else {
      // FP16 values of magnitude 2^-6 .. 0.5, either sign (exponent 9 .. 13, random mantissa).
      for (let b = offsets[i]!; b < offsets[i]! + sizes[i]!; b += 2) view.setUint16(b, ((random() & 1) << 15) | ((9 + (random() % 5)) << 10) | (random() << 2), true);
    }
  });
  return out;
}
