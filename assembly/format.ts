// Weight formats of the matrices (norm gains, gates and biases stay f32).
// Every format stores a matrix as rows [rows][cols] (see layout.ts); the
// quantized ones follow Needle's quantisation-aware training: symmetric,
// groups of GROUP consecutive weights along the input dimension, one f32
// scale per group.
//
//   f32  rows of cols f32
//   f16  rows of cols IEEE half floats
//   q8   rows of groups × 32 int8 (scale = max|w| / 127), then the scales;
//        a partial last group is padded with zeros
//   q4   rows of groups × 16 bytes, then the scales; value i < 16 of a
//        group in the low nibble of byte i, value i + 16 in the high
//        nibble, each stored as q + 8 (q = round(w / scale) clipped to
//        [-8, 7], scale = max|w| / 7)
// Scales (f32) are grouped by quads of rows, [ceil(rows/4)][groups][4], so
// the kernels load the four rows' scales of a group as one vector; the
// slots of rows past the end are zero.

export const FORMAT_F32 = 0;
export const FORMAT_F16 = 1;
export const FORMAT_Q8 = 2;
export const FORMAT_Q4 = 3;

export const GROUP = 32;

@inline export function groupsOf(cols: i32): i32 {
  return (cols + GROUP - 1) / GROUP;
}

@inline export function isQuantized(format: i32): bool {
  return format >= FORMAT_Q8;
}

/** Bytes of one stored row of `cols` weights. */
export function rowBytes(format: i32, cols: i32): usize {
  if (format == FORMAT_F32) return <usize>cols << 2;
  if (format == FORMAT_F16) return <usize>cols << 1;
  if (format == FORMAT_Q8) return <usize>groupsOf(cols) * GROUP;
  return <usize>groupsOf(cols) * (GROUP / 2);
}

/** Start of a quantized matrix's scales [rows][groups] f32. */
@inline export function scalesOf(format: i32, matrix: usize, rows: i32, cols: i32): usize {
  return (matrix + <usize>rows * rowBytes(format, cols) + 15) & ~(<usize>15);
}

/** Rows rounded up to whole quads, as the scales are stored. */
@inline export function quadRows(rows: i32): i32 {
  return (rows + 3) & ~3;
}

/** Where the scale of row r, group g sits among a matrix's scales. */
@inline export function scaleIndex(r: i32, g: i32, groups: i32): i32 {
  return ((r >> 2) * groups + g) * 4 + (r & 3);
}

/** Bytes of a whole matrix, scales included. */
export function matrixBytes(format: i32, rows: i32, cols: i32): usize {
  const data = (<usize>rows * rowBytes(format, cols) + 15) & ~(<usize>15);
  return isQuantized(format) ? data + ((<usize>quadRows(rows) * groupsOf(cols)) << 2) : data;
}
