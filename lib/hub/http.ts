// Requests to the hub as huggingface_hub makes them: the token only to the
// hub's own origin (never to the storage host a redirect points at), 401 /
// 403 / 404 told apart (X-Error-Code), 429 and 5xx retried with a bounded
// exponential backoff, and a stall timer on every connection.

import { hasFileSystem } from "../runtime.ts";
import { HubError } from "./errors.ts";
import type { HubRequest } from "./options.ts";

const MAX_REDIRECTS = 5;
const MAX_RETRY_AFTER_MS = 30_000;
const MAX_LISTING_BYTES = 16 << 20;

/**
 * Runtimes with files (Node, Deno, Bun) follow redirects by hand, so the
 * 302's X-Linked-Etag and X-Repo-Commit can be read and the token is
 * dropped on another origin. Browsers hide a redirect's headers: fetch
 * follows it, and (per the Fetch standard) drops Authorization on a
 * cross-origin hop itself.
 */
const MANUAL_REDIRECTS = hasFileSystem;

/** A failure worth another attempt; `error` is what is thrown when none is left. */
export class Retryable extends Error {
  readonly error: HubError;
  readonly retryAfterMs: number | undefined;
  constructor(error: HubError, retryAfterMs?: number) {
    super(error.message);
    this.error = error;
    this.retryAfterMs = retryAfterMs;
  }
}

/** Run `attempt` until it succeeds, throws a HubError, or `req.retries` retries are spent. */
export async function withRetries<T>(req: HubRequest, attempt: (n: number) => Promise<T>): Promise<T> {
  for (let n = 0; ; n++) {
    try {
      return await attempt(n);
    } catch (err) {
      if (!(err instanceof Retryable)) throw err;
      if (n >= req.retries) throw err.error;
      const backoff = req.retryDelayMs * 2 ** n;
      await sleep(Math.min(err.retryAfterMs ?? backoff, Math.max(backoff, MAX_RETRY_AFTER_MS)));
    }
  }
}

/** Aborts a request when no byte has come for `ms`: `poke()` on every chunk. */
export class StallTimer {
  readonly controller = new AbortController();
  readonly #ms: number;
  #timer: ReturnType<typeof setTimeout> | undefined;
  stalled = false;

  constructor(ms: number) {
    this.#ms = ms;
    this.poke();
  }

  poke(): void {
    clearTimeout(this.#timer);
    this.#timer = setTimeout(() => {
      this.stalled = true;
      this.controller.abort();
    }, this.#ms);
  }

  stop(): void {
    clearTimeout(this.#timer);
  }
}

export interface HubResponse {
  response: Response;
  /** The headers of the hub's own answer (the 302 for a file in LFS storage, where the runtime shows it). */
  hubHeaders: Headers;
}

/**
 * One GET, redirects followed, a non-2xx status turned into a HubError (or
 * a Retryable one for 429 and 5xx). `what` names the thing in messages.
 */
export async function hubGet(req: HubRequest, url: string, headers: Record<string, string>, what: string, timer: StallTimer): Promise<HubResponse> {
  let current = url;
  let hubHeaders: Headers | undefined;
  for (let hop = 0; hop <= MAX_REDIRECTS; hop++) {
    const sent = new Headers(headers);
    if (req.token !== undefined && sameOrigin(current, req.endpoint)) sent.set("authorization", `Bearer ${req.token}`);
    let response: Response;
    try {
      response = await fetch(current, { headers: sent, redirect: MANUAL_REDIRECTS ? "manual" : "follow", signal: timer.controller.signal });
    } catch (err) {
      if (timer.stalled) throw new Retryable(stalled(req, what));
      throw new Retryable(new HubError("FETCH_FAILED", `${what}: cannot reach ${origin(current)} (${(err as Error).message}); check the network, or pass { offline: true } to use the cache`, { cause: err }));
    }
    hubHeaders ??= response.headers;
    const location = response.headers.get("location");
    if (MANUAL_REDIRECTS && response.status >= 300 && response.status < 400 && location !== null) {
      await response.body?.cancel().catch(() => undefined);
      current = new URL(location, current).href;
      continue;
    }
    if (response.ok || response.status === 416) return { response, hubHeaders };
    await response.body?.cancel().catch(() => undefined);
    throw statusError(req, response, what);
  }
  throw new HubError("BAD_RESPONSE", `${what}: more than ${MAX_REDIRECTS} redirects from ${origin(url)}`);
}

function statusError(req: HubRequest, response: Response, what: string): HubError | Retryable {
  const { status } = response;
  const code = response.headers.get("x-error-code");
  const page = `${req.endpoint}/${req.repo}`;
  const opts = { status };
  if (status === 401 && code === "RepoNotFound") {
    return new HubError("NOT_FOUND", `${what}: no model ${req.repo} on ${req.endpoint} (HTTP 401), or it is private: check the id, or set HF_TOKEN / pass { token } with access to it`, opts);
  }
  if (status === 401) {
    return new HubError("UNAUTHORIZED", `${what}: ${req.repo} needs a valid token (HTTP 401${code ? `, ${code}` : ""}): it is gated or private; ${req.token === undefined ? "set HF_TOKEN or pass { token }" : "the token given was refused; make a new one"} (${req.endpoint}/settings/tokens)`, opts);
  }
  if (status === 403) {
    return new HubError("FORBIDDEN", `${what}: the token has no access to ${req.repo} (HTTP 403${code ? `, ${code}` : ""}): ${code === "GatedRepo" ? `accept the model's terms at ${page} with that account` : "use a token of an account with access (read scope)"}`, opts);
  }
  if (status === 404) {
    const missing = code === "RevisionNotFound" ? `no revision ${JSON.stringify(req.revision)} in ${req.repo}` : code === "EntryNotFound" ? `no such file in ${req.repo}` : `no model ${req.repo} (or no revision ${JSON.stringify(req.revision)})`;
    return new HubError("NOT_FOUND", `${what}: ${missing} on ${req.endpoint} (HTTP 404); check the id and revision at ${page}`, opts);
  }
  if (status === 429) return new Retryable(new HubError("RATE_LIMITED", `${what}: ${origin(req.endpoint)} keeps answering HTTP 429 (too many requests); wait a while and try again${req.token === undefined ? ", or set HF_TOKEN (signed-in requests have higher limits)" : ""}`, opts), retryAfter(response));
  if (status >= 500) return new Retryable(new HubError("SERVER_ERROR", `${what}: ${origin(response.url || req.endpoint)} keeps answering HTTP ${status}; the hub may be down: try again later`, opts), retryAfter(response));
  return new HubError("BAD_RESPONSE", `${what}: unexpected HTTP ${status} from ${origin(response.url || req.endpoint)}`, opts);
}

export function stalled(req: HubRequest, what: string): HubError {
  return new HubError("STALLED", `${what}: no data from the hub for ${req.stallTimeoutMs} ms; the download is kept and resumes on the next try (a slow link: raise download.stallTimeoutMs)`);
}

/** A file of the listing: its size and, for LFS files, its SHA-256. */
export interface ListedFile {
  size?: number;
  sha256?: string;
}

export interface Listing {
  /** The commit the revision points at. */
  commit: string;
  files: Map<string, ListedFile>;
}

/** The repo's files at the revision, and its commit: GET {endpoint}/api/models/{repo}/revision/{revision}?blobs=true. */
export function listingUrl(req: HubRequest): string {
  return `${req.endpoint}/api/models/${req.repo}/revision/${encodeURIComponent(req.revision)}?blobs=true`;
}

export async function fetchListing(req: HubRequest): Promise<{ listing: Listing; json: string }> {
  const url = listingUrl(req);
  const what = `${req.repo}@${req.revision}`;
  return withRetries(req, async () => {
    const timer = new StallTimer(req.stallTimeoutMs);
    try {
      const { response } = await hubGet(req, url, { accept: "application/json" }, what, timer);
      let text: string;
      try {
        text = await response.text();
      } catch (err) {
        if (timer.stalled) throw new Retryable(stalled(req, what));
        throw new Retryable(new HubError("FETCH_FAILED", `${what}: the file list was cut off (${(err as Error).message})`, { cause: err }));
      }
      if (text.length > MAX_LISTING_BYTES) throw new HubError("BAD_RESPONSE", `${what}: the file list is over ${MAX_LISTING_BYTES} bytes`);
      return { listing: parseListing(text, what), json: text };
    } finally {
      timer.stop();
    }
  });
}

/** The listing from the API's JSON: `sha` and `siblings[{ rfilename, size?, lfs?: { sha256, size } }]`. */
export function parseListing(text: string, what: string): Listing {
  const bad = (why: string) => new HubError("BAD_RESPONSE", `${what}: the hub's file list is not what its API returns (${why}); is the endpoint a Hugging Face hub?`);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw bad("not JSON");
  }
  const { sha, siblings } = (json ?? {}) as { sha?: unknown; siblings?: unknown };
  if (typeof sha !== "string" || !/^[0-9a-f]{40}$/.test(sha)) throw bad("no 40-digit commit sha");
  if (!Array.isArray(siblings)) throw bad("no siblings list");
  const files = new Map<string, ListedFile>();
  for (const entry of siblings) {
    const { rfilename, size, lfs } = (entry ?? {}) as { rfilename?: unknown; size?: unknown; lfs?: { sha256?: unknown; size?: unknown } };
    if (typeof rfilename !== "string") throw bad("a sibling without rfilename");
    const file: ListedFile = {};
    const bytes = typeof lfs?.size === "number" ? lfs.size : size;
    if (typeof bytes === "number" && Number.isSafeInteger(bytes) && bytes >= 0) file.size = bytes;
    if (typeof lfs?.sha256 === "string" && /^[0-9a-f]{64}$/.test(lfs.sha256)) file.sha256 = lfs.sha256;
    files.set(rfilename, file);
  }
  return { commit: sha, files };
}

/** `{endpoint}/{repo}/resolve/{commit}/{path}`, each path segment URL-encoded. */
export function resolveUrl(req: HubRequest, commit: string, path: string): string {
  return `${req.endpoint}/${req.repo}/resolve/${commit}/${path.split("/").map(encodeURIComponent).join("/")}`;
}

/** A SHA-256 from an ETag / X-Linked-Etag value (`"abc…"` or `W/"abc…"`), or undefined. */
export function etagSha256(value: string | null): string | undefined {
  const m = /^(?:W\/)?"?([0-9a-f]{64})"?$/.exec(value?.trim() ?? "");
  return m?.[1];
}

function retryAfter(response: Response): number | undefined {
  const value = response.headers.get("retry-after");
  if (value === null || !/^\d{1,6}$/.test(value.trim())) return undefined;
  return Math.min(Number(value) * 1000, MAX_RETRY_AFTER_MS);
}

function sameOrigin(a: string, b: string): boolean {
  return origin(a) === origin(b);
}

function origin(url: string): string {
  try {
    return new URL(url).origin;
  } catch {
    return url;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
