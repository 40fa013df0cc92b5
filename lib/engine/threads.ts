// Multi-threaded engine: build/needle-mt.wasm (the same engine built with
// shared memory and atomics) instantiated on the calling thread and in
// `threads - 1` workers over one shared WebAssembly.Memory. The calling
// thread runs the model and, for each projection and prefill attention,
// posts a job the workers share (assembly/parallel.ts). Available where there are
// SharedArrayBuffer, Wasm threads and workers: Node, Deno, Bun and
// cross-origin-isolated pages; never more threads than cores.

import type { EngineExports } from "./instance.ts";
import { NeedleError } from "../errors.ts";
import { readFileBytes } from "../load/node-fs.ts";
import { threadedEngineWasmUrl } from "../assets.ts";

/** Pages of the shared memory's maximum (1 GiB), as build/needle-mt.wasm declares. */
const MAX_PAGES = 16384;

/** Atomics.wait is allowed here: not on a page's main thread (Node, Deno, Bun and workers allow it). */
function mainThreadMayBlock(): boolean {
  const g = globalThis as { document?: unknown; Deno?: unknown; process?: unknown };
  return g.document === undefined;
}

// Node builtins are folded away in the Workers build (see lib/load/node-fs.ts).
declare const NEEDLE_NODE_FS: boolean | undefined;

interface Env {
  process?: { versions?: { node?: string; bun?: string } };
  Deno?: unknown;
  navigator?: { hardwareConcurrency?: number };
  crossOriginIsolated?: boolean;
  Worker?: unknown;
}
const env = globalThis as Env;
const isNodeLike = typeof env.process?.versions?.node === "string" && env.Deno === undefined && env.process.versions.bun === undefined;

/** Threads this runtime can run the engine on: cores, if shared memory and workers are there, else 1. */
export async function availableThreads(): Promise<number> {
  if (typeof SharedArrayBuffer !== "function" || typeof Atomics !== "object") return 1;
  if (isNodeLike) {
    if (typeof NEEDLE_NODE_FS === "undefined" || NEEDLE_NODE_FS) {
      const os = await import(/* webpackIgnore: true */ /* @vite-ignore */ "node:os");
      return typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
    }
    return 1;
  }
  if (typeof env.Worker !== "function") return 1;
  if (env.crossOriginIsolated === false) return 1; // pages need COOP/COEP for SharedArrayBuffer
  return Math.max(1, env.navigator?.hardwareConcurrency ?? 1);
}

let threadedModule: Promise<WebAssembly.Module> | undefined;

/** Compile build/needle-mt.wasm once per process. */
export function threadedEngineModule(): Promise<WebAssembly.Module> {
  threadedModule ??= (async () => {
    const url = threadedEngineWasmUrl();
    let bytes: Uint8Array;
    try {
      if (url.protocol === "file:") bytes = await readFileBytes(url);
      else {
        const response = await fetch(url);
        if (!response.ok) throw new Error(`HTTP ${response.status}`);
        bytes = new Uint8Array(await response.arrayBuffer());
      }
    } catch (err) {
      throw new NeedleError("WASM_NOT_FOUND", `needle-wasm: cannot load ${url.href} (the threaded engine): ${(err as Error).message}`, { cause: err });
    }
    return WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  })();
  return threadedModule;
}

/** The threaded engine on this thread, over a fresh shared memory. */
export async function instantiateThreaded(module: WebAssembly.Module): Promise<{ wasm: EngineExports; memory: WebAssembly.Memory }> {
  const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  return { wasm: { ...(instance.exports as object), memory } as unknown as EngineExports, memory };
}

/** Workers in their job loop; `stop()` ends them. */
export interface WorkerPool {
  readonly threads: number;
  stop(): void;
}

interface WorkerHandle {
  ready: Promise<void>;
  terminate(): void;
}

// A worker: instantiate the shared engine, lay out the model from the shape
// record the main thread wrote (lib/engine/shape.ts), report ready,
// then take jobs until told to quit (worker_loop blocks in atomic.wait).
const WEB_WORKER = `self.onmessage = async (event) => {
  const { module, memory, index, threads, generation } = event.data;
  try {
    const { exports } = await WebAssembly.instantiate(module, { env: { memory } });
    exports.attach(exports.shape_ptr());
    self.postMessage({ ready: true });
    exports.worker_loop(index, threads, generation);
  } catch (err) {
    self.postMessage({ error: String(err && err.message || err) });
  }
};`;

const NODE_WORKER = `const { parentPort } = require("node:worker_threads");
parentPort.once("message", async ({ module, memory, index, threads, generation }) => {
  try {
    const { exports } = await WebAssembly.instantiate(module, { env: { memory } });
    exports.attach(exports.shape_ptr());
    parentPort.postMessage({ ready: true });
    exports.worker_loop(index, threads, generation);
  } catch (err) {
    parentPort.postMessage({ error: String(err && err.message || err) });
  }
});`;

async function spawn(message: object): Promise<WorkerHandle> {
  const failed = (why: string) => new NeedleError("THREADS_FAILED", `needle-wasm: a worker thread could not start: ${why}`);
  if (isNodeLike && (typeof NEEDLE_NODE_FS === "undefined" || NEEDLE_NODE_FS)) {
    const { Worker } = await import(/* webpackIgnore: true */ /* @vite-ignore */ "node:worker_threads");
    const worker = new Worker(NODE_WORKER, { eval: true });
    worker.unref();
    const ready = new Promise<void>((resolve, reject) => {
      worker.once("message", (m: { ready?: boolean; error?: string }) => (m.ready ? resolve() : reject(failed(m.error ?? "unknown error"))));
      worker.once("error", (err) => reject(failed(err.message)));
    });
    worker.postMessage(message);
    return { ready, terminate: () => void worker.terminate() };
  }
  const WorkerCtor = env.Worker as new (url: string, options?: object) => {
    onmessage: ((e: { data: { ready?: boolean; error?: string } }) => void) | null;
    onerror: ((e: { message?: string }) => void) | null;
    postMessage(m: object): void;
    terminate(): void;
  };
  const url = URL.createObjectURL(new Blob([WEB_WORKER], { type: "text/javascript" }));
  const worker = new WorkerCtor(url, { type: "module" });
  const ready = new Promise<void>((resolve, reject) => {
    worker.onmessage = (e) => (e.data.ready ? resolve() : reject(failed(e.data.error ?? "unknown error")));
    worker.onerror = (e) => reject(failed(e.message ?? "error event"));
  });
  worker.postMessage(message);
  return { ready: ready.finally(() => URL.revokeObjectURL(url)), terminate: () => worker.terminate() };
}

/**
 * Start `threads - 1` workers on the engine's shared memory (configured, its
 * shape record in place), then let the engine share its prefill jobs with them.
 */
export async function startWorkers(wasm: EngineExports, module: WebAssembly.Module, memory: WebAssembly.Memory, threads: number): Promise<WorkerPool> {
  const generation = wasm.job_generation();
  const workers: WorkerHandle[] = [];
  try {
    for (let index = 1; index < threads; index++) workers.push(await spawn({ module, memory, index, threads, generation }));
    await Promise.all(workers.map((w) => w.ready));
  } catch (err) {
    for (const w of workers) w.terminate();
    throw err;
  }
  wasm.set_active_threads(threads, mainThreadMayBlock() ? 1 : 0);
  return {
    threads,
    stop() {
      wasm.set_active_threads(1, 0);
      for (const w of workers) w.terminate();
    },
  };
}
