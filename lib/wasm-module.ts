// Where build/needle.wasm comes from in each runtime.

import { NeedleError } from "./errors.ts";

let defaultModule: Promise<WebAssembly.Module> | undefined;

/** Compile build/needle.wasm once per process (or use the module a caller supplies). */
export function engineModule(supplied?: WebAssembly.Module): Promise<WebAssembly.Module> {
  if (supplied) return Promise.resolve(supplied);
  defaultModule ??= compileDefault();
  return defaultModule;
}

async function compileDefault(): Promise<WebAssembly.Module> {
  const url = new URL("../build/needle.wasm", import.meta.url);
  let bytes: Uint8Array<ArrayBuffer>;
  if (url.protocol === "file:") {
    const fs = await import("node:fs/promises");
    bytes = new Uint8Array(await fs.readFile(url));
  } else {
    const response = await fetch(url);
    if (!response.ok) throw new NeedleError("WASM_NOT_FOUND", `needle.wasm: ${url.href} answered HTTP ${response.status}`);
    bytes = new Uint8Array(await response.arrayBuffer());
  }
  return WebAssembly.compile(bytes);
}
