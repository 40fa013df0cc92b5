// The Wasm boundary (assembly/abi.ts, lib/engine/instance.ts): the real
// exports of build/needle.wasm and build/needle-mt.wasm against EngineExports,
// and the shape record's offsets. That the engine reads the record lib/engine/shape.ts
// writes is checked by tests/engine-size.test.ts (the layout from the record
// equals lib/engine/size.ts on random shapes) and tests/model-twin.test.ts
// (pad ids, RoPE theta and every FFN kind, through the forward pass).

import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import * as abi from "../assembly/abi.ts";
import { engineWasmUrl, threadedEngineWasmUrl } from "../lib/assets.ts";
import { ENGINE_EXPORTS, mismatchedExports, type EngineExports } from "../lib/engine/instance.ts";
import { instantiateThreaded } from "../lib/engine/threads.ts";

// ENGINE_EXPORTS is typed against EngineExports (a missing, extra or
// re-counted member fails typecheck); the tests below hold it against the modules.
const EXPECTED = ENGINE_EXPORTS;

/** Needle 2's exports (assembly/needle2/): typed by lib/needle2/model.ts and tests/needle2-kernels.test.ts, not EngineExports. */
const isNeedle2 = (name: string) =>
  name.startsWith("n2_") || ["fwht_f32", "hadamard_mlp_f32", "sinkhorn_f32", "rms_unit_f32", "engram_slot", "cq_decode_row"].includes(name);

async function engines(): Promise<{ name: string; module: WebAssembly.Module; exports: Record<string, unknown> }[]> {
  const single = await WebAssembly.compile(readFileSync(engineWasmUrl()));
  const threaded = await WebAssembly.compile(readFileSync(threadedEngineWasmUrl()));
  const { wasm } = await instantiateThreaded(threaded);
  return [
    { name: "needle.wasm", module: single, exports: (await WebAssembly.instantiate(single, {})).exports },
    { name: "needle-mt.wasm", module: threaded, exports: wasm as unknown as Record<string, unknown> },
  ];
}
const built = await engines();

for (const { name, exports } of built) {
  test(`${name}: every member of EngineExports is exported, a function of its arity or the memory`, () => {
    for (const [member, shape] of Object.entries(EXPECTED)) {
      const value = exports[member];
      if (shape === "memory") assert.ok(value instanceof WebAssembly.Memory, `${member} is a WebAssembly.Memory`);
      else {
        assert.type(value, "function", `${member} is exported as a function`);
        assert.is((value as (...args: number[]) => unknown).length, shape, `${member} takes ${shape} parameters`);
      }
    }
    assert.equal(mismatchedExports(exports), [], "the check every instantiation runs agrees");
  });
}

for (const { name, module } of built) {
  test(`${name}: every export is in EngineExports (or Needle 2's), none untyped`, () => {
    const untyped = WebAssembly.Module.exports(module).filter((e) => !Object.hasOwn(EXPECTED, e.name) && !isNeedle2(e.name));
    assert.equal(untyped, []);
    for (const e of WebAssembly.Module.exports(module)) {
      if (isNeedle2(e.name)) assert.is(e.kind, "function", e.name);
    }
  });
}

test("the threaded module imports only its shared memory", () => {
  const threaded = built.find((e) => e.name === "needle-mt.wasm")!;
  assert.equal(WebAssembly.Module.imports(threaded.module), [{ module: "env", name: "memory", kind: "memory" }]);
  const single = built.find((e) => e.name === "needle.wasm")!;
  assert.equal(WebAssembly.Module.imports(single.module), []);
});

test("the shape record's fields tile SHAPE_BYTES: no overlap, no gap, each naturally aligned", () => {
  const fields = Object.entries(abi)
    .filter(([key]) => key.startsWith("SHAPE_") && key !== "SHAPE_BYTES")
    .map(([key, offset]) => ({ key, offset: offset as number, size: key === "SHAPE_ROPE_THETA" ? 8 : 4 }))
    .sort((a, b) => a.offset - b.offset);
  assert.is(fields.length, 15, "vocab, d_model, heads, kv heads, enc/dec layers, d_ff, ffn kind, contrastive dim, pad id, rope theta, maxEnc, maxDec, format, threads");
  let end = 0;
  for (const { key, offset, size } of fields) {
    assert.is(offset, end, `${key} starts where the previous field ends`);
    assert.is(offset % size, 0, `${key} is aligned to ${size}`);
    end = offset + size;
  }
  assert.is(end, abi.SHAPE_BYTES);
});

test("shape_ptr() is fixed, above the static data and inside the first page, so the record can be written before configure", () => {
  for (const { name, exports } of built) {
    const wasm = exports as unknown as EngineExports;
    const ptr = wasm.shape_ptr();
    assert.ok(ptr >= wasm.heap_base() && ptr % 64 === 0, `${name}: ${ptr} is the 64-byte aligned heap base`);
    assert.ok(ptr + abi.SHAPE_BYTES <= 65536, `${name}: the record fits the initial page`);
  }
});

test("weight formats, FFN kinds and tensor kinds are each distinct codes", () => {
  const codes = (prefix: RegExp) => Object.entries(abi).filter(([key]) => prefix.test(key)).map(([, v]) => v);
  for (const [what, prefix, count] of [["formats", /^FORMAT_/, 4], ["FFN kinds", /^FFN_/, 4], ["tensor kinds", /^(EMBEDDING$|ENC_|DEC_|CON_)/, 40]] as const) {
    const found = codes(prefix);
    assert.is(found.length, count, what);
    assert.is(new Set(found).size, count, `${what} are distinct`);
  }
});

test.run();
