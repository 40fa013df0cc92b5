// What the disk cache holds (lib/hub/node-cache.ts's layout), for
// `needle-wasm cache list`, `cache remove` and `inspect --model`.

import type { ModelOrigin } from "./load.ts";
import type { NodeApi } from "./node-api.ts";
import { RepoCache, repoDir, repoFromDir } from "./node-cache.ts";
import { HubError } from "./errors.ts";

export interface CachedCommit {
  commit: string;
  /** Revisions (refs) that point at this commit. */
  revisions: string[];
  files: { path: string; bytes: number }[];
  bundles: { dtype: string; path: string; bytes: number }[];
  /** Bytes of partial downloads waiting to resume. */
  partialBytes: number;
  origin: Omit<ModelOrigin, "cached" | "bundle"> | undefined;
  bytes: number;
}

export interface CachedModel {
  repo: string;
  dir: string;
  commits: CachedCommit[];
  bytes: number;
}

export async function listCache(api: NodeApi, root: string): Promise<CachedModel[]> {
  const models: CachedModel[] = [];
  for (const name of (await entries(api, api.path.join(root, "models"))).sort()) {
    const repo = repoFromDir(name);
    if (repo === undefined) continue;
    const dir = api.path.join(root, "models", name);
    const cache = new RepoCache(api, dir);
    const refs = new Map<string, string[]>();
    for (const ref of await entries(api, api.path.join(dir, "refs"))) {
      const revision = decodeURIComponent(ref);
      const commit = await cache.readRef(revision);
      if (commit) refs.set(commit, [...(refs.get(commit) ?? []), revision]);
    }
    const commitIds = new Set([...(await entries(api, api.path.join(dir, "snapshots"))), ...(await entries(api, api.path.join(dir, "bundles")))]);
    const commits: CachedCommit[] = [];
    for (const commit of [...commitIds].sort()) {
      const snapshot = await filesUnder(api, api.path.join(dir, "snapshots", commit));
      const files = snapshot.filter((f) => !f.path.endsWith(".incomplete"));
      const partialBytes = snapshot.filter((f) => f.path.endsWith(".incomplete")).reduce((n, f) => n + f.bytes, 0);
      const bundles = (await filesUnder(api, api.path.join(dir, "bundles", commit)))
        .filter((f) => f.path.endsWith(".needle"))
        .map((f) => ({ dtype: f.path.replace(/\.needle$/, ""), path: cache.bundlePath(commit, f.path.replace(/\.needle$/, "")), bytes: f.bytes }));
      const text = await cache.readText(cache.originPath(commit)).catch(() => undefined);
      let origin: CachedCommit["origin"];
      try {
        origin = text === undefined ? undefined : JSON.parse(text);
      } catch {
        origin = undefined;
      }
      const bytes = files.reduce((n, f) => n + f.bytes, 0) + bundles.reduce((n, b) => n + b.bytes, 0) + partialBytes;
      commits.push({ commit, revisions: refs.get(commit) ?? [], files, bundles, partialBytes, origin, bytes });
    }
    models.push({ repo, dir, commits, bytes: commits.reduce((n, c) => n + c.bytes, 0) });
  }
  return models;
}

/** Delete a repo's cache, or one revision's commit (and the refs to it); resolves to the bytes freed. */
export async function removeCached(api: NodeApi, root: string, repo: string, revision?: string): Promise<number> {
  const model = (await listCache(api, root)).find((m) => m.repo === repo);
  if (!model) throw new HubError("NOT_FOUND", `${repo} is not in the cache (${root}); \`needle-wasm cache list\` shows what is`);
  if (revision === undefined) {
    await api.fs.rm(model.dir, { recursive: true, force: true });
    return model.bytes;
  }
  const target = model.commits.find((c) => c.commit === revision || c.revisions.includes(revision));
  if (!target) throw new HubError("NOT_FOUND", `the cache has no revision ${JSON.stringify(revision)} of ${repo}; it has ${model.commits.flatMap((c) => c.revisions.length ? c.revisions : [c.commit]).join(", ")}`);
  const cache = new RepoCache(api, model.dir);
  for (const ref of target.revisions) await api.fs.rm(cache.refPath(ref), { force: true });
  for (const part of [api.path.join(model.dir, "snapshots", target.commit), api.path.join(model.dir, "bundles", target.commit), cache.originPath(target.commit)]) {
    await api.fs.rm(part, { recursive: true, force: true });
  }
  return target.bytes;
}

/**
 * The cached bundle of a repo's revision (the given dtype, or any), with
 * where it came from; for a Needle 2 repo, its cached .cact.
 */
export async function findCachedBundle(api: NodeApi, root: string, repo: string, revision: string, dtype?: string): Promise<{ path: string; commit: CachedCommit }> {
  const cache = new RepoCache(api, repoDir(api, root, repo));
  const commitId = /^[0-9a-f]{40}$/.test(revision) ? revision : await cache.readRef(revision);
  const commit = (await listCache(api, root)).find((m) => m.repo === repo)?.commits.find((c) => c.commit === commitId);
  const weights = commit?.origin?.files.weights.path;
  if (commit && weights !== undefined && !commit.origin!.files.tokenizer && commit.files.some((f) => f.path === weights)) {
    return { path: cache.snapshotPath(commit.commit, weights), commit };
  }
  const bundle = commit?.bundles.find((b) => dtype === undefined || b.dtype === dtype);
  if (!commit || !bundle) throw new HubError("OFFLINE_MISSING", `the cache (${root}) has no ${dtype ?? ""}${dtype ? " " : ""}bundle of ${repo}@${revision}; \`needle-wasm pull ${repo}\` makes one`);
  return { path: bundle.path, commit };
}

async function entries(api: NodeApi, dir: string): Promise<string[]> {
  try {
    return await api.fs.readdir(dir);
  } catch {
    return [];
  }
}

/** Files under `dir`, paths relative to it with "/", and their sizes. */
async function filesUnder(api: NodeApi, dir: string): Promise<{ path: string; bytes: number }[]> {
  const out: { path: string; bytes: number }[] = [];
  let list: import("node:fs").Dirent[];
  try {
    list = await api.fs.readdir(dir, { recursive: true, withFileTypes: true });
  } catch {
    return out;
  }
  for (const entry of list) {
    if (!entry.isFile()) continue;
    const full = api.path.join(entry.parentPath, entry.name);
    out.push({ path: api.path.relative(dir, full).split(api.path.sep).join("/"), bytes: (await api.fs.stat(full)).size });
  }
  return out.sort((a, b) => (a.path < b.path ? -1 : 1));
}
