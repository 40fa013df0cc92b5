// HubError: every way loading a model by its Hugging Face id can fail, each
// with a stable code and a message that says what to do.

import { NeedleError } from "../errors.ts";

export type HubErrorCode =
  | "BAD_MODEL_ID" // not "owner/name", or a revision that cannot be a file name
  | "UNAUTHORIZED" // 401: no token, or a bad one, for a private or gated repo
  | "FORBIDDEN" // 403: the token has no access (gated repo not accepted, private repo)
  | "NOT_FOUND" // 404: no such repo, revision or file
  | "RATE_LIMITED" // 429 after every retry
  | "SERVER_ERROR" // 5xx after every retry
  | "FETCH_FAILED" // the connection failed after every retry
  | "TRUNCATED" // the body ended before Content-Length after every retry (resumable)
  | "STALLED" // no byte for stallTimeoutMs
  | "SHA_MISMATCH" // the bytes do not hash to the hub's SHA-256; the partial file is deleted
  | "SIZE_MISMATCH" // the bytes are not as long as the listing says
  | "BAD_RESPONSE" // the hub answered something that is not its API
  | "UNSUPPORTED_MODEL" // the repo's files are not a layout this package runs
  | "OFFLINE_MISSING" // offline, and the cache lacks a file
  | "CACHE_ERROR" // the cache directory cannot be written
  | "LOCK_TIMEOUT"; // another process held the download lock too long

export class HubError extends NeedleError {
  declare readonly code: HubErrorCode;
  /** The HTTP status behind the error, when there was one. */
  readonly status: number | undefined;
  constructor(code: HubErrorCode, message: string, options: { cause?: unknown; status?: number } = {}) {
    super(code, message, options.cause === undefined ? undefined : { cause: options.cause });
    this.status = options.status;
  }
}
