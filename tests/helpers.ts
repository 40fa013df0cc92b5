// Shared test helpers: approximate equality, a seeded RNG, fixture paths and
// scratch memory in a fresh engine instance.

import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { instantiateEngine, type EngineExports } from "../lib/engine/instance.ts";

/** tests/fixtures/ (with the trailing slash): the reference fixtures, byte for byte as generated; see its README.md and MANIFEST.json. */
export const FIXTURES = fileURLToPath(new URL("./fixtures/", import.meta.url));

export function readFixture(path: string): Uint8Array {
  return readFileSync(FIXTURES + path);
}

export function readFixtureJson<T = any>(path: string): T {
  return JSON.parse(readFileSync(FIXTURES + path, "utf8")) as T;
}

/** Assert |actual[i] - expected[i]| <= tol for every i, naming the first offender. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, tol: number, what = "values"): void {
  assert.is(actual.length, expected.length, `${what}: length`);
  let worst = 0;
  let worstAt = -1;
  for (let i = 0; i < expected.length; i++) {
    const diff = Math.abs(actual[i]! - expected[i]!);
    if (!(diff <= worst)) {
      worst = diff;
      worstAt = i;
    }
  }
  if (!(worst <= tol)) {
    assert.unreachable(`${what}: |diff| ${worst} > ${tol} at ${worstAt} (got ${actual[worstAt]}, want ${expected[worstAt]})`);
  }
}

/** Mulberry32: a small deterministic PRNG. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomArray(next: () => number, n: number, scale = 1): Float32Array {
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = (next() * 2 - 1) * scale;
  return out;
}

export function randomInt(next: () => number, lo: number, hi: number): number {
  return lo + Math.floor(next() * (hi - lo + 1));
}

/** A fresh engine with a bump allocator over its memory, for kernel tests. */
export class Scratch {
  private cursor: number;
  private constructor(readonly wasm: EngineExports) {
    this.cursor = (wasm.heap_base() + 63) & ~63;
  }
  static async create(): Promise<Scratch> {
    return new Scratch(await instantiateEngine());
  }
  reset(): void {
    this.cursor = (this.wasm.heap_base() + 63) & ~63;
  }
  /** Reserve n f32 (or i32) slots, 64-byte aligned, optionally filled. */
  alloc(n: number, fill?: ArrayLike<number>): number {
    const ptr = this.cursor;
    this.cursor = (ptr + n * 4 + 63) & ~63;
    const needPages = Math.ceil(this.cursor / 65536) - this.wasm.memory.buffer.byteLength / 65536;
    if (needPages > 0) this.wasm.memory.grow(needPages);
    if (fill) this.f32(ptr, n).set(fill);
    return ptr;
  }
  allocI32(values: ArrayLike<number>): number {
    const ptr = this.alloc(values.length);
    this.i32(ptr, values.length).set(values);
    return ptr;
  }
  f32(ptr: number, n: number): Float32Array {
    return new Float32Array(this.wasm.memory.buffer, ptr, n);
  }
  i32(ptr: number, n: number): Int32Array {
    return new Int32Array(this.wasm.memory.buffer, ptr, n);
  }
}
