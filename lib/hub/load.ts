// Needle.load({ model }): a Hugging Face model id to the files a load reads.
// Node, Deno and Bun: the disk cache (lib/hub/node-cache.ts), the
// checkpoint converted once to a .needle bundle of the requested dtype, and
// the next load reads that bundle without a request; a Needle 2 .cact is read
// from the cache as it is. Browsers and web workers: the Cache API, same
// verification, the files read as they are.

import { convertToBundle } from "../convert.ts";
import type { WeightDtype } from "../engine/open.ts";
import { DEFAULT_CACHE_NAME, type LoadProgress } from "../load/source.ts";
import { cacheStorage } from "../runtime.ts";
import { download, MemorySink } from "./download.ts";
import { HubError } from "./errors.ts";
import { fetchListing, listingUrl, parseListing, resolveUrl, type Listing } from "./http.ts";
import { chooseLayout, type RunnableLayout } from "./layouts.ts";
import { nodeApi, type NodeApi } from "./node-api.ts";
import { RepoCache, cacheRoot, repoDir } from "./node-cache.ts";
import { HUB_DEFAULT_DTYPE, hubRequest, type HubLoadOptions, type HubRequest } from "./options.ts";

/** Where a model loaded by id came from (no token). */
export interface ModelOrigin {
  repo: string;
  /** The revision asked for ("main", a tag, a commit). */
  revision: string;
  /** The commit it resolved to (the hub's `sha`, checked against X-Repo-Commit). */
  commit: string;
  endpoint: string;
  family: string;
  /** The tokenizer is absent for a Needle 2 .cact, which carries its own. */
  files: { weights: OriginFile; tokenizer?: OriginFile };
  /** The converted bundle (Node, Deno, Bun), when there is one. */
  bundle?: { path: string; dtype: WeightDtype };
  /** True when nothing was downloaded for this load. */
  cached: boolean;
}

export interface OriginFile {
  path: string;
  size: number;
  sha256: string;
}

/** What Needle.load reads next: a bundle (path) or checkpoint and tokenizer bytes. */
export interface HubModel {
  weights: string | Uint8Array;
  tokenizer?: Uint8Array;
  origin: ModelOrigin;
}

export interface HubResolveOptions extends HubLoadOptions {
  dtype?: WeightDtype;
  onProgress?: (event: LoadProgress) => void;
  /** Browsers: the Cache API store (default "needle-wasm"; false for none). */
  cache?: boolean | string;
  /** Ask the hub what the revision points at now, even when the cache has it (`needle-wasm pull`). */
  refresh?: boolean;
}

const COMMIT = /^[0-9a-f]{40}$/;

export async function resolveHubModel(model: string, options: HubResolveOptions): Promise<HubModel> {
  const req = hubRequest(model, options);
  const api = await nodeApi();
  return api ? resolveOnDisk(api, req, options) : resolveInCacheApi(req, options);
}

// ------------------------------------------------------------ Node, Deno, Bun

async function resolveOnDisk(api: NodeApi, req: HubRequest, options: HubResolveOptions): Promise<HubModel> {
  const dtype = options.dtype ?? HUB_DEFAULT_DTYPE;
  const root = cacheRoot(api, req.cacheDir);
  const cache = new RepoCache(api, repoDir(api, root, req.repo));
  let commit = COMMIT.test(req.revision) ? req.revision : await cache.readRef(req.revision);
  if (commit !== undefined && (!options.refresh || req.offline)) {
    const bundle = cache.bundlePath(commit, dtype);
    const origin = await readOrigin(cache, commit);
    if (origin && !origin.files.tokenizer && (await cache.exists(cache.snapshotPath(commit, origin.files.weights.path)))) return fileModel(cache, origin, req, true);
    if (origin && (await cache.exists(bundle))) return bundleModel(origin, req, bundle, dtype, true);
  }
  if (req.offline) return offlineConvert(cache, req, commit, root, dtype);
  const { listing } = await fetchListing(req);
  commit = listing.commit;
  const layout = chooseLayout(req.repo, new Set(listing.files.keys()));
  const settled = commit;
  return cache.withLock(settled, async () => {
    let downloaded = false;
    const files = {} as ModelOrigin["files"];
    for (const what of layoutFiles(layout)) {
      const path = layout[what]!;
      const target = cache.snapshotPath(settled, path);
      const known = (await readOrigin(cache, settled))?.files[what];
      if (known && known.path === path && (await cache.exists(target))) {
        files[what] = known;
        continue;
      }
      const url = resolveUrl(req, settled, path);
      const sink = await cache.partial(target);
      let verified = false;
      try {
        const got = await download(req, url, listing.files.get(path) ?? {}, sink, what, options.onProgress);
        checkCommit(got.commit, settled, url);
        files[what] = { path, size: got.size, sha256: got.sha256 };
        verified = true;
      } finally {
        await sink.finish(verified);
      }
      downloaded = true;
    }
    const origin = originOf(req, settled, layout, files);
    await cache.writeAtomically(cache.originPath(settled), JSON.stringify(origin, null, 2) + "\n");
    if (!COMMIT.test(req.revision)) await cache.writeAtomically(cache.refPath(req.revision), `${settled}\n`);
    if (!origin.files.tokenizer) return fileModel(cache, origin, req, !downloaded);
    const bundle = cache.bundlePath(settled, dtype);
    if (downloaded || !(await cache.exists(bundle))) await convertInto(cache, origin, bundle, dtype);
    return bundleModel(origin, req, bundle, dtype, !downloaded);
  });
}

/** Offline: the cached checkpoint of the revision, converted to `dtype` if it is not yet; else which file is missing. */
async function offlineConvert(cache: RepoCache, req: HubRequest, commit: string | undefined, root: string, dtype: WeightDtype): Promise<HubModel> {
  const hint = `run \`needle-wasm pull ${req.repo}${req.revision === "main" ? "" : ` --revision ${req.revision}`}\` while online, or load without offline (HF_HUB_OFFLINE)`;
  if (commit === undefined) throw new HubError("OFFLINE_MISSING", `offline, and the cache (${root}) has no revision ${JSON.stringify(req.revision)} of ${req.repo}: ${hint}`);
  const origin = await readOrigin(cache, commit);
  if (!origin) throw new HubError("OFFLINE_MISSING", `offline, and the cache has no files of ${req.repo} at ${commit}: ${hint}`);
  for (const file of [origin.files.weights, origin.files.tokenizer]) {
    if (!file) continue;
    const path = cache.snapshotPath(commit, file.path);
    if (!(await cache.exists(path))) throw new HubError("OFFLINE_MISSING", `offline, and ${path} (${req.repo} ${file.path}) is not in the cache: ${hint}`);
  }
  if (!origin.files.tokenizer) return fileModel(cache, origin, req, true);
  const bundle = cache.bundlePath(commit, dtype);
  await cache.withLock(commit, () => convertInto(cache, origin, bundle, dtype));
  return bundleModel(origin, req, bundle, dtype, true);
}

/** The cached checkpoint and tokenizer → `bundle`, with the origin in its meta. */
async function convertInto(cache: RepoCache, origin: Omit<ModelOrigin, "cached">, bundle: string, dtype: WeightDtype): Promise<void> {
  const [checkpoint, tokenizer] = await Promise.all([
    cache.api.fs.readFile(cache.snapshotPath(origin.commit, origin.files.weights.path)),
    cache.api.fs.readFile(cache.snapshotPath(origin.commit, origin.files.tokenizer!.path)),
  ]);
  const { bundle: _omit, ...source } = origin;
  const bytes = await convertToBundle(checkpoint, tokenizer, { dtype, meta: { converter: "needle-wasm (hub cache)", dtype, source } });
  await cache.writeAtomically(bundle, bytes);
}

async function readOrigin(cache: RepoCache, commit: string): Promise<Omit<ModelOrigin, "cached"> | undefined> {
  const text = await cache.readText(cache.originPath(commit));
  if (text === undefined) return undefined;
  try {
    const origin = JSON.parse(text) as Omit<ModelOrigin, "cached">;
    return origin.commit === commit && origin.files?.weights ? origin : undefined;
  } catch {
    return undefined; // unreadable: downloaded again
  }
}

/** A Needle 2 .cact: the cached file itself. */
function fileModel(cache: RepoCache, origin: Omit<ModelOrigin, "cached">, req: HubRequest, cached: boolean): HubModel {
  return { weights: cache.snapshotPath(origin.commit, origin.files.weights.path), origin: { ...origin, revision: req.revision, cached } };
}

/** The files a layout fetches: the weights, and the tokenizer where it names one. */
function layoutFiles(layout: RunnableLayout): ("weights" | "tokenizer")[] {
  return layout.tokenizer === undefined ? ["weights"] : ["weights", "tokenizer"];
}

function bundleModel(origin: Omit<ModelOrigin, "cached">, req: HubRequest, path: string, dtype: WeightDtype, cached: boolean): HubModel {
  return { weights: path, origin: { ...origin, revision: req.revision, bundle: { path, dtype }, cached } };
}

// ------------------------------------------------------------ browsers, web workers, Workers

async function resolveInCacheApi(req: HubRequest, options: HubResolveOptions): Promise<HubModel> {
  const cache = await openCache(options.cache);
  const keyOfListing = listingUrl(req);
  let listing: Listing | undefined;
  let listingJson: string | undefined;
  const hit = options.refresh ? undefined : await cache?.match(keyOfListing).catch(() => undefined);
  if (hit) listing = parseListing(await hit.text(), `${req.repo}@${req.revision}`);
  else if (req.offline) throw new HubError("OFFLINE_MISSING", `offline, and the Cache API has no file list of ${req.repo}@${req.revision}: load it once online`);
  else ({ listing, json: listingJson } = await fetchListing(req));
  const layout = chooseLayout(req.repo, new Set(listing.files.keys()));
  const bytes = {} as Partial<Record<"weights" | "tokenizer", Uint8Array>>;
  const files = {} as ModelOrigin["files"];
  let downloaded = false;
  for (const what of layoutFiles(layout)) {
    const path = layout[what]!;
    const url = resolveUrl(req, listing.commit, path);
    const stored = await cache?.match(url).catch(() => undefined);
    const listed = listing.files.get(path) ?? {};
    if (stored) {
      const stock = new Uint8Array(await stored.arrayBuffer());
      bytes[what] = stock;
      options.onProgress?.({ what, source: url, loaded: stock.byteLength, total: stock.byteLength, cached: true });
      files[what] = { path, size: stock.byteLength, sha256: stored.headers.get("x-needle-sha256") ?? listed.sha256 ?? "" };
      continue;
    }
    if (req.offline) throw new HubError("OFFLINE_MISSING", `offline, and the Cache API has no ${path} of ${req.repo} at ${listing.commit}: load it once online`);
    const sink = new MemorySink();
    const got = await download(req, url, listed, sink, what, options.onProgress);
    checkCommit(got.commit, listing.commit, url);
    const fetched = sink.bytes();
    bytes[what] = fetched;
    files[what] = { path, size: got.size, sha256: got.sha256 };
    downloaded = true;
    const headers = { "content-length": String(got.size), "x-needle-sha256": got.sha256 };
    await cache?.put(url, new Response(fetched as Uint8Array<ArrayBuffer>, { headers })).catch(() => undefined);
  }
  if (listingJson !== undefined) await cache?.put(keyOfListing, new Response(listingJson, { headers: { "content-type": "application/json" } })).catch(() => undefined);
  return { weights: bytes.weights!, ...(bytes.tokenizer ? { tokenizer: bytes.tokenizer } : {}), origin: { ...originOf(req, listing.commit, layout, files), cached: !downloaded } };
}

async function openCache(option: boolean | string | undefined): Promise<Cache | undefined> {
  const storage = cacheStorage();
  if (option === false || !storage) return undefined;
  try {
    return await storage.open(typeof option === "string" ? option : DEFAULT_CACHE_NAME);
  } catch {
    return undefined; // storage disabled (a private window): download every time
  }
}

// ------------------------------------------------------------ both

function originOf(req: HubRequest, commit: string, layout: RunnableLayout, files: ModelOrigin["files"]): Omit<ModelOrigin, "cached"> {
  return { repo: req.repo, revision: req.revision, commit, endpoint: req.endpoint, family: layout.family, files };
}

/** A file resolved by commit must come from that commit. */
function checkCommit(seen: string | undefined, commit: string, url: string): void {
  if (seen !== undefined && seen !== commit) throw new HubError("BAD_RESPONSE", `${url}: the hub answered with X-Repo-Commit ${seen}, not the commit asked for (${commit})`);
}
