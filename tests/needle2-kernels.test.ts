// Needle 2's new Wasm kernels against the plain TypeScript twins on random
// shapes: the Walsh-Hadamard transform, Sinkhorn mixing, the engram hash and
// CQ row decoding (against lib/needle2/cq.ts, itself checked against numpy).
import { test } from "uvu";
import { readCact } from "../lib/needle2/cact.ts";
import { cqCodebook, dequantRows, walshHadamard } from "../lib/needle2/cq.ts";
import { assertClose, randomArray, randomInt, rng, Scratch } from "./helpers.ts";
import { NEEDLE2_MODELS, readNeedle2Model } from "./needle2-helpers.ts";
import { engramSlot, sinkhorn } from "./twins/needle2.ts";
import * as assert from "uvu/assert";

interface Needle2Kernels {
  fwht_f32(x: number, n: number): void;
  sinkhorn_f32(m: number, n: number): void;
  engram_slot(tokens: number, p: number, t: number, order: number, slots: number): number;
  cq_decode_row(dst: number, codes: number, norms: number, inDim: number, group: number, bits: number, codebook: number, scratch: number): number;
}

const scratch = await Scratch.create();
const k = scratch.wasm as unknown as Needle2Kernels;
const next = rng(2026);

test("fwht_f32 equals the twin's transform for n = 1 .. 4096", () => {
  for (let n = 1; n <= 4096; n *= 2) {
    scratch.reset();
    const x = randomArray(next, n);
    const p = scratch.alloc(n, x);
    k.fwht_f32(p, n);
    const want = Float64Array.from(x);
    walshHadamard(want, n);
    assertClose(scratch.f32(p, n), want, 1e-5 * Math.sqrt(n), `n=${n}`);
  }
});

test("sinkhorn_f32 equals the float64 twin for 1 .. 8 lanes", () => {
  for (let n = 1; n <= 8; n++) {
    scratch.reset();
    const m = randomArray(next, n * n, 6);
    const p = scratch.alloc(n * n, m);
    k.sinkhorn_f32(p, n);
    assertClose(scratch.f32(p, n * n), sinkhorn(Float64Array.from(m), n), 1e-5, `n=${n}`);
  }
});

test("engram_slot equals the twin's hash on random tokens, tables, orders and slot counts", () => {
  scratch.reset();
  const tokens = Array.from({ length: 64 }, () => randomInt(next, 0, 1 << 20));
  const p = scratch.allocI32(tokens);
  for (let i = 0; i < 2000; i++) {
    const pos = randomInt(next, 0, 63);
    const t = randomInt(next, 0, 40);
    const order = randomInt(next, 1, 6);
    const slots = randomInt(next, 1, 1 << 22);
    assert.is(k.engram_slot(p, pos, t, order, slots), engramSlot(tokens, pos, t, order, slots));
  }
});

test("cq_decode_row decodes every fixture CQ row as lib/needle2/cq.ts does (2, 3, 4 bits, ternary)", () => {
  for (const name of NEEDLE2_MODELS) {
    const file = readCact(readNeedle2Model(name));
    for (const t of file.tensors) {
      if (t.kind !== "cq") continue;
      const [rows, cols] = t.shape as [number, number];
      const inPad = Math.ceil(cols / t.group) * t.group;
      const rowBytes = (inPad * (t.bits === 5 ? 2 : t.bits)) / 8;
      const normBytes = (inPad / t.group) * 2;
      const want = new Float32Array(rows * cols);
      dequantRows(file, t, 0, rows, want);
      scratch.reset();
      const codes = scratch.alloc(Math.ceil((rows * (rowBytes + normBytes)) / 4));
      new Uint8Array(scratch.wasm.memory.buffer).set(file.bytes.subarray(t.offset, t.offset + t.nbytes), codes);
      const cb = scratch.alloc(16, cqCodebook(file, t));
      const grp = scratch.alloc(t.group);
      const dst = scratch.alloc(cols);
      for (let r = 0; r < rows; r += Math.max(1, rows >> 3)) {
        assert.is(k.cq_decode_row(dst, codes + r * rowBytes, codes + rows * rowBytes + r * normBytes, cols, t.group, t.bits, cb, grp), 0);
        assertClose(scratch.f32(dst, cols), want.subarray(r * cols, (r + 1) * cols), 1e-6, `${name} ${t.name} row ${r}`);
      }
    }
  }
});

test.run();
