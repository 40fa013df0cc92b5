// The engine's ABI: every number that crosses the Wasm boundary with a
// meaning, named once. Plain constants only, so that AssemblyScript imports
// this file as "./abi" and TypeScript as "../../assembly/abi.ts": the two
// sides read the very same text. (AssemblyScript types each as i32.)

// ---------------------------------------------------------------- weight formats
// How the matrices are held in memory (format.ts describes each layout).
export const FORMAT_F32 = 0;
export const FORMAT_F16 = 1;
export const FORMAT_Q8 = 2; // int8, symmetric, groups of QUANT_GROUP inputs
export const FORMAT_Q4 = 3; // int4, the same groups
/** Consecutive inputs sharing one scale in the q8 and q4 formats. */
export const QUANT_GROUP = 32;

// ---------------------------------------------------------------- FFN kinds
// The feed-forward activation (ffn.ts); FFN_NONE for no_feedforward models.
export const FFN_NONE = 0;
export const FFN_DRELU = 1;
export const FFN_SWIGLU = 2;
export const FFN_GEGLU = 3;

// ---------------------------------------------------------------- the model shape
// One record, written by lib/engine/shape.ts at shape_ptr() and read by
// configure(ptr) / attach(ptr) (index.ts). Byte offsets; i32 unless noted.
//
//    0 vocab        4 dModel       8 heads       12 kvHeads
//   16 encLayers   20 decLayers   24 dFF         28 ffnKind (FFN_*)
//   32 contrastiveDim             36 padId       40 ropeTheta (f64)
//   48 maxEnc      52 maxDec      56 format (FORMAT_*)   60 threads
export const SHAPE_VOCAB = 0;
export const SHAPE_D_MODEL = 4;
export const SHAPE_HEADS = 8;
export const SHAPE_KV_HEADS = 12;
export const SHAPE_ENC_LAYERS = 16;
export const SHAPE_DEC_LAYERS = 20;
export const SHAPE_D_FF = 24;
export const SHAPE_FFN_KIND = 28;
export const SHAPE_CONTRASTIVE_DIM = 32;
export const SHAPE_PAD_ID = 36;
export const SHAPE_ROPE_THETA = 40; // f64
export const SHAPE_MAX_ENC = 48;
export const SHAPE_MAX_DEC = 52;
export const SHAPE_FORMAT = 56;
export const SHAPE_THREADS = 60;
/** Bytes of the record (64-byte aligned in memory, so the f64 is aligned too). */
export const SHAPE_BYTES = 64;

// ---------------------------------------------------------------- tensor kinds
// What import_tensor(kind, layer, …) copies (weights.ts); lib/load/tensor-slots.ts
// maps flax names to these. Shapes are flax's.
// Global tensors.
export const EMBEDDING = 0; //        [vocab, d]
export const ENC_FINAL_NORM = 1; //   [d]
export const DEC_FINAL_NORM = 2; //   [d]
export const CON_HIDDEN_W = 3; //     [d, d/4]
export const CON_HIDDEN_B = 4; //     [d/4]
export const CON_PROJ_W = 5; //       [d/4, conDim]
// Encoder layer tensors (one layer's slice).
export const ENC_ATTN_GATE = 10; //   []
export const ENC_NORM0 = 11; //       [d]
export const ENC_Q = 12; //           [d, d]
export const ENC_K = 13; //           [d, kvDim]
export const ENC_V = 14; //           [d, kvDim]
export const ENC_Q_NORM = 15; //      [headDim]
export const ENC_K_NORM = 16; //      [headDim]
export const ENC_OUT = 17; //         [d, d]
export const ENC_FFN_GATE = 18; //    []
export const ENC_NORM1 = 19; //       [d]
export const ENC_FF_GATE = 20; //     [d, dFF]
export const ENC_FF_UP = 21; //       [d, dFF]
export const ENC_FF_DOWN = 22; //     [dFF, d]
// Decoder layer tensors (one layer's slice).
export const DEC_SELF_GATE = 30; //   []
export const DEC_NORM0 = 31; //       [d]
export const DEC_SELF_Q = 32; //      [d, d]
export const DEC_SELF_K = 33; //      [d, kvDim]
export const DEC_SELF_V = 34; //      [d, kvDim]
export const DEC_SELF_Q_NORM = 35; // [headDim]
export const DEC_SELF_K_NORM = 36; // [headDim]
export const DEC_SELF_OUT = 37; //    [d, d]
export const DEC_CROSS_GATE = 38; //  []
export const DEC_NORM1 = 39; //       [d]
export const DEC_CROSS_Q = 40; //     [d, d]
export const DEC_CROSS_K = 41; //     [d, kvDim]
export const DEC_CROSS_V = 42; //     [d, kvDim]
export const DEC_CROSS_Q_NORM = 43; //[headDim]
export const DEC_CROSS_K_NORM = 44; //[headDim]
export const DEC_CROSS_OUT = 45; //   [d, d]
export const DEC_FFN_GATE = 46; //    []
export const DEC_NORM2 = 47; //       [d]
export const DEC_FF_GATE = 48; //     [d, dFF]
export const DEC_FF_UP = 49; //       [d, dFF]
export const DEC_FF_DOWN = 50; //     [dFF, d]
