// What loading by model id takes: the options, the environment variables
// that stand in for them (as huggingface_hub reads them), and their checks.

import type { WeightDtype } from "../engine/open.ts";
import { InputError } from "../errors.ts";
import { HubError } from "./errors.ts";

export const DEFAULT_ENDPOINT = "https://huggingface.co";
export const DEFAULT_REVISION = "main";
/** The weight format a downloaded checkpoint is converted to when `dtype` is not given (see README: hub). */
export const HUB_DEFAULT_DTYPE: WeightDtype = "int8";

export interface HubLoadOptions {
  /** A Hugging Face model id, "owner/name" (e.g. "Cactus-Compute/needle"): download, verify, cache and load it. */
  model?: string;
  /** Branch, tag or commit (default "main"). */
  revision?: string;
  /** The hub's address (default $HF_ENDPOINT, else https://huggingface.co). */
  endpoint?: string;
  /** An access token for gated or private repos (default $HF_TOKEN); sent only to the hub, never stored. */
  token?: string;
  /** Use only the cache, never the network (default true when $HF_HUB_OFFLINE is 1). */
  offline?: boolean;
  /** Cache folder (Node, Deno, Bun; default $NEEDLE_WASM_CACHE, else $XDG_CACHE_HOME/needle-wasm, else ~/.cache/needle-wasm). */
  cacheDir?: string;
  /** Network limits: attempts after a failure, the first backoff delay, and how long a silent connection is given. */
  download?: DownloadLimits;
}

export interface DownloadLimits {
  /** Retries after a 429, a 5xx, a failed connection or a cut body (default 4). */
  retries?: number;
  /** Delay before the first retry, doubled each time (default 500 ms; a Retry-After header wins, up to 30 s). */
  retryDelayMs?: number;
  /** Fail when no byte arrives for this long (default 30000 ms). */
  stallTimeoutMs?: number;
}

/** The options with defaults and environment filled in, checked. */
export interface HubRequest {
  repo: string;
  revision: string;
  endpoint: string;
  token: string | undefined;
  offline: boolean;
  cacheDir: string | undefined;
  retries: number;
  retryDelayMs: number;
  stallTimeoutMs: number;
}

const REPO_ID = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,95}\/[A-Za-z0-9][A-Za-z0-9_.-]{0,95}$/;
const REVISION = /^[A-Za-z0-9_.\/-]{1,255}$/;

export function env(name: string): string | undefined {
  try {
    const value = (globalThis as { process?: { env?: Record<string, string | undefined> } }).process?.env?.[name];
    return value === undefined || value === "" ? undefined : value;
  } catch {
    return undefined; // Deno without --allow-env
  }
}

export function hubRequest(model: string, options: HubLoadOptions): HubRequest {
  if (typeof model !== "string" || !REPO_ID.test(model) || model.includes("..")) {
    throw new HubError("BAD_MODEL_ID", `model must be a Hugging Face model id "owner/name" (like "Cactus-Compute/needle"), got ${JSON.stringify(model)}`);
  }
  const revision = options.revision ?? DEFAULT_REVISION;
  if (typeof revision !== "string" || !REVISION.test(revision) || revision.split("/").includes("..")) {
    throw new HubError("BAD_MODEL_ID", `revision must be a branch, tag or commit name, got ${JSON.stringify(revision)}`);
  }
  const endpoint = (options.endpoint ?? env("HF_ENDPOINT") ?? DEFAULT_ENDPOINT).replace(/\/+$/, "");
  if (!/^https?:\/\/[^/]/i.test(endpoint)) throw new InputError("BAD_OPTION", `endpoint must be an http(s) URL, got ${JSON.stringify(endpoint)}`);
  const token = options.token ?? env("HF_TOKEN");
  if (token !== undefined && (typeof token !== "string" || !/^[\x21-\x7e]+$/.test(token))) throw new InputError("BAD_OPTION", "token must be a printable string without spaces");
  const limits = options.download ?? {};
  return {
    repo: model,
    revision,
    endpoint,
    token,
    offline: options.offline ?? /^(1|true|yes|on)$/i.test(env("HF_HUB_OFFLINE") ?? ""),
    cacheDir: options.cacheDir,
    retries: limit(limits.retries, 4, "retries", 0, 20),
    retryDelayMs: limit(limits.retryDelayMs, 500, "retryDelayMs", 0, 60_000),
    stallTimeoutMs: limit(limits.stallTimeoutMs, 30_000, "stallTimeoutMs", 1, 3_600_000),
  };
}

function limit(value: number | undefined, fallback: number, name: string, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) throw new InputError("BAD_OPTION", `download.${name} must be an integer from ${min} to ${max}, got ${value}`);
  return value;
}
