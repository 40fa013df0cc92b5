// Which JavaScript runtime this is, in one place. Loaders branch on
// capabilities (can it read files by path? compile Wasm from bytes? is there
// a Cache API?), each of which is answered here from the runtime's name.

export type Runtime = "node" | "deno" | "bun" | "workerd" | "browser" | "webworker" | "unknown";

interface Globals {
  process?: { versions?: { node?: string; bun?: string } };
  Deno?: { version?: { deno?: string } };
  Bun?: unknown;
  navigator?: { userAgent?: string };
  window?: unknown;
  document?: unknown;
  WorkerGlobalScope?: unknown;
  caches?: unknown;
}

const g = globalThis as Globals;

export const isDeno = typeof g.Deno === "object" && g.Deno !== null;
export const isBun = typeof g.Bun === "object" || typeof g.process?.versions?.bun === "string";
/** Cloudflare Workers and workerd identify themselves in navigator.userAgent. */
export const isWorkerd = g.navigator?.userAgent === "Cloudflare-Workers";
/** Node itself: Deno and Bun set process.versions.node too, workerd with nodejs_compat may. */
export const isNode = !isDeno && !isBun && !isWorkerd && typeof g.process?.versions?.node === "string";
export const isBrowser = typeof g.window === "object" && typeof g.document === "object";
export const isWebWorker = !isBrowser && !isWorkerd && typeof g.WorkerGlobalScope === "function";

export const runtime: Runtime = isNode ? "node" : isDeno ? "deno" : isBun ? "bun" : isWorkerd ? "workerd"
  : isBrowser ? "browser" : isWebWorker ? "webworker" : "unknown";

/** Runtimes that read files by path with node:fs (Node, Deno, Bun). */
export const hasFileSystem = isNode || isDeno || isBun;

/** Cloudflare Workers refuse WebAssembly.compile() on bytes: the module must come from an import. */
export const canCompileWasmBytes = !isWorkerd;

/** The Cache API (browsers, web workers, Deno). */
export function cacheStorage(): CacheStorage | undefined {
  const caches = g.caches as CacheStorage | undefined;
  return typeof caches === "object" && caches !== null && typeof caches.open === "function" ? caches : undefined;
}
