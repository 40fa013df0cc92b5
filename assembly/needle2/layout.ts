// Where a Needle 2 model lives in linear memory (its own engine instance;
// Needle 1's layout.ts stays unused). `n2Configure` decides it all once.
//
//   heapBase
//   ├─ weights   embedding [vocab][d] (f32 quads, format.ts), finalNorm gains [d];
//   │            per layer (stride layerStride):
//   │              gains normIn [d], qNorm [hd], kNorm [hd], postNorm [d], preHada [d];
//   │              attnGate sigmoid(g) f32; d1 [hadaN], d2, d3 [hadaN] (d2, d3 times
//   │              1/sqrt(hadaN), the Walsh normalisation folded in);
//   │              aPre, aPost, aRes f32; bPre [n], bPost [n], bRes [n][n];
//   │              qkvg [attn + 2 kv + attn][d] quads (q | k | v | gate rows);
//   │              out [d][attn]; mix [2n + n²][n d] (phi_pre | phi_post | phi_res rows)
//   │            per engram site (stride siteStride): tables [tables*slots][sub] plain f32
//   │              rows; kv [2d][tables*sub] quads (key | value rows); taps [4][d]
//   ├─ rope      cos / sin [maxSeq][hd/2]
//   ├─ tokens    [maxSeq] i32 (the engram hashes look back), zeroKeys [maxSeq] i32
//   ├─ caches    kvCache [layers][2][kvHeads][maxSeq][hd] f32 (head-major);
//   │            engramRing: engram values before the conv, per site [maxSeq][d]
//   └─ scratch   probe pooling state (probes.ts); the vectors of up to CHUNK positions ([CHUNK][width] each: a
//                prompt runs CHUNK positions per GEMM), their int16 activations
//                for the q8/q4 products, logits [vocab], scores [4][maxSeq], the
//                staging area for weight import
//
// Matrices are [out][in], so each output is a dot product along contiguous
// memory, in `format` (format.ts: f32, q8 or q4; engram tables stay f32 rows).

import { FORMAT_F32, GROUP, groupsOf, matrixBytes } from "../format";

/** Positions per batched step (prefill); a decode step is a batch of one. */
export const CHUNK: i32 = 32;

export let vocab: i32 = 0;
export let dModel: i32 = 0;
export let nHeads: i32 = 0;
export let nKvHeads: i32 = 0;
export let headDim: i32 = 0;
export let attnDim: i32 = 0;
export let kvDim: i32 = 0;
export let qkvgDim: i32 = 0; // 2 attn + 2 kv
export let nLayers: i32 = 0;
export let hadaN: i32 = 0;
export let lanes: i32 = 0;
export let mixDim: i32 = 0; // 2n + n²
export let slots: i32 = 0;
export let subDim: i32 = 0;
export let nTables: i32 = 0;
export let engramDim: i32 = 0; // tables * sub
export let dilation: i32 = 0;
export let ring: i32 = 0; // rows of the engram value cache (maxSeq: rewinding keeps it valid)
export let nOrders: i32 = 0;
export let nSites: i32 = 0;
export let maxSeq: i32 = 0;
export let maxCols: i32 = 0;
/** Weight format of the matrices (format.ts). */
export let format: i32 = FORMAT_F32;
/** Sliding attention window (decode.py kv_window): a query at p sees keys p - kvWindow + 1 .. p; 0: all. */
export let kvWindow: i32 = 0;

export function setKvWindow(w: i32): void {
  kvWindow = w;
}

/** Engram orders [4] and site layers [4] (i32). */
export let orders: usize = 0;
export let sites: usize = 0;

export let embedding: usize = 0;
export let finalNorm: usize = 0;
export let layer0: usize = 0;
export let layerStride: usize = 0;
export let site0: usize = 0;
export let siteStride: usize = 0;
export let weightsStart: usize = 0;
export let weightsEnd: usize = 0;

// Offsets inside a layer block.
export let NORM_IN: usize = 0;
export let Q_NORM: usize = 0;
export let K_NORM: usize = 0;
export let POST_NORM: usize = 0;
export let PRE_HADA: usize = 0;
export let ATTN_GATE: usize = 0;
export let D1: usize = 0;
export let D2: usize = 0;
export let D3: usize = 0;
export let A_PRE: usize = 0;
export let A_POST: usize = 0;
export let A_RES: usize = 0;
export let B_PRE: usize = 0;
export let B_POST: usize = 0;
export let B_RES: usize = 0;
export let QKVG: usize = 0;
export let OUT: usize = 0;
export let MIX: usize = 0;

// Offsets inside an engram site block.
export let TABLES: usize = 0;
export let KV: usize = 0;
export let TAPS: usize = 0;

// Runtime buffers.
export let ropeCos: usize = 0;
export let ropeSin: usize = 0;
export let tokens: usize = 0;
export let zeroKeys: usize = 0;
export let kvCache: usize = 0;
export let kvLayerBytes: usize = 0;
export let engramRing: usize = 0; // [sites][ring][d]
// Per position (each [CHUNK][...]):
export let lanesX: usize = 0; // [n][d]
export let lanesNext: usize = 0; // [n][d]
export let normedLanes: usize = 0; // [n d]
export let mixOut: usize = 0; // [mixDim]
export let u: usize = 0; // [d]
export let bx: usize = 0; // [d]
export let blockX: usize = 0; // [d]
export let normed: usize = 0; // [d]
export let qkvg: usize = 0; // [qkvgDim]
export let attnOut: usize = 0; // [attn]
export let proj: usize = 0; // [d]
export let engramE: usize = 0; // [engramDim]
export let engramKV: usize = 0; // [2d]
export let engramK: usize = 0; // [sites][d]
export let engramV: usize = 0; // [sites][d] after the conv
export let scratchA: usize = 0; // [d]
export let actQ: usize = 0; // [groups(maxCols) * GROUP] i16
export let actScales: usize = 0; // [groups(maxCols)] f32
// Once:
export let mixR: usize = 0; // [n][n] Sinkhorn output
export let hada: usize = 0; // [hadaN]
export let scratchB: usize = 0; // [d]
// Probe pooling (probes.ts), one head at a time:
export let probes: usize = 0; // [MAX_PROBES][d]
export let poolMax: usize = 0; // [MAX_PROBES]
export let poolSum: usize = 0; // [MAX_PROBES]
export let poolAcc: usize = 0; // [MAX_PROBES][d]
export let poolCell: usize = 0; // [d]
/** Probes pooling during forward passes (0: pooling off). */
export let poolCount: i32 = 0;
export let poolPad: i32 = 0;
export let poolCells: i32 = 0;
export let logits: usize = 0; // [vocab]
export let scores: usize = 0; // [4][maxSeq]
export let rowBuffer: usize = 0; // [maxCols]
export let codebook: usize = 0; // [16] f32: the codebook of the CQ tensor being imported
export let groupScratch: usize = 0; // [MAX_GROUP] one CQ group while decoding
export let staging: usize = 0;
export let stagingBytes: usize = 0;
export let memoryEnd: usize = 0;

let cursor: usize = 0;

@inline function align64(x: usize): usize {
  return (x + 63) & ~(<usize>63);
}

@inline export function f32s(n: i32): usize {
  return <usize>n << 2;
}

function take(bytes: usize): usize {
  const at = cursor;
  cursor = align64(cursor + bytes);
  return at;
}

let blockStart: usize = 0;

function field(bytes: usize): usize {
  return take(bytes) - blockStart;
}

@inline function mat(rows: i32, cols: i32): usize {
  return matrixBytes(format, rows, cols);
}

/** Most probes of a head (the confidence head's 8). */
export const MAX_PROBES: i32 = 8;

/** Largest CQ group (lib/needle2/cact.ts CACT_LIMITS.group). */
export const MAX_GROUP: i32 = 4096;

/** Bytes of the staging area: room for a chunk of CQ rows (packed codes and norms) or an FP16 vector. */
export const STAGING_BYTES: usize = 1 << 20;

/**
 * Lay out a model and grow memory. `orderList` and `siteList` pack up to four
 * small numbers, 8 bits each. Returns the bytes in use, 0 if memory cannot grow.
 */
export function n2Configure(
  vocabSize: i32, d: i32, heads: i32, kvHeads: i32, hd: i32, layers: i32, hn: i32, n: i32,
  engramSlots: i32, sub: i32, tables: i32, dil: i32, orderCount: i32, orderList: i32, siteCount: i32, siteList: i32,
  maxLen: i32, weightFormat: i32,
): usize {
  format = weightFormat;
  vocab = vocabSize;
  dModel = d;
  nHeads = heads;
  nKvHeads = kvHeads;
  headDim = hd;
  attnDim = heads * hd;
  kvDim = kvHeads * hd;
  qkvgDim = 2 * attnDim + 2 * kvDim;
  nLayers = layers;
  hadaN = hn;
  lanes = n;
  mixDim = 2 * n + n * n;
  slots = engramSlots;
  subDim = sub;
  nTables = tables;
  engramDim = tables * sub;
  dilation = dil;
  ring = maxLen;
  nOrders = orderCount;
  nSites = siteCount;
  maxSeq = maxLen;
  maxCols = n * d;
  if (attnDim > maxCols) maxCols = attnDim;
  if (engramDim > maxCols) maxCols = engramDim;
  if (hn > maxCols) maxCols = hn;

  cursor = align64(__heap_base);
  orders = take(16);
  sites = take(16);
  for (let i = 0; i < 4; i++) {
    store<i32>(orders + f32s(i), (orderList >> (8 * i)) & 0xff);
    store<i32>(sites + f32s(i), (siteList >> (8 * i)) & 0xff);
  }
  weightsStart = cursor;
  embedding = take(mat(vocab, d));
  finalNorm = take(f32s(d));
  layer0 = cursor;
  blockStart = cursor;
  NORM_IN = field(f32s(d));
  Q_NORM = field(f32s(hd));
  K_NORM = field(f32s(hd));
  POST_NORM = field(f32s(d));
  PRE_HADA = field(f32s(d));
  ATTN_GATE = field(4);
  D1 = field(f32s(hn));
  D2 = field(f32s(hn));
  D3 = field(f32s(hn));
  A_PRE = field(4);
  A_POST = field(4);
  A_RES = field(4);
  B_PRE = field(f32s(n));
  B_POST = field(f32s(n));
  B_RES = field(f32s(n * n));
  QKVG = field(mat(qkvgDim, d));
  OUT = field(mat(d, attnDim));
  MIX = field(mat(mixDim, n * d));
  layerStride = cursor - blockStart;
  cursor = layer0 + <usize>layers * layerStride;
  site0 = cursor;
  blockStart = cursor;
  TABLES = field(<usize>tables * <usize>engramSlots * f32s(sub));
  KV = field(mat(2 * d, engramDim));
  TAPS = field(f32s(4 * d));
  siteStride = cursor - blockStart;
  cursor = site0 + <usize>siteCount * siteStride;
  weightsEnd = cursor;

  ropeCos = take(f32s(maxLen * (hd >> 1)));
  ropeSin = take(f32s(maxLen * (hd >> 1)));
  tokens = take(f32s(maxLen));
  zeroKeys = take(f32s(maxLen));
  kvLayerBytes = f32s(2 * kvDim) * <usize>maxLen;
  kvCache = take(<usize>layers * kvLayerBytes);
  engramRing = take(<usize>siteCount * f32s(ring * d));
  lanesX = take(f32s(CHUNK * n * d));
  lanesNext = take(f32s(CHUNK * n * d));
  normedLanes = take(f32s(CHUNK * n * d));
  mixOut = take(f32s(CHUNK * mixDim));
  u = take(f32s(CHUNK * d));
  bx = take(f32s(CHUNK * d));
  blockX = take(f32s(CHUNK * d));
  normed = take(f32s(CHUNK * d));
  qkvg = take(f32s(CHUNK * qkvgDim));
  attnOut = take(f32s(CHUNK * attnDim));
  proj = take(f32s(CHUNK * d));
  engramE = take(f32s(CHUNK * engramDim));
  engramKV = take(f32s(CHUNK * 2 * d));
  engramK = take(f32s(CHUNK * siteCount * d));
  engramV = take(f32s(CHUNK * siteCount * d));
  scratchA = take(f32s(CHUNK * d));
  const groups = groupsOf(maxCols);
  actQ = take(<usize>(CHUNK * groups * GROUP) << 1);
  actScales = take(f32s(CHUNK * groups));
  mixR = take(f32s(n * n));
  hada = take(f32s(hn));
  scratchB = take(f32s(d));
  probes = take(f32s(MAX_PROBES * d));
  poolMax = take(f32s(MAX_PROBES));
  poolSum = take(f32s(MAX_PROBES));
  poolAcc = take(f32s(MAX_PROBES * d));
  poolCell = take(f32s(d));
  poolCount = 0;
  logits = take(f32s(vocab));
  scores = take(f32s(4 * maxLen));
  rowBuffer = take(f32s(maxCols));
  codebook = take(f32s(16));
  groupScratch = take(f32s(MAX_GROUP));
  staging = take(STAGING_BYTES);
  stagingBytes = STAGING_BYTES;
  memoryEnd = cursor;
  const needPages = <i32>((memoryEnd + 0xffff) >> 16);
  const havePages = memory.size();
  if (needPages > havePages && memory.grow(needPages - havePages) < 0) return 0;
  return memoryEnd;
}

export function setPool(count: i32, padId: i32): void {
  poolCount = count;
  poolPad = padId;
  poolCells = 0;
}

export function countCell(): void {
  poolCells++;
}

@inline export function layer(l: i32): usize {
  return layer0 + <usize>l * layerStride;
}

@inline export function site(s: i32): usize {
  return site0 + <usize>s * siteStride;
}
