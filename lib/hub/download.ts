// One file from the hub into a sink, verified while it streams: the SHA-256
// of every byte (the listing's LFS sha256 and the 302's X-Linked-Etag), the
// length (Content-Length, the listing's size), a cut connection resumed
// with Range, a bad hash deleting what was written.

import type { LoadProgress } from "../load/source.ts";
import { HubError } from "./errors.ts";
import { Retryable, StallTimer, etagSha256, hubGet, stalled, withRetries, type ListedFile } from "./http.ts";
import { createSha256 } from "./node-api.ts";
import type { HubRequest } from "./options.ts";
import type { Hasher } from "./sha256.ts";

/** Where a download goes: a partial file on disk, or chunks in memory. */
export interface Sink {
  /** Bytes held so far: where a resumed request starts. */
  readonly size: number;
  write(chunk: Uint8Array): Promise<void>;
  /** Feed the bytes held so far to `into` (to hash them on a resume). */
  replay(into: (chunk: Uint8Array) => void): Promise<void>;
  /** Forget every byte (the server ignored Range, or the hash was wrong). */
  clear(): Promise<void>;
}

export interface Downloaded {
  sha256: string;
  size: number;
  /** X-Repo-Commit of the hub's answer, where the runtime shows it. */
  commit: string | undefined;
}

/** `what` is "weights" or "tokenizer"; progress events name the URL as their source. */
export async function download(req: HubRequest, url: string, listed: ListedFile, sink: Sink, what: string, onProgress?: (event: LoadProgress) => void): Promise<Downloaded> {
  const label = `${what} (${url})`;
  let hasher: Hasher | null = null;
  let expectedSha = listed.sha256;
  let commit: string | undefined;
  let total = listed.size;
  const report = () => onProgress?.({ what, source: url, loaded: sink.size, ...(total !== undefined ? { total } : {}), cached: false });
  await withRetries(req, async () => {
    if (total !== undefined && sink.size > total) await sink.clear();
    if (hasher === null) {
      const fresh = await createSha256();
      await sink.replay((chunk) => fresh.update(chunk));
      hasher = fresh;
    }
    if (total !== undefined && sink.size === total && expectedSha !== undefined) return; // a complete partial from an earlier run
    const from = sink.size;
    const timer = new StallTimer(req.stallTimeoutMs);
    try {
      const { response, hubHeaders } = await hubGet(req, url, from > 0 ? { range: `bytes=${from}-` } : {}, label, timer);
      commit ??= hubHeaders.get("x-repo-commit") ?? undefined;
      const linked = etagSha256(hubHeaders.get("x-linked-etag"));
      if (linked !== undefined && expectedSha !== undefined && linked !== expectedSha) {
        throw new HubError("BAD_RESPONSE", `${label}: the hub lists SHA-256 ${expectedSha} but its X-Linked-Etag says ${linked}; try again later`);
      }
      expectedSha ??= linked;
      let start = 0;
      if (response.status === 206) start = rangeStart(response, label);
      if (response.status === 416 || start !== from || (response.status === 200 && from > 0)) {
        // The server ignored or refused the range: start over (this attempt counts).
        await sink.clear();
        hasher = null;
        if (response.status !== 200) {
          await response.body?.cancel().catch(() => undefined);
          throw new Retryable(new HubError("BAD_RESPONSE", `${label}: the server cannot resume at byte ${from}`));
        }
      }
      const announced = bodyTotal(response, sink.size);
      if (announced !== undefined) {
        if (total !== undefined && announced !== total) throw new HubError("SIZE_MISMATCH", `${label}: the hub lists ${total} bytes but serves ${announced}; try again later`);
        total = announced;
      }
      await readInto(response, sink, hasher ??= await createSha256(), timer, report);
      if (timer.stalled) throw new Retryable(stalled(req, label));
      if (total !== undefined && sink.size < total) {
        throw new Retryable(new HubError("TRUNCATED", `${label}: the connection closed after ${sink.size} of ${total} bytes, on every try; run again to resume from there`));
      }
    } catch (err) {
      if (timer.stalled && !(err instanceof HubError)) throw new Retryable(stalled(req, label));
      throw err;
    } finally {
      timer.stop();
    }
  });
  report();
  const size = sink.size;
  const sha256 = hasher!.digestHex();
  if (total !== undefined && size !== total) {
    await sink.clear();
    throw new HubError("SIZE_MISMATCH", `${label}: got ${size} bytes, the hub says ${total}; the partial file was deleted, try again`);
  }
  if (expectedSha !== undefined && sha256 !== expectedSha) {
    await sink.clear();
    throw new HubError("SHA_MISMATCH", `${label}: the download's SHA-256 is ${sha256}, the hub's is ${expectedSha}; the partial file was deleted: try again, and report it if it persists`);
  }
  return { sha256, size, commit };
}

/** Read the body into the sink and the hasher; a cut connection ends the read (what came is kept). */
async function readInto(response: Response, sink: Sink, hasher: Hasher, timer: StallTimer, report: () => void): Promise<void> {
  if (response.body === null) return;
  const reader = response.body.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      timer.poke();
      hasher.update(value);
      await sink.write(value);
      report();
    }
  } catch {
    // The caller compares what came with what was announced, and resumes.
  } finally {
    reader.releaseLock();
  }
}

/** The byte where a 206's Content-Range starts. */
function rangeStart(response: Response, label: string): number {
  const m = /^bytes (\d{1,15})-(\d{1,15})\/(\d{1,15}|\*)$/.exec(response.headers.get("content-range")?.trim() ?? "");
  if (!m) throw new HubError("BAD_RESPONSE", `${label}: a 206 answer without a valid Content-Range`);
  return Number(m[1]);
}

/** The whole file's length from a 200's Content-Length or a 206's Content-Range, when given. */
function bodyTotal(response: Response, held: number): number | undefined {
  if (response.status === 206) {
    const m = /\/(\d{1,15})$/.exec(response.headers.get("content-range")?.trim() ?? "");
    return m ? Number(m[1]) : undefined;
  }
  const encoding = response.headers.get("content-encoding");
  if (encoding && encoding.toLowerCase() !== "identity") return undefined;
  const length = response.headers.get("content-length");
  return length !== null && /^\d{1,15}$/.test(length.trim()) ? held + Number(length) : undefined;
}

/** A sink in memory (browsers, web workers, Workers): chunks kept, joined once. */
export class MemorySink implements Sink {
  #chunks: Uint8Array[] = [];
  #size = 0;

  get size(): number {
    return this.#size;
  }

  async write(chunk: Uint8Array): Promise<void> {
    this.#chunks.push(chunk);
    this.#size += chunk.byteLength;
  }

  async replay(into: (chunk: Uint8Array) => void): Promise<void> {
    for (const chunk of this.#chunks) into(chunk);
  }

  async clear(): Promise<void> {
    this.#chunks = [];
    this.#size = 0;
  }

  bytes(): Uint8Array {
    const out = new Uint8Array(this.#size);
    let at = 0;
    for (const chunk of this.#chunks) {
      out.set(chunk, at);
      at += chunk.byteLength;
    }
    return out;
  }
}
