// training/bundle.py's read_bundle (what `train.py --init` starts from)
// inverts what our converter stores: bundles converted from the tiny (no
// feed-forward) and ffn fixtures read back to the checkpoint's own flax
// tensors, as numpy loads them from the pickle. Needs Debian's
// python3-numpy (as CI installs), not torch.

import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { test } from "uvu";
import * as assert from "uvu/assert";
import { convertToBundle } from "../lib/convert.ts";
import { readFixture } from "./helpers.ts";
import { runPython } from "./pickle-helpers.ts";

const TRAINING = fileURLToPath(new URL("../training/", import.meta.url));

/** Per tensor name: the largest |read − checkpoint| and the largest |checkpoint| value. */
type Diffs = { missing: string[]; extra: string[]; diffs: Record<string, { diff: number; scale: number }> };

// Run with pickle-helpers' prelude (numpy as np, load_fixture for numpy 1 and 2 pickles).
const SCRIPT = String.raw`
request = json.load(sys.stdin)
sys.path.insert(0, request["training"])
from bundle import read_bundle
def flatten(tree, prefix=""):
    for k, v in tree.items():
        name = f"{prefix}/{k}" if prefix else k
        if isinstance(v, dict): yield from flatten(v, name)
        else: yield name, np.asarray(v, dtype=np.float64)
want = dict(flatten(load_fixture(request["checkpoint"])["params"]))
want.pop("log_temp", None)  # training only; bundles do not store it
_, _, got = read_bundle(request["bundle"])
got = {k: np.asarray(v, dtype=np.float64) for k, v in got.items()}
result = {"missing": sorted(set(want) - set(got)), "extra": sorted(set(got) - set(want)), "diffs": {}}
for name in sorted(set(want) & set(got)):
    same_shape = got[name].shape == want[name].shape
    result["diffs"][name] = {"diff": float(np.abs(got[name] - want[name]).max()) if same_shape else 1e300,
                             "scale": float(np.abs(want[name]).max())}
`;

/** Convert a fixture checkpoint to a bundle file in a temporary folder and run `use` on its path. */
async function withBundle<T>(file: string, dtype: "f32" | "f16" | "int8", use: (path: string) => T): Promise<T> {
  const bundle = await convertToBundle(readFixture(file), readFixture("tokenizer/needle_test.model"), { dtype });
  const dir = mkdtempSync(join(tmpdir(), "needle-bundle-reader-"));
  try {
    const path = join(dir, `${dtype}.needle`);
    writeFileSync(path, bundle);
    return use(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

for (const [name, file] of [["tiny", "tiny/needle_tiny.p4_numpy1.pkl"], ["ffn", "ffn/needle_ffn.p4_numpy2.pkl"]] as const) {
  for (const dtype of ["f32", "f16"] as const) {
    test(`${name} fixture, ${dtype} bundle: read_bundle gives back every checkpoint tensor`, async () => {
      const request = (path: string) => JSON.stringify({ training: TRAINING, checkpoint: file, bundle: path });
      const result = await withBundle(file, dtype, (path) => runPython(SCRIPT, request(path)).result as Diffs);
      assert.equal(result.missing, [], "tensors read_bundle left out");
      assert.equal(result.extra, [], "tensors the checkpoint does not have");
      assert.ok(Object.keys(result.diffs).length > 20);
      if (name === "ffn") assert.ok(Object.keys(result.diffs).some((n) => n.endsWith("FeedForward_0/down_proj/kernel")));
      for (const [tensor, { diff, scale }] of Object.entries(result.diffs)) {
        // The fixtures hold float16 values, which f32 and f16 images store exactly; norm gains
        // (1 + scale) and gates (sigmoid) pass through float32 arithmetic on the way in and out.
        const exact = !tensor.endsWith("/scale") && !tensor.endsWith("gate");
        const tolerance = exact ? 0 : 1e-5 * Math.max(1, scale);
        assert.ok(diff <= tolerance, `${tensor}: |read − checkpoint| = ${diff} (max |value| ${scale})`);
      }
    });
  }
}

const REFUSAL_SCRIPT = String.raw`
request = json.load(sys.stdin)
sys.path.insert(0, request["training"])
from bundle import read_bundle
try:
    read_bundle(request["bundle"])
    result = None
except ValueError as e:
    result = str(e)
`;

test("read_bundle refuses an int8 bundle with a clear error", async () => {
  const request = (path: string) => JSON.stringify({ training: TRAINING, bundle: path });
  const error = await withBundle("tiny/needle_tiny.p4_numpy1.pkl", "int8", (path) => runPython(REFUSAL_SCRIPT, request(path)).result as string | null);
  assert.ok(error && error.includes("int8") && error.includes("f16 or f32"), String(error));
});

test.run();
