// Where build/needle.wasm comes from in each runtime. One artifact, found in
// one of four ways, none of which a user has to choose by hand:
//
//   caller's WebAssembly.Module   `{ wasmModule }` option of every loader
//   provided by the entry          dist/index.workerd.js imports the .wasm as a module
//                                  (Workers refuse to compile bytes); dist/index.inline.js
//                                  carries the bytes as base64
//   located next to the JS         new URL("../build/needle.wasm", import.meta.url):
//                                  node:fs for file: URLs (Node, Deno, Bun), fetch otherwise
//                                  (browsers; bundlers emit the asset for this pattern)

import { InputError, NeedleError } from "../errors.ts";
import { requireWasmSimd } from "./features.ts";
import { readFileBytes } from "../load/node-fs.ts";
import { canCompileWasmBytes } from "../runtime.ts";
import { engineWasmUrl } from "../assets.ts";

let provided: WebAssembly.Module | Uint8Array | undefined;
let defaultModule: Promise<WebAssembly.Module> | undefined;

/**
 * Used by the entry files: the module (or bytes) every engine uses unless a
 * caller supplies its own. Call before the first load.
 */
export function provideEngine(wasm: WebAssembly.Module | Uint8Array): void {
  provided = wasm;
  defaultModule = undefined;
}

/** Compile build/needle.wasm once per process (or use the module a caller supplies). */
export function engineModule(supplied?: WebAssembly.Module): Promise<WebAssembly.Module> {
  requireWasmSimd();
  if (supplied !== undefined) {
    if (!(supplied instanceof WebAssembly.Module)) {
      return Promise.reject(new InputError("BAD_WASM_MODULE", `wasmModule must be a WebAssembly.Module (build/needle.wasm compiled or imported), got ${describe(supplied)}`));
    }
    return Promise.resolve(supplied);
  }
  defaultModule ??= compileDefault();
  return defaultModule;
}

async function compileDefault(): Promise<WebAssembly.Module> {
  if (provided instanceof WebAssembly.Module) return provided;
  if (!canCompileWasmBytes) {
    throw new NeedleError("WASM_MODULE_REQUIRED", "needle-wasm: Cloudflare Workers cannot compile WebAssembly from bytes. Import the package through its \"workerd\" export condition (wrangler does this by default) or pass { wasmModule } from `import wasm from \"needle-wasm/needle.wasm\"`.");
  }
  const bytes = provided ?? (await locate());
  try {
    return await WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>);
  } catch (err) {
    throw new NeedleError("WASM_COMPILE_FAILED", `needle-wasm: build/needle.wasm did not compile: ${(err as Error).message}`, { cause: err });
  }
}

/** The bytes of build/needle.wasm, found next to this file. */
async function locate(): Promise<Uint8Array> {
  const url = engineWasmUrl();
  const hint = "If a bundler moved this file without its asset, import \"needle-wasm/inline\" (the .wasm inlined) or pass { wasmModule }.";
  if (url.protocol === "file:") {
    try {
      return await readFileBytes(url);
    } catch (err) {
      throw new NeedleError("WASM_NOT_FOUND", `needle-wasm: cannot read ${url.href} (${(err as { code?: string }).code ?? "error"}). ${hint}`, { cause: err });
    }
  }
  let response: Response;
  try {
    response = await fetch(url);
  } catch (err) {
    throw new NeedleError("WASM_NOT_FOUND", `needle-wasm: fetch ${url.href} failed: ${(err as Error).message}. ${hint}`, { cause: err });
  }
  if (!response.ok) throw new NeedleError("WASM_NOT_FOUND", `needle-wasm: ${url.href} answered HTTP ${response.status}. ${hint}`);
  return new Uint8Array(await response.arrayBuffer());
}

function describe(x: unknown): string {
  if (x === null) return "null";
  if (typeof x === "object") return (x as object).constructor?.name ?? "object";
  return typeof x;
}
