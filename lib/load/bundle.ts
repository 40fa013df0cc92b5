// The .needle bundle: one self-contained file holding a model's config, its
// tokenizer and its weights already in the engine's layout and weight
// format, so loading is one copy into Wasm memory. Byte by byte in
// weights/FORMAT.md.

import { resolveConfig, type NeedleConfig } from "./config.ts";
import { crc32 } from "./crc32.ts";
import { NeedleError } from "../errors.ts";
import type { WeightDtype } from "../engine/open.ts";

/** A .needle file that is malformed, truncated, corrupt or for another engine layout. */
export class BundleError extends NeedleError {}

export const BUNDLE_MAGIC = new Uint8Array([0x4e, 0x45, 0x45, 0x44, 0x4c, 0x45, 0x57, 0x4d]); // "NEEDLEWM"
export const BUNDLE_VERSION = 1;
/** Bytes before the header JSON: magic, version, header length, header CRC, reserved. */
export const FIXED_BYTES = 24;
const ALIGN = 64;
const MAX_HEADER_BYTES = 1 << 20;
const DTYPES: readonly WeightDtype[] = ["f32", "f16", "int8", "int4"];

export interface BundleSection {
  offset: number;
  length: number;
  crc32: number;
}

/** The JSON header of a bundle. */
export interface BundleHeader {
  /** The effective config (every field, defaults filled in). */
  config: NeedleConfig;
  dtype: WeightDtype;
  /** The engine layout the weights section was written for (assembly/layout.ts). */
  layout: number;
  tokenizer: BundleSection;
  weights: BundleSection;
  /** Free-form provenance: source file names, converter version. */
  meta: Record<string, unknown>;
}

export interface Bundle {
  header: BundleHeader;
  /** The tokenizer's .model bytes (a view into the bundle). */
  tokenizer: Uint8Array;
  /** The weight image (a view into the bundle). */
  weights: Uint8Array;
}

/** True when bytes start with the bundle magic. */
export function isBundle(bytes: Uint8Array): boolean {
  if (bytes.length < BUNDLE_MAGIC.length) return false;
  for (let i = 0; i < BUNDLE_MAGIC.length; i++) if (bytes[i] !== BUNDLE_MAGIC[i]) return false;
  return true;
}

const alignUp = (n: number): number => Math.ceil(n / ALIGN) * ALIGN;

/** Write a bundle from a weight image (as the engine holds it) and tokenizer bytes. */
export function writeBundle(config: NeedleConfig, dtype: WeightDtype, layout: number, weights: Uint8Array, tokenizer: Uint8Array, meta: Record<string, unknown> = {}): Uint8Array {
  // Offsets depend on the header's length, which depends on the offsets: settle them.
  let header: BundleHeader;
  let json = new Uint8Array(0);
  let tokenizerOffset = 0;
  for (let pass = 0; pass < 4; pass++) {
    tokenizerOffset = alignUp(FIXED_BYTES + json.length);
    const weightsOffset = alignUp(tokenizerOffset + tokenizer.length);
    header = {
      config, dtype, layout,
      tokenizer: { offset: tokenizerOffset, length: tokenizer.length, crc32: crc32(tokenizer) },
      weights: { offset: weightsOffset, length: weights.length, crc32: crc32(weights) },
      meta,
    };
    const next = new TextEncoder().encode(JSON.stringify(header));
    if (next.length === json.length) break;
    json = next;
  }
  const out = new Uint8Array(header!.weights.offset + weights.length);
  const view = new DataView(out.buffer);
  out.set(BUNDLE_MAGIC, 0);
  view.setUint32(8, BUNDLE_VERSION, true);
  view.setUint32(12, json.length, true);
  view.setUint32(16, crc32(json), true);
  out.set(json, FIXED_BYTES);
  out.set(tokenizer, header!.tokenizer.offset);
  out.set(weights, header!.weights.offset);
  return out;
}

function fail(code: string, message: string): never {
  throw new BundleError(code, `bundle: ${message}`);
}

function checkSection(name: string, s: unknown, total: number): BundleSection {
  const sec = s as BundleSection;
  if (typeof s !== "object" || s === null) fail("BAD_HEADER", `${name} section missing`);
  for (const k of ["offset", "length", "crc32"] as const) {
    if (!Number.isSafeInteger(sec[k]) || sec[k] < 0) fail("BAD_HEADER", `${name}.${k} must be a non-negative integer`);
  }
  if (sec.offset % ALIGN !== 0) fail("BAD_HEADER", `${name} section is not ${ALIGN}-byte aligned`);
  if (sec.offset + sec.length > total) fail("TRUNCATED", `${name} section ends at byte ${sec.offset + sec.length} but the file has ${total}`);
  return sec;
}

/**
 * Verify a bundle's fixed fields and header JSON (`fixed` = its first 24
 * bytes, `json` = the header) for a file of `fileLength` bytes.
 */
export function parseBundleHeader(fixed: Uint8Array, json: Uint8Array, fileLength: number): BundleHeader {
  if (!isBundle(fixed)) fail("NOT_A_BUNDLE", "the file does not start with NEEDLEWM");
  if (fixed.length < FIXED_BYTES) fail("TRUNCATED", `the file has only ${fixed.length} bytes`);
  const view = new DataView(fixed.buffer, fixed.byteOffset, FIXED_BYTES);
  const version = view.getUint32(8, true);
  if (version !== BUNDLE_VERSION) fail("UNSUPPORTED_VERSION", `format version ${version}; this package reads version ${BUNDLE_VERSION}`);
  const headerLength = view.getUint32(12, true);
  if (headerLength > MAX_HEADER_BYTES) fail("BAD_HEADER", `a ${headerLength}-byte header is over the ${MAX_HEADER_BYTES}-byte limit`);
  if (json.length < headerLength || FIXED_BYTES + headerLength > fileLength) fail("TRUNCATED", "the header runs past the end of the file");
  if (crc32(json) !== view.getUint32(16, true)) fail("CORRUPT", "header checksum mismatch");
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(json));
  } catch {
    fail("BAD_HEADER", "the header is not UTF-8 JSON");
  }
  if (typeof raw !== "object" || raw === null || Array.isArray(raw)) fail("BAD_HEADER", "the header is not a JSON object");
  if (!DTYPES.includes(raw.dtype as WeightDtype)) fail("BAD_HEADER", `unknown dtype ${JSON.stringify(raw.dtype)}`);
  if (!Number.isSafeInteger(raw.layout)) fail("BAD_HEADER", "layout must be an integer");
  if (typeof raw.config !== "object" || raw.config === null) fail("BAD_HEADER", "config missing");
  const config = resolveConfig(raw.config as Record<string, unknown>);
  const tokenizer = checkSection("tokenizer", raw.tokenizer, fileLength);
  const weights = checkSection("weights", raw.weights, fileLength);
  if (tokenizer.offset < FIXED_BYTES + headerLength || weights.offset < tokenizer.offset + tokenizer.length) {
    fail("BAD_HEADER", "sections overlap the header or each other");
  }
  const meta = typeof raw.meta === "object" && raw.meta !== null ? (raw.meta as Record<string, unknown>) : {};
  return { config, dtype: raw.dtype as WeightDtype, layout: raw.layout as number, tokenizer, weights, meta };
}

/** Parse and verify a bundle: structure, header, and both sections' checksums. */
export function readBundle(bytes: Uint8Array): Bundle {
  if (!isBundle(bytes)) fail("NOT_A_BUNDLE", "the file does not start with NEEDLEWM");
  if (bytes.length < FIXED_BYTES) fail("TRUNCATED", `the file has only ${bytes.length} bytes`);
  const headerLength = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength).getUint32(12, true);
  const header = parseBundleHeader(bytes.subarray(0, FIXED_BYTES), bytes.subarray(FIXED_BYTES, FIXED_BYTES + Math.min(headerLength, MAX_HEADER_BYTES)), bytes.length);
  const { tokenizer, weights } = header;
  if (weights.offset + weights.length !== bytes.length) {
    fail(weights.offset + weights.length < bytes.length ? "TRAILING_DATA" : "TRUNCATED", `the file has ${bytes.length} bytes; its sections end at ${weights.offset + weights.length}`);
  }
  const tokenizerBytes = bytes.subarray(tokenizer.offset, tokenizer.offset + tokenizer.length);
  const weightBytes = bytes.subarray(weights.offset, weights.offset + weights.length);
  if (crc32(tokenizerBytes) !== tokenizer.crc32) fail("CORRUPT", "tokenizer section checksum mismatch");
  if (crc32(weightBytes) !== weights.crc32) fail("CORRUPT", "weights section checksum mismatch");
  return { header, tokenizer: tokenizerBytes, weights: weightBytes };
}
