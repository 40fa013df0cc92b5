// A local Hugging Face hub on 127.0.0.1 for the hub tests, answering as the
// real one does:
//   GET /api/models/{repo}/revision/{rev}?blobs=true  → { id, sha, siblings: [{ rfilename, size, lfs? }] }
//   GET /{repo}/resolve/{rev}/{path}  LFS files: 302 to the storage server (another origin) with
//       X-Linked-Etag (the SHA-256), X-Linked-Size, X-Repo-Commit; other files: 200 with ETag
//   storage: Content-Length, ETag, Accept-Ranges, Range → 206
//   401/403/404 with X-Error-Code (RepoNotFound, GatedRepo, RevisionNotFound, EntryNotFound)
// plus faults a test switches on: statuses to answer first, a body cut once
// or always, a stall, a listed SHA-256 that does not match, Range ignored.
// Every request is logged (path, Range, whether it carried a token).

import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { extname, join, normalize } from "node:path";

export interface RepoSpec {
  files: Record<string, Uint8Array>;
  /** Paths stored in LFS (served through the storage redirect). */
  lfs: string[];
  /** A gated repo: resolve needs this token. */
  token?: string;
}

export interface Faults {
  /** Statuses to answer the next requests for a path suffix with, in order (e.g. [503, 429]). */
  statuses: Map<string, number[]>;
  /** Storage requests for these paths send half the body and close the connection (once each, or always). */
  cutOnce: Set<string>;
  cutAlways: Set<string>;
  /** Storage requests for these paths send half the body and then nothing. */
  stall: Set<string>;
  /** The listing and X-Linked-Etag give a wrong SHA-256 for these paths. */
  badSha: Set<string>;
  /** The storage ignores Range (answers 200 with the whole file). */
  noRange: boolean;
  /** Storage bodies of these paths come in 10 pieces this many ms apart. */
  slow: Map<string, number>;
}

export interface LoggedRequest {
  host: "hub" | "storage";
  path: string;
  range: string | null;
  auth: boolean;
}

export interface HubServer {
  url: string;
  storageUrl: string;
  commit: (repo: string) => string;
  faults: Faults;
  requests: LoggedRequest[];
  /** Requests whose path ends with `suffix`, on either host. */
  count(suffix: string): number;
  close(): Promise<void>;
}

const EXPOSE = "X-Repo-Commit, X-Linked-Etag, X-Linked-Size, X-Error-Code, ETag, Content-Length, Content-Range, Accept-Ranges";
const MIME: Record<string, string> = { ".js": "text/javascript", ".wasm": "application/wasm", ".html": "text/html", ".json": "application/json" };

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
const gitSha1 = (bytes: Uint8Array) => createHash("sha1").update(`blob ${bytes.length}\0`).update(bytes).digest("hex");

/**
 * Start the hub and its storage host. `mounts` serves folders of this
 * checkout from the hub's origin too (a browser page loading dist/).
 */
export async function startHub(repos: Record<string, RepoSpec>, mounts: Record<string, string> = {}): Promise<HubServer> {
  const commits = new Map(Object.keys(repos).map((id) => [id, createHash("sha1").update(`commit of ${id}`).digest("hex")]));
  const blobs = new Map<string, Uint8Array>();
  for (const spec of Object.values(repos)) for (const path of spec.lfs) blobs.set(sha256(spec.files[path]!), spec.files[path]!);
  const faults: Faults = { statuses: new Map(), cutOnce: new Set(), cutAlways: new Set(), stall: new Set(), badSha: new Set(), noRange: false, slow: new Map() };
  const requests: LoggedRequest[] = [];
  const stalled = new Set<ServerResponse>();
  const shaOf = (path: string, bytes: Uint8Array) => (faults.badSha.has(path) ? "0".repeat(64) : sha256(bytes));
  let storageUrl = "";

  const log = (host: LoggedRequest["host"], req: IncomingMessage, path: string) =>
    requests.push({ host, path, range: req.headers.range ?? null, auth: req.headers.authorization !== undefined });

  const hub = createServer((req, res) => {
    const url = new URL(req.url!, "http://x");
    const path = decodeURIComponent(url.pathname);
    res.setHeader("access-control-allow-origin", "*");
    res.setHeader("access-control-expose-headers", EXPOSE);
    if (req.method === "OPTIONS") return preflight(res);
    log("hub", req, path);
    for (const [prefix, dir] of Object.entries(mounts)) if (path.startsWith(prefix)) return serveStatic(res, dir, path.slice(prefix.length));
    if (path === "/blank") return end(res, 200, { "content-type": "text/html" }, "<!doctype html><title>hub test</title>");
    const queued = [...faults.statuses.entries()].find(([suffix, list]) => path.endsWith(suffix) && list.length > 0);
    if (queued) return end(res, queued[1].shift()!, { "retry-after": "0" }, "busy");
    const api = /^\/api\/models\/([^/]+\/[^/]+)\/revision\/(.+)$/.exec(path);
    if (api) return listing(req, res, api[1]!, api[2]!);
    const resolve = /^\/([^/]+\/[^/]+)\/resolve\/([^/]+)\/(.+)$/.exec(path);
    if (resolve) return resolveFile(req, res, resolve[1]!, resolve[2]!, resolve[3]!);
    end(res, 404, {}, "not found");
  });

  function repoOr404(req: IncomingMessage, res: ServerResponse, id: string): RepoSpec | undefined {
    const spec = repos[id];
    if (!spec) end(res, req.headers.authorization ? 404 : 401, { "x-error-code": "RepoNotFound" }, "Repository not found");
    return spec;
  }

  function listing(req: IncomingMessage, res: ServerResponse, id: string, rev: string): void {
    const spec = repoOr404(req, res, id);
    if (!spec) return;
    if (rev !== "main" && rev !== commits.get(id)) return end(res, 404, { "x-error-code": "RevisionNotFound" }, "Invalid rev id");
    const siblings = Object.entries(spec.files).map(([rfilename, bytes]) => ({
      rfilename,
      blobId: gitSha1(bytes),
      size: bytes.length,
      ...(spec.lfs.includes(rfilename) ? { lfs: { sha256: shaOf(rfilename, bytes), size: bytes.length, pointerSize: 134 } } : {}),
    }));
    end(res, 200, { "content-type": "application/json" }, JSON.stringify({ id, sha: commits.get(id), gated: spec.token ? "manual" : false, private: false, siblings }));
  }

  function resolveFile(req: IncomingMessage, res: ServerResponse, id: string, rev: string, file: string): void {
    const spec = repoOr404(req, res, id);
    if (!spec) return;
    if (spec.token !== undefined) {
      const auth = req.headers.authorization;
      if (auth === undefined) return end(res, 401, { "x-error-code": "GatedRepo" }, "Access restricted");
      if (auth !== `Bearer ${spec.token}`) return end(res, 403, { "x-error-code": "GatedRepo" }, "Not in the authorized list");
    }
    if (rev !== "main" && rev !== commits.get(id)) return end(res, 404, { "x-error-code": "RevisionNotFound" }, "Invalid rev id");
    const bytes = spec.files[file];
    if (!bytes) return end(res, 404, { "x-error-code": "EntryNotFound" }, "Entry not found");
    const commit = commits.get(id)!;
    if (spec.lfs.includes(file)) {
      const sha = shaOf(file, bytes);
      return end(res, 302, { location: `${storageUrl}/blobs/${sha256(bytes)}?name=${encodeURIComponent(file)}`, "x-linked-etag": `"${sha}"`, "x-linked-size": String(bytes.length), "x-repo-commit": commit, etag: `"${gitSha1(bytes)}"` }, "");
    }
    sendBytes(req, res, bytes, file, { etag: `"${gitSha1(bytes)}"`, "x-repo-commit": commit });
  }

  const storage = createServer((req, res) => {
    const url = new URL(req.url!, "http://x");
    res.setHeader("access-control-allow-origin", "*");
    res.setHeader("access-control-expose-headers", EXPOSE);
    if (req.method === "OPTIONS") return preflight(res);
    const name = url.searchParams.get("name") ?? "";
    log("storage", req, `${url.pathname}/${name}`);
    const bytes = blobs.get(url.pathname.replace("/blobs/", ""));
    if (!bytes) return end(res, 404, {}, "no such blob");
    sendBytes(req, res, bytes, name, { etag: `"${sha256(bytes)}"` });
  });

  /** A file with Range support, and the faults for its path. */
  function sendBytes(req: IncomingMessage, res: ServerResponse, bytes: Uint8Array, file: string, headers: Record<string, string>): void {
    let start = 0;
    const range = faults.noRange ? undefined : /^bytes=(\d+)-$/.exec(req.headers.range ?? "");
    if (range) {
      start = Number(range[1]);
      if (start >= bytes.length) return end(res, 416, { "content-range": `bytes */${bytes.length}` }, "");
    }
    const body = bytes.subarray(start);
    res.writeHead(range ? 206 : 200, {
      ...headers,
      "content-type": "application/octet-stream",
      "content-length": String(body.length),
      "accept-ranges": "bytes",
      ...(range ? { "content-range": `bytes ${start}-${bytes.length - 1}/${bytes.length}` } : {}),
    });
    const cut = faults.cutAlways.has(file) || faults.cutOnce.delete(file);
    if (cut || faults.stall.has(file)) {
      // A cut closes the connection once the first half is written out (a FIN after the bytes,
      // not a reset that could drop bytes still in flight), so the client has exactly that half.
      if (cut) res.write(body.subarray(0, Math.ceil(body.length / 2)), () => res.socket?.end());
      else {
        res.write(body.subarray(0, Math.ceil(body.length / 2)));
        stalled.add(res);
      }
      return;
    }
    const delay = faults.slow.get(file);
    if (delay !== undefined) return void trickle(res, body, delay);
    res.end(body);
  }

  await Promise.all([listen(hub), listen(storage)]);
  storageUrl = `http://127.0.0.1:${port(storage)}`;
  return {
    url: `http://127.0.0.1:${port(hub)}`,
    storageUrl,
    commit: (repo) => commits.get(repo)!,
    faults,
    requests,
    count: (suffix) => requests.filter((r) => r.path.endsWith(suffix)).length,
    close: async () => {
      for (const res of stalled) res.destroy();
      hub.closeAllConnections();
      storage.closeAllConnections();
      await Promise.all([close(hub), close(storage)]);
    },
  };
}

async function trickle(res: ServerResponse, body: Uint8Array, delay: number): Promise<void> {
  const piece = Math.ceil(body.length / 10);
  for (let at = 0; at < body.length && !res.destroyed; at += piece) {
    res.write(body.subarray(at, at + piece));
    await new Promise((resolve) => setTimeout(resolve, delay));
  }
  res.end();
}

function serveStatic(res: ServerResponse, dir: string, rel: string): void {
  const file = normalize(join(dir, rel));
  if (!file.startsWith(normalize(dir))) return end(res, 403, {}, "outside");
  try {
    const bytes = readFileSync(file);
    end(res, 200, { "content-type": MIME[extname(file)] ?? "application/octet-stream" }, bytes);
  } catch {
    end(res, 404, {}, "no such file");
  }
}

function preflight(res: ServerResponse): void {
  end(res, 204, { "access-control-allow-headers": "authorization, range", "access-control-allow-methods": "GET" }, "");
}

function end(res: ServerResponse, status: number, headers: Record<string, string>, body: string | Uint8Array): void {
  res.writeHead(status, headers);
  res.end(body);
}

function listen(server: Server): Promise<void> {
  return new Promise((resolve) => server.listen(0, "127.0.0.1", resolve));
}

function port(server: Server): number {
  return (server.address() as { port: number }).port;
}

function close(server: Server): Promise<void> {
  return new Promise((resolve) => server.close(() => resolve()));
}
