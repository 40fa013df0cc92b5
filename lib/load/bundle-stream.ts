// Loading from a byte stream (a fetch body, a Blob, an R2 object): if it is
// a .needle bundle, its weights go chunk by chunk straight into engine
// memory, so the whole file is never held next to the engine (what lets an
// int8 model load within a Worker's 128 MB); anything else is read whole.

import { BUNDLE_MAGIC, BundleError, FIXED_BYTES, parseBundleHeader, type BundleHeader } from "./bundle.ts";
import { crc32 } from "./crc32.ts";
import { SourceError } from "../errors.ts";
import { allocate, joinChunks, type OpenedSource } from "./source.ts";

/** Reads a stream in exact amounts, keeping what a read chunk had beyond them. */
class ChunkReader {
  private pending: Uint8Array = new Uint8Array(0);
  loaded = 0;
  constructor(private readonly reader: ReadableStreamDefaultReader<Uint8Array>, private readonly report: (loaded: number) => void, private readonly what: string) {}

  /** The next chunk (or what is left of the current one); null at the end. */
  async next(limit = Infinity): Promise<Uint8Array | null> {
    if (this.pending.byteLength === 0) {
      const { done, value } = await this.reader.read().catch((err: unknown) => {
        throw new SourceError("READ_FAILED", `${this.what}: reading failed after ${this.loaded} bytes: ${(err as Error)?.message ?? String(err)}`, { cause: err });
      });
      if (done) return null;
      this.pending = value instanceof Uint8Array ? value : new Uint8Array(value as ArrayBuffer);
      this.loaded += this.pending.byteLength;
      this.report(this.loaded);
    }
    const take = Math.min(limit, this.pending.byteLength);
    const chunk = this.pending.subarray(0, take);
    this.pending = this.pending.subarray(take);
    return chunk;
  }

  /** Exactly n bytes (a copy), or a TRUNCATED BundleError. */
  async exact(n: number): Promise<Uint8Array> {
    const out = allocate(n, this.what);
    for (let at = 0; at < n; ) {
      const chunk = await this.next(n - at);
      if (chunk === null) throw new BundleError("TRUNCATED", `bundle: the stream ended after ${this.loaded} bytes`);
      out.set(chunk, at);
      at += chunk.byteLength;
    }
    return out;
  }

  /** Feed exactly n bytes to `sink`, chunk by chunk. */
  async pipe(n: number, sink: (chunk: Uint8Array, at: number) => void): Promise<void> {
    for (let at = 0; at < n; ) {
      const chunk = await this.next(n - at);
      if (chunk === null) throw new BundleError("TRUNCATED", `bundle: the stream ended after ${this.loaded} bytes`);
      sink(chunk, at);
      at += chunk.byteLength;
    }
  }

  release(): void {
    this.reader.releaseLock();
  }
}

/** Where a streamed bundle's weights go, once its header says how big they are. */
export interface WeightSink {
  /** Engine memory for `header.weights.length` bytes (the engine configured for the header). */
  region(header: BundleHeader): Promise<Uint8Array>;
}

export type StreamedLoad =
  | { kind: "bundle"; header: BundleHeader; tokenizer: Uint8Array }
  | { kind: "bytes"; bytes: Uint8Array };

/**
 * Read an opened stream. A bundle: verify header and tokenizer, then copy
 * the weights into `sink.region(header)` as they arrive, checking their
 * CRC-32 and that the stream ends with them. Anything else: all its bytes.
 */
export async function readStreamed(opened: Extract<OpenedSource, { kind: "stream" }>, sink: WeightSink, what: string): Promise<StreamedLoad> {
  const input = new ChunkReader(opened.stream.getReader(), opened.report, what);
  try {
    let start: Uint8Array = new Uint8Array(0);
    while (start.byteLength < FIXED_BYTES) {
      const chunk = await input.next();
      if (chunk === null) break;
      start = concat(start, chunk);
    }
    if (!startsWithMagic(start)) return { kind: "bytes", bytes: await readAll(input, start, opened.total, what) };
    if (start.byteLength < FIXED_BYTES) throw new BundleError("TRUNCATED", `bundle: the stream ended after ${start.byteLength} bytes`);
    const fixed = start.subarray(0, FIXED_BYTES);
    const headerLength = new DataView(fixed.buffer, fixed.byteOffset, FIXED_BYTES).getUint32(12, true);
    const afterFixed = start.subarray(FIXED_BYTES);
    const json = concat(afterFixed.subarray(0, headerLength), await input.exact(Math.max(0, headerLength - afterFixed.byteLength)));
    let position = FIXED_BYTES + json.byteLength;
    const total = opened.total;
    const header = parseBundleHeader(fixed, json, total ?? Number.MAX_SAFE_INTEGER);
    const leftover = afterFixed.subarray(headerLength); // bytes of `start` past the header
    const sections = new ChunkReader(prepend(leftover, input), () => undefined, what);
    const skip = async (to: number) => {
      if (to < position) throw new BundleError("BAD_HEADER", "bundle: sections out of order");
      await sections.pipe(to - position, () => undefined);
      position = to;
    };
    await skip(header.tokenizer.offset);
    const tokenizer = await sections.exact(header.tokenizer.length);
    position += header.tokenizer.length;
    if (crc32(tokenizer) !== header.tokenizer.crc32) throw new BundleError("CORRUPT", "bundle: tokenizer section checksum mismatch");
    await skip(header.weights.offset);
    const region = await sink.region(header);
    let crc = 0;
    await sections.pipe(header.weights.length, (chunk, at) => {
      region.set(chunk, at);
      crc = crc32(chunk, crc);
    });
    if (crc !== header.weights.crc32) throw new BundleError("CORRUPT", "bundle: weights section checksum mismatch");
    if ((await sections.next()) !== null) throw new BundleError("TRAILING_DATA", "bundle: the stream goes on past the weights section");
    return { kind: "bundle", header, tokenizer };
  } finally {
    input.release();
  }
}

function startsWithMagic(bytes: Uint8Array): boolean {
  if (bytes.byteLength < BUNDLE_MAGIC.length) return false;
  return BUNDLE_MAGIC.every((b, i) => bytes[i] === b);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  if (b.byteLength === 0) return a;
  if (a.byteLength === 0) return b;
  const out = new Uint8Array(a.byteLength + b.byteLength);
  out.set(a);
  out.set(b, a.byteLength);
  return out;
}

/** A reader that yields `first`, then the rest of `input`. */
function prepend(first: Uint8Array, input: ChunkReader): ReadableStreamDefaultReader<Uint8Array> {
  let pending: Uint8Array | null = first.byteLength ? first : null;
  return {
    async read() {
      if (pending) {
        const value = pending;
        pending = null;
        return { done: false, value };
      }
      const value = await input.next();
      return value === null ? { done: true, value: undefined } : { done: false, value };
    },
    releaseLock() {},
    cancel: async () => undefined,
    closed: Promise.resolve(undefined),
  } as ReadableStreamDefaultReader<Uint8Array>;
}

/** `start` and everything after it, in one buffer: preallocated when `total` is known, else joined once. */
async function readAll(input: ChunkReader, start: Uint8Array, total: number | undefined, what: string): Promise<Uint8Array> {
  if (total !== undefined && total >= start.byteLength) {
    let out = allocate(total, what);
    out.set(start);
    let size = start.byteLength;
    for (let chunk = await input.next(); chunk !== null; chunk = await input.next()) {
      if (size + chunk.byteLength > out.byteLength) {
        const bigger = allocate(Math.max(size + chunk.byteLength, Math.ceil(out.byteLength * 1.5)), what);
        bigger.set(out.subarray(0, size));
        out = bigger;
      }
      out.set(chunk, size);
      size += chunk.byteLength;
    }
    if (size < total) throw new SourceError("TRUNCATED", `${what}: the stream ended after ${size} of ${total} bytes`);
    return size === out.byteLength ? out : out.subarray(0, size);
  }
  const chunks = [start];
  let size = start.byteLength;
  for (let chunk = await input.next(); chunk !== null; chunk = await input.next()) {
    chunks.push(chunk);
    size += chunk.byteLength;
  }
  return joinChunks(chunks, size, what);
}
