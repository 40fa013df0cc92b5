// The playground's Hugging Face model id, in Chromium: the page (served by
// `needle-wasm playground`, cross-origin isolated) loads a repo from the
// local hub (tests/hub/server.ts, on other origins: the hub and its storage
// host), with progress, runs a preset as the package does in Node with the
// same checkpoint, keeps the id, revision and hub in the link, reloads from
// the Cache API without a request; ids the hub does not have, or that are
// not ids, show the package's HubError inline and the page keeps working.
// The suite runs after `npm run build`: dist/ and build/ must exist.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { startHub, type HubServer } from "./hub/server.ts";
import { CHECKPOINT_BYTES, GATED_REPO, GATED_TOKEN, OTHER_REPO, PUBLIC_REPO, TOKENIZER_BYTES, testRepos } from "./hub/repos.ts";
import { ROOT, afterLoad, callRows, launchChromium, openPage, runOnce, settled, startCli, stat, stop, type Served } from "./playground-helpers.ts";
import { FIXTURES } from "./helpers.ts";

type Api = typeof import("../lib/index.ts");

const dist: Api = await import(join(ROOT, "dist/index.js"));
const WEIGHTS = `${FIXTURES}tiny/needle_tiny.p4_numpy1.pkl`;
const TOKENIZER = `${FIXTURES}tokenizer/needle_test.model`;

let browser: Browser;
let served: Served;
let hub: HubServer;

test.before(async () => {
  browser = await launchChromium();
  served = await startCli(["--port", "0"]);
  hub = await startHub(testRepos());
});

test.after(async () => {
  await browser?.close();
  if (served) await stop(served);
  await hub?.close();
});

/** Record every text of #model-status and every state of the progress bar, from now on. */
const watchLoading = (page: Page) =>
  page.evaluate(() => {
    const seen = { statuses: [] as string[], progress: [] as { what: string; value: number; max: number }[] };
    (window as unknown as { loading: typeof seen }).loading = seen;
    const status = document.getElementById("model-status")!;
    const bar = document.getElementById("load-progress") as HTMLProgressElement;
    new MutationObserver(() => seen.statuses.push(status.textContent!)).observe(status, { childList: true, characterData: true, subtree: true });
    new MutationObserver(() => seen.progress.push({ what: bar.dataset.what!, value: bar.value, max: bar.max })).observe(bar, { attributes: true });
  });
const loadingSeen = (page: Page) => page.evaluate(() => (window as unknown as { loading: { statuses: string[]; progress: { what: string; value: number; max: number }[] } }).loading);

/** Type an id (and the hub's address), press Enter in the id field, and wait for that load to end. */
async function loadId(page: Page, id: string, endpoint = hub.url): Promise<void> {
  await page.fill("#hub-endpoint", endpoint);
  await page.fill("#hub-model", id);
  await afterLoad(page, () => page.press("#hub-model", "Enter"));
}

/** The package's own error for loading from the local hub with `options`, in Node, as the page shows it. */
async function expectedError(options: Record<string, unknown>): Promise<string> {
  const cacheDir = mkdtempSync(join(tmpdir(), "needle-playground-hub-"));
  try {
    (await dist.Needle.load({ endpoint: hub.url, cacheDir, ...options })).dispose();
  } catch (err) {
    return `Could not load the model: ${(err as { code: string }).code}: ${(err as Error).message}`;
  } finally {
    rmSync(cacheDir, { recursive: true, force: true });
  }
  throw new Error(`${JSON.stringify(options)} loaded`);
}

test("chromium: a model id on the hub is downloaded with progress, runs a preset as the package does, and the link restores it; a reload reads the Cache API", async () => {
  const { page, errors } = await openPage(browser, served.url);
  await settled(page);
  assert.is(await page.evaluate(() => crossOriginIsolated), true, "the page is cross-origin isolated; the hub is another origin");
  await watchLoading(page);
  hub.requests.length = 0;
  await loadId(page, PUBLIC_REPO);
  await settled(page);
  assert.ok(await page.isChecked("input[name=model][value=hub]"));
  const commit = hub.commit(PUBLIC_REPO);
  assert.match((await page.textContent("#model-status")) ?? "", `Ready: ${PUBLIC_REPO}@main (commit ${commit.slice(0, 12)}, downloaded from ${hub.url}); f32, d_model 64, 1 thread`);
  assert.ok(hub.requests.some((r) => r.host === "storage" && r.path.endsWith("needle.pkl")), "the checkpoint came through the hub's redirect to its storage host");

  const seen = await loadingSeen(page);
  const last = (what: string) => seen.progress.filter((p) => p.what === what).at(-1);
  assert.equal(last("weights"), { what: "weights", value: CHECKPOINT_BYTES.length, max: CHECKPOINT_BYTES.length }, "the bar reached every byte of the checkpoint");
  assert.equal(last("tokenizer"), { what: "tokenizer", value: TOKENIZER_BYTES.length, max: TOKENIZER_BYTES.length });
  assert.ok(seen.statuses.some((s) => /^Loading weights \(needle\.pkl\): [\d.]+ (kB|MB) of 1\.2 MB…$/.test(s)), seen.statuses.join("\n"));
  assert.ok(await page.isHidden("#load-progress"), "the bar goes once the model is ready");
  assert.is(await page.isEnabled("#dtype"), true, "dtype applies to the hub's checkpoint");

  // The preset, against the package in Node on the same checkpoint and tokenizer.
  await page.selectOption("#preset", "smart-home");
  await runOnce(page);
  const query = await page.inputValue("#query");
  const tools = await page.inputValue("#tools");
  const needle = await dist.Needle.load({ weights: WEIGHTS, tokenizer: TOKENIZER, dtype: "f32" });
  const expected = await needle.call(query, tools);
  needle.dispose();
  assert.is(await page.textContent("#raw-text"), expected.text);
  assert.equal((await callRows(page)).map((r) => r.slice(0, 3)), expected.calls.map((c, i) => [String(i + 1), c.name, JSON.stringify(c.arguments)]));
  assert.is(await stat(page, "model"), "f32, d_model 64, 1 thread");

  // Another dtype converts the cached checkpoint again, with no request.
  hub.requests.length = 0;
  await afterLoad(page, () => page.selectOption("#dtype", "int8"));
  await settled(page);
  assert.match((await page.textContent("#model-status")) ?? "", `Ready: ${PUBLIC_REPO}@main (commit ${commit.slice(0, 12)}, from this browser's cache); int8, d_model 64`);
  assert.equal(hub.requests, [], "no request for another dtype");
  await afterLoad(page, () => page.selectOption("#dtype", "f32"));
  await settled(page);

  const link = new URL(page.url());
  const hash = new URLSearchParams(link.hash.slice(1));
  assert.equal([hash.get("model"), hash.get("hub"), hash.get("endpoint"), hash.get("revision")], ["hub", PUBLIC_REPO, hub.url, null]);

  // The same page reloaded: the files come from this context's Cache API, with no request to the hub or storage.
  hub.requests.length = 0;
  await page.reload();
  await settled(page);
  assert.match((await page.textContent("#model-status")) ?? "", `Ready: ${PUBLIC_REPO}@main (commit ${commit.slice(0, 12)}, from this browser's cache)`);
  assert.equal(hub.requests, [], "no request to the hub after a reload");
  assert.equal(errors, []);
  await page.close();

  // The link in another context (its own, empty, Cache API): the id, hub and model choice come back and it downloads again.
  hub.requests.length = 0;
  const { page: again, errors: againErrors } = await openPage(browser, link.href);
  await settled(again);
  assert.is(await again.inputValue("#hub-model"), PUBLIC_REPO);
  assert.is(await again.inputValue("#hub-endpoint"), hub.url);
  assert.ok(await again.isChecked("input[name=model][value=hub]"));
  assert.ok(hub.count("needle.pkl") > 0, "a fresh context downloads");
  await runOnce(again);
  assert.is(await again.textContent("#raw-text"), expected.text);
  assert.equal(againErrors, []);
  await again.close();
});

test("chromium: a revision is kept in the link and reaches the hub; an unknown revision is the package's NOT_FOUND", async () => {
  const { page, errors } = await openPage(browser, served.url);
  await settled(page);
  const commit = hub.commit(PUBLIC_REPO);
  await page.fill("#hub-revision", commit);
  await loadId(page, PUBLIC_REPO);
  await settled(page);
  assert.match((await page.textContent("#model-status")) ?? "", `Ready: ${PUBLIC_REPO} (commit ${commit.slice(0, 12)}, downloaded from ${hub.url})`);
  assert.is(new URLSearchParams(new URL(page.url()).hash.slice(1)).get("revision"), commit);
  await page.fill("#hub-revision", "no-such-branch");
  await afterLoad(page, () => page.press("#hub-revision", "Enter"));
  await settled(page, "error");
  assert.is(await page.textContent("#model-status"), await expectedError({ model: PUBLIC_REPO, revision: "no-such-branch" }));
  assert.equal(errors, []);
  await page.close();
});

test("chromium: an id the hub does not have, one that is not an id, a repo of another model and a hub address that is not one show the package's typed error inline; the page keeps working", async () => {
  const { page, errors } = await openPage(browser, served.url);
  await settled(page);
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["test-org/no-such-model", { model: "test-org/no-such-model" }, /^Could not load the model: NOT_FOUND: /],
    ["not an id", { model: "not an id" }, /^Could not load the model: BAD_MODEL_ID: /],
    [OTHER_REPO, { model: OTHER_REPO }, /^Could not load the model: UNSUPPORTED_MODEL: /],
  ];
  for (const [id, options, code] of cases) {
    await loadId(page, id);
    await settled(page, "error");
    const shown = (await page.textContent("#model-status")) ?? "";
    assert.match(shown, code);
    assert.is(shown, await expectedError(options), id);
    assert.is(await page.getAttribute("#hub-model", "aria-invalid"), "true", id);
    assert.is(await page.isDisabled("#run"), true, "nothing to run without a model");
  }
  await loadId(page, PUBLIC_REPO, "ftp://example.org");
  await settled(page, "error");
  assert.is(await page.textContent("#model-status"), await expectedError({ model: PUBLIC_REPO, endpoint: "ftp://example.org" }));

  // The page keeps working: the right id loads and runs, then the demo model does.
  await loadId(page, PUBLIC_REPO);
  await settled(page);
  assert.is(await page.getAttribute("#hub-model", "aria-invalid"), null);
  await runOnce(page);
  const needle = await dist.Needle.load({ weights: WEIGHTS, tokenizer: TOKENIZER, dtype: "f32" });
  assert.is(await page.textContent("#raw-text"), (await needle.call(await page.inputValue("#query"), await page.inputValue("#tools"))).text);
  needle.dispose();
  await afterLoad(page, () => page.check("input[name=model][value=demo]"));
  await settled(page);
  await runOnce(page);
  assert.is(await stat(page, "model"), "f16, d_model 192, 1 thread");
  assert.equal(errors, []);
  await page.close();
});

test("chromium: a gated repo: without a token the package's UNAUTHORIZED, with one it loads; the token reaches the hub, never storage or the link", async () => {
  const { page, errors } = await openPage(browser, served.url);
  await settled(page);
  await loadId(page, GATED_REPO);
  await settled(page, "error");
  assert.is(await page.textContent("#model-status"), await expectedError({ model: GATED_REPO }));
  hub.requests.length = 0;
  await page.fill("#hub-token", GATED_TOKEN);
  await afterLoad(page, () => page.press("#hub-token", "Enter"));
  await settled(page);
  assert.match((await page.textContent("#model-status")) ?? "", `Ready: ${GATED_REPO}@main`);
  const resolves = hub.requests.filter((r) => r.host === "hub" && r.path.includes("/resolve/"));
  assert.ok(resolves.length === 2 && resolves.every((r) => r.auth), "the token went with each file request to the hub");
  assert.ok(hub.requests.filter((r) => r.host === "storage").every((r) => !r.auth), "and not to the storage host");
  assert.not.match(page.url(), GATED_TOKEN);
  assert.is(new URLSearchParams(new URL(page.url()).hash.slice(1)).get("hub"), GATED_REPO);
  assert.equal(errors, []);
  await page.close();
});

test("chromium: choosing the hub with no id waits for one, and says so", async () => {
  const { page } = await openPage(browser, served.url);
  await settled(page);
  await afterLoad(page, () => page.check("input[name=model][value=hub]"));
  await settled(page, "waiting");
  assert.is(await page.textContent("#model-status"), "Enter a Hugging Face model id (owner/name) above, then Enter or Load.");
  await page.fill("#hub-endpoint", hub.url);
  await page.fill("#hub-model", PUBLIC_REPO);
  await afterLoad(page, () => page.click("#hub-load"));
  await settled(page);
  assert.match((await page.textContent("#model-status")) ?? "", `Ready: ${PUBLIC_REPO}@main`);
  await page.close();
});

test.run();
