// Where everything lives in linear memory. `configure` decides it all once,
// when a model loads; nothing is allocated afterwards.
//
//   heapBase
//   ├─ shape       the record configure/attach read (abi.ts), SHAPE_BYTES
//   ├─ weights     every tensor in the orientation its kernel wants (below),
//   │              layer-major, each block 64-byte aligned
//   ├─ rope tables ropeCos / ropeSin: [maxPos][headDim/2] f32
//   ├─ ids         encIds [maxEnc] i32, decTokens [maxDec] i32
//   ├─ caches      crossKV: per decoder layer, f32 [2][kvHeads][maxEnc][headDim]
//   │              (K then V, head-major, so attention streams each head's
//   │              keys and values from contiguous memory), or with q8/q4
//   │              weights [kvHeads] int16 head blocks (attention_q16.ts);
//   │              kvCache [decLayers][2][kvHeads][maxDec][headDim] f32
//   ├─ encoder     encoderOut [maxEnc][d], then scratch for one encoder pass
//   │              (attention scores per thread); the scratch doubles as the
//   │              staging area for weight import
//   ├─ decoder     one step's vectors and logits [vocab], the contrastive
//   │              head's vectors
//   └─ shared      a row buffer for import, widened f16 rows per thread,
//                  quantized activations [maxEnc][…] i16 and their scales,
//                  the job slot threads share (parallel.ts), the decode
//                  GEMV's form (gemvWide)
//
// Matrices are stored [out][in] (row o holds the weights feeding output o),
// the transpose of flax's [in, out] kernels, so both GEMV and GEMM are dot
// products along contiguous memory, in the weight format of format.ts
// (the contrastive head always f32). Q, K and V of a self-attention share one
// matrix [d + 2*kvDim][d]; cross-attention K and V share one [2*kvDim][d];
// FFN gate and up share one [2*dFF][d]. Norm scales are stored as gains
// (1 + scale) and residual gates as sigmoid(gate), both f32.

/** Bumped whenever the weight layout below changes: .needle bundles record it. */
export const LAYOUT_VERSION = 2;

import { FORMAT_F16, FORMAT_F32, GROUP, groupsOf, isQuantized, matrixBytes } from "./format";
import {
  FFN_NONE, SHAPE_BYTES, SHAPE_CONTRASTIVE_DIM, SHAPE_D_FF, SHAPE_D_MODEL, SHAPE_DEC_LAYERS, SHAPE_ENC_LAYERS, SHAPE_FFN_KIND, SHAPE_FORMAT,
  SHAPE_HEADS, SHAPE_KV_HEADS, SHAPE_MAX_DEC, SHAPE_MAX_ENC, SHAPE_PAD_ID, SHAPE_ROPE_THETA, SHAPE_THREADS, SHAPE_VOCAB,
} from "./abi";
import { kvHeadBytes, scratchBytes } from "./attention_q16";

// Model shape (the record configure reads, abi.ts) and what follows from it.
export let vocab: i32 = 0;
export let dModel: i32 = 0;
export let nHeads: i32 = 0;
export let nKvHeads: i32 = 0;
export let headDim: i32 = 0;
export let kvDim: i32 = 0;
export let qkvDim: i32 = 0; // d + 2*kvDim
export let encLayers: i32 = 0;
export let decLayers: i32 = 0;
export let dFF: i32 = 0;
export let ffnKind: i32 = 0; // FFN_* of abi.ts
export let conHidden: i32 = 0; // d / 4
export let conDim: i32 = 0;
export let padId: i32 = 0;
export let ropeTheta: f64 = 0;
export let maxEnc: i32 = 0;
export let maxDec: i32 = 0;
export let weightFormat: i32 = FORMAT_F32;
/** Widest matrix input (d, dFF): sizes the per-row scratch below. */
export let maxCols: i32 = 0;

// Global weights.
export let embedding: usize = 0; // [vocab][d]
export let encFinalNorm: usize = 0; // [d] gains
export let decFinalNorm: usize = 0; // [d] gains
export let conHiddenW: usize = 0; // [conHidden][d]
export let conHiddenB: usize = 0; // [conHidden]
export let conProjW: usize = 0; // [conDim][conHidden]

// Per-layer weights: base + layer * stride.
export let encLayer0: usize = 0;
export let encLayerStride: usize = 0;
export let decLayer0: usize = 0;
export let decLayerStride: usize = 0;

// Offsets inside one encoder layer block.
export let E_ATTN_GATE: usize = 0; // f32 sigmoid(attn_gate)
export let E_FFN_GATE: usize = 0; // f32 sigmoid(ffn_gate)
export let E_NORM0: usize = 0; // [d]
export let E_NORM1: usize = 0; // [d] (FFN only)
export let E_QNORM: usize = 0; // [headDim]
export let E_KNORM: usize = 0; // [headDim]
export let E_QKV: usize = 0; // [qkvDim][d]
export let E_OUT: usize = 0; // [d][d]
export let E_FF_GATE_UP: usize = 0; // [2*dFF][d]
export let E_FF_DOWN: usize = 0; // [d][dFF]

// Offsets inside one decoder layer block.
export let D_SELF_GATE: usize = 0;
export let D_CROSS_GATE: usize = 0;
export let D_FFN_GATE: usize = 0;
export let D_NORM0: usize = 0;
export let D_NORM1: usize = 0;
export let D_NORM2: usize = 0;
export let D_SELF_QNORM: usize = 0;
export let D_SELF_KNORM: usize = 0;
export let D_CROSS_QNORM: usize = 0;
export let D_CROSS_KNORM: usize = 0;
export let D_SELF_QKV: usize = 0; // [qkvDim][d]
export let D_SELF_OUT: usize = 0; // [d][d]
export let D_CROSS_Q: usize = 0; // [d][d]
export let D_CROSS_KV: usize = 0; // [2*kvDim][d]
export let D_CROSS_OUT: usize = 0; // [d][d]
export let D_FF_GATE_UP: usize = 0;
export let D_FF_DOWN: usize = 0;

export let weightsStart: usize = 0;
export let weightsEnd: usize = 0;

// Runtime buffers.
export let ropeCos: usize = 0; // [maxPos][headDim/2]
export let ropeSin: usize = 0;
export let encIds: usize = 0; // [maxEnc] i32
export let decTokens: usize = 0; // [maxDec] i32
export let crossKV: usize = 0; // [decLayers][crossLayerBytes]
export let crossLayerBytes: usize = 0;
export let kvCache: usize = 0; // [decLayers][2][kvHeads][maxDec][headDim]
export let encoderOut: usize = 0; // [maxEnc][d]
export let encNormed: usize = 0; // [maxEnc][d]
export let encQKV: usize = 0; // [maxEnc][qkvDim]
export let encKV16: usize = 0; // q8/q4: [kvHeads] int16 head blocks of one encoder layer's K and V
export let encAttn: usize = 0; // [maxEnc][d]
export let encProj: usize = 0; // [maxEnc][d]
export let encFFN: usize = 0; // [maxEnc][2*dFF]
export let scores: usize = 0; // [threads][4][max(maxEnc, maxDec)]
export let scoresStride: usize = 0; // bytes of one thread's scores
export let staging: usize = 0; // aliases the encoder scratch
export let stagingBytes: usize = 0;
export let decX: usize = 0; // [d] residual stream of one decoder step
export let decNormed: usize = 0; // [d]
export let decQKV: usize = 0; // [qkvDim]
export let decAttn: usize = 0; // [d]
export let decProj: usize = 0; // [d]
export let decFFN: usize = 0; // [2*dFF]
export let logits: usize = 0; // [vocab]
export let pooled: usize = 0; // [d]
export let conHiddenOut: usize = 0; // [conHidden]
export let embeddingOut: usize = 0; // [conDim]
export let rowBuffer: usize = 0; // [maxCols] f32, one matrix row during import
export let f16Block: usize = 0; // [threads][4][maxCols] f32, widened f16 rows (f16 GEMM)
export let f16BlockStride: usize = 0;
export let jobs: usize = 0; // [16] i32, the job slot workers wait on (parallel.ts)
export let gemvWide: usize = 0; // i32: 1 if q8 GEMVs take four quads side by side (quant.ts), shared by all threads
/** Threads sharing this memory (1 without workers). */
export let threads: i32 = 1;
export let actQ: usize = 0; // [maxEnc][groups(maxCols)*32] i16, quantized activations
export let actScales: usize = 0; // [maxEnc][groups(maxCols)] f32
export let memoryEnd: usize = 0;

let cursor: usize = 0;

@inline function align64(n: usize): usize {
  return (n + 63) & ~(<usize>63);
}

/** Reserve `bytes` at the cursor, 64-byte aligned, and return its address. */
function take(bytes: usize): usize {
  const at = cursor;
  cursor = align64(cursor + bytes);
  return at;
}

@inline function f32s(n: i32): usize {
  return <usize>n << 2;
}

/** Bytes of one matrix of `rows` × `cols` weights in the model's weight format. */
@inline function matBytes(rows: i32, cols: i32): usize {
  return matrixBytes(weightFormat, rows, cols);
}

/** Offset of a block inside a layer block being laid out from `start`. */
function field(bytes: usize): usize {
  return take(bytes) - layerStart;
}
let layerStart: usize = 0;

function layoutEncoderLayer(): void {
  layerStart = cursor;
  E_ATTN_GATE = field(4);
  E_FFN_GATE = field(4);
  E_NORM0 = field(f32s(dModel));
  E_NORM1 = field(f32s(dModel));
  E_QNORM = field(f32s(headDim));
  E_KNORM = field(f32s(headDim));
  E_QKV = field(matBytes(qkvDim, dModel));
  E_OUT = field(matBytes(dModel, dModel));
  E_FF_GATE_UP = field(ffnKind ? matBytes(2 * dFF, dModel) : 0);
  E_FF_DOWN = field(ffnKind ? matBytes(dModel, dFF) : 0);
  encLayerStride = cursor - layerStart;
}

function layoutDecoderLayer(): void {
  layerStart = cursor;
  D_SELF_GATE = field(4);
  D_CROSS_GATE = field(4);
  D_FFN_GATE = field(4);
  D_NORM0 = field(f32s(dModel));
  D_NORM1 = field(f32s(dModel));
  D_NORM2 = field(f32s(dModel));
  D_SELF_QNORM = field(f32s(headDim));
  D_SELF_KNORM = field(f32s(headDim));
  D_CROSS_QNORM = field(f32s(headDim));
  D_CROSS_KNORM = field(f32s(headDim));
  D_SELF_QKV = field(matBytes(qkvDim, dModel));
  D_SELF_OUT = field(matBytes(dModel, dModel));
  D_CROSS_Q = field(matBytes(dModel, dModel));
  D_CROSS_KV = field(matBytes(2 * kvDim, dModel));
  D_CROSS_OUT = field(matBytes(dModel, dModel));
  D_FF_GATE_UP = field(ffnKind ? matBytes(2 * dFF, dModel) : 0);
  D_FF_DOWN = field(ffnKind ? matBytes(dModel, dFF) : 0);
  decLayerStride = cursor - layerStart;
}

@inline function max(a: usize, b: usize): usize {
  return a > b ? a : b;
}

/**
 * Lay out the model whose shape record (abi.ts) is at `shape` and grow memory
 * to hold it. Returns the bytes in use, or 0 when memory cannot grow that far.
 * Sizes were validated by the caller.
 */
export function configure(shape: usize): usize {
  layOut(shape);
  const needPages = <i32>((memoryEnd + 0xffff) >> 16);
  const havePages = memory.size();
  if (needPages > havePages && memory.grow(needPages - havePages) < 0) return 0;
  return memoryEnd;
}

/** Where the caller writes the shape record: the first bytes above the static data, inside the first page (reserved by the layout). */
@inline export function shapeRecord(): usize {
  return align64(__heap_base);
}

/** Read the shape record at `shape` and compute every address of the layout (nothing else in memory is touched). */
export function layOut(shape: usize): usize {
  vocab = load<i32>(shape + SHAPE_VOCAB);
  dModel = load<i32>(shape + SHAPE_D_MODEL);
  nHeads = load<i32>(shape + SHAPE_HEADS);
  nKvHeads = load<i32>(shape + SHAPE_KV_HEADS);
  encLayers = load<i32>(shape + SHAPE_ENC_LAYERS);
  decLayers = load<i32>(shape + SHAPE_DEC_LAYERS);
  dFF = load<i32>(shape + SHAPE_D_FF);
  ffnKind = load<i32>(shape + SHAPE_FFN_KIND);
  conDim = load<i32>(shape + SHAPE_CONTRASTIVE_DIM);
  padId = load<i32>(shape + SHAPE_PAD_ID);
  ropeTheta = load<f64>(shape + SHAPE_ROPE_THETA);
  maxEnc = load<i32>(shape + SHAPE_MAX_ENC);
  maxDec = load<i32>(shape + SHAPE_MAX_DEC);
  weightFormat = load<i32>(shape + SHAPE_FORMAT);
  threads = load<i32>(shape + SHAPE_THREADS);
  const d = dModel;
  const format = weightFormat;
  headDim = d / nHeads;
  kvDim = nKvHeads * headDim;
  qkvDim = d + 2 * kvDim;
  conHidden = d / 4;
  maxCols = ffnKind != FFN_NONE && dFF > d ? dFF : d;

  cursor = shapeRecord();
  take(SHAPE_BYTES);
  weightsStart = cursor;
  embedding = take(matBytes(vocab, d));
  encFinalNorm = take(f32s(d));
  decFinalNorm = take(f32s(d));
  conHiddenW = take(matrixBytes(FORMAT_F32, conHidden, d));
  conHiddenB = take(f32s(conHidden));
  conProjW = take(matrixBytes(FORMAT_F32, conDim, conHidden));
  encLayer0 = cursor;
  for (let l = 0; l < encLayers; l++) layoutEncoderLayer();
  decLayer0 = cursor;
  for (let l = 0; l < decLayers; l++) layoutDecoderLayer();
  weightsEnd = cursor;

  const maxPos = maxEnc > maxDec ? maxEnc : maxDec;
  ropeCos = take(f32s(maxPos * (headDim >> 1)));
  ropeSin = take(f32s(maxPos * (headDim >> 1)));
  encIds = take(f32s(maxEnc));
  decTokens = take(f32s(maxDec));
  const quantized = isQuantized(format);
  crossLayerBytes = quantized ? <usize>nKvHeads * kvHeadBytes(maxEnc, headDim) : f32s(maxEnc * 2 * kvDim);
  crossKV = take(<usize>decLayers * crossLayerBytes);
  kvCache = take(f32s(decLayers * maxDec * 2 * kvDim));
  encoderOut = take(f32s(maxEnc * d));

  // Encoder scratch, reused as the staging area while weights import.
  const scratchStart = cursor;
  encNormed = take(f32s(maxEnc * d));
  encQKV = take(f32s(maxEnc * qkvDim));
  encKV16 = take(quantized ? <usize>nKvHeads * kvHeadBytes(maxEnc, headDim) : 0);
  encAttn = take(f32s(maxEnc * d));
  encProj = take(f32s(maxEnc * d));
  encFFN = take(ffnKind ? f32s(maxEnc * 2 * dFF) : 0);
  scoresStride = align64(max(f32s(4 * maxPos), quantized ? scratchBytes(maxPos, headDim) : 0));
  scores = take(<usize>threads * scoresStride);
  // The largest tensor slice a checkpoint can hand over, as f32.
  let largest = max(f32s(vocab * d), f32s(d * d));
  largest = max(largest, f32s(d * dFF));
  largest = max(largest, f32s(conDim * conHidden));
  cursor = max(cursor, align64(scratchStart + largest));
  staging = scratchStart;
  stagingBytes = cursor - scratchStart;

  decX = take(f32s(d));
  decNormed = take(f32s(d));
  decQKV = take(f32s(qkvDim));
  decAttn = take(f32s(d));
  decProj = take(f32s(d));
  decFFN = take(ffnKind ? f32s(2 * dFF) : 0);
  logits = take(f32s(vocab));
  pooled = take(f32s(d));
  conHiddenOut = take(f32s(conHidden));
  embeddingOut = take(f32s(conDim));
  rowBuffer = take(f32s(maxCols));
  f16BlockStride = format == FORMAT_F16 ? align64(f32s(4 * maxCols)) : 0;
  f16Block = take(<usize>threads * f16BlockStride);
  jobs = take(64);
  gemvWide = take(16);
  actQ = take(quantized ? <usize>(maxEnc * groupsOf(maxCols) * GROUP) << 1 : 0);
  actScales = take(quantized ? f32s(maxEnc * groupsOf(maxCols)) : 0);
  memoryEnd = cursor;
  return memoryEnd;
}

@inline export function encLayer(l: i32): usize {
  return encLayer0 + <usize>l * encLayerStride;
}

/** Decoder layer l's cross-attention keys and values. */
@inline export function crossLayer(l: i32): usize {
  return crossKV + <usize>l * crossLayerBytes;
}

@inline export function decLayer(l: i32): usize {
  return decLayer0 + <usize>l * decLayerStride;
}
