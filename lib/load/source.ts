// Reading weights and tokenizer files in every runtime: file paths (Node,
// Deno, Bun), URLs with fetch (progress events, optional Cache API store),
// bytes, Responses, Blobs and streams (Workers: static assets, R2, KV).
//
// A body of known length is read into one preallocated Uint8Array, chunk by
// chunk: never `arrayBuffer()` followed by a copy, so at most one full copy
// of a file is held here.

import { SourceError } from "../errors.ts";
import { readFileBytes } from "./node-fs.ts";
import { cacheStorage, hasFileSystem } from "../runtime.ts";

/**
 * Anything the loaders accept: a file path (Node, Deno, Bun), a URL, bytes,
 * a fetch Response, a Blob/File, a ReadableStream of bytes, or a stream with
 * its size (`{ body, size }`, e.g. an R2 object).
 */
export type Source = string | URL | ArrayBuffer | ArrayBufferView | Response | Blob | ReadableStream<Uint8Array> | SizedStream;

/** A byte stream and its length: an R2 object body (`await env.BUCKET.get(key)`) has this shape. */
export interface SizedStream {
  readonly body: ReadableStream<Uint8Array>;
  readonly size: number;
}

/** One load-progress event: `loaded` bytes of `total` (when known) read from `source`. */
export interface LoadProgress {
  /** What is being read: "weights" or "tokenizer". */
  readonly what: string;
  /** The URL or path, or the kind of object ("Response", "ReadableStream", …). */
  readonly source: string;
  readonly loaded: number;
  /** Byte length when known (Content-Length without Content-Encoding, Blob/R2 size, file size). */
  readonly total?: number;
  /** True when the bytes come from the Cache API store rather than the network. */
  readonly cached: boolean;
}

export interface SourceOptions {
  /** Called as bytes arrive (each chunk of a fetched or streamed body), and once when a read completes. */
  onProgress?: (event: LoadProgress) => void;
  /**
   * Keep fetched http(s) files in the Cache API (browsers, web workers, Deno)
   * so the next load reads them locally: `true` uses the cache named
   * "needle-wasm", a string names the cache. Ignored where there is no Cache API.
   */
  cache?: boolean | string;
}

export const DEFAULT_CACHE_NAME = "needle-wasm";

const URL_SCHEME = /^(https?|file|data|blob):/i;

/**
 * Read a source fully into bytes. `what` names the thing being read in errors
 * and progress events ("weights", "tokenizer"). Views are returned as they
 * are, without a copy.
 */
export async function readSource(source: Source, what: string, options: SourceOptions = {}): Promise<Uint8Array> {
  const progress = progressReporter(what, options.onProgress);
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  if (typeof Response !== "undefined" && source instanceof Response) {
    return readResponse(source, what, String(source.url || "Response"), progress, false);
  }
  if (typeof Blob !== "undefined" && source instanceof Blob) {
    return readStream(source.stream(), source.size, what, blobName(source), progress, false);
  }
  if (isReadableStream(source)) return readStream(source, undefined, what, "ReadableStream", progress, false);
  if (isSizedStream(source)) return readStream(source.body, source.size, what, describe(source), progress, false);
  if (source instanceof URL) return source.protocol === "file:" ? readFile(source, what, progress) : fetchBytes(source.href, what, options, progress);
  if (typeof source === "string") {
    if (URL_SCHEME.test(source)) {
      return source.toLowerCase().startsWith("file:") ? readFile(new URL(source), what, progress) : fetchBytes(source, what, options, progress);
    }
    if (hasFileSystem) return readFile(source, what, progress);
    return fetchBytes(source, what, options, progress);
  }
  throw new SourceError("BAD_SOURCE", `${what}: expected a path, URL, ArrayBuffer, Uint8Array, Response, Blob or ReadableStream, got ${describe(source)}`);
}

/** A source opened for reading: its bytes, or a body still to be streamed. */
export type OpenedSource =
  | { kind: "bytes"; bytes: Uint8Array }
  | { kind: "stream"; stream: ReadableStream<Uint8Array>; total: number | undefined; name: string; report: (loaded: number) => void };

/**
 * Open a source without reading a streamed body yet, so a caller can take
 * its chunks as they come (a bundle's weights go straight into engine
 * memory). Paths, in-memory bytes and cached fetches come back as bytes.
 */
export async function openSource(source: Source, what: string, options: SourceOptions = {}): Promise<OpenedSource> {
  const progress = progressReporter(what, options.onProgress);
  const stream = (body: ReadableStream<Uint8Array>, total: number | undefined, name: string): OpenedSource => {
    if (body.locked) throw new SourceError("BODY_USED", `${what}: the stream is locked (already being read)`);
    return { kind: "stream", stream: body, total, name, report: (loaded) => progress?.(name, loaded, total, false) };
  };
  const fetchable = source instanceof URL ? source.protocol !== "file:" : typeof source === "string" && (URL_SCHEME.test(source) ? !source.toLowerCase().startsWith("file:") : !hasFileSystem);
  if (typeof Response !== "undefined" && source instanceof Response) {
    if (!source.ok) throw new SourceError("HTTP_ERROR", `${what}: ${source.url || "Response"} answered HTTP ${source.status}`);
    if (source.bodyUsed) throw new SourceError("BODY_USED", `${what}: the Response body was already read`);
    if (source.body !== null) return stream(source.body, contentLength(source), String(source.url || "Response"));
  } else if (typeof Blob !== "undefined" && source instanceof Blob) {
    return stream(source.stream(), source.size, blobName(source));
  } else if (isReadableStream(source)) {
    return stream(source, undefined, "ReadableStream");
  } else if (isSizedStream(source)) {
    return stream(source.body, source.size, describe(source));
  } else if (fetchable && !options.cache) {
    const url = String(source);
    let response: Response;
    try {
      response = await fetch(url);
    } catch (err) {
      throw new SourceError("FETCH_FAILED", `${what}: fetch ${url} failed: ${(err as Error).message}`, { cause: err });
    }
    if (!response.ok) throw new SourceError("HTTP_ERROR", `${what}: ${url} answered HTTP ${response.status}`);
    if (response.body !== null) return stream(response.body, contentLength(response), url);
  }
  return { kind: "bytes", bytes: await readSource(source, what, options) };
}

type Progress = ((source: string, loaded: number, total: number | undefined, cached: boolean) => void) | undefined;

function progressReporter(what: string, onProgress: SourceOptions["onProgress"]): Progress {
  if (onProgress === undefined) return undefined;
  if (typeof onProgress !== "function") throw new SourceError("BAD_OPTION", `${what}: onProgress must be a function`);
  return (source, loaded, total, cached) => onProgress(total === undefined ? { what, source, loaded, cached } : { what, source, loaded, total, cached });
}

async function readFile(path: string | URL, what: string, progress: Progress): Promise<Uint8Array> {
  if (!hasFileSystem) throw new SourceError("NO_FILESYSTEM", `${what}: this runtime cannot read files by path; pass a URL, ArrayBuffer, Response or stream`);
  let bytes: Uint8Array;
  try {
    bytes = await readFileBytes(path);
  } catch (err) {
    const code = (err as { code?: string }).code ?? "READ_FAILED";
    throw new SourceError(code === "ENOENT" ? "NOT_FOUND" : "READ_FAILED", `${what}: cannot read ${String(path)} (${code})`, { cause: err });
  }
  progress?.(String(path), bytes.byteLength, bytes.byteLength, false);
  return bytes;
}

async function fetchBytes(url: string, what: string, options: SourceOptions, progress: Progress): Promise<Uint8Array> {
  const cache = await openCache(options.cache, url);
  if (cache) {
    const hit = await cache.match(url).catch(() => undefined);
    if (hit) return readResponse(hit, what, url, progress, true);
  }
  let response: Response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new SourceError("FETCH_FAILED", `${what}: fetch ${url} failed: ${(err as Error).message}`, { cause: err });
  }
  const bytes = await readResponse(response, what, url, progress, false);
  if (cache) await storeInCache(cache, url, response, bytes);
  return bytes;
}

async function openCache(option: SourceOptions["cache"], url: string): Promise<Cache | undefined> {
  if (!option) return undefined;
  const storage = cacheStorage();
  if (!storage || !/^https?:/i.test(absoluteUrl(url))) return undefined;
  try {
    return await storage.open(typeof option === "string" ? option : DEFAULT_CACHE_NAME);
  } catch {
    return undefined; // e.g. storage disabled in a private window: load from the network
  }
}

/** Store the bytes just read under `url`, with their length, so a cache hit reports progress with a total. */
async function storeInCache(cache: Cache, url: string, response: Response, bytes: Uint8Array): Promise<void> {
  const headers = new Headers({ "content-length": String(bytes.byteLength) });
  const type = response.headers.get("content-type");
  if (type) headers.set("content-type", type);
  try {
    await cache.put(url, new Response(bytes as Uint8Array<ArrayBuffer>, { status: 200, headers }));
  } catch {
    // A full quota or a refused store must not fail the load: the bytes are here.
  }
}

function absoluteUrl(url: string): string {
  const base = (globalThis as { location?: { href?: string } }).location?.href;
  try {
    return new URL(url, base).href;
  } catch {
    return url;
  }
}

async function readResponse(response: Response, what: string, name: string, progress: Progress, cached: boolean): Promise<Uint8Array> {
  if (!response.ok) throw new SourceError("HTTP_ERROR", `${what}: ${name} answered HTTP ${response.status}`);
  if (response.bodyUsed) throw new SourceError("BODY_USED", `${what}: the Response body was already read`);
  if (response.body === null) {
    progress?.(name, 0, 0, cached);
    return new Uint8Array(0);
  }
  return readStream(response.body, contentLength(response), what, name, progress, cached);
}

/** The decoded body length a Response announces, if any (Content-Length counts encoded bytes under Content-Encoding). */
function contentLength(response: Response): number | undefined {
  const encoding = response.headers.get("content-encoding");
  if (encoding && encoding.toLowerCase() !== "identity") return undefined;
  const header = response.headers.get("content-length");
  if (header === null || !/^\d+$/.test(header.trim())) return undefined;
  const n = Number(header);
  return Number.isSafeInteger(n) ? n : undefined;
}

/**
 * Read a byte stream to its end. With a known `total`, chunks are copied
 * into one buffer of that size as they arrive (a longer stream grows it);
 * without one, chunks are kept and joined once at the end.
 */
async function readStream(stream: ReadableStream<Uint8Array>, total: number | undefined, what: string, name: string, progress: Progress, cached: boolean): Promise<Uint8Array> {
  if (stream.locked) throw new SourceError("BODY_USED", `${what}: the stream is locked (already being read)`);
  const reader = stream.getReader();
  let buffer: Uint8Array | undefined = total !== undefined ? allocate(total, what) : undefined;
  const chunks: Uint8Array[] = [];
  let loaded = 0;
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const chunk = toBytes(value, what);
      if (buffer) {
        if (loaded + chunk.byteLength > buffer.byteLength) buffer = grow(buffer, loaded, loaded + chunk.byteLength, what);
        buffer.set(chunk, loaded);
      } else {
        chunks.push(chunk);
      }
      loaded += chunk.byteLength;
      progress?.(name, loaded, total, cached);
    }
  } catch (err) {
    if (err instanceof SourceError) throw err;
    throw new SourceError("READ_FAILED", `${what}: reading ${name} failed after ${loaded} bytes: ${(err as Error)?.message ?? String(err)}`, { cause: err });
  } finally {
    reader.releaseLock();
  }
  if (total !== undefined && loaded < total) {
    throw new SourceError("TRUNCATED", `${what}: ${name} ended after ${loaded} of ${total} bytes`);
  }
  if (loaded === 0) progress?.(name, 0, total ?? 0, cached);
  if (buffer) return loaded === buffer.byteLength ? buffer : buffer.subarray(0, loaded);
  if (chunks.length === 1) return chunks[0]!;
  return joinChunks(chunks, loaded, what);
}

/** The chunks, `size` bytes in all, in one new buffer (allocate's limits and error). */
export function joinChunks(chunks: readonly Uint8Array[], size: number, what: string): Uint8Array {
  const joined = allocate(size, what);
  let at = 0;
  for (const chunk of chunks) {
    joined.set(chunk, at);
    at += chunk.byteLength;
  }
  return joined;
}

export function allocate(n: number, what: string): Uint8Array {
  try {
    return new Uint8Array(n);
  } catch (err) {
    throw new SourceError("OUT_OF_MEMORY", `${what}: cannot allocate ${n} bytes`, { cause: err });
  }
}

/** A bigger buffer holding the first `used` bytes: for a stream longer than announced. */
function grow(buffer: Uint8Array, used: number, needed: number, what: string): Uint8Array {
  const bigger = allocate(Math.max(needed, Math.ceil(buffer.byteLength * 1.5)), what);
  bigger.set(buffer.subarray(0, used));
  return bigger;
}

function toBytes(value: unknown, what: string): Uint8Array {
  if (value instanceof Uint8Array) return value;
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  throw new SourceError("BAD_STREAM", `${what}: the stream yielded ${describe(value)}, not bytes`);
}

/** Duck-typed, so a stream from another realm or polyfill counts too. */
function isReadableStream(x: unknown): x is ReadableStream<Uint8Array> {
  return typeof x === "object" && x !== null && typeof (x as { getReader?: unknown }).getReader === "function";
}

function isSizedStream(x: unknown): x is SizedStream {
  if (typeof x !== "object" || x === null) return false;
  const { body, size } = x as { body?: unknown; size?: unknown };
  return isReadableStream(body) && typeof size === "number" && Number.isSafeInteger(size) && size >= 0;
}

function blobName(blob: Blob): string {
  const name = (blob as { name?: unknown }).name;
  return typeof name === "string" && name ? name : "Blob";
}

function describe(x: unknown): string {
  if (x === null) return "null";
  if (typeof x === "object") return (x as object).constructor?.name ?? "object";
  return typeof x;
}
