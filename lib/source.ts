import { SourceError } from "./errors.ts";

/** Anything the loaders accept: a file path (Node, Deno, Bun), a URL, bytes or a fetch Response. */
export type Source = string | URL | ArrayBuffer | ArrayBufferView | Response;

const URL_SCHEME = /^(https?|file|data|blob):/i;

/** True where the runtime can read files by path (Node, Deno, Bun). */
function hasFileSystem(): boolean {
  const g = globalThis as { process?: { versions?: { node?: string } }; Deno?: unknown };
  return typeof g.Deno === "object" || typeof g.process?.versions?.node === "string";
}

/**
 * Read a source fully into bytes. `what` names the thing being read in errors
 * ("weights", "tokenizer"). Views are returned as they are, without a copy.
 */
export async function readSource(source: Source, what: string): Promise<Uint8Array> {
  if (source instanceof Uint8Array) return source;
  if (source instanceof ArrayBuffer) return new Uint8Array(source);
  if (ArrayBuffer.isView(source)) return new Uint8Array(source.buffer, source.byteOffset, source.byteLength);
  if (typeof Response !== "undefined" && source instanceof Response) return readResponse(source, what, String(source.url || "response"));
  if (source instanceof URL) return source.protocol === "file:" ? readFile(source, what) : fetchBytes(source.href, what);
  if (typeof source === "string") {
    if (URL_SCHEME.test(source)) {
      return source.toLowerCase().startsWith("file:") ? readFile(new URL(source), what) : fetchBytes(source, what);
    }
    if (hasFileSystem()) return readFile(source, what);
    return fetchBytes(source, what);
  }
  throw new SourceError("BAD_SOURCE", `${what}: expected a path, URL, ArrayBuffer, Uint8Array or Response, got ${describe(source)}`);
}

async function readFile(path: string | URL, what: string): Promise<Uint8Array> {
  if (!hasFileSystem()) throw new SourceError("NO_FILESYSTEM", `${what}: this runtime cannot read files by path; pass a URL, ArrayBuffer or Response`);
  const fs = await import("node:fs/promises");
  try {
    return await fs.readFile(path);
  } catch (err) {
    const code = (err as { code?: string }).code ?? "READ_FAILED";
    throw new SourceError(code === "ENOENT" ? "NOT_FOUND" : "READ_FAILED", `${what}: cannot read ${String(path)} (${code})`, { cause: err });
  }
}

async function fetchBytes(url: string, what: string): Promise<Uint8Array> {
  let response: Response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new SourceError("FETCH_FAILED", `${what}: fetch ${url} failed: ${(err as Error).message}`, { cause: err });
  }
  return readResponse(response, what, url);
}

async function readResponse(response: Response, what: string, name: string): Promise<Uint8Array> {
  if (!response.ok) throw new SourceError("HTTP_ERROR", `${what}: ${name} answered HTTP ${response.status}`);
  if (response.bodyUsed) throw new SourceError("BODY_USED", `${what}: the Response body was already read`);
  return new Uint8Array(await response.arrayBuffer());
}

function describe(x: unknown): string {
  if (x === null) return "null";
  if (typeof x === "object") return (x as object).constructor?.name ?? "object";
  return typeof x;
}
