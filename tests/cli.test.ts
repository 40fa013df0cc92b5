// The needle-wasm CLI (dist/cli.js) end to end in child processes, on the
// tiny fixture checkpoint and the fixture tokenizer: run (JSON, text,
// stream, tools from file and stdin), convert and .needle bundles in every
// command, inspect, conformance, help, and the exit codes of usage errors and
// failures. Plus the argument parser and output helpers in-process.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { basename, join } from "node:path";
import { fileURLToPath } from "node:url";
import { UsageError, parseArgs } from "../lib/cli/args.ts";
import { formatResult, toJson } from "../lib/cli/output.ts";
import { SLOW_STEP_MS, withProgress } from "../lib/cli/progress.ts";
import { Needle, convertToBundle, readBundle, type CallResult, type WeightDtype } from "../lib/index.ts";
import { FIXTURES, readFixtureJson } from "./helpers.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const CLI = join(ROOT, "dist/cli.js");
const WEIGHTS = `${FIXTURES}tiny/needle_tiny.p4_numpy1.pkl`;
const TOKENIZER = `${FIXTURES}tokenizer/needle_test.model`;
const MODEL = ["--weights", WEIGHTS, "--tokenizer", TOKENIZER];
const goldens = readFixtureJson("tiny/model_goldens.json");
const cases: any[] = goldens.cases;
const byId = (id: string) => cases.find((c) => c.id === id)!;
/** The parse error of the fixture's outputs, none of which starts like JSON. */
const INVALID_AT_START = "output is not valid JSON: Expecting value: line 1 column 1 (char 0)";
const scratch = mkdtempSync(join(tmpdir(), "needle-cli-"));
test.after(() => rmSync(scratch, { recursive: true, force: true }));

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Run `node dist/cli.js …args`, optionally with stdin text and extra environment. */
function cli(args: readonly string[], options: { input?: string; env?: Record<string, string> } = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, NEEDLE_DEBUG: "", ...options.env } });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}

/** Run several CLI invocations, a few at a time. */
async function cliAll(argsList: readonly (readonly string[])[]): Promise<Outcome[]> {
  const results: Outcome[] = new Array(argsList.length);
  let next = 0;
  const worker = async () => {
    while (next < argsList.length) {
      const i = next++;
      results[i] = await cli(argsList[i]!);
    }
  };
  await Promise.all([worker(), worker(), worker()]);
  return results;
}

/** stderr's lines without the "loading weights… 1.2 s" (or "converting…") line a slow (busy) machine adds. */
function withoutProgress(stderr: string): string[] {
  return stderr.trimEnd().split("\n").filter((line) => !/^(loading weights|converting)… \d+\.\d s$/.test(line));
}

function ok(outcome: Outcome, what: string): string {
  assert.is(outcome.code, 0, `${what}: exit code (stderr: ${outcome.stderr})`);
  return outcome.stdout;
}

/** The newest modification time of the TypeScript sources the CLI bundles. */
function newestSource(): number {
  let newest = 0;
  for (const dir of ["lib", "tokenizer"]) {
    for (const name of readdirSync(join(ROOT, dir))) {
      if (name.endsWith(".ts")) newest = Math.max(newest, statSync(join(ROOT, dir, name)).mtimeMs);
    }
  }
  return newest;
}

// dist/cli.js comes from `npm run build`; rebuild it here when it is missing or older than its sources.
const built = existsSync(CLI) ? statSync(CLI).mtimeMs : 0;
if (built < newestSource()) execFileSync("npm", ["run", "--silent", "build:cli"], { cwd: ROOT, stdio: "ignore" });

function writeVectors(name: string, examples: unknown[]): string {
  const path = join(scratch, name);
  writeFileSync(path, JSON.stringify({ examples }));
  return path;
}

/** The fixture's constrained runs in the conformance-vectors format (runs cut short by max_gen_len left out). */
function goldenVectors() {
  return cases
    .filter((c) => c.constrained.max_gen_len === 512)
    .map((c) => ({ query: c.query, tools: c.tools, expected_token_ids: c.constrained.ids, expected_text: c.constrained.text }));
}

// ---------------------------------------------------------------- run

/** Cases that stop on EOS after 1 and 9 tokens, one cut at 74 tokens and one that runs to 511. */
const RUN_CASES = ["multilingual", "camel_multi", "numbers_nested", "readme_weather"].map(byId);

for (const mode of ["constrained", "unconstrained"] as const) {
  test(`run --json gives the golden tokens, text and finish reason of ${mode} fixture runs`, async () => {
    const flags = mode === "unconstrained" ? ["--no-constrain"] : ["--constrained", "reference"];
    const outcomes = await cliAll(RUN_CASES.map((c) => ["run", ...MODEL, "--query", c.query, "--tools", c.tools, "--json", ...flags, "--max-tokens", String(c[mode].max_gen_len - 1)]));
    for (const [i, c] of RUN_CASES.entries()) {
      const run = c[mode];
      const stdout = ok(outcomes[i]!, c.id);
      assert.is(stdout.trimEnd().split("\n").length, 1, `${c.id}: one JSON document on one line`);
      const result = JSON.parse(stdout);
      assert.equal(result.tokens, run.ids, `${c.id}: tokens`);
      assert.is(result.text, run.text, `${c.id}: text`);
      assert.is(result.finishReason, run.stopped_on_eos ? "stop" : "length", `${c.id}: finishReason`);
      assert.equal(result.calls, [], `${c.id}: calls`);
      assert.is(result.error.code, "INVALID_JSON", `${c.id}: error`);
      assert.equal(Object.keys(result), ["calls", "text", "tokens", "finishReason", "error"]);
    }
  });
}

test("run --prefix reproduces the fixture's forced (constrained) runs, and with --no-constrain the library's unconstrained ones", async () => {
  const camel = byId("camel_multi");
  const nested = byId("numbers_nested");
  const forced = [{ c: camel, f: camel.forced[1] }, { c: camel, f: camel.forced[2] }, { c: nested, f: nested.forced[0] }];
  const nameOnly = camel.forced[0];
  const outcomes = await cliAll([
    ...forced.map(({ c, f }) => ["run", ...MODEL, "--query", c.query, "--tools", c.tools, "--json", "--prefix", f.forced_text, "--max-tokens", String(f.max_gen_len - 1)]),
    ["run", ...MODEL, "--query", camel.query, "--tools", camel.tools, "--json", "--prefix", nameOnly.forced_text, "--max-tokens", "39", "--no-constrain"],
  ]);
  for (const [i, { c, f }] of forced.entries()) {
    const result = JSON.parse(ok(outcomes[i]!, `${c.id} forced`));
    assert.equal(result.tokens, f.ids, `${c.id} ${f.forced_text}`);
    assert.is(result.text, f.text);
  }
  const needle = await Needle.load({ weights: WEIGHTS, tokenizer: TOKENIZER });
  const expected = await needle.call(camel.query, camel.tools, { constrained: false, prefix: nameOnly.forced_text, maxTokens: 39 });
  const unconstrained = JSON.parse(ok(outcomes[forced.length]!, "--no-constrain --prefix"));
  assert.equal(unconstrained.tokens, expected.tokens);
  assert.not.equal(unconstrained.tokens, nameOnly.ids);
});

test("run --constrained reference --tool-choice NAME forces the reference's prefix of a call of that tool", async () => {
  const camel = byId("camel_multi");
  const [choice, prefix] = (await cliAll([
    ["run", ...MODEL, "--query", camel.query, "--tools", camel.tools, "--json", "--constrained", "reference", "--tool-choice", "toggleLights", "--max-tokens", "39"],
    ["run", ...MODEL, "--query", camel.query, "--tools", camel.tools, "--json", "--constrained", "reference", "--prefix", '[{"name":"toggle_lights","arguments":{', "--max-tokens", "39"],
  ])).map((o) => JSON.parse(ok(o, "tool choice")));
  assert.ok(choice.text.startsWith(' [{"name":"toggleLights","arguments":{'), choice.text);
  assert.equal(choice.tokens, prefix.tokens);
});

test("run decodes with the schema grammar by default; --tool-choice required / none / NAME: answers that parse, with confidences", async () => {
  const camel = byId("camel_multi");
  const [byDefault, required, none, named] = (await cliAll([
    ["run", ...MODEL, "--query", camel.query, "--tools", camel.tools, "--json", "--tool-choice", "required", "--max-tokens", "120"],
    ["run", ...MODEL, "--query", camel.query, "--tools", camel.tools, "--json", "--constrained", "schema", "--tool-choice", "required", "--max-tokens", "120"],
    ["run", ...MODEL, "--query", camel.query, "--tools", camel.tools, "--json", "--constrained", "schema", "--tool-choice", "none"],
    ["run", ...MODEL, "--query", camel.query, "--tools", camel.tools, "--json", "--constrained", "schema", "--tool-choice", "toggleLights", "--max-tokens", "120"],
  ])).map((o) => JSON.parse(ok(o, "schema run")));
  assert.equal(byDefault, required, "the default is --constrained schema");
  assert.ok(required.calls.length >= 1, required.text);
  assert.is(required.error, undefined);
  for (const call of required.calls) assert.ok(call.confidence >= 0 && call.confidence <= 1);
  assert.is(required.noCallConfidence, 0);
  assert.equal(none.calls, []);
  assert.is(none.noCallConfidence, 1);
  assert.is(named.calls.length, 1, named.text);
  assert.is(named.calls[0].name, "toggleLights");
  const bad = await cli(["run", ...MODEL, "--query", "x", "--tools", camel.tools, "--constrained", "json"]);
  assert.is(bad.code, 2);
});

test("run prints a readable 'no call' with the reason and the text when the output is not a list of calls", async () => {
  const email = byId("readme_email");
  const stdout = ok(await cli(["run", ...MODEL, "--query", email.query, "--tools", email.tools, "--constrained", "reference"]), "run");
  assert.is(
    stdout,
    `no call: the output is not a list of calls (INVALID_JSON: ${INVALID_AT_START})\ntext: ${JSON.stringify(email.constrained.text)}\n`,
  );
});

test("run notes in the text output that generation stopped at --max-tokens", async () => {
  const weather = byId("readme_weather");
  const stdout = ok(await cli(["run", ...MODEL, "--query", weather.query, "--tools", weather.tools, "--constrained", "reference", "--max-tokens", "3"]), "run");
  assert.ok(stdout.endsWith("\n(stopped at the token limit after 3 tokens)\n"), stdout);
});

test("run --stream writes the text deltas, then a newline and the calls", async () => {
  const camel = byId("camel_multi");
  const stdout = ok(await cli(["run", ...MODEL, "--query", camel.query, "--tools", camel.tools, "--constrained", "reference", "--stream"]), "stream");
  const streamed = camel.constrained.raw_text.replace(/^<tool_call>/, "");
  assert.is(stdout, `${streamed}\nno call: the output is not a list of calls (INVALID_JSON: ${INVALID_AT_START})\n`);
});

test("run --stream --json writes one JSON line per token, then the result line", async () => {
  const camel = byId("camel_multi");
  const streamed = await cli(["run", ...MODEL, "--query", camel.query, "--tools", camel.tools, "--constrained", "reference", "--stream", "--json"]);
  const events = ok(streamed, "stream json").trimEnd().split("\n").map((line) => JSON.parse(line));
  const last = events.pop();
  assert.equal(events.map((e) => e.type), new Array(camel.constrained.ids.length).fill("token"));
  assert.equal(events.map((e) => e.token), camel.constrained.ids);
  assert.is(events.map((e) => e.text).join(""), camel.constrained.raw_text);
  assert.equal(last, {
    type: "result",
    result: { calls: [], text: camel.constrained.text, tokens: camel.constrained.ids, finishReason: "stop", error: { code: "INVALID_JSON", message: INVALID_AT_START } },
  });
});

test("run reads --tools from a JSON file and from stdin (-)", async () => {
  const camel = byId("camel_multi");
  const file = join(scratch, "tools.json");
  writeFileSync(file, camel.tools);
  const base = ["run", ...MODEL, "--query", camel.query, "--json", "--constrained", "reference", "--max-tokens", "5"];
  const [fromFile, fromStdin] = await Promise.all([cli([...base, "--tools", file]), cli([...base, "--tools", "-"], { input: camel.tools })]);
  assert.equal(JSON.parse(ok(fromFile!, "file")).tokens, camel.constrained.ids.slice(0, 5));
  assert.is(ok(fromStdin!, "stdin"), fromFile!.stdout);
});

// ---------------------------------------------------------------- inspect

test("inspect --json of checkpoints (protocols 2 and 5, numpy 1 and 2): config stored and effective, defaults, tensors, parameter count", async () => {
  const variants = ["needle_tiny.p2_numpy1.pkl", "needle_tiny.p5_numpy2.pkl"];
  const outcomes = await cliAll(variants.map((file: string) => ["inspect", "--json", `${FIXTURES}tiny/${file}`]));
  const tree = Object.entries(goldens.param_tree as Record<string, [number[], string]>);
  const parameters = tree.reduce((sum, [, [shape]]) => sum + shape.reduce((n, d) => n * d, 1), 0);
  for (const [i, file] of variants.entries()) {
    const report = JSON.parse(ok(outcomes[i]!, file));
    const golden = goldens.checkpoints.find((c: any) => c.file === file);
    assert.is(report.kind, "checkpoint");
    assert.is(report.file, file);
    assert.is(report.bytes, golden.bytes);
    assert.is(report.pickleProtocol, Number(file.match(/\.p(\d)_/)![1]));
    assert.equal(report.storedConfig, goldens.stored_config);
    assert.equal(report.config, goldens.effective_config);
    assert.equal(report.defaults, ["vocab_size", "pad_token_id", "rope_theta", "num_memory_slots", "dropout_rate"]);
    assert.equal(report.ignored, []);
    assert.equal(report.tensors, tree.map(([name, [shape, dtype]]) => ({ name, shape, dtype, bytes: 2 * shape.reduce((n, d) => n * d, 1) })));
    assert.is(report.parameters, parameters);
    assert.is(report.tensorBytes, 2 * parameters);
  }
});

test("inspect prints a checkpoint's config with defaults marked and every tensor with shape, dtype and bytes", async () => {
  const lines = ok(await cli(["inspect", WEIGHTS]), "inspect").split("\n");
  const tree = Object.entries(goldens.param_tree as Record<string, [number[], string]>);
  assert.is(lines[0], "needle_tiny.p4_numpy1.pkl: Needle checkpoint, pickle protocol 4, 1,202,487 bytes");
  assert.is(lines[1], `600,279 parameters in ${tree.length} tensors, 1,200,558 bytes`);
  const row = (first: string) => lines.find((line) => line.split(/\s+/)[0] === first)?.split(/\s{2,}/);
  assert.equal(row("config"), ["config", "stored", "effective"]);
  assert.equal(row("vocab_size"), ["vocab_size", "-", "8192", "(default)"]);
  assert.equal(row("rope_theta"), ["rope_theta", "-", "10000", "(default)"]);
  assert.equal(row("d_model"), ["d_model", "64", "64"]);
  assert.equal(row("activation"), ["activation", '"swiglu"', '"swiglu"']);
  for (const [name, [shape, dtype]] of tree) {
    assert.equal(row(name), [name, `[${shape.join(", ")}]`, dtype, (2 * shape.reduce((n, d) => n * d, 1)).toLocaleString("en-US")], name);
  }
  assert.equal(row("total"), ["total", "1,200,558"]);
});

/** What inspect --json reports about the fixture tokenizer, as a file and inside a bundle. */
const TOKENIZER_SUMMARY = {
  bytes: 123149,
  modelType: "BPE",
  vocabSize: 8192,
  specialIds: { pad: 0, eos: 1, bos: 2, unk: 3 },
  userDefined: [{ piece: "<tool_call>", id: 4 }, { piece: "<tools>", id: 5 }],
  bytePieces: 256,
  byteFallback: true,
  treatWhitespaceAsSuffix: false,
  normalizer: { name: "identity", addDummyPrefix: true, removeExtraWhitespaces: true, escapeWhitespaces: true, compiledRulesBytes: 0 },
};

test("inspect recognises a tokenizer by content: vocabulary, special ids, user-defined pieces, normalizer", async () => {
  const copy = join(scratch, "tokenizer.bin");
  writeFileSync(copy, readFileSync(TOKENIZER));
  const [text, json] = await Promise.all([cli(["inspect", copy]), cli(["inspect", TOKENIZER, "--json"])]);
  const lines = ok(text!, "inspect").split("\n");
  assert.is(lines[0], "tokenizer.bin: SentencePiece BPE model, 8,192 pieces, 123,149 bytes");
  for (const expected of [
    "special ids                 pad 0, eos 1, bos 2, unk 3",
    "user-defined                <tool_call> 4, <tools> 5",
    "byte pieces                 256 (ids 6 to 261)",
    "normalizer                  identity",
    "  add_dummy_prefix          true",
    "  remove_extra_whitespaces  true",
    "  compiled rules            none",
  ]) {
    assert.ok(lines.includes(expected), expected);
  }
  assert.equal(JSON.parse(ok(json!, "inspect --json")), { kind: "tokenizer", file: "needle_test.model", ...TOKENIZER_SUMMARY });
});

// ---------------------------------------------------------------- convert and bundles

const DTYPES: readonly WeightDtype[] = ["f32", "f16", "int8", "int4"];
const bundlePath = (dtype: WeightDtype) => join(scratch, `tiny-${dtype}.needle`);
let conversions: Promise<Outcome[]> | undefined;

/** `convert` of the fixture to a bundle of each dtype (--json, but text for int4), once for all the tests that use the bundles. */
function convertAll(): Promise<Outcome[]> {
  conversions ??= cliAll(DTYPES.map((dtype) => ["convert", WEIGHTS, TOKENIZER, "-o", bundlePath(dtype), "--dtype", dtype, ...(dtype === "int4" ? [] : ["--json"])]));
  return conversions;
}

/** The provenance convert records for the fixture files. */
function expectedMeta(dtype: WeightDtype) {
  const input = (path: string) => {
    const bytes = readFileSync(path);
    return { file: basename(path), bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") };
  };
  const version = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version;
  return { converter: `needle-wasm ${version}`, dtype, checkpoint: input(WEIGHTS), tokenizer: input(TOKENIZER) };
}

test("convert writes, for each dtype, the bundle convertToBundle makes with the inputs' provenance in meta, and a summary", async () => {
  const outcomes = await convertAll();
  const bytesIn = statSync(WEIGHTS).size + statSync(TOKENIZER).size;
  const sizes = DTYPES.map((dtype) => statSync(bundlePath(dtype)).size);
  for (const [i, dtype] of DTYPES.entries()) {
    const stdout = ok(outcomes[i]!, `convert ${dtype}`);
    const { header } = readBundle(readFileSync(bundlePath(dtype)));
    const meta = expectedMeta(dtype);
    assert.is(header.dtype, dtype);
    assert.equal(header.meta, meta);
    assert.equal(header.config, goldens.effective_config);
    if (dtype === "int4") continue; // the text summary, below
    const summary = JSON.parse(stdout);
    assert.ok(Number.isInteger(summary.elapsedMs) && summary.elapsedMs >= 0, `${dtype}: elapsedMs ${summary.elapsedMs}`);
    assert.equal({ ...summary, elapsedMs: 0 }, {
      output: bundlePath(dtype), dtype, layout: header.layout, parameters: 600279, inputs: { checkpoint: meta.checkpoint, tokenizer: meta.tokenizer },
      bytesIn, bytesOut: sizes[i], ratio: sizes[i]! / bytesIn, elapsedMs: 0,
    });
  }
  const int4 = readFileSync(bundlePath("int4"));
  const library = await convertToBundle(readFileSync(WEIGHTS), readFileSync(TOKENIZER), { dtype: "int4", meta: expectedMeta("int4") });
  assert.ok(Buffer.from(library).equals(int4), "the CLI's bundle is the library's, byte for byte");
  const lines = outcomes[3]!.stdout.trimEnd().split("\n");
  assert.is(lines[0], `wrote ${bundlePath("int4")}: int4 bundle, 600,279 parameters, engine layout ${readBundle(int4).header.layout}`);
  assert.match(lines[1]!, /^ {2}in {4}1,325,636 bytes +\(needle_tiny\.p4_numpy1\.pkl 1,202,487 \+ needle_test\.model 123,149\)$/);
  assert.match(lines[2]!, new RegExp(`^  out   ${int4.length.toLocaleString("en-US")} bytes +\\(${(int4.length / bytesIn).toFixed(2)}× the input\\)$`));
  assert.match(lines[3]!, /^ {2}took {2}[\d,]+ ms$/);
  assert.is(lines.length, 4);
  assert.ok(sizes[0]! > sizes[1]! && sizes[1]! > sizes[2]! && sizes[2]! > sizes[3]!, `sizes shrink from f32 to int4: ${sizes}`);
  assert.equal(readdirSync(scratch).filter((name) => name.endsWith(".tmp")), [], "no temporary files left");
});

test("convert refuses to replace an existing file, and replaces it with --force", async () => {
  const out = join(scratch, "existing.needle");
  const args = ["convert", WEIGHTS, TOKENIZER, "--output", out, "--dtype", "int4"];
  writeFileSync(out, "not a bundle");
  const refused = await cli(args);
  assert.is(refused.code, 1, refused.stderr);
  assert.equal(withoutProgress(refused.stderr), [`needle-wasm convert: OUTPUT_EXISTS: ${out} exists; pass --force to replace it`]);
  assert.is(readFileSync(out, "utf8"), "not a bundle", "the existing file is untouched");
  ok(await cli([...args, "--force", "--json"]), "convert --force");
  await convertAll();
  assert.ok(readFileSync(out).equals(readFileSync(bundlePath("int4"))), "replaced by the bundle (the same inputs give the same bytes)");
});

test("run --weights BUNDLE needs no --tokenizer: f32 and f16 bundles give the golden run, int8 the run of the .pkl at --dtype int8, int4 a result; another --dtype fails", async () => {
  await convertAll();
  const camel = byId("camel_multi");
  const call = ["--query", camel.query, "--tools", camel.tools, "--json", "--constrained", "reference"];
  const outcomes = await cliAll([
    ...DTYPES.map((dtype) => ["run", "--weights", bundlePath(dtype), ...call]),
    ["run", ...MODEL, "--dtype", "int8", ...call],
    ["run", "--weights", bundlePath("f16"), "--tokenizer", TOKENIZER, "--dtype", "f16", ...call],
    ["run", "--weights", bundlePath("f32"), "--dtype", "int4", ...call],
  ]);
  const mismatch = outcomes.pop()!;
  const [f32, f16, int8, int4, pklInt8, withTokenizer] = outcomes.map((outcome, i) => JSON.parse(ok(outcome, `run #${i}`)));
  const golden = { calls: [], text: camel.constrained.text, tokens: camel.constrained.ids, finishReason: "stop", error: { code: "INVALID_JSON", message: INVALID_AT_START } };
  assert.equal(f32, golden, "f32 bundle");
  assert.equal(f16, golden, "f16 bundle");
  assert.equal(withTokenizer, golden, "f16 bundle with --tokenizer and its own --dtype");
  for (const [dtype, result] of [["int8", int8], ["int4", int4]] as const) {
    assert.ok(Array.isArray(result.calls) && typeof result.text === "string" && ["stop", "length"].includes(result.finishReason), `${dtype}: a result`);
    assert.ok(result.tokens.length > 0 && result.tokens.every((id: number) => Number.isInteger(id) && id >= 0 && id < 8192), `${dtype}: tokens`);
  }
  assert.equal(int8, pklInt8, "the int8 bundle runs as the .pkl loaded with --dtype int8");
  assert.is(mismatch.code, 1, mismatch.stderr);
  assert.equal(withoutProgress(mismatch.stderr), ["needle-wasm run: DTYPE_MISMATCH: the bundle holds f32 weights; convert it again to load int4"]);
});

test("inspect describes a bundle: format, dtype, layout, verified sections, config, meta and its tokenizer", async () => {
  await convertAll();
  const path = bundlePath("int8");
  const bytes = readFileSync(path);
  const { header } = readBundle(bytes);
  const [text, json] = await cliAll([["inspect", path], ["inspect", path, "--json"]]);
  const headerSection = { offset: 24, length: bytes.readUInt32LE(12), crc32: bytes.readUInt32LE(16) };
  assert.equal(JSON.parse(ok(json!, "inspect --json")), {
    kind: "bundle", file: "tiny-int8.needle", bytes: bytes.length, formatVersion: 1, dtype: "int8", layout: header.layout, parameters: 600279,
    sections: { header: headerSection, tokenizer: header.tokenizer, weights: header.weights }, checksumsVerified: true,
    config: goldens.effective_config, meta: expectedMeta("int8"), tokenizer: TOKENIZER_SUMMARY,
  });
  const lines = ok(text!, "inspect").split("\n");
  const group = (n: number) => n.toLocaleString("en-US");
  const hex = (n: number) => `0x${n.toString(16).padStart(8, "0")}`;
  assert.is(lines[0], `tiny-int8.needle: Needle bundle (format 1), int8 weights for engine layout ${header.layout}, ${group(bytes.length)} bytes`);
  assert.is(lines[1], "600,279 parameters; header, tokenizer and weights checksums verified");
  const row = (first: string) => lines.find((line) => line.trim().split(/\s+/)[0] === first)?.trim().split(/\s{2,}/);
  assert.equal(row("section"), ["section", "offset", "bytes", "crc32"]);
  for (const [name, s] of [["header", headerSection], ["weights", header.weights]] as const) assert.equal(row(name), [name, group(s.offset), group(s.length), hex(s.crc32)]);
  assert.equal(row("d_model"), ["d_model", "64"]);
  assert.equal(row("converter"), ["converter", JSON.stringify(expectedMeta("int8").converter)]);
  assert.ok(lines.includes("tokenizer: SentencePiece BPE model, 8,192 pieces, 123,149 bytes"), text!.stdout);
  assert.ok(lines.includes("  user-defined                <tool_call> 4, <tools> 5"), text!.stdout);
});

test("a corrupt bundle fails with exit 1 and the bundle's CORRUPT error, in run and inspect", async () => {
  await convertAll();
  const bytes = readFileSync(bundlePath("int8"));
  const { header } = readBundle(bytes);
  const flipped = (at: number) => {
    const copy = Buffer.from(bytes);
    copy[at]! ^= 0x01;
    return copy;
  };
  const corruptWeights = join(scratch, "corrupt-weights.needle");
  const corruptTokenizer = join(scratch, "corrupt-tokenizer.needle");
  writeFileSync(corruptWeights, flipped(header.weights.offset + (header.weights.length >> 1)));
  writeFileSync(corruptTokenizer, flipped(header.tokenizer.offset + 100));
  const failures: [string[], string][] = [
    [["run", "--weights", corruptWeights, "--query", "q", "--tools", "[]"], "needle-wasm run: CORRUPT: bundle: weights section checksum mismatch"],
    [["inspect", corruptTokenizer, "--json"], "needle-wasm inspect: CORRUPT: bundle: tokenizer section checksum mismatch"],
  ];
  const outcomes = await cliAll(failures.map(([args]) => args));
  for (const [i, [, message]] of failures.entries()) {
    const { code, stdout, stderr } = outcomes[i]!;
    assert.is(code, 1, `${message}: exit code (${stderr})`);
    assert.is(stdout, "", message);
    const lines = withoutProgress(stderr);
    assert.is(lines.length, 1, `one line: ${stderr}`);
    assert.ok(lines[0]!.startsWith(message), `${message}: ${stderr}`);
  }
});

// ---------------------------------------------------------------- conformance

test("conformance on vectors made from the fixture's constrained runs reports 100% for ids and text", async () => {
  const vectors = writeVectors("golden.json", goldenVectors());
  const [text, json] = await cliAll([
    ["conformance", "--vectors", vectors, ...MODEL],
    ["conformance", "--vectors", vectors, ...MODEL, "--json", "--limit", "3"],
  ]);
  const n = goldenVectors().length;
  assert.is(ok(text!, "conformance"), `${n} cases from ${vectors}, constrained\ntoken ids  ${n}/${n}  100.00%\ntext       ${n}/${n}  100.00%\n`);
  assert.equal(JSON.parse(ok(json!, "conformance --json")), {
    vectors, constrained: true, cases: 3, tokenMatches: 3, textMatches: 3, tokenRate: 1, textRate: 1, mismatches: [],
  });
});

test("conformance runs an f16 bundle, without --tokenizer, at 100% on the fixture's constrained runs", async () => {
  await convertAll();
  const vectors = writeVectors("golden-bundle.json", goldenVectors());
  const n = goldenVectors().length;
  const stdout = ok(await cli(["conformance", "--vectors", vectors, "--weights", bundlePath("f16")]), "conformance");
  assert.is(stdout, `${n} cases from ${vectors}, constrained\ntoken ids  ${n}/${n}  100.00%\ntext       ${n}/${n}  100.00%\n`);
});

test("conformance reports the rates and the first mismatches of an altered vectors file", async () => {
  const examples = goldenVectors();
  examples[0]!.expected_token_ids = examples[0]!.expected_token_ids.map((id: number, i: number) => (i === 5 ? id + 1 : id));
  examples[2]!.expected_text = examples[2]!.expected_text.slice(0, 30) + "X" + examples[2]!.expected_text.slice(31);
  examples[3]!.tools = "not json";
  const vectors = writeVectors("altered.json", examples);
  const n = 4;
  const [text, json] = await cliAll([
    ["conformance", "--vectors", vectors, ...MODEL, "--limit", String(n)],
    ["conformance", "--vectors", vectors, ...MODEL, "--json", "--limit", String(n)],
  ]);
  const lines = ok(text!, "conformance").split("\n");
  assert.equal(lines.slice(0, 3), [`4 cases from ${vectors}, constrained`, "token ids  2/4  50.00%", "text       2/4  50.00%"]);
  assert.ok(lines.includes("first mismatches (3 of 3):"), text!.stdout);
  const weather = examples[0]!.expected_token_ids;
  assert.ok(lines.includes(`    token ids differ at position 5: expected ${weather[5]}, got ${weather[5] - 1}`), text!.stdout);
  assert.ok(lines.includes("    text differs at character 30:"), text!.stdout);
  assert.ok(lines.some((line) => line.startsWith("    error BAD_TOOLS_JSON: ")), text!.stdout);

  const report = JSON.parse(ok(json!, "conformance --json"));
  assert.equal([report.tokenMatches, report.textMatches, report.cases], [n - 2, n - 2, n]);
  const [first, second, third] = report.mismatches;
  assert.equal(first, {
    index: 0, query: examples[0]!.query, expectedText: examples[0]!.expected_text, gotText: examples[0]!.expected_text,
    tokensMatch: false, textMatch: true, firstDifference: { position: 5, expected: weather[5], got: weather[5] - 1 }, textDifferenceAt: null,
  });
  assert.equal([second.index, second.tokensMatch, second.textMatch, second.firstDifference, second.textDifferenceAt], [2, true, false, null, 30]);
  assert.equal([third.index, third.error.code], [3, "BAD_TOOLS_JSON"]);
});

test("conformance --no-constrain says so in the report", async () => {
  const vectors = writeVectors("one.json", goldenVectors().slice(1, 2));
  const stdout = ok(await cli(["conformance", "--vectors", vectors, ...MODEL, "--no-constrain"]), "conformance");
  assert.ok(stdout.startsWith(`1 cases from ${vectors}, unconstrained\n`), stdout);
});

// ---------------------------------------------------------------- help, version, errors

test("--help, -h and help COMMAND print help on stdout with exit 0; --version prints the package version", async () => {
  const version = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")).version;
  const [help, helpRun, runHelp, inspectHelp, conformanceHelp, lateHelp, versionOut, convertHelp] = await cliAll([
    ["--help"], ["help", "run"], ["run", "--help"], ["inspect", "-h"], ["conformance", "--help"], ["run", "--frob", "--query", "x", "-h"], ["--version"], ["convert", "-o", "x", "-h"],
  ]);
  const global = ok(help!, "--help");
  assert.ok(global.startsWith("usage: needle-wasm <command> [options]\n"));
  for (const name of ["run", "convert", "inspect", "conformance", "--version", "Exit codes: 0 ok, 1 the command failed, 2 usage error"]) assert.ok(global.includes(name), name);
  const run = ok(runHelp!, "run --help");
  assert.ok(run.startsWith("usage: needle-wasm run --query TEXT --tools JSON|FILE [--weights FILE [--tokenizer FILE] | --model ID] [options]\n"), run);
  for (const option of ["--weights FILE", "--tokenizer FILE", "--dtype f32|f16|int8|int4", "--query TEXT", "--tools JSON|FILE", "--json", "--stream", "--no-constrain", "--max-tokens N", "--prefix TEXT", "--tool-choice NAME", "-h, --help"]) {
    assert.ok(run.includes(`  ${option}`), option);
  }
  assert.ok(run.includes("(1 to 511, default 511)"), run);
  assert.is(ok(helpRun!, "help run"), run);
  assert.is(ok(lateHelp!, "run … -h"), run);
  assert.ok(ok(inspectHelp!, "inspect -h").startsWith("usage: needle-wasm inspect FILE [--json]\n"));
  const conformance = ok(conformanceHelp!, "conformance --help");
  for (const option of ["--vectors FILE", "--weights FILE", "--tokenizer FILE", "--dtype f32|f16|int8|int4", "--limit N", "--no-constrain", "--json"]) assert.ok(conformance.includes(`  ${option}`), option);
  const convert = ok(convertHelp!, "convert -h");
  assert.ok(convert.startsWith("usage: needle-wasm convert CHECKPOINT TOKENIZER -o FILE --dtype f32|f16|int8|int4 [--force] [--json]\n"), convert);
  for (const option of ["-o, --output FILE", "--dtype f32|f16|int8|int4", "--force", "--json"]) assert.ok(convert.includes(`  ${option}`), option);
  assert.is(ok(versionOut!, "--version"), `needle-wasm ${version}\n`);
});

test("usage errors exit 2 with one line on stderr and nothing on stdout", async () => {
  const email = byId("readme_email");
  const run = ["run", ...MODEL, "--query", email.query, "--tools", email.tools];
  const usageErrors: [string[], string][] = [
    [[], "usage: needle-wasm <command> [options]"],
    [["frob"], 'needle-wasm: unknown command "frob" (see needle-wasm --help)'],
    [["--frob"], "needle-wasm: unknown option --frob (see needle-wasm --help)"],
    [["help", "frob"], 'needle-wasm: unknown command "frob"'],
    [[...run, "--frob"], "needle-wasm run: unknown option --frob (see needle-wasm run --help)"],
    [["run", ...MODEL, "--tools", "[]"], "needle-wasm run: --query is required"],
    [["run", ...MODEL, "--query", "q"], "needle-wasm run: --tools is required"],
    [[...run, "--max-tokens"], "needle-wasm run: --max-tokens needs a value (N)"],
    [["run", ...MODEL, "--query", "--tools", "[]"], "needle-wasm run: --query needs a value (TEXT)"],
    [[...run, "--max-tokens", "abc"], 'needle-wasm run: --max-tokens must be a whole number from 1 to 511, got "abc"'],
    [[...run, "--max-tokens", "512"], "--max-tokens must be a whole number from 1 to 511"],
    [[...run, "--max-tokens=-1"], "--max-tokens must be a whole number from 1 to 511"],
    [[...run, "--json=yes"], "needle-wasm run: --json takes no value"],
    [[...run, "--query", "again"], "needle-wasm run: --query is given twice"],
    [[...run, "extra"], 'needle-wasm run: unexpected argument "extra"'],
    [[...run, "--prefix", "[", "--tool-choice", "get_weather"], "needle-wasm run: give either --prefix or --tool-choice, not both"],
    [["inspect"], "needle-wasm inspect: missing argument (usage: needle-wasm inspect FILE [--json])"],
    [["inspect", WEIGHTS, TOKENIZER], "needle-wasm inspect: unexpected argument"],
    [["conformance", ...MODEL], "needle-wasm conformance: --vectors is required"],
    [["conformance", "--vectors", "v.json", ...MODEL, "--limit", "0"], "needle-wasm conformance: --limit must be a whole number of at least 1"],
    [["conformance", "--vectors", "v.json", ...MODEL, "--stream"], "needle-wasm conformance: unknown option --stream"],
    [["run", "--weights", WEIGHTS, "--query", "q", "--tools", "[]"], `needle-wasm run: --tokenizer is required: ${WEIGHTS} is not a .needle bundle (a needle.pkl needs its needle.model; needle-wasm convert makes a bundle that carries it)`],
    [["convert", WEIGHTS, TOKENIZER, "-o", "x.needle"], "needle-wasm convert: --dtype is required: one of f32, f16, int8, int4"],
    [["convert", WEIGHTS, TOKENIZER, "-o", "x.needle", "--dtype", "bf16"], 'needle-wasm convert: --dtype must be one of f32, f16, int8, int4, got "bf16"'],
    [["convert", WEIGHTS, TOKENIZER, "--dtype", "int8"], "needle-wasm convert: --output is required (-o FILE: where to write the bundle)"],
    [["convert", WEIGHTS, TOKENIZER, "--dtype", "int8", "-o", "-"], "needle-wasm convert: -o - is not supported"],
    [["convert", WEIGHTS, "-o", "x.needle", "--dtype", "int8"], "needle-wasm convert: missing argument (usage: needle-wasm convert CHECKPOINT TOKENIZER -o FILE"],
  ];
  const outcomes = await cliAll(usageErrors.map(([args]) => args));
  for (const [i, [args, message]] of usageErrors.entries()) {
    const { code, stdout, stderr } = outcomes[i]!;
    const what = args.slice(-2).join(" ");
    assert.is(code, 2, `${what}: exit code`);
    assert.is(stdout, "", `${what}: stdout`);
    assert.ok(stderr.includes(message), `${what}: ${stderr}`);
    if (args.length > 0) assert.is(stderr.split("\n").length, 2, `${what}: one line: ${stderr}`);
  }
});

test("failures exit 1 with the error's code and message on one stderr line, the stack only with NEEDLE_DEBUG=1", async () => {
  const badVectors = join(scratch, "bad-vectors.json");
  writeFileSync(badVectors, JSON.stringify({ examples: [{ query: "q", tools: [], expected_token_ids: [4], expected_text: "" }] }));
  const failures: [string[], string][] = [
    [["run", "--weights", "/nonexistent/needle.pkl", "--tokenizer", TOKENIZER, "--query", "q", "--tools", "[]"], "needle-wasm run: NOT_FOUND: weights: cannot read /nonexistent/needle.pkl (ENOENT)"],
    [["run", "--weights", TOKENIZER, "--tokenizer", TOKENIZER, "--query", "q", "--tools", "[]"], "needle-wasm run: UNSUPPORTED_PROTOCOL: "],
    [["run", ...MODEL, "--query", "q", "--tools", "/nonexistent/tools.json"], "needle-wasm run: NOT_FOUND: tools: cannot read /nonexistent/tools.json (ENOENT)"],
    [["run", ...MODEL, "--query", "q", "--tools", "[1]"], "needle-wasm run: TOOL_NOT_OBJECT: "],
    [["inspect", "/nonexistent/needle.pkl"], "needle-wasm inspect: NOT_FOUND: file: cannot read /nonexistent/needle.pkl (ENOENT)"],
    [["inspect", `${FIXTURES}README.md`], "needle-wasm inspect: UNKNOWN_FILE_KIND: "],
    [["conformance", "--vectors", "/nonexistent/v.json", ...MODEL], "needle-wasm conformance: NOT_FOUND: vectors: cannot read /nonexistent/v.json"],
    [["conformance", "--vectors", `${FIXTURES}README.md`, ...MODEL], "needle-wasm conformance: BAD_VECTORS: vectors: not JSON"],
    [["conformance", "--vectors", badVectors, ...MODEL], "needle-wasm conformance: BAD_VECTORS: vectors: examples[0].tools must be a string"],
    [["convert", "/nonexistent/needle.pkl", TOKENIZER, "-o", join(scratch, "never.needle"), "--dtype", "f32"], "needle-wasm convert: NOT_FOUND: checkpoint: cannot read /nonexistent/needle.pkl (ENOENT)"],
    [["convert", TOKENIZER, TOKENIZER, "-o", join(scratch, "never.needle"), "--dtype", "f32"], "needle-wasm convert: UNSUPPORTED_PROTOCOL: "],
    [["convert", WEIGHTS, TOKENIZER, "-o", "/nonexistent/dir/x.needle", "--dtype", "f32"], "needle-wasm convert: WRITE_FAILED: output: cannot write to the directory of /nonexistent/dir/x.needle (ENOENT)"],
  ];
  const outcomes = await cliAll(failures.map(([args]) => args));
  for (const [i, [args, message]] of failures.entries()) {
    const { code, stdout, stderr } = outcomes[i]!;
    assert.is(code, 1, `${message}: exit code (${stderr})`);
    assert.is(stdout, "", message);
    const lines = withoutProgress(stderr);
    assert.is(lines.length, 1, `one line: ${stderr}`);
    assert.ok(lines[0]!.startsWith(message), `${message}: ${stderr}`);
    assert.not.match(stderr, /\n\s+at /, args.join(" "));
  }
  assert.not.ok(existsSync(join(scratch, "never.needle")), "a failed convert writes nothing");
  const debug = await cli(failures[0]![0], { env: { NEEDLE_DEBUG: "1" } });
  assert.is(debug.code, 1);
  assert.ok(withoutProgress(debug.stderr)[0]!.startsWith(failures[0]![1]), debug.stderr);
  assert.match(debug.stderr, /\n\s+at /);
});

// ---------------------------------------------------------------- argument parser and output helpers, in-process

test("parseArgs: a short alias takes its value as the long option does and counts as the same option", () => {
  const table = { output: { type: "string", short: "o", help: "" }, json: { type: "boolean", help: "" } } as const;
  assert.equal([...parseArgs(["a", "-o", "x.needle", "b", "--json"], table).options], [["output", "x.needle"], ["json", true]]);
  assert.equal(parseArgs(["a", "-o", "x.needle", "b"], table).positionals, ["a", "b"]);
  assert.equal([...parseArgs(["--output=-o"], table).options], [["output", "-o"]]);
  for (const [argv, message] of [
    [["-o", "a", "--output", "b"], "--output is given twice"],
    [["-o", "--json"], "--output needs a value (VALUE)"],
    [["-o"], "--output needs a value (VALUE)"],
    [["-j"], "unknown option -j"],
    [["-o=x"], "unknown option -o=x"],
  ] as const) {
    assert.throws(() => parseArgs(argv, table), (err: unknown) => err instanceof UsageError && err.message === message, argv.join(" "));
  }
});

function result(fields: Partial<CallResult>): CallResult {
  return { calls: [], toolCalls: [], text: "", tokens: [], finishReason: "stop", steps: 1, ...fields };
}

test("text output: one `name {arguments}` line per call, big integers exact, non-ASCII kept; 'no call' for []", () => {
  const calls = [
    { name: "get_weather", arguments: { location: "Montréal", days: 3 } },
    { name: "sendMessage", arguments: { id: 12345678901234567890n, tags: ["a", null], ratio: 0.5 } },
  ];
  assert.equal(formatResult(result({ calls })), ['get_weather {"location":"Montréal","days":3}', 'sendMessage {"id":12345678901234567890,"tags":["a",null],"ratio":0.5}']);
  assert.equal(formatResult(result({ text: "[]" })), ["no call"]);
  assert.equal(formatResult(result({ text: "[]", tokens: [1, 2], finishReason: "length" })), ["no call", "(stopped at the token limit after 2 tokens)"]);
});

test("toJson writes what JSON.stringify writes, except bigints as digits and non-finite numbers as null", () => {
  const value = { a: [1, "x\n\"", true, null], b: { c: -0.25e-7 }, skipped: undefined, big: -(2n ** 70n), nan: NaN, inf: -Infinity };
  assert.is(toJson(value), '{"a":[1,"x\\n\\"",true,null],"b":{"c":-2.5e-8},"big":-1180591620717411303424,"nan":null,"inf":null}');
  assert.equal(JSON.parse(toJson(value)), { a: [1, "x\n\"", true, null], b: { c: -0.25e-7 }, big: -1180591620717411303424, nan: null, inf: null });
});

test("progress: live on a terminal and left with the final time; elsewhere one line only for a slow step", async () => {
  const sink = (isTTY: boolean) => ({ isTTY, text: "", write(s: string) { this.text += s; } });
  let clock = 0;
  const now = () => clock;
  const tty = sink(true);
  assert.is(await withProgress(tty, "loading weights", async () => ((clock += 1234), 7), now), 7);
  assert.is(tty.text, "loading weights… 0.0 s\r\x1b[Kloading weights… 1.2 s\n");
  const fast = sink(false);
  await withProgress(fast, "loading weights", async () => (clock += SLOW_STEP_MS - 1), now);
  assert.is(fast.text, "");
  const slow = sink(false);
  await withProgress(slow, "loading weights", async () => (clock += SLOW_STEP_MS + 500), now);
  assert.is(slow.text, "loading weights… 1.5 s\n");
  const failed = sink(false);
  await withProgress(failed, "loading weights", async () => { clock += 2000; throw new Error("x"); }, now).catch(() => {});
  assert.is(failed.text, "loading weights… 2.0 s\n");
});

test.run();
