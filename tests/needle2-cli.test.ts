// The CLI (dist/cli.js, in child processes) on a Needle 2 .cact: run gives
// the golden greedy ids (with --system), inspect describes the file, and
// conformance against the fixture goldens reports every case matching.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { NEEDLE2_FIXTURES, readNeedle2Golden } from "./needle2-helpers.ts";

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const MODEL = `${NEEDLE2_FIXTURES}models/tiny_a.cact`;

function cli(args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [CLI, ...args], { encoding: "utf8", env: { ...process.env, NEEDLE_DEBUG: "" } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test("run --json on a .cact gives the golden greedy ids; --system goes into the prompt", () => {
  const golden = readNeedle2Golden("tiny_a");
  const c = golden.cases.find((x) => x.prompt.system !== undefined)!;
  const steps = String(golden.settings.max_new_tokens);
  const r = cli(["run", "--weights", MODEL, "--query", c.prompt.query!, "--tools", JSON.stringify(c.prompt.tools), "--system", c.prompt.system!, "--max-tokens", steps, "--no-constrain", "--json"]);
  assert.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { tokens: number[]; error: { code: string } };
  assert.equal(out.tokens, c.greedy_ids);
  assert.is(out.error.code, "NO_TOOL_CALL");
  const without = JSON.parse(cli(["run", "--weights", MODEL, "--query", c.prompt.query!, "--tools", JSON.stringify(c.prompt.tools), "--max-tokens", steps, "--no-constrain", "--json"]).stdout) as { tokens: number[] };
  assert.not.equal(without.tokens, c.greedy_ids);
  const refused = cli(["run", "--weights", MODEL, "--query", "q", "--tools", "[]", "--prefix", "["]);
  assert.is(refused.code, 1);
  assert.match(refused.stderr, "NOT_FOR_NEEDLE2");
});

test("inspect --json of a .cact: header, tensors, probe heads, tokenizer", () => {
  const r = cli(["inspect", MODEL, "--json"]);
  assert.is(r.code, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { kind: string; header: { dModel: number }; tensors: unknown[]; probeHeads: string[]; tokenizer: { pieces: number } };
  assert.is(out.kind, "cact");
  assert.is(out.header.dModel, 64);
  assert.equal(out.probeHeads, ["contrastive", "confidence"]);
  assert.is(out.tensors.length, 51);
  assert.is(out.tokenizer.pieces, 512);
});

test("conformance of each fixture .cact against its goldens: every case matches; another file's goldens do not", () => {
  for (const name of ["tiny_a", "tiny_b"]) {
    const r = cli(["conformance", "--vectors", `${NEEDLE2_FIXTURES}goldens/${name}.json`, "--weights", `${NEEDLE2_FIXTURES}models/${name}.cact`, "--json"]);
    assert.is(r.code, 0, r.stderr);
    const out = JSON.parse(r.stdout) as Record<string, number | boolean>;
    assert.equal([out.sha256Matches, out.logitsMatches, out.greedyMatches, out.forcedMatches], [true, 5, 5, 5]);
  }
  const wrong = JSON.parse(cli(["conformance", "--vectors", `${NEEDLE2_FIXTURES}goldens/tiny_a.json`, "--weights", `${NEEDLE2_FIXTURES}models/tiny_b.cact`, "--json"]).stdout) as Record<string, number | boolean>;
  assert.equal([wrong.sha256Matches, wrong.greedyMatches], [false, 0]);
});

test.run();
