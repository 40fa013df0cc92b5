// lib/engine/features.ts and lib/runtime.ts: Wasm SIMD detection with its error,
// and runtime detection.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { hasWasmSimd, requireWasmSimd, SIMD_MINIMUM_VERSIONS } from "../lib/engine/features.ts";
import { runtime, hasFileSystem, canCompileWasmBytes } from "../lib/runtime.ts";
import { engineModule } from "../lib/engine/wasm-module.ts";
import { NeedleError, InputError } from "../lib/errors.ts";
import { Needle } from "../lib/needle.ts";
import { ENGINE_EXPORTS } from "../lib/engine/instance.ts";

test("this runtime validates the v128 probe module, and rejects it when it is corrupted", () => {
  assert.ok(hasWasmSimd());
  let probe: Uint8Array | undefined;
  assert.ok(hasWasmSimd((bytes) => ((probe = bytes), WebAssembly.validate(bytes))));
  const broken = probe!.slice();
  broken[broken.length - 2] = 0xff; // i8x16.splat → an opcode that does not exist
  assert.not.ok(WebAssembly.validate(broken));
});

test("without SIMD, requireWasmSimd throws NO_WASM_SIMD naming the minimum runtime versions", () => {
  try {
    requireWasmSimd(() => false);
    assert.unreachable("should throw");
  } catch (err) {
    assert.instance(err, NeedleError);
    assert.is((err as NeedleError).code, "NO_WASM_SIMD");
    for (const name of ["Node.js ≥ 16.4", "Deno ≥ 1.9", "Chrome/Edge ≥ 91", "Firefox ≥ 89", "Safari ≥ 16.4", "Bun", "workerd"]) {
      assert.ok((err as Error).message.includes(name), name);
    }
  }
  assert.ok(SIMD_MINIMUM_VERSIONS.length > 0);
  assert.not.throws(() => requireWasmSimd(() => true));
});

test("a validate that throws counts as no SIMD", () => {
  assert.not.ok(hasWasmSimd(() => { throw new Error("boom"); }));
  assert.throws(() => requireWasmSimd(() => { throw new Error("boom"); }), (err: NeedleError) => err.code === "NO_WASM_SIMD");
});

test("this process is detected as Node, which reads files and compiles Wasm from bytes", () => {
  assert.is(runtime, "node");
  assert.ok(hasFileSystem);
  assert.ok(canCompileWasmBytes);
});

test("wasmModule must be a WebAssembly.Module", async () => {
  try {
    await engineModule(new Uint8Array(8) as never);
    assert.unreachable("should reject");
  } catch (err) {
    assert.instance(err, InputError);
    assert.is((err as InputError).code, "BAD_WASM_MODULE");
  }
});

test("a wasmModule that is not this version's engine is refused with WASM_MISMATCH, naming what it lacks", async () => {
  // A module with one export in the right form, and none of the others: as an older build/needle.wasm may be.
  const empty = new WebAssembly.Module(Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00));
  const memoryOnly = new WebAssembly.Module(Uint8Array.of(0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0x07, 0x0a, 0x01, 0x06, 0x6d, 0x65, 0x6d, 0x6f, 0x72, 0x79, 0x02, 0x00));
  for (const wasmModule of [empty, memoryOnly]) {
    const err = await Needle.load({ wasmModule }).then(() => null, (e: unknown) => e);
    assert.instance(err, NeedleError);
    assert.is((err as NeedleError).code, "WASM_MISMATCH");
    assert.match((err as Error).message, /configure, attach, shape_ptr/);
    assert.is((err as Error).message.includes("memory,"), wasmModule === empty, (err as Error).message);
  }
  assert.ok(Object.keys(ENGINE_EXPORTS).length > 40);
});

test.run();
