// The hub cache on disk (Node, Deno, Bun), laid out by repo, revision and
// file:
//
//   {root}/models/{owner}--{name}/
//     refs/{revision}                  the commit the revision pointed at (text)
//     snapshots/{commit}/{path}        the repo's files, each complete and verified
//     bundles/{commit}/{dtype}.needle  the checkpoint converted once per dtype
//     origins/{commit}.json            where the files came from (no token)
//     locks/{commit}.lock              held while a process downloads or converts
//
// A file appears under its name only once whole and verified: it is written
// as `{name}.incomplete` (kept across runs, to resume with Range) and
// renamed. Downloads of one commit are serialised by the lock file (created
// with O_EXCL, holding the owner's pid; a dead owner's lock is taken over),
// so two processes pulling the same model download it once.

import { HubError } from "./errors.ts";
import type { Sink } from "./download.ts";
import type { NodeApi } from "./node-api.ts";
import { env } from "./options.ts";

const LOCK_POLL_MS = 50;
const DEFAULT_LOCK_TIMEOUT_MS = 30 * 60_000;

/** Where the cache lives: the option, else $NEEDLE_WASM_CACHE, $XDG_CACHE_HOME/needle-wasm, ~/.cache/needle-wasm. */
export function cacheRoot(api: NodeApi, option: string | undefined): string {
  const explicit = option ?? env("NEEDLE_WASM_CACHE");
  if (explicit !== undefined) return api.path.resolve(explicit);
  const xdg = env("XDG_CACHE_HOME");
  return api.path.join(xdg !== undefined ? api.path.resolve(xdg) : api.path.join(api.os.homedir(), ".cache"), "needle-wasm");
}

/** The folder of one repo: `models/{owner}--{name}`. */
export function repoDir(api: NodeApi, root: string, repo: string): string {
  return api.path.join(root, "models", repo.replace("/", "--"));
}

/** The repo id back from a folder name. */
export function repoFromDir(name: string): string | undefined {
  const at = name.indexOf("--");
  return at > 0 ? `${name.slice(0, at)}/${name.slice(at + 2)}` : undefined;
}

export class RepoCache {
  readonly api: NodeApi;
  readonly dir: string;

  constructor(api: NodeApi, dir: string) {
    this.api = api;
    this.dir = dir;
  }

  refPath(revision: string): string {
    return this.api.path.join(this.dir, "refs", encodeURIComponent(revision));
  }

  snapshotPath(commit: string, path: string): string {
    return this.api.path.join(this.dir, "snapshots", commit, ...path.split("/"));
  }

  bundlePath(commit: string, dtype: string): string {
    return this.api.path.join(this.dir, "bundles", commit, `${dtype}.needle`);
  }

  originPath(commit: string): string {
    return this.api.path.join(this.dir, "origins", `${commit}.json`);
  }

  async readRef(revision: string): Promise<string | undefined> {
    const text = await this.readText(this.refPath(revision));
    return text !== undefined && /^[0-9a-f]{40}$/.test(text.trim()) ? text.trim() : undefined;
  }

  async readText(path: string): Promise<string | undefined> {
    try {
      return await this.api.fs.readFile(path, "utf8");
    } catch (err) {
      if ((err as { code?: string }).code === "ENOENT") return undefined;
      throw cacheError(path, err);
    }
  }

  async exists(path: string): Promise<boolean> {
    try {
      return (await this.api.fs.stat(path)).isFile();
    } catch {
      return false;
    }
  }

  /** Write a whole file atomically: a unique temp file beside it, then rename. */
  async writeAtomically(path: string, data: Uint8Array | string): Promise<void> {
    const { fs, path: p, crypto } = this.api;
    const temp = `${path}.${process.pid}.${crypto.randomBytes(4).toString("hex")}.tmp`;
    try {
      await fs.mkdir(p.dirname(path), { recursive: true });
      await fs.writeFile(temp, data);
      await fs.rename(temp, path);
    } catch (err) {
      await fs.rm(temp, { force: true }).catch(() => undefined);
      throw cacheError(path, err);
    }
  }

  /** A sink writing `{path}.incomplete`, renamed to `path` by `finish()`. */
  async partial(path: string): Promise<FileSink> {
    const { fs, path: p } = this.api;
    const temp = `${path}.incomplete`;
    try {
      await fs.mkdir(p.dirname(path), { recursive: true });
      const handle = await fs.open(temp, "a+");
      return new FileSink(this.api, handle, temp, path, (await handle.stat()).size);
    } catch (err) {
      throw cacheError(temp, err);
    }
  }

  /** Run `job` holding the commit's lock; waits for another process's lock (or takes over a dead one's). */
  async withLock<T>(commit: string, job: () => Promise<T>, timeoutMs = DEFAULT_LOCK_TIMEOUT_MS): Promise<T> {
    const { fs, path: p, os } = this.api;
    const lock = p.join(this.dir, "locks", `${commit}.lock`);
    await fs.mkdir(p.dirname(lock), { recursive: true }).catch((err) => {
      throw cacheError(lock, err);
    });
    const owner = JSON.stringify({ pid: process.pid, host: os.hostname(), since: new Date().toISOString() });
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      try {
        await fs.writeFile(lock, owner, { flag: "wx" });
        break;
      } catch (err) {
        if ((err as { code?: string }).code !== "EEXIST") throw cacheError(lock, err);
      }
      if (await this.#ownerIsGone(lock)) {
        await fs.rm(lock, { force: true });
        continue;
      }
      if (Date.now() > deadline) throw new HubError("LOCK_TIMEOUT", `another process has held ${lock} for over ${Math.round(timeoutMs / 1000)} s; if none is downloading this model, delete the file`);
      await new Promise((resolve) => setTimeout(resolve, LOCK_POLL_MS));
    }
    try {
      return await job();
    } finally {
      await fs.rm(lock, { force: true });
    }
  }

  /** True when the lock names a process on this host that no longer runs. */
  async #ownerIsGone(lock: string): Promise<boolean> {
    const text = await this.readText(lock).catch(() => undefined);
    if (text === undefined) return false;
    let owner: { pid?: unknown; host?: unknown };
    try {
      owner = JSON.parse(text);
    } catch {
      return false; // being written right now
    }
    if (owner.host !== this.api.os.hostname() || typeof owner.pid !== "number") return false;
    try {
      process.kill(owner.pid, 0);
      return false;
    } catch (err) {
      return (err as { code?: string }).code === "ESRCH";
    }
  }
}

/** A partial file on disk: appended to, hashed again on resume, renamed when verified. */
export class FileSink implements Sink {
  readonly #api: NodeApi;
  readonly #handle: import("node:fs/promises").FileHandle;
  readonly #temp: string;
  readonly #final: string;
  #size: number;

  constructor(api: NodeApi, handle: import("node:fs/promises").FileHandle, temp: string, final: string, size: number) {
    this.#api = api;
    this.#handle = handle;
    this.#temp = temp;
    this.#final = final;
    this.#size = size;
  }

  get size(): number {
    return this.#size;
  }

  async write(chunk: Uint8Array): Promise<void> {
    await this.#handle.write(chunk);
    this.#size += chunk.byteLength;
  }

  async replay(into: (chunk: Uint8Array) => void): Promise<void> {
    if (this.#size === 0) return;
    const buffer = new Uint8Array(1 << 20);
    for (let at = 0; at < this.#size; ) {
      const { bytesRead } = await this.#handle.read(buffer, 0, Math.min(buffer.length, this.#size - at), at);
      if (bytesRead === 0) break;
      into(buffer.subarray(0, bytesRead));
      at += bytesRead;
    }
  }

  async clear(): Promise<void> {
    await this.#handle.truncate(0);
    this.#size = 0;
  }

  /** Close the partial file and give it its name (verified), or, unverified, keep it for a resume (deleted when emptied by a bad hash). */
  async finish(verified: boolean): Promise<void> {
    await this.#handle.close();
    if (verified) await this.#api.fs.rename(this.#temp, this.#final).catch((err) => {
      throw cacheError(this.#final, err);
    });
    else if (this.#size === 0) await this.#api.fs.rm(this.#temp, { force: true });
  }
}

function cacheError(path: string, err: unknown): HubError {
  const code = (err as { code?: string }).code ?? "error";
  return new HubError("CACHE_ERROR", `cannot write the model cache at ${path} (${code}); set NEEDLE_WASM_CACHE or pass { cacheDir } to a writable folder`, { cause: err });
}
