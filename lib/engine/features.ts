// Wasm feature detection, done before anything is downloaded or compiled.
// build/needle.wasm needs baseline SIMD128 (v128 kernels, no relaxed SIMD).

import { NeedleError } from "../errors.ts";

/**
 * The smallest module that uses a v128 instruction:
 * `(module (func (result v128) i32.const 0 i8x16.splat))`.
 */
// prettier-ignore
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, // "\0asm", version 1
  0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b,       // type section: () -> v128
  0x03, 0x02, 0x01, 0x00,                         // function section: one function of type 0
  0x0a, 0x08, 0x01, 0x06, 0x00,                   // code section: one body, 6 bytes, no locals
  0x41, 0x00, 0xfd, 0x0f, 0x0b,                   // i32.const 0; i8x16.splat; end
]);

/** The first release of each runtime with Wasm SIMD on by default. */
export const SIMD_MINIMUM_VERSIONS =
  "Node.js ≥ 16.4, Deno ≥ 1.9, Bun ≥ 1.0, Chrome/Edge ≥ 91, Firefox ≥ 89, Safari ≥ 16.4 (iOS ≥ 16.4), Cloudflare Workers / workerd (any current release)";

type Validate = (bytes: Uint8Array<ArrayBuffer>) => boolean;

let checked = false;

/** True where `validate` (default: this runtime's WebAssembly.validate) accepts a module that uses v128. */
export function hasWasmSimd(validate: Validate = (bytes) => WebAssembly.validate(bytes)): boolean {
  try {
    return validate(SIMD_PROBE) === true;
  } catch {
    return false;
  }
}

/**
 * Throw a NeedleError naming the runtimes that work unless WebAssembly with
 * SIMD is there: `NO_WEBASSEMBLY` (none at all) or `NO_WASM_SIMD`. Checked
 * once per process; `validate` replaces WebAssembly.validate (tests).
 */
export function requireWasmSimd(validate?: Validate): void {
  if (checked && !validate) return;
  if (!validate && (typeof WebAssembly !== "object" || typeof WebAssembly.validate !== "function")) {
    throw new NeedleError("NO_WEBASSEMBLY", `needle-wasm: this runtime has no WebAssembly (disabled by a flag such as --jitless, or by a lockdown mode?). Needle needs WebAssembly with SIMD: ${SIMD_MINIMUM_VERSIONS}.`);
  }
  if (!hasWasmSimd(validate)) {
    throw new NeedleError("NO_WASM_SIMD", `needle-wasm: this runtime's WebAssembly lacks SIMD (v128 instructions), which build/needle.wasm needs. Use ${SIMD_MINIMUM_VERSIONS}.`);
  }
  if (!validate) checked = true;
}
