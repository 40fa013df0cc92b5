/**
 * UTF-8 helpers with SentencePiece's rules (util.h/util.cc DecodeUTF8,
 * IsValidDecodeUTF8), which differ from TextDecoder on invalid input: every
 * byte that does not start a valid, shortest-form, non-surrogate sequence
 * becomes one U+FFFD, where TextDecoder folds a truncated sequence into one.
 */

const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * The text SentencePiece sees for a JS string: its UTF-8 encoding as
 * TextEncoder writes it, i.e. with each lone surrogate replaced by U+FFFD.
 */
export function toWellFormed(text: string): string {
  const s = text as string & { isWellFormed?: () => boolean; toWellFormed?: () => string };
  if (typeof s.isWellFormed === "function") return s.isWellFormed() ? text : s.toWellFormed!();
  return text.replace(LONE_SURROGATE, "\ufffd");
}

/**
 * Writes the UTF-8 of `text[start, end)` (well-formed) into `dst`, which must
 * hold 3 bytes per code unit; returns the byte count.
 */
export function utf8Encode(text: string, start: number, end: number, dst: Uint8Array): number {
  let n = 0;
  for (let i = start; i < end; i++) {
    let c = text.charCodeAt(i);
    if (c < 0x80) {
      dst[n++] = c;
    } else if (c < 0x800) {
      dst[n++] = 0xc0 | (c >> 6);
      dst[n++] = 0x80 | (c & 0x3f);
    } else if (c >= 0xd800 && c <= 0xdbff && i + 1 < end) {
      c = ((c - 0xd800) << 10) + (text.charCodeAt(++i) - 0xdc00) + 0x10000;
      dst[n++] = 0xf0 | (c >> 18);
      dst[n++] = 0x80 | ((c >> 12) & 0x3f);
      dst[n++] = 0x80 | ((c >> 6) & 0x3f);
      dst[n++] = 0x80 | (c & 0x3f);
    } else {
      dst[n++] = 0xe0 | (c >> 12);
      dst[n++] = 0x80 | ((c >> 6) & 0x3f);
      dst[n++] = 0x80 | (c & 0x3f);
    }
  }
  return n;
}

function isTrail(b: number): boolean {
  return (b & 0xc0) === 0x80;
}

/** Code units collected before each String.fromCharCode call. */
const CHUNK = 4096;
const chunkUnits = new Uint16Array(CHUNK + 2);

/**
 * Decodes bytes as SentencePiece renders a run of byte pieces: valid
 * characters as themselves, every other byte as U+FFFD.
 */
export function decodeUtf8Lenient(bytes: ArrayLike<number>, length = bytes.length): string {
  let out = "";
  let n = 0;
  let i = 0;
  while (i < length) {
    if (n >= CHUNK) {
      out += String.fromCharCode.apply(null, chunkUnits.subarray(0, n) as unknown as number[]);
      n = 0;
    }
    const b0 = bytes[i]!;
    if (b0 < 0x80) {
      chunkUnits[n++] = b0;
      i++;
      continue;
    }
    const left = length - i;
    let cp = 0xfffd;
    let len = 1;
    if ((b0 & 0xe0) === 0xc0 && left >= 2) {
      const b1 = bytes[i + 1]!;
      const c = ((b0 & 0x1f) << 6) | (b1 & 0x3f);
      if (isTrail(b1) && c >= 0x80) {
        cp = c;
        len = 2;
      }
    } else if ((b0 & 0xf0) === 0xe0 && left >= 3) {
      const b1 = bytes[i + 1]!;
      const b2 = bytes[i + 2]!;
      const c = ((b0 & 0x0f) << 12) | ((b1 & 0x3f) << 6) | (b2 & 0x3f);
      if (isTrail(b1) && isTrail(b2) && c >= 0x800 && (c < 0xd800 || c > 0xdfff)) {
        cp = c;
        len = 3;
      }
    } else if ((b0 & 0xf8) === 0xf0 && left >= 4) {
      const b1 = bytes[i + 1]!;
      const b2 = bytes[i + 2]!;
      const b3 = bytes[i + 3]!;
      const c = ((b0 & 0x07) << 18) | ((b1 & 0x3f) << 12) | ((b2 & 0x3f) << 6) | (b3 & 0x3f);
      if (isTrail(b1) && isTrail(b2) && isTrail(b3) && c >= 0x10000 && c <= 0x10ffff) {
        cp = c;
        len = 4;
      }
    }
    if (cp > 0xffff) {
      chunkUnits[n++] = 0xd800 + ((cp - 0x10000) >> 10);
      chunkUnits[n++] = 0xdc00 + ((cp - 0x10000) & 0x3ff);
    } else {
      chunkUnits[n++] = cp;
    }
    i += len;
  }
  return out + String.fromCharCode.apply(null, chunkUnits.subarray(0, n) as unknown as number[]);
}

const strictDecoder = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
/** Longest input decoded in JS; longer ones go to TextDecoder, whose per-call cost only pays off then. */
const SHORT_STRING = 256;
const units = new Uint16Array(SHORT_STRING);

/**
 * Decodes `bytes[start, end)` as strict UTF-8, or returns null if it is not
 * valid (overlong forms, surrogates, code points past U+10FFFF, truncation).
 * Short strings — every piece of a vocabulary — are decoded here, which is
 * several times faster than one TextDecoder call per piece.
 */
export function decodeUtf8Strict(bytes: Uint8Array, start: number, end: number): string | null {
  if (end - start > SHORT_STRING) {
    try {
      return strictDecoder.decode(bytes.subarray(start, end));
    } catch {
      return null;
    }
  }
  let n = 0;
  let i = start;
  while (i < end) {
    const b0 = bytes[i]!;
    if (b0 < 0x80) {
      units[n++] = b0;
      i++;
      continue;
    }
    const left = end - i;
    if (b0 >= 0xc2 && b0 <= 0xdf && left >= 2) {
      const b1 = bytes[i + 1]!;
      if (!isTrail(b1)) return null;
      units[n++] = ((b0 & 0x1f) << 6) | (b1 & 0x3f);
      i += 2;
    } else if ((b0 & 0xf0) === 0xe0 && left >= 3) {
      const b1 = bytes[i + 1]!;
      const b2 = bytes[i + 2]!;
      if (!isTrail(b1) || !isTrail(b2)) return null;
      const c = ((b0 & 0x0f) << 12) | ((b1 & 0x3f) << 6) | (b2 & 0x3f);
      if (c < 0x800 || (c >= 0xd800 && c <= 0xdfff)) return null;
      units[n++] = c;
      i += 3;
    } else if (b0 >= 0xf0 && b0 <= 0xf4 && left >= 4) {
      const b1 = bytes[i + 1]!;
      const b2 = bytes[i + 2]!;
      const b3 = bytes[i + 3]!;
      if (!isTrail(b1) || !isTrail(b2) || !isTrail(b3)) return null;
      const c = ((b0 & 0x07) << 18) | ((b1 & 0x3f) << 12) | ((b2 & 0x3f) << 6) | (b3 & 0x3f);
      if (c < 0x10000 || c > 0x10ffff) return null;
      units[n++] = 0xd800 + ((c - 0x10000) >> 10);
      units[n++] = 0xdc00 + ((c - 0x10000) & 0x3ff);
      i += 4;
    } else {
      return null;
    }
  }
  return String.fromCharCode.apply(null, units.subarray(0, n) as unknown as number[]);
}
