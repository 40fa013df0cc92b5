// Weight formats of the matrices (norm gains, gates and biases stay f32).
// A matrix holds rows [rows][cols] (see layout.ts); the quantized formats
// follow Needle's quantisation-aware training: symmetric, groups of GROUP
// consecutive weights along the input dimension, one f32 scale per group.
//
//   f32  rows in quads (4 consecutive rows; a last partial quad is padded
//        with zero rows), each quad as ceil(cols/4) chunks of 64 bytes: its
//        four rows' columns 4c..4c+3 as [4][4] f32 (a partial last chunk
//        zero-padded)
//   f16  rows of cols IEEE half floats
//   q8   rows in quads (4 consecutive rows; a last partial quad is padded
//        with zero rows); a quad is `groups` blocks of Q8_BLOCK bytes, one
//        per group of 32 inputs: 16 pairs of inputs (2k, 2k+1), each as
//        [row 0..3 of the quad][2] int8 (8 bytes), then the quad's four
//        f32 scales of the group (scale = max|w| / 127); inputs past the
//        end of a row are zero
//   q4   the same quads and groups in blocks of Q4_BLOCK bytes: the 32
//        values of each row as q + 8 in nibbles (q = round(w / scale)
//        clipped to [-8, 7], scale = max|w| / 7), four 16-byte chunks c,
//        then the four scales. Chunk c holds pairs 4c..4c+3: byte i holds
//        row (i >> 1) & 3, input 2p + (i & 1), with p = 4c + (i >> 3) in
//        its low nibble and p = 4c + 2 + (i >> 3) in its high nibble
// So a GEMV over four rows reads the matrix front to back in one stream
// (f32, q8, q4); and in q8/q4 one 8-byte load, widened to i16x8, holds an
// input pair of each of a quad's four rows, so i32x4.dot_i16x8_s against
// that pair of activations (splatted) yields the quad's four partial sums
// in its four lanes.

import { FORMAT_F16, FORMAT_F32, FORMAT_Q8, QUANT_GROUP } from "./abi";
export { FORMAT_F32, FORMAT_F16, FORMAT_Q8, FORMAT_Q4 } from "./abi";

export const GROUP = QUANT_GROUP;

@inline export function groupsOf(cols: i32): i32 {
  return (cols + GROUP - 1) / GROUP;
}

@inline export function isQuantized(format: i32): bool {
  return format >= FORMAT_Q8;
}

export const Q8_BLOCK: usize = 4 * GROUP + 16;
export const Q4_BLOCK: usize = 2 * GROUP + 16;

/** Bytes of one quad of rows of an f32, q8 or q4 matrix. */
@inline export function quadBytes(format: i32, cols: i32): usize {
  if (format == FORMAT_F32) return <usize>((cols + 3) >> 2) << 6;
  return <usize>groupsOf(cols) * (format == FORMAT_Q8 ? Q8_BLOCK : Q4_BLOCK);
}

/** Bytes of a whole matrix. */
export function matrixBytes(format: i32, rows: i32, cols: i32): usize {
  if (format == FORMAT_F16) return (<usize>rows * (<usize>cols << 1) + 15) & ~(<usize>15);
  return <usize>((rows + 3) >> 2) * quadBytes(format, cols);
}

/** Byte of value i (0..31) of quad row j within a q8 group block. */
@inline export function q8Byte(j: i32, i: i32): usize {
  return <usize>((i >> 1) * 8 + j * 2 + (i & 1));
}

/** Byte of value i (0..31) of quad row j within a q4 group block; the value is in its high nibble when q4High(i). */
@inline export function q4Byte(j: i32, i: i32): usize {
  return <usize>((i >> 3) * 16 + ((i >> 1) & 1) * 8 + j * 2 + (i & 1));
}

@inline export function q4High(i: i32): bool {
  return ((i >> 2) & 1) != 0;
}
