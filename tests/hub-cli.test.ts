// The CLI's hub commands (dist/cli.js in child processes) against the local
// hub (tests/hub/server.ts): run --model downloads, converts and answers,
// and the second run makes no request; pull, cache list / remove, inspect
// --model; two pull processes at once download the model once; failures
// exit 1 with the error's code; the terminal progress line.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { withDownloadProgress } from "../lib/cli/hub-progress.ts";
import { Needle } from "../lib/index.ts";
import { TOKENIZER, WEIGHTS } from "./runtimes/cases.ts";
import { startHub, type HubServer } from "./hub/server.ts";
import { CHECKPOINT_BYTES, NEEDLE2_REPO, OTHER_REPO, PUBLIC_REPO, testRepos } from "./hub/repos.ts";
import { readNeedle2Golden } from "./needle2-helpers.ts";

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const QUERY = "What's the weather in Paris?";
const TOOLS = '[{"name":"get_weather","description":"Get current weather.","parameters":{"location":{"type":"string","required":true}}}]';
let hub: HubServer;
const dirs: string[] = [];

interface Outcome {
  code: number | null;
  stdout: string;
  stderr: string;
}

function cacheDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "needle-hub-cli-"));
  dirs.push(dir);
  return dir;
}

function cli(args: readonly string[], cache: string, env: Record<string, string> = {}): Promise<Outcome> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, NEEDLE_DEBUG: "", HF_ENDPOINT: hub.url, NEEDLE_WASM_CACHE: cache, HF_TOKEN: "", HF_HUB_OFFLINE: "", ...env } });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

function ok(outcome: Outcome, what: string): Outcome {
  assert.is(outcome.code, 0, `${what}: exit ${outcome.code}\n${outcome.stderr}`);
  return outcome;
}

test.before(async () => {
  hub = await startHub(testRepos());
});

test.before.each(() => {
  hub.requests.length = 0;
  hub.faults.slow.clear();
});

test.after(async () => {
  await hub.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

test("run --model: downloads, verifies, converts and answers as the checkpoint does; the second run starts from the cache with no request", async () => {
  const cache = cacheDir();
  const args = ["run", "--model", PUBLIC_REPO, "--dtype", "f32", "--query", QUERY, "--tools", TOOLS, "--json"];
  const first = ok(await cli(args, cache), "first run");
  const direct = await Needle.load({ weights: WEIGHTS, tokenizer: TOKENIZER });
  const expected = await direct.call(QUERY, TOOLS);
  direct.dispose();
  const result = JSON.parse(first.stdout);
  assert.equal(result.tokens, expected.tokens);
  assert.is(result.text, expected.text);
  assert.match(first.stderr, /downloaded needle\.pkl \(\d+\.\d MB\)/);
  assert.ok(hub.count("/needle.pkl") >= 1);
  hub.requests.length = 0;
  const second = ok(await cli(args, cache), "second run");
  assert.equal(JSON.parse(second.stdout), result);
  assert.equal(hub.requests, [], "the second run made no request");
  assert.not.match(second.stderr, /downloaded/);
});

test("pull, cache list, inspect --model, cache remove", async () => {
  const cache = cacheDir();
  const pulled = JSON.parse(ok(await cli(["pull", PUBLIC_REPO, "--dtype", "int4", "--json"], cache), "pull").stdout);
  assert.is(pulled.commit, hub.commit(PUBLIC_REPO));
  assert.is(pulled.bundle.dtype, "int4");
  assert.ok(existsSync(pulled.bundle.path));
  const again = ok(await cli(["pull", PUBLIC_REPO, "--dtype", "int4"], cache), "pull again");
  assert.match(again.stdout, /^up to date: test-org\/needle-tiny@main \(commit [0-9a-f]{40}\)/);
  assert.is(hub.count("/needle.pkl"), 2, "the second pull asked for the file list only");

  const listing = JSON.parse(ok(await cli(["cache", "list", "--json"], cache), "cache list").stdout);
  assert.is(listing.root, cache);
  const [model] = listing.models;
  assert.is(model.repo, PUBLIC_REPO);
  assert.equal(model.commits[0].revisions, ["main"]);
  assert.equal(model.commits[0].files.map((f: { path: string }) => f.path), ["needle.pkl", "tokenizer/needle.model"]);
  assert.is(model.commits[0].files[0].bytes, CHECKPOINT_BYTES.length);
  assert.equal(model.commits[0].bundles.map((b: { dtype: string }) => b.dtype), ["int4"]);
  assert.match(ok(await cli(["cache", "list"], cache), "cache list text").stdout, /test-org\/needle-tiny\s+[\d,]+ bytes\n\s+[0-9a-f]{12}\s+main/);

  const inspected = JSON.parse(ok(await cli(["inspect", "--model", PUBLIC_REPO, "--json"], cache), "inspect --model").stdout);
  assert.is(inspected.meta.source.commit, hub.commit(PUBLIC_REPO));
  assert.is(inspected.meta.source.repo, PUBLIC_REPO);
  assert.is(inspected.meta.source.endpoint, hub.url);

  assert.match(ok(await cli(["cache", "remove", PUBLIC_REPO], cache), "cache remove").stdout, /^removed test-org\/needle-tiny: [\d,]+ bytes freed/);
  assert.not.ok(existsSync(join(cache, "models", "test-org--needle-tiny")));
  const gone = await cli(["cache", "remove", PUBLIC_REPO], cache);
  assert.is(gone.code, 1);
  assert.match(gone.stderr, /NOT_FOUND: test-org\/needle-tiny is not in the cache/);
});

test("a Needle 2 repo: pull caches the .cact as it is, run --model answers from it, inspect --model describes it", async () => {
  const cache = cacheDir();
  const pulled = ok(await cli(["pull", NEEDLE2_REPO], cache), "pull");
  assert.match(pulled.stdout, /weights: needle2\.cact \(a \.cact, loaded as it is\)/);
  const c = readNeedle2Golden("tiny_a").cases[0]!;
  const run = JSON.parse(ok(await cli(["run", "--model", NEEDLE2_REPO, "--query", c.prompt.query!, "--tools", JSON.stringify(c.prompt.tools), "--max-tokens", "32", "--dtype", "f32", "--no-constrain", "--json"], cache, { HF_HUB_OFFLINE: "1" }), "run offline").stdout);
  assert.equal(run.tokens, c.greedy_ids);
  const inspected = JSON.parse(ok(await cli(["inspect", "--model", NEEDLE2_REPO, "--json"], cache), "inspect --model").stdout);
  assert.is(inspected.kind, "cact");
});

test("two pull processes at once: one downloads, the other waits on the lock and finds the files; both succeed", async () => {
  const cache = cacheDir();
  hub.faults.slow.set("needle.pkl", 60);
  const [a, b] = await Promise.all([cli(["pull", PUBLIC_REPO, "--json"], cache), cli(["pull", PUBLIC_REPO, "--json"], cache)]);
  const origins = [JSON.parse(ok(a, "pull a").stdout), JSON.parse(ok(b, "pull b").stdout)];
  assert.is(hub.requests.filter((r) => r.host === "storage" && r.path.endsWith("needle.pkl")).length, 1, "the checkpoint was downloaded once");
  assert.equal(origins.map((o) => o.cached).sort(), [false, true]);
  assert.is(origins[0].bundle.path, origins[1].bundle.path);
});

test("failures exit 1 with the error's code: an unsupported repo, and offline with an empty cache", async () => {
  const cache = cacheDir();
  const other = await cli(["run", "--model", OTHER_REPO, "--query", QUERY, "--tools", TOOLS], cache);
  assert.is(other.code, 1);
  assert.match(other.stderr, /needle-wasm run: UNSUPPORTED_MODEL: test-org\/bert-tiny is not a model needle-wasm can run/);
  const offline = await cli(["run", "--model", PUBLIC_REPO, "--query", QUERY, "--tools", TOOLS], cache, { HF_HUB_OFFLINE: "1" });
  assert.is(offline.code, 1);
  assert.match(offline.stderr, /OFFLINE_MISSING: offline, and the cache \(.*\) has no revision "main"/);
  const both = await cli(["run", "--model", PUBLIC_REPO, "--weights", WEIGHTS, "--query", QUERY, "--tools", TOOLS], cache);
  assert.is(both.code, 2);
});

test("progress line: on a terminal the file, bytes and percentage are redrawn and the line is left with the final time; in logs one line per download", async () => {
  let clock = 0;
  const now = () => clock;
  const sink = (isTTY: boolean) => ({ isTTY, text: "", write(s: string) { this.text += s; } });
  const source = "http://hub/test/resolve/abc/needle.pkl";
  const tty = sink(true);
  await withDownloadProgress(tty, "loading x/y", async (onProgress) => {
    onProgress({ what: "weights", source, loaded: 2_500_000, total: 10_000_000, cached: false });
    clock += 200;
    await new Promise((resolve) => setTimeout(resolve, 130));
    onProgress({ what: "weights", source, loaded: 10_000_000, total: 10_000_000, cached: false });
    clock += 1000;
  }, now);
  assert.ok(tty.text.startsWith("loading x/y… 0.0 s\r\x1b[Kloading x/y: needle.pkl 2.5/10.0 MB 25 %… 0.2 s"), JSON.stringify(tty.text));
  assert.ok(tty.text.endsWith("\r\x1b[Kloading x/y… 1.2 s\n"), JSON.stringify(tty.text));
  const log = sink(false);
  clock = 0;
  await withDownloadProgress(log, "loading x/y", async (onProgress) => {
    onProgress({ what: "weights", source, loaded: 5_000_000, total: 10_000_000, cached: false });
    clock += 300;
    onProgress({ what: "weights", source, loaded: 10_000_000, total: 10_000_000, cached: false });
    onProgress({ what: "weights", source, loaded: 10_000_000, total: 10_000_000, cached: false });
  }, now);
  assert.is(log.text, "downloaded needle.pkl (10.0 MB) in 0.3 s\n");
});


test("serve --model: pulls once in the main process, the instances load from the cache offline, and the endpoint answers as the checkpoint does", async () => {
  const cache = cacheDir();
  const child = spawn(process.execPath, [CLI, "serve", "--model", PUBLIC_REPO, "--dtype", "f32", "--port", "0", "--instances", "2"], {
    env: { ...process.env, NEEDLE_DEBUG: "", HF_ENDPOINT: hub.url, NEEDLE_WASM_CACHE: cache, HF_TOKEN: "", HF_HUB_OFFLINE: "" },
  });
  let stderr = "";
  const exited = new Promise<number | null>((resolve) => child.on("close", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stderr.setEncoding("utf8").on("data", (s: string) => {
      stderr += s;
      const m = /listening on (http:\/\/\S+)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.on("close", (code) => reject(new Error(`serve exited ${code} before listening:\n${stderr}`)));
  });
  try {
    const requestsAfterStart = hub.requests.length;
    assert.is(hub.requests.filter((r) => r.host === "storage").length, 1, "the checkpoint is downloaded once, not once per instance");
    assert.is(hub.requests.filter((r) => r.path.includes("/api/models/")).length, 1, "the file list is read once");
    const tools = JSON.parse(TOOLS).map((t: { name: string; description: string; parameters: Record<string, { type: string; required?: boolean }> }) => ({
      type: "function",
      function: { name: t.name, description: t.description, parameters: { type: "object", properties: { location: { type: "string" } }, required: ["location"] } },
    }));
    const response = await fetch(`${url}/v1/chat/completions`, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ model: PUBLIC_REPO, messages: [{ role: "user", content: QUERY }], tools }) });
    assert.is(response.status, 200);
    const body = await response.json() as { model: string; choices: { message: { tool_calls?: { function: { name: string; arguments: string } }[] } }[] };
    const direct = await Needle.load({ weights: WEIGHTS, tokenizer: TOKENIZER });
    const expected = await direct.call(QUERY, tools);
    direct.dispose();
    const calls = (body.choices[0]!.message.tool_calls ?? []).map((c) => ({ name: c.function.name, arguments: JSON.parse(c.function.arguments) }));
    assert.equal(calls, expected.calls);
    assert.is(body.model, PUBLIC_REPO);
    assert.is(hub.requests.length, requestsAfterStart, "answering makes no hub request");
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
});

test.run();
