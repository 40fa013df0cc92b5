import { TokenizerError } from "../lib/errors.ts";

/**
 * A minimal reader for the protobuf wire format (proto2), enough to walk a
 * SentencePiece ModelProto: varints, length-delimited fields and fixed32
 * floats, with unknown fields skipped (groups included). Every malformation
 * is a TokenizerError; nothing here allocates per field except subarrays.
 *
 * Wire format: https://protobuf.dev/programming-guides/encoding/
 */

/** The six wire types protobuf defines (6 and 7 are invalid). */
export const WireType = {
  VARINT: 0,
  FIXED64: 1,
  LEN: 2,
  START_GROUP: 3,
  END_GROUP: 4,
  FIXED32: 5,
} as const;

/** Deepest nesting of unknown groups we skip before calling the input hostile. */
const MAX_GROUP_DEPTH = 64;

const WIRE_TYPE_NAMES = ["varint", "fixed64", "length-delimited", "start-group", "end-group", "fixed32"];

export function wireTypeName(wireType: number): string {
  return WIRE_TYPE_NAMES[wireType] ?? `invalid (${wireType})`;
}

export class WireReader {
  /** Absolute offset of the next byte to read. */
  pos: number;
  /** Absolute offset one past the last byte of this message. */
  readonly end: number;
  /** Field number and wire type of the tag last read by nextTag(). */
  field = 0;
  wireType = 0;
  /** Low and high 32 bits (unsigned) of the varint last read by varint(). */
  private lo = 0;
  private hi = 0;

  constructor(
    readonly bytes: Uint8Array,
    start = 0,
    end = bytes.length,
    /** Names the message being read, for error messages ("ModelProto.trainer_spec"). */
    readonly where = "ModelProto",
    private readonly view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength),
  ) {
    this.pos = start;
    this.end = end;
  }

  /** Reads the next tag; false at the end of the message. */
  nextTag(): boolean {
    if (this.pos >= this.end) return false;
    const at = this.pos;
    this.varint();
    if (this.hi !== 0) throw this.error("BAD_TAG", `tag varint at byte ${at} does not fit in 32 bits`);
    const field = this.lo >>> 3;
    const wireType = this.lo & 7;
    if (field === 0) throw this.error("BAD_TAG", `field number 0 at byte ${at}`);
    if (wireType > WireType.FIXED32) throw this.error("BAD_WIRE_TYPE", `invalid wire type ${wireType} for field ${field} at byte ${at}`);
    this.field = field;
    this.wireType = wireType;
    return true;
  }

  /** Throws unless the current field has the wire type its schema gives it. */
  expect(wireType: number, fieldName: string): void {
    if (this.wireType !== wireType) {
      throw this.error(
        "BAD_WIRE_TYPE",
        `${this.where}.${fieldName} (field ${this.field}) has wire type ${wireTypeName(this.wireType)}, expected ${wireTypeName(wireType)}`,
      );
    }
  }

  /** A varint field as int32 (two's complement truncation, as protobuf does for int32 and enums). */
  int32(): number {
    this.varint();
    return this.lo | 0;
  }

  /** A varint field as bool (any non-zero 64-bit value is true). */
  bool(): boolean {
    this.varint();
    return this.lo !== 0 || this.hi !== 0;
  }

  /** A fixed32 field as float32. */
  float32(): number {
    this.need(4);
    const value = this.view.getFloat32(this.pos, true);
    this.pos += 4;
    return value;
  }

  /** A length-delimited field: returns [start, end) of its payload and moves past it. */
  lengthDelimited(): [number, number] {
    const at = this.pos;
    this.varint();
    const remaining = this.end - this.pos;
    if (this.hi !== 0 || this.lo > remaining) {
      const length = this.hi !== 0 ? "more than 2^32" : String(this.lo);
      throw this.error("TRUNCATED", `${this.where} field ${this.field} at byte ${at} claims ${length} bytes, only ${remaining} remain`);
    }
    const start = this.pos;
    this.pos += this.lo;
    return [start, this.pos];
  }

  /** A length-delimited field as a sub-reader for an embedded message. */
  message(where: string): WireReader {
    const [start, end] = this.lengthDelimited();
    return new WireReader(this.bytes, start, end, where, this.view);
  }

  /** Skips the value of the current field, whatever its wire type (groups included). */
  skip(): void {
    this.skipValue(this.wireType, this.field, 0);
  }

  private skipValue(wireType: number, field: number, depth: number): void {
    switch (wireType) {
      case WireType.VARINT:
        this.varint();
        return;
      case WireType.FIXED64:
        this.need(8);
        this.pos += 8;
        return;
      case WireType.LEN:
        this.lengthDelimited();
        return;
      case WireType.FIXED32:
        this.need(4);
        this.pos += 4;
        return;
      case WireType.START_GROUP:
        this.skipGroup(field, depth + 1);
        return;
      default:
        throw this.error("BAD_WIRE_TYPE", `unexpected ${wireTypeName(wireType)} for field ${field} at byte ${this.pos}`);
    }
  }

  /** Skips fields up to the END_GROUP tag that closes group `field`. */
  private skipGroup(field: number, depth: number): void {
    if (depth > MAX_GROUP_DEPTH) throw this.error("BAD_WIRE_TYPE", `groups nested deeper than ${MAX_GROUP_DEPTH}`);
    for (;;) {
      if (!this.nextTag()) throw this.error("TRUNCATED", `group ${field} is not closed before the end of ${this.where}`);
      if (this.wireType === WireType.END_GROUP) {
        if (this.field !== field) throw this.error("BAD_WIRE_TYPE", `end-group ${this.field} closes group ${field}`);
        return;
      }
      this.skipValue(this.wireType, this.field, depth);
    }
  }

  /** Reads a varint of up to 10 bytes into lo/hi. */
  private varint(): void {
    let lo = 0;
    let hi = 0;
    const start = this.pos;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw this.error("TRUNCATED", `varint at byte ${start} runs past the end of ${this.where}`);
      const b = this.bytes[this.pos++]!;
      if (i < 4) lo |= (b & 0x7f) << (7 * i);
      else if (i === 4) {
        lo |= (b & 0x0f) << 28;
        hi |= (b & 0x7f) >>> 4;
      } else hi |= (b & 0x7f) << (7 * i - 32);
      if (b < 0x80) {
        this.lo = lo >>> 0;
        this.hi = hi >>> 0;
        return;
      }
    }
    throw this.error("BAD_VARINT", `varint at byte ${start} is longer than 10 bytes`);
  }

  private need(n: number): void {
    if (this.end - this.pos < n) throw this.error("TRUNCATED", `${this.where} field ${this.field} needs ${n} bytes at byte ${this.pos}, only ${this.end - this.pos} remain`);
  }

  error(code: string, message: string): TokenizerError {
    return new TokenizerError(code, `tokenizer: not a readable SentencePiece model: ${message}`);
  }
}
