// Mutated fixtures through the .cact reader, the CQ decoder and the tokenizer
// blob parser: each mutation is either a CactError with a code or a file that
// loads and decodes completely; nothing else escapes.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CactError } from "../lib/errors.ts";
import { readCact } from "../lib/needle2/cact.ts";
import { dequant } from "../lib/needle2/cq.ts";
import { parseTokenizerBlob } from "../lib/needle2/tokenizer.ts";
import { rng } from "./helpers.ts";
import { NEEDLE2_MODELS, readNeedle2Model } from "./needle2-helpers.ts";

const DIRECTORY = 120 + 28 * 4;

/** Reads, decodes every tensor and parses the tokenizer; returns the error code or "ok". */
function loadAll(bytes: Uint8Array): string {
  try {
    const file = readCact(bytes);
    for (const t of file.tensors) if (t.kind === "cq") dequant(file, t);
    if (file.tokenizer) parseTokenizerBlob(bytes.subarray(file.tokenizer.offset, file.tokenizer.offset + file.tokenizer.nbytes), file.header.vocab);
    return "ok";
  } catch (e) {
    if (!(e instanceof CactError)) throw e;
    assert.type(e.code, "string");
    assert.ok(e.message.startsWith(".cact"), e.message);
    return e.code;
  }
}

for (const name of NEEDLE2_MODELS) {
  const original = readNeedle2Model(name);

  test(`${name}: every truncation is cact_truncated / cact_bounds, the whole file loads`, () => {
    assert.is(loadAll(original), "ok");
    const next = rng(1);
    const cuts = [0, 3, 4, 119, 120, 231, 232, DIRECTORY + 44, ...Array.from({ length: 150 }, () => Math.floor(next() * original.length))];
    for (const cut of cuts) {
      const code = loadAll(original.slice(0, cut));
      assert.ok(["cact_truncated", "cact_bounds", "cact_tag"].includes(code), `cut at ${cut}: ${code}`);
    }
  });

  test(`${name}: bit flips in the header and directory give a typed error or a full load`, () => {
    const next = rng(2);
    const dirEnd = DIRECTORY + 44 * new DataView(original.buffer).getUint32(4, true);
    const seen = new Set<string>();
    for (let k = 0; k < 1500; k++) {
      const bytes = original.slice();
      const flips = 1 + Math.floor(next() * 3);
      for (let f = 0; f < flips; f++) {
        const at = Math.floor(next() * dirEnd);
        bytes[at]! ^= 1 << Math.floor(next() * 8);
      }
      seen.add(loadAll(bytes));
    }
    for (const code of ["cact_header", "cact_record", "cact_layout"]) assert.ok(seen.has(code), `no ${code} among ${[...seen]}`);
  });

  test(`${name}: huge sizes, offsets and shapes in records are typed errors`, () => {
    const next = rng(3);
    const n = new DataView(original.buffer).getUint32(4, true);
    const huge = [0xffffffff, 0x80000000, 0x7fffffff, 1 << 30, 65536];
    for (let k = 0; k < 400; k++) {
      const bytes = original.slice();
      const view = new DataView(bytes.buffer);
      const rec = DIRECTORY + 44 * Math.floor(next() * n);
      const field = [4, 8, 12, 16, 20, 24, 28, 32, 36, 40][Math.floor(next() * 10)]!;
      view.setUint32(rec + field, huge[Math.floor(next() * huge.length)]!, true);
      const code = loadAll(bytes);
      assert.is.not(code, "ok", `record field ${field}`);
    }
    for (const field of [4, 5, 6, 7, 9, 11, 13, 14]) {
      const bytes = original.slice();
      new DataView(bytes.buffer).setUint32(field * 4, 0xffffffff, true);
      assert.is(loadAll(bytes), "cact_header", `header field ${field}`);
    }
  });

  test(`${name}: random bytes inside blobs decode or fail typed`, () => {
    const next = rng(4);
    for (let k = 0; k < 300; k++) {
      const bytes = original.slice();
      for (let f = 0; f < 8; f++) bytes[DIRECTORY + Math.floor(next() * (bytes.length - DIRECTORY))] = Math.floor(next() * 256);
      loadAll(bytes);
    }
  });
}

test.run();
