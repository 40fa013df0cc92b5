// One build/needle.wasm in five real runtimes: the same end-to-end case
// (tests/runtimes/cases.ts) through the published artifact, dist/, in
//   node      in this process, via the package's own export map
//   deno      tests/runtimes/e2e.mjs run by the deno binary from npm
//   bun       the same script run by the bun binary from npm
//   chromium  Debian's /usr/bin/chromium, driven by playwright-core, on the
//             browser example served from 127.0.0.1 (progress events and the
//             Cache API store checked too)
//   workerd   workerd from npm serving the Worker example on 127.0.0.1
//             (tests/runtimes/workerd.capnp), answering real HTTP POSTs, on
//             the checkpoint (goldens), on an int4 .needle bundle (same
//             answers as Node on that bundle) and, with no model configured,
//             on the demo model the example's build step copies
//             — its OpenAI-compatible routes driven by the openai client
//             and the AI SDK.
// One Needle 2 case in each of the five: the fixture .cact (tiny_a) loaded
// through Needle.load, its golden chat prompts giving the golden greedy ids
// (tests/runtimes/needle2.mjs in Deno and Bun, the page's module in
// Chromium, a fourth Worker service in workerd).
// Each example also runs with no arguments, on the bundled demo model. The
// versions of the runtimes used are printed at the end.
// Every test name and failure message starts with the runtime's name. The
// suite runs after `npm run build`: dist/ and build/ must exist.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, spawnSync } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { fileURLToPath } from "node:url";
import OpenAI from "openai";
import { runtimeBinary } from "./runtimes/bins.ts";
import { bundleWorker } from "./runtimes/worker-bundle.ts";
import { TOKENIZER, WEIGHTS, assertResults, e2eCases, type E2ECase, type E2EResult } from "./runtimes/cases.ts";
import { checkAiSdk, checkOpenAIClient } from "./server-helpers.ts";
import { NEEDLE2_FIXTURES, readNeedle2Golden } from "./needle2-helpers.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const RUNTIMES = `${ROOT}tests/runtimes/`;
const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];

type Api = typeof import("../lib/index.ts");
// The published entry, resolved through package.json "exports" (a package may import itself by name).
const SPECIFIER = "needle-wasm";
const dist: Api = await import(SPECIFIER);
const tokenizer = await dist.Tokenizer.load(TOKENIZER);
const CASES = e2eCases((text) => tokenizer.encode(text));
const durations: Record<string, number> = {};
/** The version of each runtime the suite actually ran, printed at the end. */
const versions: Record<string, string> = { node: process.versions.node };

async function runCases(needle: InstanceType<Api["Needle"]>, cases: E2ECase[]): Promise<E2EResult[]> {
  const results: E2EResult[] = [];
  for (const c of cases) {
    const r = await needle.call(c.query, c.tools as string, c.options);
    results.push({ tokens: r.tokens, text: r.text, finishReason: r.finishReason, calls: r.calls, error: r.error?.code ?? null });
  }
  return results;
}

/** Run a command to its end; reject naming `runtime` on a non-zero exit, a signal or the time limit. */
function run(runtime: string, command: string, args: string[], options: { timeoutMs?: number; env?: Record<string, string> } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, ...options.env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 60_000);
    child.on("error", (err) => {
      clearTimeout(timer);
      reject(new Error(`${runtime}: cannot start ${command}: ${err.message}`));
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${runtime}: ${command} ${args.join(" ")} exited with ${signal ?? code}\n${stderr.slice(-4000)}`));
    });
  });
}

/** Cases for e2e.mjs and the examples: the same list, file paths for the model. */
function writeCasesFile(): string {
  const dir = mkdtempSync(`${tmpdir()}/needle-runtimes-`);
  const file = `${dir}/cases.json`;
  writeFileSync(file, JSON.stringify({ weights: WEIGHTS, tokenizer: TOKENIZER, cases: CASES.map(({ query, tools, options }) => ({ query, tools, options })) }));
  return file;
}

function parseReport(runtime: string, stdout: string): { runtime: string; version: string; simd: boolean; results: E2EResult[] } {
  const line = stdout.trim().split("\n").pop() ?? "";
  try {
    return JSON.parse(line);
  } catch {
    throw new Error(`${runtime}: expected one JSON line from e2e.mjs, got: ${stdout.slice(0, 2000)}`);
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

// ---------------------------------------------------------------- Needle 2

const NEEDLE2_WEIGHTS = `${NEEDLE2_FIXTURES}models/tiny_a.cact`;
const needle2Golden = readNeedle2Golden("tiny_a");
/** The golden chat prompts as calls, with their system facts where they have them. */
const NEEDLE2_CASES = needle2Golden.cases.filter((c) => c.prompt.query !== undefined).map((c) => ({
  query: c.prompt.query!,
  tools: c.prompt.tools ?? [],
  options: { constrained: false, maxTokens: needle2Golden.settings.max_new_tokens, ...(c.prompt.system ? { system: c.prompt.system } : {}) },
  tokens: c.greedy_ids,
}));

function assertNeedle2(runtime: string, cases: typeof NEEDLE2_CASES, results: { tokens: number[] }[]): void {
  assert.is(results.length, cases.length, `${runtime}: Needle 2 results`);
  cases.forEach((c, i) => assert.equal(results[i]!.tokens, c.tokens, `${runtime}: Needle 2 case ${i} (${c.query}): the golden greedy ids`));
}

function writeNeedle2CasesFile(): string {
  const file = `${mkdtempSync(`${tmpdir()}/needle2-runtimes-`)}/cases.json`;
  writeFileSync(file, JSON.stringify({ weights: NEEDLE2_WEIGHTS, cases: NEEDLE2_CASES }));
  return file;
}

async function timed<T>(runtime: string, body: () => Promise<T>): Promise<T> {
  const started = performance.now();
  try {
    return await body();
  } finally {
    durations[runtime] = Math.round(performance.now() - started);
  }
}

// ---------------------------------------------------------------- node

test("node: the package resolves to dist/index.js, and it runs the end-to-end case", () =>
  timed("node", async () => {
    assert.ok(import.meta.resolve(SPECIFIER).endsWith("/dist/index.js"), `node: "needle-wasm" resolved to ${import.meta.resolve(SPECIFIER)}`);
    const needle = await dist.Needle.load({ weights: WEIGHTS, tokenizer: TOKENIZER });
    assertResults("node", CASES, await runCases(needle, CASES));
    needle.model.dispose();
  }));

test("node: each export condition picks its entry (workerd/worker → the Wasm-module entry, browser → the browser entry)", async () => {
  const resolved = async (conditions: string[], specifier = SPECIFIER) => {
    const args = [...conditions.map((c) => `--conditions=${c}`), "--input-type=module", "-e", `console.log(import.meta.resolve(${JSON.stringify(specifier)}))`];
    return (await run("node", process.execPath, args)).trim().slice(ROOT.length + "file://".length);
  };
  assert.is(await resolved([]), "dist/index.js", "node: default");
  assert.is(await resolved(["workerd"]), "dist/index.workerd.js", "node: workerd");
  assert.is(await resolved(["worker"]), "dist/index.workerd.js", "node: worker");
  assert.is(await resolved(["workerd", "worker", "browser"]), "dist/index.workerd.js", "node: wrangler's conditions");
  assert.is(await resolved(["worker", "browser"]), "dist/index.browser.js", "node: webpack's web-worker conditions");
  assert.is(await resolved(["browser"]), "dist/index.browser.js", "node: browser");
  assert.is(await resolved(["browser"], "needle-wasm/inline"), "dist/index.browser.js", "node: inline, browser");
  assert.is(await resolved([], "needle-wasm/inline"), "dist/index.inline.js", "node: inline");
  assert.is(await resolved([], "needle-wasm/needle.wasm"), "build/needle.wasm", "node: the .wasm");
});

test("node: the inline entry (base64 .wasm) and a caller-supplied WebAssembly.Module give the same results", async () => {
  const inline: Api = await import(`${SPECIFIER}/inline`);
  const some = CASES.filter((_, i) => i % 4 === 0);
  const viaInline = await inline.Needle.load({ weights: WEIGHTS, tokenizer: TOKENIZER });
  assertResults("node (inline entry)", some, await runCases(viaInline, some));
  const wasmModule = await WebAssembly.compile(readFileSync(`${ROOT}build/needle.wasm`));
  const viaModule = await dist.Needle.load({ weights: WEIGHTS, tokenizer: TOKENIZER, wasmModule });
  assertResults("node (wasmModule option)", some, await runCases(viaModule, some));
  viaInline.model.dispose();
  viaModule.model.dispose();
});

test("node, deno, bun: a Needle 2 .cact gives the golden greedy ids through Needle.load", async () => {
  const needle = await dist.Needle.load({ weights: NEEDLE2_WEIGHTS });
  const inNode = [];
  for (const c of NEEDLE2_CASES) inNode.push(await needle.call(c.query, c.tools as never, c.options));
  assertNeedle2("node", NEEDLE2_CASES, inNode);
  needle.dispose();
  const file = writeNeedle2CasesFile();
  const deno = await run("deno", runtimeBinary("deno"), ["run", "--allow-read", "--no-lock", `${RUNTIMES}needle2.mjs`, file], { env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" } });
  const bun = await run("bun", runtimeBinary("bun"), [`${RUNTIMES}needle2.mjs`, file], { env: { NO_COLOR: "1" } });
  for (const [name, stdout] of [["deno", deno], ["bun", bun]] as const) {
    const report = JSON.parse(stdout.trim().split("\n").pop()!) as { runtime: string; results: { tokens: number[] }[] };
    assert.is(report.runtime, name);
    assertNeedle2(name, NEEDLE2_CASES, report.results);
  }
});

// ---------------------------------------------------------------- deno, bun

test("deno: tests/runtimes/e2e.mjs runs the end-to-end case on dist/", () =>
  timed("deno", async () => {
    const deno = runtimeBinary("deno");
    const stdout = await run("deno", deno, ["run", "--allow-read", "--no-lock", `${RUNTIMES}e2e.mjs`, writeCasesFile()], { env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" } });
    const report = parseReport("deno", stdout);
    assert.is(report.runtime, "deno", "deno: the script says it ran in deno");
    versions.deno = report.version;
    assert.ok(report.simd, "deno: SIMD detected");
    assertResults("deno", CASES, report.results);
  }));

test("bun: tests/runtimes/e2e.mjs runs the end-to-end case on dist/", () =>
  timed("bun", async () => {
    const bun = runtimeBinary("bun");
    const stdout = await run("bun", bun, [`${RUNTIMES}e2e.mjs`, writeCasesFile()], { env: { NO_COLOR: "1" } });
    const report = parseReport("bun", stdout);
    assert.is(report.runtime, "bun", "bun: the script says it ran in bun");
    versions.bun = report.version;
    assert.ok(report.simd, "bun: SIMD detected");
    assertResults("bun", CASES, report.results);
  }));

// ---------------------------------------------------------------- chromium

test("chromium: the browser example loads with progress events, calls from the page, matches the goldens, and a second visit reads the Cache API", () =>
  timed("chromium", async () => {
    assert.ok(exists(CHROMIUM), `chromium: ${CHROMIUM} is missing (apt-get install chromium)`);
    const { chromium } = await import("playwright-core");
    const { startServer } = (await import(`${ROOT}examples/browser/serve.mjs`)) as { startServer: StartServer };
    const server = await startServer({ mounts: { "/model/weights": WEIGHTS, "/model/tokenizer": TOKENIZER } });
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, timeout: 60_000 }).catch((err: Error) => {
      throw new Error(`chromium: cannot launch ${CHROMIUM}: ${err.message}`);
    });
    versions.chromium = browser.version();
    try {
      const page = await browser.newPage();
      const pageErrors: string[] = [];
      page.on("pageerror", (err) => pageErrors.push(err.message));
      page.setDefaultTimeout(60_000);
      const ready = async () => {
        await page.waitForSelector("body[data-state=ready], body[data-state=error]");
        const state = await page.getAttribute("body", "data-state");
        assert.is(state, "ready", `chromium: the page did not load Needle: ${await page.textContent("#status")} ${pageErrors.join("; ")}`);
      };

      // First visit: downloads with progress, then a call from the page's own controls.
      await page.goto(`${server.url}examples/browser/?weights=/model/weights&tokenizer=/model/tokenizer&cache=1`);
      await ready();
      const first = await page.evaluate(() => (window as unknown as { needleProgress: unknown[] }).needleProgress) as ProgressEvent[];
      checkProgress(first, "weights", statSync(WEIGHTS).size, false);
      checkProgress(first, "tokenizer", statSync(TOKENIZER).size, false);

      // The page's button makes a default call: it gives what Node's default call gives.
      const c = CASES[0]!;
      const node = await dist.Needle.load({ weights: WEIGHTS, tokenizer: TOKENIZER });
      const own = await node.call(c.query, c.tools as string);
      node.dispose();
      await page.fill("#query", c.query);
      await page.fill("#tools", typeof c.tools === "string" ? c.tools : JSON.stringify(c.tools));
      await page.click("#run");
      await page.waitForSelector("body[data-calls='1']");
      const shown = JSON.parse((await page.textContent("#result")) ?? "{}");
      assert.equal(shown.tokens, own.tokens, "chromium: tokens of the page's call");
      assert.is(shown.text, own.text, "chromium: text of the page's call");

      // Every case through the page's session.
      const results = (await page.evaluate(async (cases) => {
        const needle = (window as unknown as { needle: { call: Function } }).needle;
        const out = [];
        for (const c of cases) {
          const r = await needle.call(c.query, c.tools, c.options);
          out.push({ tokens: r.tokens, text: r.text, finishReason: r.finishReason, calls: r.calls, error: r.error?.code ?? null });
        }
        return out;
      }, CASES.map(({ query, tools, options }) => ({ query, tools, options })))) as E2EResult[];
      assertResults("chromium", CASES, results);

      // Second visit: the model files come from the Cache API, not the network.
      await page.reload();
      await ready();
      const second = await page.evaluate(() => (window as unknown as { needleProgress: unknown[] }).needleProgress) as ProgressEvent[];
      checkProgress(second, "weights", statSync(WEIGHTS).size, true);
      checkProgress(second, "tokenizer", statSync(TOKENIZER).size, true);
      assert.is(server.requests.get("/model/weights"), 1, "chromium: the weights were downloaded once over two visits");
      assert.is(server.requests.get("/model/tokenizer"), 1, "chromium: the tokenizer was downloaded once over two visits");
      assert.ok((server.requests.get("/build/needle.wasm") ?? 0) >= 1, "chromium: dist/index.js fetched build/needle.wasm next to itself");
      assert.equal(pageErrors, [], "chromium: page errors");
    } finally {
      await browser.close();
      await server.close();
    }
  }));

test("chromium: a Needle 2 .cact, fetched by URL in the page, gives the golden greedy ids", async () => {
  const { chromium } = await import("playwright-core");
  const { startServer } = (await import(`${ROOT}examples/browser/serve.mjs`)) as { startServer: StartServer };
  const server = await startServer({ mounts: { "/model/needle2.cact": NEEDLE2_WEIGHTS } });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, timeout: 60_000 });
  try {
    const page = await browser.newPage();
    await page.goto(`${server.url}package.json`);
    const results = await page.evaluate(async ({ cases, entry }) => {
      const { Needle } = (await import(entry)) as Api;
      const needle = await Needle.load({ weights: "/model/needle2.cact" });
      const out = [];
      for (const c of cases) out.push({ tokens: (await needle.call(c.query, c.tools as never, c.options)).tokens });
      return out;
    }, { cases: NEEDLE2_CASES, entry: "/dist/index.js" });
    assertNeedle2("chromium", NEEDLE2_CASES, results);
  } finally {
    await browser.close();
    await server.close();
  }
});

test("chromium: the browser example with no parameters loads the bundled demo model, shows its tokenizer as in the bundle, and answers as Node does", async () => {
  const { chromium } = await import("playwright-core");
  const { startServer } = (await import(`${ROOT}examples/browser/serve.mjs`)) as { startServer: StartServer };
  const server = await startServer({ mounts: {} });
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, timeout: 60_000 });
  try {
    const page = await browser.newPage();
    const pageErrors: string[] = [];
    page.on("pageerror", (err) => pageErrors.push(err.message));
    page.setDefaultTimeout(60_000);
    await page.goto(`${server.url}examples/browser/`);
    await page.waitForSelector("body[data-state=ready], body[data-state=error]");
    assert.is(await page.getAttribute("body", "data-state"), "ready", `chromium (demo): ${await page.textContent("#status")} ${pageErrors.join("; ")}`);
    assert.is(server.requests.get("/weights/needle-demo.needle"), 1, "chromium (demo): the page fetched the demo bundle next to dist/");
    assert.is(await page.textContent("#tokenizer-status"), "in the weights bundle", "chromium (demo): the tokenizer row after a bundle loads");
    assert.ok(await page.$eval("#tokenizer-progress", (bar) => (bar as HTMLProgressElement).position === 1), "chromium (demo): the tokenizer bar is full, not indeterminate");

    const query = await page.inputValue("#query");
    const tools = await page.inputValue("#tools");
    await page.click("#run");
    await page.waitForSelector("body[data-calls='1']");
    const shown = JSON.parse((await page.textContent("#result")) ?? "{}");
    const demo = await dist.Needle.load();
    const expected = await demo.call(query, tools);
    demo.dispose();
    assert.equal({ tokens: shown.tokens, text: shown.text }, { tokens: expected.tokens, text: expected.text }, "chromium (demo): the page's call answers as Node's Needle.load()");
    assert.equal(JSON.parse((await page.textContent("#calls")) ?? "null"), expected.calls, "chromium (demo): the calls shown");
    assert.equal(pageErrors, [], "chromium (demo): page errors");
  } finally {
    await browser.close();
    await server.close();
  }
});

type StartServer = (options: { mounts: Record<string, string> }) => Promise<{ url: string; requests: Map<string, number>; close(): Promise<void> }>;

interface ProgressEvent { what: string; source: string; loaded: number; total?: number; cached: boolean }

function checkProgress(events: ProgressEvent[], what: string, size: number, cached: boolean): void {
  const mine = events.filter((e) => e.what === what);
  const where = `chromium: ${what} progress (${cached ? "second" : "first"} visit)`;
  assert.ok(mine.length >= 1, `${where}: no events`);
  for (const [i, e] of mine.entries()) {
    assert.is(e.total, size, `${where}: total`);
    assert.is(e.cached, cached, `${where}: cached flag`);
    assert.ok(e.loaded > 0 && e.loaded <= size && (i === 0 || e.loaded >= mine[i - 1]!.loaded), `${where}: loaded ${e.loaded} out of order`);
  }
  assert.is(mine[mine.length - 1]!.loaded, size, `${where}: the last event has every byte`);
}

// ---------------------------------------------------------------- workerd

test("workerd: the Worker example, bundled with wrangler's conditions, answers POST {query, tools}: golden results on the checkpoint, Node's results on an int4 bundle; /v1/chat/completions answers the openai client and the AI SDK", () =>
  timed("workerd", async () => {
    const workerd = runtimeBinary("workerd");
    versions.workerd = (await run("workerd", workerd, ["--version"])).trim().replace(/^workerd /, "");
    const entry = await bundleWorker();
    assert.ok(entry.endsWith("dist/index.workerd.js"), `workerd: the bundle used ${entry}, not the workerd entry`);

    // The model folder ASSETS serves: the fixtures, and an int4 bundle of the checkpoint.
    const models = mkdtempSync(`${tmpdir()}/needle-models-`);
    copyFileSync(WEIGHTS, `${models}/needle_tiny.p4_numpy1.pkl`);
    copyFileSync(TOKENIZER, `${models}/needle_test.model`);
    const int4 = await dist.convertToBundle(readFileSync(WEIGHTS), readFileSync(TOKENIZER), { dtype: "int4" });
    writeFileSync(`${models}/needle_tiny-int4.needle`, int4);
    const demoWeights = fileURLToPath(dist.defaultModelUrl());
    copyFileSync(demoWeights, `${models}/needle-demo.needle`);
    copyFileSync(NEEDLE2_WEIGHTS, `${models}/tiny_a.cact`);
    const viaNode = await dist.Needle.load({ weights: int4 });
    assert.is(viaNode.model.dtype, "int4");
    const int4Cases = CASES.filter((_, i) => i % 3 === 0);
    const int4Expected = await runCases(viaNode, int4Cases);
    viaNode.model.dispose();

    // The demo service's folder: what the example's build step (demo-model.mjs) writes, run as wrangler runs it.
    const example = prepareDemoModel();
    const demoExpected = await (async () => {
      const demo = await dist.Needle.load();
      const r = await demo.call(DEMO_QUERY, DEMO_TOOLS);
      demo.dispose();
      return { calls: r.calls, text: r.text, tokens: r.tokens, finishReason: r.finishReason, error: r.error?.code ?? null };
    })();

    const [goldenPort, bundlePort, demoPort, needle2Port] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const args = ["serve", `${RUNTIMES}workerd.capnp`, "--socket-addr", `golden=127.0.0.1:${goldenPort}`, "--socket-addr", `bundle=127.0.0.1:${bundlePort}`, "--socket-addr", `demo=127.0.0.1:${demoPort}`,
      "--socket-addr", `needle2=127.0.0.1:${needle2Port}`,
      "--directory-path", `models=${models}`, "--directory-path", `demo-models=${example}/model`];
    const child = spawn(workerd, args, { cwd: ROOT, stdio: ["ignore", "pipe", "pipe"] });
    let log = "";
    child.stdout.on("data", (d) => (log += d));
    child.stderr.on("data", (d) => (log += d));
    const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
    try {
      const post = async (port: number, cases: E2ECase[]): Promise<E2EResult[]> => {
        const url = `http://127.0.0.1:${port}/`;
        await waitForServer(url, () => log, child);
        const results: E2EResult[] = [];
        for (const c of cases) {
          const response = await fetch(url, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify({ query: c.query, tools: c.tools, options: c.options }) });
          const body = await response.text();
          assert.is(response.status, 200, `workerd: ${c.name}: HTTP ${response.status} ${body.slice(0, 500)}\n${log.slice(-2000)}`);
          results.push(JSON.parse(body));
        }
        return results;
      };
      assertResults("workerd", CASES, await post(goldenPort, CASES));
      const int4Results = await post(bundlePort, int4Cases);
      for (const [i, c] of int4Cases.entries()) assert.equal(int4Results[i], int4Expected[i], `workerd: ${c.name}: the int4 bundle answers as in Node`);

      const [demoResult] = await post(demoPort, [{ name: "demo", query: DEMO_QUERY, tools: DEMO_TOOLS, options: {}, expect: { finishReason: "stop", calls: [], error: false } }]);
      assert.equal(demoResult, demoExpected, "workerd: with no WEIGHTS_KEY the Worker runs the demo model demo-model.mjs put in model/, answering as Node's Needle.load()");

      const needle2Cases = NEEDLE2_CASES.map((c, i) => ({ name: `needle2 ${i}`, query: c.query, tools: c.tools, options: c.options, expect: { finishReason: "", calls: [], error: true } }));
      assertNeedle2("workerd", NEEDLE2_CASES, await post(needle2Port, needle2Cases));

      const bad = await fetch(`http://127.0.0.1:${goldenPort}/`, { method: "POST", body: JSON.stringify({ query: "", tools: [] }) });
      assert.is(bad.status, 400, "workerd: an empty query is a 400");
      assert.is((await bad.json()).error.code, "EMPTY_QUERY", "workerd: the error names its code");

      // The OpenAI-compatible routes (createHandler) on the demo model, against Needle's answers in Node.
      const demo = `http://127.0.0.1:${demoPort}`;
      await waitForServer(`${demo}/`, () => log, child);
      const inNode = await dist.Needle.load({ weights: demoWeights });
      await checkOpenAIClient(new OpenAI({ apiKey: "unused", baseURL: `${demo}/v1`, maxRetries: 0 }), inNode, "workerd");
      await checkAiSdk({ baseURL: `${demo}/v1` }, inNode, "workerd");
      inNode.model.dispose();
    } finally {
      child.kill("SIGTERM");
      const killer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(killer);
      rmSync(models, { recursive: true, force: true });
      rmSync(example, { recursive: true, force: true });
    }
  }));

const DEMO_QUERY = "What's the weather in Paris?";
const DEMO_TOOLS = [{ name: "get_weather", description: "Get current weather for a city.", parameters: { location: { type: "string", description: "City name.", required: true } } }];

/**
 * The Worker example's build step as wrangler runs it: demo-model.mjs in a
 * copy of the example folder whose node_modules/needle-wasm is this
 * checkout. Returns that folder; its model/ then holds the demo bundle.
 */
function prepareDemoModel(): string {
  const example = mkdtempSync(`${tmpdir()}/needle-worker-example-`);
  copyFileSync(`${ROOT}examples/cloudflare-worker/demo-model.mjs`, `${example}/demo-model.mjs`);
  mkdirSync(`${example}/node_modules`);
  symlinkSync(ROOT, `${example}/node_modules/needle-wasm`, "dir");
  const ran = spawnSync(process.execPath, ["demo-model.mjs"], { cwd: example, encoding: "utf8" });
  assert.is(ran.status, 0, `workerd: demo-model.mjs failed: ${ran.stderr}`);
  assert.ok(readFileSync(`${example}/model/needle-demo.needle`).equals(readFileSync(`${ROOT}weights/needle-demo.needle`)), "workerd: demo-model.mjs copied the demo bundle");
  const again = spawnSync(process.execPath, ["demo-model.mjs"], { cwd: example, encoding: "utf8" });
  assert.is(again.stdout, "", "workerd: a second run of demo-model.mjs leaves the copy alone");
  return example;
}


async function waitForServer(url: string, log: () => string, child: ReturnType<typeof spawn>): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`workerd: exited with ${child.exitCode} before serving\n${log()}`);
    try {
      const response = await fetch(url);
      if (response.ok) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`workerd: nothing answered on ${url} within 30 s\n${log()}`);
}

// ---------------------------------------------------------------- examples

test("examples: node, deno and bun examples run as their READMEs say and print the same result", async () => {
  const golden = CASES.find((x) => x.name === "readme_email constrained")!;
  // The examples make default calls: each runtime prints what Node's default call gives.
  const node = await dist.Needle.load({ weights: WEIGHTS, tokenizer: TOKENIZER });
  const own = await node.call(golden.query, golden.tools as string);
  node.dispose();
  const c: E2ECase = { ...golden, expect: { tokens: own.tokens, text: own.text, finishReason: own.finishReason, calls: own.calls, error: own.error !== undefined } };
  const args = ["--weights", WEIGHTS, "--tokenizer", TOKENIZER, c.query, "--tools", writeToolsFile(c.tools), "--json"];
  const outputs = {
    node: await run("node example", process.execPath, [`${ROOT}examples/node/index.mjs`, ...args]),
    deno: await run("deno example", runtimeBinary("deno"), ["run", "--allow-read", "--no-lock", `${ROOT}examples/deno/main.ts`, ...args], { env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" } }),
    bun: await run("bun example", runtimeBinary("bun"), [`${ROOT}examples/bun/index.ts`, ...args], { env: { NO_COLOR: "1" } }),
  };
  for (const [runtime, stdout] of Object.entries(outputs)) {
    const r = JSON.parse(stdout);
    assertResults(`${runtime} example`, [c], [{ ...r, error: r.error ? "parse error" : null }]);
  }
});

test("examples: node, deno and bun examples with no arguments run the bundled demo model, and a .needle bundle needs no --tokenizer", async () => {
  const demo = await dist.Needle.load();
  const expected = (await demo.call(DEMO_QUERY, DEMO_TOOLS)).calls;
  demo.dispose();
  const examples = {
    node: (args: string[]) => run("node example", process.execPath, [`${ROOT}examples/node/index.mjs`, ...args]),
    deno: (args: string[]) => run("deno example", runtimeBinary("deno"), ["run", "--allow-read", "--no-lock", `${ROOT}examples/deno/main.ts`, ...args], { env: { DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" } }),
    bun: (args: string[]) => run("bun example", runtimeBinary("bun"), [`${ROOT}examples/bun/index.ts`, ...args], { env: { NO_COLOR: "1" } }),
  };
  for (const [runtime, example] of Object.entries(examples)) {
    assert.equal(JSON.parse(await example([])), expected, `${runtime} example: no arguments`);
    assert.equal(JSON.parse(await example(["--weights", `${ROOT}weights/needle-demo.needle`, DEMO_QUERY])), expected, `${runtime} example: a bundle without --tokenizer`);
  }
});

function writeToolsFile(tools: unknown): string {
  const file = `${mkdtempSync(`${tmpdir()}/needle-tools-`)}/tools.json`;
  writeFileSync(file, typeof tools === "string" ? tools : JSON.stringify(tools));
  return file;
}

function exists(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}

test.after(() => {
  console.log(`\n  runtimes (ms): ${Object.entries(durations).map(([k, v]) => `${k} ${v}`).join(", ")}`);
  console.log(`  versions used: ${Object.entries(versions).map(([k, v]) => `${k} ${v}`).join(", ")}`);
});

test.run();
