// The `.cact` reader (Needle 2's one-file weights, cactus-compute/needle
// v2.0.8 needle/model/export.py): a 120-byte header with the whole geometry,
// the shared codebooks, a nameless 44-byte-record directory in canonical
// order, then 64-byte aligned blobs. Every header field and record is checked
// against the geometry and the file length, in safe integers, before anything
// large is allocated; the blobs stay in the caller's bytes.
//
//   [header 120 B][codebooks 28 x f32][directory n x 44 B][pad][blob 0][pad][blob 1]...

import { CactError } from "../errors.ts";

export const CACT_TAG = 0x05e12a83;
const HEADER_BYTES = 120;
const RECORD_BYTES = 44;
const ALIGN = 64;
/** cb2[4] | cb3[8] | cb4[16]. */
const CODEBOOK_LEN = 28;
const CONV_TAPS = 4;
/** Record `bits` value that marks ternary (1.58-bit) weights. */
export const TERNARY_RECORD_BITS = 5;

/** Explicit limits on header fields: far above the published preset, far below what would overflow. */
export const CACT_LIMITS = {
  vocab: 1 << 20,
  dModel: 1 << 14,
  heads: 256,
  layers: 256,
  headDim: 1024,
  maxSeqLen: 1 << 20,
  lanes: 16,
  engramSlots: 1 << 24,
  maxOrder: 16,
  group: 4096,
  tokenizerPieces: 1 << 20,
} as const;

export const DTYPE_FP16 = 1;
export const DTYPE_FP32 = 2;
export const DTYPE_CQ = 3;
export const DTYPE_RAW = 4;

export interface CactHeader {
  numTensors: number;
  kvWindow: number;
  kvBits: number;
  vocab: number;
  dModel: number;
  numHeads: number;
  numKvHeads: number;
  numLayers: number;
  headDim: number;
  maxSeqLen: number;
  hadaN: number;
  mhcLanes: number;
  engramSlots: number;
  engramSubDim: number;
  numEngramTables: number;
  engramConvTaps: number;
  engramConvDilation: number;
  engramOrders: number[];
  engramSites: number[];
  ropeTheta: number;
}

export type CactKind = "fp16" | "fp32" | "cq" | "raw";

export interface CactTensor {
  /** Canonical name, e.g. "layer01.q_proj", "mhc_phi_res", "engram0.tables". */
  name: string;
  kind: CactKind;
  shape: number[];
  /** Absolute byte offset of the blob. */
  offset: number;
  nbytes: number;
  /** CQ only: group size along the input dimension. */
  group: number;
  /** CQ only: 2, 3, 4, or TERNARY_RECORD_BITS. */
  bits: number;
}

export type ProbeHeadKind = "contrastive" | "confidence";

export interface ProbeHead {
  kind: ProbeHeadKind;
  probes: CactTensor;
  proj: CactTensor;
  bias: CactTensor;
}

export interface CactFile {
  header: CactHeader;
  /** The stored codebooks by width: 4, 8 and 16 entries. */
  codebooks: { 2: Float32Array; 3: Float32Array; 4: Float32Array };
  tensors: CactTensor[];
  byName: Map<string, CactTensor>;
  heads: ProbeHead[];
  tokenizer: CactTensor | null;
  /** The file itself; tensors point into it. */
  bytes: Uint8Array;
}

/** Whether `bytes` begins with the `.cact` tag (the name of a file never decides). */
export function isCact(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && new DataView(bytes.buffer, bytes.byteOffset, 4).getUint32(0, true) === CACT_TAG;
}

function fail(code: string, message: string): never {
  throw new CactError(code, message);
}

function checkRange(name: string, value: number, lo: number, hi: number): void {
  if (!(value >= lo && value <= hi)) fail("cact_header", `.cact header: ${name} = ${value}, expected ${lo}..${hi}`);
}

function isPow2(n: number): boolean {
  return n > 0 && (n & (n - 1)) === 0;
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

function readHeader(view: DataView, length: number): CactHeader {
  if (length < HEADER_BYTES) fail("cact_truncated", `.cact file is ${length} bytes, shorter than its ${HEADER_BYTES}-byte header`);
  const u = (i: number): number => view.getUint32(i * 4, true);
  if (u(0) !== CACT_TAG) fail("cact_tag", `.cact tag 0x${u(0).toString(16).padStart(8, "0")} is not 0x0${CACT_TAG.toString(16)}: not a .cact file`);
  const numOrders = u(19);
  const numSites = u(24);
  checkRange("num_engram_orders", numOrders, 1, 4);
  checkRange("num_engram_sites", numSites, 0, 4);
  const h: CactHeader = {
    numTensors: u(1),
    kvWindow: u(3),
    kvBits: u(4),
    vocab: u(5),
    dModel: u(6),
    numHeads: u(7),
    numKvHeads: u(8),
    numLayers: u(9),
    headDim: u(10),
    maxSeqLen: u(11),
    hadaN: u(12),
    mhcLanes: u(13),
    engramSlots: u(14),
    engramSubDim: u(15),
    numEngramTables: u(16),
    engramConvTaps: u(17),
    engramConvDilation: u(18),
    engramOrders: [u(20), u(21), u(22), u(23)].slice(0, numOrders),
    engramSites: [u(25), u(26), u(27), u(28)].slice(0, numSites),
    ropeTheta: view.getFloat32(29 * 4, true),
  };
  if (u(2) !== CODEBOOK_LEN) fail("cact_header", `.cact header: codebook_len = ${u(2)}, expected ${CODEBOOK_LEN} (cb2|cb3|cb4)`);
  checkRange("vocab", h.vocab, 16, CACT_LIMITS.vocab);
  checkRange("d_model", h.dModel, 1, CACT_LIMITS.dModel);
  checkRange("num_heads", h.numHeads, 1, CACT_LIMITS.heads);
  checkRange("num_kv_heads", h.numKvHeads, 1, h.numHeads);
  if (h.numHeads % h.numKvHeads !== 0) fail("cact_header", `.cact header: num_heads ${h.numHeads} is not a multiple of num_kv_heads ${h.numKvHeads}`);
  checkRange("num_layers", h.numLayers, 1, CACT_LIMITS.layers);
  checkRange("head_dim", h.headDim, 2, CACT_LIMITS.headDim);
  if (h.headDim % 2 !== 0) fail("cact_header", `.cact header: head_dim ${h.headDim} is odd (rotary needs pairs)`);
  checkRange("max_seq_len", h.maxSeqLen, 2, CACT_LIMITS.maxSeqLen);
  if (h.hadaN !== nextPow2(h.dModel)) fail("cact_header", `.cact header: hada_n = ${h.hadaN}, expected ${nextPow2(h.dModel)} (next power of two >= d_model ${h.dModel})`);
  checkRange("mhc_lanes", h.mhcLanes, 1, CACT_LIMITS.lanes);
  checkRange("kv_bits", h.kvBits, 2, 8);
  checkRange("kv_window", h.kvWindow, 0, CACT_LIMITS.maxSeqLen);
  if (!(Number.isFinite(h.ropeTheta) && h.ropeTheta > 1)) fail("cact_header", `.cact header: rope_theta = ${h.ropeTheta}, expected a finite number > 1`);
  if (h.engramConvTaps !== CONV_TAPS) fail("cact_header", `.cact header: engram_conv_taps = ${h.engramConvTaps}, expected ${CONV_TAPS}`);
  for (const o of h.engramOrders) checkRange("engram order", o, 1, CACT_LIMITS.maxOrder);
  if (h.engramConvDilation !== Math.max(...h.engramOrders)) {
    fail("cact_header", `.cact header: engram_conv_dilation = ${h.engramConvDilation}, expected max(engram_orders) = ${Math.max(...h.engramOrders)}`);
  }
  for (let s = 0; s < numSites; s++) {
    checkRange("engram site", h.engramSites[s]!, 0, h.numLayers - 1);
    if (h.engramSites.indexOf(h.engramSites[s]!) !== s) fail("cact_header", `.cact header: engram site ${h.engramSites[s]} listed twice`);
  }
  if (numSites > 0) {
    checkRange("engram_slots", h.engramSlots, 1, CACT_LIMITS.engramSlots);
    checkRange("num_engram_tables", h.numEngramTables, numOrders, h.dModel);
    if (h.numEngramTables % numOrders !== 0) fail("cact_header", `.cact header: num_engram_tables ${h.numEngramTables} is not a multiple of ${numOrders} orders`);
    const sub = Math.floor(h.dModel / h.numEngramTables);
    if (h.engramSubDim !== sub) fail("cact_header", `.cact header: engram_sub_dim = ${h.engramSubDim}, expected d_model / num_engram_tables = ${sub}`);
  }
  return h;
}

/** Canonical names and shapes the header implies, probe heads and tokenizer aside. */
function canonicalTensors(h: CactHeader): { name: string; kind: "fp16" | "cq"; shape: number[] }[] {
  const d = h.dModel;
  const attn = h.numHeads * h.headDim;
  const kv = h.numKvHeads * h.headDim;
  const n = h.mhcLanes;
  const L = h.numLayers;
  const out: { name: string; kind: "fp16" | "cq"; shape: number[] }[] = [{ name: "embedding", kind: "cq", shape: [h.vocab, d] }];
  for (let i = 0; i < L; i++) {
    const p = `layer${String(i).padStart(2, "0")}.`;
    out.push(
      { name: p + "norm_in", kind: "fp16", shape: [d] },
      { name: p + "q_proj", kind: "cq", shape: [attn, d] },
      { name: p + "k_proj", kind: "cq", shape: [kv, d] },
      { name: p + "v_proj", kind: "cq", shape: [kv, d] },
      { name: p + "q_norm", kind: "fp16", shape: [h.headDim] },
      { name: p + "k_norm", kind: "fp16", shape: [h.headDim] },
      { name: p + "gate_proj", kind: "cq", shape: [attn, d] },
      { name: p + "out_proj", kind: "cq", shape: [d, attn] },
      { name: p + "post_norm", kind: "fp16", shape: [d] },
      { name: p + "attn_gate", kind: "fp16", shape: [1] },
      { name: p + "pre_hada", kind: "fp16", shape: [d] },
      { name: p + "d1", kind: "fp16", shape: [h.hadaN] },
      { name: p + "d2", kind: "fp16", shape: [h.hadaN] },
      { name: p + "d3", kind: "fp16", shape: [h.hadaN] },
    );
  }
  out.push(
    { name: "mhc_a_pre", kind: "fp16", shape: [L] },
    { name: "mhc_a_post", kind: "fp16", shape: [L] },
    { name: "mhc_a_res", kind: "fp16", shape: [L] },
    { name: "mhc_b_pre", kind: "fp16", shape: [L, n] },
    { name: "mhc_b_post", kind: "fp16", shape: [L, n] },
    { name: "mhc_b_res", kind: "fp16", shape: [L, n, n] },
    { name: "mhc_phi_pre", kind: "cq", shape: [L * n, n * d] },
    { name: "mhc_phi_post", kind: "cq", shape: [L * n, n * d] },
    { name: "mhc_phi_res", kind: "cq", shape: [L * n * n, n * d] },
  );
  const e = h.numEngramTables * h.engramSubDim;
  for (let s = 0; s < h.engramSites.length; s++) {
    out.push(
      { name: `engram${s}.tables`, kind: "cq", shape: [h.numEngramTables * h.engramSlots, h.engramSubDim] },
      { name: `engram${s}.key_proj`, kind: "cq", shape: [d, e] },
      { name: `engram${s}.value_proj`, kind: "cq", shape: [d, e] },
      { name: `engram${s}.taps`, kind: "fp16", shape: [CONV_TAPS, d] },
    );
  }
  out.push({ name: "final_norm", kind: "fp16", shape: [d] });
  return out;
}

interface RawRecord {
  dtype: number;
  shape: number[];
  offset: number;
  nbytes: number;
  group: number;
  bits: number;
}

function readRecord(view: DataView, at: number, index: number): RawRecord {
  const dtype = view.getUint8(at);
  const ndim = view.getUint8(at + 1);
  const where = `.cact directory record ${index}`;
  if (dtype < DTYPE_FP16 || dtype > DTYPE_RAW) fail("cact_record", `${where}: dtype ${dtype}, expected 1 (FP16), 2 (FP32), 3 (CQ) or 4 (RAW)`);
  if (ndim > 4) fail("cact_record", `${where}: ndim ${ndim} > 4`);
  if (view.getUint16(at + 2, true) !== 0) fail("cact_record", `${where}: nonzero padding`);
  const dims = [0, 1, 2, 3].map((k) => view.getUint32(at + 4 + 4 * k, true));
  for (let k = ndim; k < 4; k++) if (dims[k] !== 0) fail("cact_record", `${where}: shape[${k}] = ${dims[k]} beyond ndim ${ndim}`);
  const offset = view.getBigUint64(at + 20, true);
  const nbytes = view.getBigUint64(at + 28, true);
  if (offset > BigInt(Number.MAX_SAFE_INTEGER) || nbytes > BigInt(Number.MAX_SAFE_INTEGER)) {
    fail("cact_bounds", `${where}: offset ${offset} / size ${nbytes} beyond any file`);
  }
  return { dtype, shape: dims.slice(0, ndim), offset: Number(offset), nbytes: Number(nbytes), group: view.getUint32(at + 36, true), bits: view.getUint32(at + 40, true) };
}

/** Bytes of a CQ blob for an (out, in) matrix: packed indices, then fp16 group norms. */
export function cqBlobBytes(out: number, inDim: number, group: number, bits: number): number {
  const inPad = Math.ceil(inDim / group) * group;
  const rowBits = bits === TERNARY_RECORD_BITS ? 2 : bits;
  return out * ((inPad * rowBits) / 8) + out * (inPad / group) * 2;
}

function shapeText(shape: number[]): string {
  return `(${shape.join(", ")})`;
}

function checkTensor(rec: RawRecord, name: string, kind: CactKind, shape: number[] | null, index: number): CactTensor {
  const where = `.cact tensor ${index} (${name})`;
  const code = { fp16: DTYPE_FP16, fp32: DTYPE_FP32, cq: DTYPE_CQ, raw: DTYPE_RAW }[kind];
  if (rec.dtype !== code) fail("cact_record", `${where}: dtype ${rec.dtype}, expected ${code} (${kind})`);
  if (shape && (rec.shape.length !== shape.length || rec.shape.some((v, k) => v !== shape[k]))) {
    fail("cact_shape", `${where}: shape ${shapeText(rec.shape)} contradicts the header, expected ${shapeText(shape)}`);
  }
  let expected: number;
  if (kind === "cq") {
    if (!isPow2(rec.group) || rec.group < 8 || rec.group > CACT_LIMITS.group) fail("cact_record", `${where}: CQ group ${rec.group}, expected a power of two in 8..${CACT_LIMITS.group}`);
    if (![2, 3, 4, TERNARY_RECORD_BITS].includes(rec.bits)) fail("cact_record", `${where}: CQ bits ${rec.bits}, expected 2, 3, 4 or ${TERNARY_RECORD_BITS} (ternary)`);
    expected = cqBlobBytes(rec.shape[0]!, rec.shape[1]!, rec.group, rec.bits);
  } else {
    if (rec.group !== 0 || rec.bits !== 0) fail("cact_record", `${where}: group/bits ${rec.group}/${rec.bits} on a ${kind} tensor, expected 0/0`);
    const count = rec.shape.reduce((a, b) => a * b, 1);
    expected = kind === "raw" ? rec.nbytes : count * (kind === "fp16" ? 2 : 4);
  }
  if (rec.nbytes !== expected) fail("cact_size", `${where}: ${rec.nbytes} bytes, expected ${expected} for shape ${shapeText(rec.shape)}`);
  return { name, kind, shape: rec.shape, offset: rec.offset, nbytes: rec.nbytes, group: rec.group, bits: rec.bits };
}

/** Float values of an FP16 (or FP32) tensor. */
export function floatValues(file: CactFile, t: CactTensor): Float32Array {
  const view = new DataView(file.bytes.buffer, file.bytes.byteOffset + t.offset, t.nbytes);
  const n = t.kind === "fp16" ? t.nbytes / 2 : t.nbytes / 4;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = t.kind === "fp16" ? halfToFloat(view.getUint16(2 * i, true)) : view.getFloat32(4 * i, true);
  return out;
}

export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Checks every FP16 value of a tensor is finite (NaN or infinity in a norm or gate poisons every logit). */
function checkFinite(file: CactFile, t: CactTensor, from: number, count: number): void {
  const view = new DataView(file.bytes.buffer, file.bytes.byteOffset + from, count * 2);
  for (let i = 0; i < count; i++) {
    if ((view.getUint16(2 * i, true) & 0x7c00) === 0x7c00) fail("cact_value", `.cact tensor ${t.name}: non-finite FP16 value at element ${i}`);
  }
}

/**
 * Parses and checks a whole `.cact` file held in `bytes` (not copied). Throws
 * CactError with a code: cact_tag, cact_truncated, cact_header, cact_count,
 * cact_record, cact_shape, cact_size, cact_bounds, cact_layout, cact_value,
 * cact_heads.
 */
export function readCact(bytes: Uint8Array): CactFile {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const header = readHeader(view, bytes.length);
  const canon = canonicalTensors(header);
  const dirStart = HEADER_BYTES + CODEBOOK_LEN * 4;
  const n = header.numTensors;
  if (n < canon.length || n > canon.length + 1 + 1 + 3 * 2) {
    fail("cact_count", `.cact header: num_tensors = ${n}, the geometry implies ${canon.length} (+ probe heads, + tokenizer)`);
  }
  const dirEnd = dirStart + n * RECORD_BYTES;
  if (bytes.length < dirEnd) fail("cact_truncated", `.cact file is ${bytes.length} bytes, its directory ends at ${dirEnd}`);
  const codebook = new Float32Array(CODEBOOK_LEN);
  for (let i = 0; i < CODEBOOK_LEN; i++) {
    codebook[i] = view.getFloat32(HEADER_BYTES + 4 * i, true);
    if (!Number.isFinite(codebook[i]!)) fail("cact_value", `.cact codebook entry ${i} is not finite`);
    if (i !== 0 && i !== 4 && i !== 12 && !(codebook[i]! > codebook[i - 1]!)) fail("cact_value", `.cact codebook entry ${i} is not above the one before (codebooks are sorted)`);
  }
  const records: RawRecord[] = [];
  let prevEnd = dirEnd;
  for (let i = 0; i < n; i++) {
    const rec = readRecord(view, dirStart + i * RECORD_BYTES, i);
    if (rec.offset % ALIGN !== 0) fail("cact_layout", `.cact tensor ${i}: offset ${rec.offset} is not ${ALIGN}-byte aligned`);
    if (rec.offset < prevEnd) fail("cact_layout", `.cact tensor ${i}: offset ${rec.offset} overlaps what comes before (ends at ${prevEnd})`);
    if (rec.offset + rec.nbytes > bytes.length) fail("cact_bounds", `.cact tensor ${i}: bytes ${rec.offset}..${rec.offset + rec.nbytes} beyond the file's ${bytes.length}`);
    prevEnd = rec.offset + rec.nbytes;
    records.push(rec);
  }
  const tensors: CactTensor[] = canon.map((c, i) => checkTensor(records[i]!, c.name, c.kind, c.shape, i));
  let next = canon.length;
  const hasTokenizer = records[n - 1]!.dtype === DTYPE_RAW;
  const extra = n - canon.length - (hasTokenizer ? 1 : 0);
  const file: CactFile = {
    header,
    codebooks: { 2: codebook.slice(0, 4), 3: codebook.slice(4, 12), 4: codebook.slice(12, 28) },
    tensors,
    byName: new Map(),
    heads: [],
    tokenizer: null,
    bytes,
  };
  if (extra !== 0) {
    if ((extra - 1) % 3 !== 0 || extra < 4) fail("cact_heads", `.cact: ${extra} tensors between final_norm and the tokenizer, expected 1 + 3 per probe head`);
    const count = (extra - 1) / 3;
    const manifest = checkTensor(records[next]!, "heads.manifest", "fp16", [count], next);
    tensors.push(manifest);
    next++;
    const codes = Array.from(floatValues(file, manifest));
    codes.forEach((c, k) => {
      if (c !== 1 && c !== 2) fail("cact_heads", `.cact heads.manifest[${k}] = ${c}, expected 1 (contrastive) or 2 (confidence)`);
      if (k > 0 && !(c > codes[k - 1]!)) fail("cact_heads", `.cact heads.manifest is not in canonical order (contrastive, confidence): ${codes.join(", ")}`);
    });
    for (const code of codes) {
      const kind: ProbeHeadKind = code === 1 ? "contrastive" : "confidence";
      const key = code === 1 ? "contrastive_head" : "confidence_head";
      const P = code === 1 ? 4 : 8;
      const d = header.dModel;
      const probes = checkTensor(records[next]!, `${key}.probes`, "fp16", [P, d], next);
      next++;
      const projRec = records[next]!;
      const outDim = projRec.shape[0] ?? 0;
      if (code === 2 ? outDim !== 1 : !(outDim >= 1 && outDim <= CACT_LIMITS.dModel)) fail("cact_shape", `.cact tensor ${next} (${key}.proj): output width ${outDim} out of range`);
      const proj = checkTensor(projRec, `${key}.proj`, "fp16", [outDim, P * d], next);
      next++;
      const bias = checkTensor(records[next]!, `${key}.bias`, "fp16", [outDim], next);
      next++;
      tensors.push(probes, proj, bias);
      file.heads.push({ kind, probes, proj, bias });
    }
  }
  if (hasTokenizer) {
    const rec = records[next]!;
    if (rec.shape.length !== 0) fail("cact_record", `.cact tensor ${next} (tokenizer): RAW with ndim ${rec.shape.length}, expected 0`);
    file.tokenizer = checkTensor(rec, "tokenizer", "raw", null, next);
    tensors.push(file.tokenizer);
  }
  for (const t of tensors) {
    file.byName.set(t.name, t);
    if (t.kind === "fp16") checkFinite(file, t, t.offset, t.nbytes / 2);
    if (t.kind === "cq") {
      const normBytes = t.shape[0]! * (Math.ceil(t.shape[1]! / t.group)) * 2;
      checkFinite(file, t, t.offset + t.nbytes - normBytes, normBytes / 2);
    }
  }
  return file;
}

/** The tensor named `name`; a CactError if the file has none (a reader bug, not a file's). */
export function tensor(file: CactFile, name: string): CactTensor {
  const t = file.byName.get(name);
  if (!t) fail("cact_missing", `.cact has no tensor ${name}`);
  return t;
}
