// The made-up repos the local hub serves in the hub tests: the tiny fixture
// checkpoint and the test tokenizer under Needle 1's layout (public, and
// gated behind a token), a Needle 2 repo (the fixture tiny_a.cact), one with
// two .cact files, and a repo of another model.

import { readFileSync } from "node:fs";
import { TOKENIZER, WEIGHTS } from "../runtimes/cases.ts";
import { readNeedle2Model } from "../needle2-helpers.ts";
import type { RepoSpec } from "./server.ts";

export const CHECKPOINT_BYTES = readFileSync(WEIGHTS);
export const TOKENIZER_BYTES = readFileSync(TOKENIZER);
export const PUBLIC_REPO = "test-org/needle-tiny";
export const GATED_REPO = "test-org/needle-gated";
export const NEEDLE2_REPO = "test-org/needle2-tiny";
export const NEEDLE2_TWO_REPO = "test-org/needle2-two";
export const CACT_BYTES = readNeedle2Model("tiny_a");
export const OTHER_REPO = "test-org/bert-tiny";
export const GATED_TOKEN = "hf_test_token_0123456789";

const text = (s: string) => new TextEncoder().encode(s);

export function testRepos(): Record<string, RepoSpec> {
  const needle1 = { "needle.pkl": CHECKPOINT_BYTES, "tokenizer/needle.model": TOKENIZER_BYTES, "README.md": text("# tiny\n"), ".gitattributes": text("*.pkl filter=lfs\n") };
  return {
    // The tokenizer as a plain git file (200 with an ETag), the checkpoint in LFS (302 to storage).
    [PUBLIC_REPO]: { files: needle1, lfs: ["needle.pkl"] },
    [GATED_REPO]: { files: needle1, lfs: ["needle.pkl", "tokenizer/needle.model"], token: GATED_TOKEN },
    [NEEDLE2_REPO]: { files: { "needle2.cact": CACT_BYTES, "config.json": text("{}") }, lfs: ["needle2.cact"] },
    [NEEDLE2_TWO_REPO]: { files: { "a.cact": CACT_BYTES, "b.cact": CACT_BYTES }, lfs: ["a.cact", "b.cact"] },
    [OTHER_REPO]: { files: { "config.json": text('{"model_type":"bert"}'), "model.safetensors": new Uint8Array(4096) }, lfs: ["model.safetensors"] },
  };
}
