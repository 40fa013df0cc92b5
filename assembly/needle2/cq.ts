// Cactus-Quants decoding (export.py _cq_unpack), once, at load. A row of a
// CQ matrix [out][in] is a continuous LSB-first bitstream of codebook indices
// (`bits` each; ternary: 2-bit crumbs 3, 0, 1 for trits 0, 1, 2), padded to
// whole groups; each group of `group` values has an f16 L2 norm. A group is
//   w = (codebook[idx] · norm) @ H / sqrt(group)     (hadamard.ts).

import { f16_to_f32 } from "../tensor_import";
import { fwht_f32 } from "./hadamard";

const TERNARY_RECORD_BITS = 5;

/**
 * Decode one row into dst[0..inDim): `codes` its packed bytes, `norms` its
 * f16 group norms, `codebook` f32 entries (ternary: the three levels);
 * `scratch` holds one group. Returns 1 if a ternary crumb is 2 (not a trit), else 0.
 */
export function cq_decode_row(dst: usize, codes: usize, norms: usize, inDim: i32, group: i32, bits: i32, codebook: usize, scratch: usize): i32 {
  const ternary = bits == TERNARY_RECORD_BITS;
  const width = ternary ? 2 : bits;
  const mask = (1 << width) - 1;
  const groups = (inDim + group - 1) / group;
  const scale = <f32>(1.0 / Math.sqrt(<f64>group));
  let bad = 0;
  for (let g = 0; g < groups; g++) {
    const norm = f16_to_f32(<u32>load<u16>(norms + (<usize>g << 1)));
    for (let k = 0; k < group; k++) {
      const bit = (g * group + k) * width;
      const at = codes + <usize>(bit >> 3);
      const shift = bit & 7;
      let word = <i32>load<u8>(at);
      if (shift + width > 8) word |= <i32>load<u8>(at, 1) << 8;
      let idx = (word >> shift) & mask;
      if (ternary) {
        if (idx == 2) bad = 1;
        idx = idx == 3 ? 0 : idx == 2 ? 1 : idx + 1;
      }
      store<f32>(scratch + (<usize>k << 2), load<f32>(codebook + (<usize>idx << 2)) * norm);
    }
    fwht_f32(scratch, group);
    const col0 = g * group;
    const end = col0 + group < inDim ? group : inDim - col0;
    for (let k = 0; k < end; k++) store<f32>(dst + (<usize>(col0 + k) << 2), load<f32>(scratch + (<usize>k << 2)) * scale);
  }
  return bad;
}
