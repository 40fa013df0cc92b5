// The .cact reader on the two fixtures: header against the goldens' record of
// it, the canonical directory, probe heads, and CQ decoding (2, 3, 4 bits,
// ternary) against an independent numpy decoder.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { CactError } from "../lib/errors.ts";
import { isCact, readCact, tensor } from "../lib/needle2/cact.ts";
import { dequant } from "../lib/needle2/cq.ts";
import { assertClose } from "./helpers.ts";
import { NEEDLE2_FIXTURES, NEEDLE2_MODELS, readNeedle2Golden, readNeedle2Model } from "./needle2-helpers.ts";
import { runPython } from "./tokenizer-helpers.ts";

const HEADER_KEYS: Record<string, string> = {
  kvWindow: "kv_window", kvBits: "kv_bits", vocab: "vocab_size", dModel: "d_model", numHeads: "num_heads",
  numKvHeads: "num_kv_heads", numLayers: "num_layers", headDim: "head_dim", maxSeqLen: "max_seq_len", hadaN: "hada_n",
  mhcLanes: "mhc_lanes", engramSlots: "engram_slots", engramSubDim: "engram_sub_dim", numEngramTables: "num_engram_tables",
  engramConvTaps: "engram_conv_taps", engramConvDilation: "engram_conv_dilation", engramOrders: "engram_orders",
  engramSites: "engram_sites", ropeTheta: "rope_theta", numTensors: "num_tensors",
};

for (const name of NEEDLE2_MODELS) {
  test(`${name}: the header reads as the goldens record it`, () => {
    const file = readCact(readNeedle2Model(name));
    const golden = readNeedle2Golden(name).header;
    for (const [ours, theirs] of Object.entries(HEADER_KEYS)) {
      assert.equal((file.header as unknown as Record<string, unknown>)[ours], golden[theirs], ours);
    }
  });
}

test("tiny_a has both probe heads, tiny_b none; both carry the tokenizer", () => {
  const a = readCact(readNeedle2Model("tiny_a"));
  assert.equal(a.heads.map((h) => h.kind), ["contrastive", "confidence"]);
  assert.equal(a.heads[0]!.proj.shape, [16, 4 * 64]);
  assert.equal(a.heads[1]!.proj.shape, [1, 8 * 64]);
  const b = readCact(readNeedle2Model("tiny_b"));
  assert.equal(b.heads.length, 0);
  assert.ok(a.tokenizer && b.tokenizer);
  assert.is(a.tensors.length, a.header.numTensors);
  assert.is(b.tensors.length, b.header.numTensors);
  assert.equal(tensor(b, "layer02.k_proj").shape, [24, 48]);
  assert.equal(tensor(b, "engram1.tables").shape, [2 * 97, 24]);
});

test("isCact looks at the tag, not the name", () => {
  assert.ok(isCact(readNeedle2Model("tiny_a")));
  assert.not.ok(isCact(new Uint8Array([0x83, 0x2a, 0xe1, 0x06])));
  assert.not.ok(isCact(new Uint8Array(2)));
});

test("a file of another tag is a CactError cact_tag", () => {
  const bytes = readNeedle2Model("tiny_a");
  bytes[0] ^= 1;
  try {
    readCact(bytes);
    assert.unreachable();
  } catch (e) {
    assert.instance(e, CactError);
    assert.is((e as CactError).code, "cact_tag");
  }
});

// An independent decoder: numpy bit unpacking, an explicit Sylvester matrix.
const NUMPY_DEQUANT = String.raw`
import json, struct, sys
import numpy as np
req = json.loads(sys.stdin.read())
raw = open(req["path"], "rb").read()
hdr = struct.unpack_from("<29If", raw, 0)
cb_all = np.frombuffer(raw, "<f4", 28, 120)
books = {2: cb_all[0:4], 3: cb_all[4:12], 4: cb_all[12:28]}
out = {}
for i in req["indices"]:
    r = struct.unpack_from("<BBHIIIIQQII", raw, 120 + 28 * 4 + 44 * i)
    rows, cols, off, nb, g, bits = r[3], r[4], r[7], r[8], r[9], r[10]
    in_pad = -(-cols // g) * g
    width = 2 if bits == 5 else bits
    row_bytes = in_pad * width // 8
    packed = np.frombuffer(raw, np.uint8, rows * row_bytes, off).reshape(rows, row_bytes)
    norms = np.frombuffer(raw, "<f2", rows * (in_pad // g), off + rows * row_bytes).astype(np.float64).reshape(rows, in_pad // g)
    bitsarr = np.unpackbits(packed, axis=1, bitorder="little").reshape(rows, in_pad, width)
    idx = (bitsarr * (1 << np.arange(width))).sum(-1)
    if bits == 5:
        trit = np.array([0, 1, -9, -1])[idx]
        assert (trit != -9).all()
        vals = trit * 1.2240064 / np.sqrt(g)
    else:
        vals = books[bits].astype(np.float64)[idx]
    H = np.array([[1.0]])
    while H.shape[0] < g:
        H = np.kron(np.array([[1.0, 1.0], [1.0, -1.0]]), H)
    w = ((vals.reshape(rows, in_pad // g, g) * norms[..., None]) @ (H / np.sqrt(g))).reshape(rows, in_pad)[:, :cols]
    out[str(i)] = {"bits": bits, "w": w.reshape(-1).tolist()}
sys.stdout.write(json.dumps(out))
`;

for (const name of NEEDLE2_MODELS) {
  test(`${name}: every CQ tensor decodes as an independent numpy decoder does`, () => {
    const file = readCact(readNeedle2Model(name));
    const indices = file.tensors.flatMap((t, i) => (t.kind === "cq" ? [i] : []));
    const want = runPython<Record<string, { bits: number; w: number[] }>>(NUMPY_DEQUANT, { path: `${NEEDLE2_FIXTURES}models/${name}.cact`, indices });
    const widths = new Set<number>();
    for (const i of indices) {
      const t = file.tensors[i]!;
      widths.add(want[String(i)]!.bits);
      assertClose(dequant(file, t), want[String(i)]!.w, 1e-6, `${name} ${t.name}`);
    }
    if (name === "tiny_b") assert.equal([...widths].sort(), [2, 3, 4, 5]);
  });
}

test.run();
