// Loading by model id in Deno, Bun and Chromium against the local hub
// (tests/hub/server.ts), through dist/: Deno and Bun download into the disk
// cache and load again from it with no request (tests/runtimes/hub.mjs);
// Chromium, which has no file system, verifies and keeps the files in the
// Cache API, and a second visit makes no request. Runs after `npm run build`.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { Tokenizer } from "../lib/index.ts";
import { runtimeBinary } from "./runtimes/bins.ts";
import { TOKENIZER, assertResults, e2eCases, type E2EResult } from "./runtimes/cases.ts";
import { startHub, type HubServer } from "./hub/server.ts";
import { CHECKPOINT_BYTES, GATED_REPO, GATED_TOKEN, PUBLIC_REPO, TOKENIZER_BYTES, testRepos } from "./hub/repos.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const CHROMIUM = "/usr/bin/chromium";
const CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run"];
const tokenizer = await Tokenizer.load(TOKENIZER);
const CASES = e2eCases((t) => tokenizer.encode(t)).slice(0, 4);
let hub: HubServer;
const dirs: string[] = [];

function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), "needle-hub-rt-"));
  dirs.push(dir);
  return dir;
}

function run(runtime: string, command: string, args: string[], env: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: ROOT, env: { ...process.env, NO_COLOR: "1", ...env }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("error", (err) => reject(new Error(`${runtime}: cannot start ${command}: ${err.message}`)));
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve(stdout);
      else reject(new Error(`${runtime}: exited with ${signal ?? code}\n${stderr.slice(-4000)}`));
    });
  });
}

/** Run tests/runtimes/hub.mjs in `runtime` and check its report. */
async function viaScript(runtime: "deno" | "bun", command: string, args: string[], env: Record<string, string> = {}): Promise<void> {
  const dir = scratch();
  const input = join(dir, "input.json");
  writeFileSync(input, JSON.stringify({ endpoint: hub.url, model: PUBLIC_REPO, cacheDir: join(dir, "cache"), cases: CASES.map(({ query, tools, options }) => ({ query, tools, options })) }));
  hub.requests.length = 0;
  const stdout = await run(runtime, command, [...args, join(ROOT, "tests/runtimes/hub.mjs"), input], env);
  const report = JSON.parse(stdout.trim().split("\n").pop()!);
  assert.is(report.runtime, runtime);
  assert.is(report.first.commit, hub.commit(PUBLIC_REPO), `${runtime}: the commit`);
  assert.is(report.first.cached, false, `${runtime}: the first load downloads`);
  assert.is(report.second.cached, true, `${runtime}: the second load is from the cache`);
  assert.is(hub.count("needle.pkl"), 2, `${runtime}: one resolve and one storage request for the checkpoint over two loads`);
  assertResults(runtime, CASES, report.results);
}

test.before(async () => {
  hub = await startHub(testRepos(), { "/dist/": join(ROOT, "dist"), "/build/": join(ROOT, "build") });
});

test.after(async () => {
  await hub.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

test("deno: loads by id into the disk cache, then from it", () =>
  viaScript("deno", runtimeBinary("deno"), ["run", "--allow-read", "--allow-write", "--allow-net=127.0.0.1", "--allow-sys", "--no-lock"], { DENO_NO_UPDATE_CHECK: "1" }));

test("bun: loads by id into the disk cache, then from it", () => viaScript("bun", runtimeBinary("bun"), []));

test("chromium: loads by id with progress, verified into the Cache API; a second visit makes no request to the hub", async () => {
  const { chromium } = await import("playwright-core");
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS, timeout: 60_000 });
  try {
    const page = await browser.newPage();
    page.setDefaultTimeout(60_000);
    // A string, not a function: tsx would wrap named functions in a helper the page lacks.
    const load = async (cases: unknown) =>
      (await page.evaluate(`(async () => {
        const { Needle } = await import("/dist/index.js");
        const events = [];
        const needle = await Needle.load({ model: ${JSON.stringify(PUBLIC_REPO)}, endpoint: location.origin, dtype: "f32", onProgress: (e) => events.push(e) });
        const results = [];
        for (const c of ${JSON.stringify(cases)}) {
          const r = await needle.call(c.query, c.tools, c.options);
          results.push({ tokens: r.tokens, text: r.text, finishReason: r.finishReason, calls: r.calls, error: r.error?.code ?? null });
        }
        return { origin: needle.origin, events, results };
      })()`)) as { origin: { commit: string; cached: boolean }; events: { what: string; loaded: number; total?: number; cached: boolean }[]; results: E2EResult[] };
    const cases = CASES.map(({ query, tools, options }) => ({ query, tools, options }));
    await page.goto(`${hub.url}/blank`);
    hub.requests.length = 0;
    const first = await load(cases);
    assert.is(first.origin.commit, hub.commit(PUBLIC_REPO), "chromium: the commit");
    assert.is(first.origin.cached, false);
    assertResults("chromium", CASES, first.results as E2EResult[]);
    const weights = first.events.filter((e) => e.what === "weights" && !e.cached);
    assert.is(weights.at(-1)!.loaded, CHECKPOINT_BYTES.length, "chromium: progress reached every byte");
    assert.is(weights.at(-1)!.total, CHECKPOINT_BYTES.length);
    assert.ok(hub.requests.some((r) => r.host === "storage"), "chromium: the checkpoint came through the storage redirect");

    await page.reload();
    hub.requests.length = 0;
    const second = await load(cases);
    assert.is(second.origin.cached, true, "chromium: the second visit reads the Cache API");
    assert.equal(hub.requests.filter((r) => !r.path.startsWith("/dist/") && !r.path.startsWith("/build/")), [], "chromium: no request to the hub or storage");
    const cachedSizes = second.events.filter((e) => e.cached).map((e) => [e.what, e.loaded]);
    assert.equal(cachedSizes, [["weights", CHECKPOINT_BYTES.length], ["tokenizer", TOKENIZER_BYTES.length]]);
    assertResults("chromium (cached)", CASES, second.results as E2EResult[]);

    // A gated repo: a bad SHA-256 fails and stores nothing; then the token reaches the hub, not storage.
    const gated = (token: string) =>
      page.evaluate(`(async () => {
        const { Needle } = await import("/dist/index.js");
        try {
          const needle = await Needle.load({ model: ${JSON.stringify(GATED_REPO)}, endpoint: location.origin, token: ${JSON.stringify(token)}, dtype: "f32", download: { retries: 0 } });
          return { ok: true, cached: needle.origin.cached };
        } catch (err) {
          return { ok: false, code: err.code, message: err.message };
        }
      })()`) as Promise<{ ok: boolean; cached?: boolean; code?: string; message?: string }>;
    hub.faults.badSha.add("needle.pkl");
    const bad = await gated(GATED_TOKEN);
    assert.equal([bad.ok, bad.code], [false, "SHA_MISMATCH"], `chromium: ${bad.message}`);
    hub.faults.badSha.clear();
    hub.requests.length = 0;
    assert.equal(await gated(GATED_TOKEN), { ok: true, cached: false }, "chromium: nothing was cached after the bad hash");
    const storage = hub.requests.filter((r) => r.host === "storage");
    assert.ok(storage.length >= 2 && storage.every((r) => !r.auth), "chromium: no Authorization header to the storage host");
    assert.ok(hub.requests.filter((r) => r.path.includes("/resolve/")).every((r) => r.auth), "chromium: the token went to the hub");
  } finally {
    await browser.close();
  }
});

test.run();
