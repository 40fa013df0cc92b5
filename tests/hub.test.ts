// Needle.load({ model }) against a local hub (tests/hub/server.ts): the
// download is verified and cached, converted once, loaded again with no
// request, and every failure is a HubError with its code.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Needle, HubError, Tokenizer, type LoadProgress, type NeedleLoadOptions } from "../lib/index.ts";
import { cacheRoot } from "../lib/hub/node-cache.ts";
import { nodeApi } from "../lib/hub/node-api.ts";
import { Sha256 } from "../lib/hub/sha256.ts";
import { rng } from "./helpers.ts";
import { TOKENIZER, assertResults, e2eCases } from "./runtimes/cases.ts";
import { startHub, type HubServer } from "./hub/server.ts";
import { CACT_BYTES, CHECKPOINT_BYTES, GATED_REPO, GATED_TOKEN, NEEDLE2_REPO, NEEDLE2_TWO_REPO, OTHER_REPO, PUBLIC_REPO, TOKENIZER_BYTES, testRepos } from "./hub/repos.ts";
import { Needle2Model } from "../lib/needle2/model.ts";
import { readNeedle2Golden } from "./needle2-helpers.ts";

const tokenizer = await Tokenizer.load(TOKENIZER);
const CASES = e2eCases((t) => tokenizer.encode(t)).slice(0, 3);
const FAST = { retries: 2, retryDelayMs: 1, stallTimeoutMs: 300 };
let hub: HubServer;
const dirs: string[] = [];

function cacheDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "needle-hub-"));
  dirs.push(dir);
  return dir;
}

function options(extra: Partial<NeedleLoadOptions> = {}): NeedleLoadOptions {
  return { model: PUBLIC_REPO, endpoint: hub.url, cacheDir: cacheDir(), dtype: "f32", download: FAST, ...extra };
}

async function rejects(load: Promise<unknown>, code: string, says: RegExp): Promise<HubError> {
  try {
    await load;
  } catch (err) {
    assert.instance(err, HubError, `expected a HubError, got ${err}`);
    assert.is((err as HubError).code, code, (err as Error).message);
    assert.match((err as Error).message, says);
    return err as HubError;
  }
  assert.unreachable(`expected ${code}, the load succeeded`);
  throw new Error("unreachable");
}

async function answers(needle: Needle): Promise<void> {
  const results = [];
  for (const c of CASES) {
    const r = await needle.call(c.query, c.tools as string, c.options);
    results.push({ tokens: r.tokens, text: r.text, finishReason: r.finishReason, calls: r.calls, error: r.error?.code ?? null });
  }
  assertResults("hub", CASES, results);
}

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

test.before(async () => {
  hub = await startHub(testRepos());
});

test.before.each(() => {
  hub.requests.length = 0;
  hub.faults.statuses.clear();
  hub.faults.cutOnce.clear();
  hub.faults.cutAlways.clear();
  hub.faults.stall.clear();
  hub.faults.badSha.clear();
  hub.faults.noRange = false;
});

test.after(async () => {
  await hub.close();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

test("sha256: the TypeScript hash equals node:crypto's on random inputs fed in random chunks", () => {
  const next = rng(22);
  for (let n = 0; n < 60; n++) {
    const bytes = new Uint8Array(Math.floor(next() * (n < 40 ? 200 : 20000)));
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(next() * 256);
    const hasher = new Sha256();
    for (let at = 0; at < bytes.length; ) {
      const take = Math.min(bytes.length - at, 1 + Math.floor(next() * 130));
      hasher.update(bytes.subarray(at, at + take));
      at += take;
    }
    assert.is(hasher.digestHex(), createHash("sha256").update(bytes).digest("hex"), `${bytes.length} bytes`);
  }
});

test("load by id: downloads and verifies both files, converts once to the dtype, answers as the checkpoint does, and records the commit", async () => {
  const opts = options();
  const needle = await Needle.load(opts);
  await answers(needle);
  const origin = needle.origin!;
  assert.is(origin.repo, PUBLIC_REPO);
  assert.is(origin.commit, hub.commit(PUBLIC_REPO));
  assert.is(origin.cached, false);
  assert.is(origin.family, "Needle 1");
  assert.is(origin.files.weights.sha256, createHash("sha256").update(CHECKPOINT_BYTES).digest("hex"));
  assert.is(origin.files.tokenizer!.size, TOKENIZER_BYTES.length);
  assert.is(needle.model.dtype, "f32");
  const repo = join(opts.cacheDir!, "models", "test-org--needle-tiny");
  assert.is(readFileSync(join(repo, "refs", "main"), "utf8").trim(), origin.commit);
  assert.equal(readFileSync(join(repo, "snapshots", origin.commit, "needle.pkl")), CHECKPOINT_BYTES);
  assert.equal(readFileSync(join(repo, "snapshots", origin.commit, "tokenizer", "needle.model")), TOKENIZER_BYTES);
  assert.ok(existsSync(join(repo, "bundles", origin.commit, "f32.needle")));
  assert.equal(filesUnder(opts.cacheDir!).filter((f) => /\.(incomplete|tmp|lock)$/.test(f)), [], "no temporary files left");
  assert.is(hub.count("/needle.pkl"), 2, "the checkpoint: one resolve and one storage request");
  needle.dispose();
});

test("load by id, again: the bundle is read from the cache with no request at all", async () => {
  const opts = options();
  (await Needle.load(opts)).dispose();
  hub.requests.length = 0;
  const again = await Needle.load(opts);
  assert.equal(hub.requests, [], "no request on the second load");
  assert.is(again.origin!.cached, true);
  assert.is(again.origin!.commit, hub.commit(PUBLIC_REPO));
  await answers(again);
  again.dispose();
});

test("progress: every byte of both files is reported, in order, with the total", async () => {
  const events: LoadProgress[] = [];
  (await Needle.load(options({ onProgress: (e) => events.push(e) }))).dispose();
  for (const [what, size] of [["weights", CHECKPOINT_BYTES.length], ["tokenizer", TOKENIZER_BYTES.length]] as const) {
    const mine = events.filter((e) => e.what === what && !e.cached && e.source.includes("/resolve/"));
    assert.ok(mine.length >= 2, `${what}: several events`);
    for (const [i, e] of mine.entries()) {
      assert.is(e.total, size, `${what}: total`);
      if (i > 0) assert.ok(e.loaded >= mine[i - 1]!.loaded, `${what}: in order`);
    }
    assert.is(mine.at(-1)!.loaded, size, `${what}: the last event has every byte`);
  }
});

test("gated repo: no token → UNAUTHORIZED, a wrong one → FORBIDDEN; with HF_TOKEN it loads, and the token goes to the hub only, never to storage or the cache", async () => {
  await rejects(Needle.load(options({ model: GATED_REPO })), "UNAUTHORIZED", /HF_TOKEN/);
  await rejects(Needle.load(options({ model: GATED_REPO, token: "hf_wrong" })), "FORBIDDEN", /accept the model's terms/);
  hub.requests.length = 0;
  process.env.HF_TOKEN = GATED_TOKEN;
  try {
    const opts = options({ model: GATED_REPO });
    const needle = await Needle.load(opts);
    await answers(needle);
    needle.dispose();
    const storage = hub.requests.filter((r) => r.host === "storage");
    assert.ok(storage.length >= 2, "both files came from storage");
    assert.ok(storage.every((r) => !r.auth), "no Authorization header to the storage host");
    assert.ok(hub.requests.filter((r) => r.path.includes("/resolve/")).every((r) => r.auth), "the hub's resolve requests carry the token");
    for (const file of filesUnder(opts.cacheDir!)) assert.not.ok(readFileSync(file).includes(GATED_TOKEN), `${file} holds the token`);
  } finally {
    delete process.env.HF_TOKEN;
  }
});

test("404s: an unknown repo and an unknown revision are NOT_FOUND, and say what to check", async () => {
  await rejects(Needle.load(options({ model: "test-org/no-such-model" })), "NOT_FOUND", /no model test-org\/no-such-model.*HF_TOKEN/);
  await rejects(Needle.load(options({ revision: "v9" })), "NOT_FOUND", /no revision "v9"/);
  await rejects(Needle.load(options({ model: "../etc" })), "BAD_MODEL_ID", /owner\/name/);
});

test("unknown layouts are refused from the file list, before any file is downloaded: another model, and two .cact files", async () => {
  await rejects(Needle.load(options({ model: OTHER_REPO })), "UNSUPPORTED_MODEL", /config\.json.*supported: Needle 1 \(needle\.pkl \+ tokenizer\/needle\.model.*Needle 2/);
  await rejects(Needle.load(options({ model: NEEDLE2_TWO_REPO })), "UNSUPPORTED_MODEL", /2 \.cact files \(a\.cact, b\.cact\)/);
  assert.ok(hub.requests.every((r) => r.path.startsWith("/api/")), "only the file list was asked for");
});

test("a Needle 2 repo: the .cact is downloaded, verified, cached and loaded as it is (no bundle); then from the cache with no request, and offline", async () => {
  const opts = options({ model: NEEDLE2_REPO });
  const needle = await Needle.load(opts);
  assert.instance(needle.model, Needle2Model);
  const c = readNeedle2Golden("tiny_a").cases[0]!;
  assert.equal((await needle.call(c.prompt.query!, c.prompt.tools as never, { constrained: false, maxTokens: 32 })).tokens, c.greedy_ids);
  const origin = needle.origin!;
  assert.equal([origin.family, origin.cached, origin.bundle, origin.files.tokenizer], ["Needle 2", false, undefined, undefined]);
  assert.is(origin.files.weights.sha256, createHash("sha256").update(CACT_BYTES).digest("hex"));
  const repo = join(opts.cacheDir!, "models", "test-org--needle2-tiny");
  assert.equal(new Uint8Array(readFileSync(join(repo, "snapshots", origin.commit, "needle2.cact"))), CACT_BYTES);
  assert.not.ok(existsSync(join(repo, "bundles")), "nothing converted");
  needle.dispose();
  const before = hub.requests.length;
  const again = await Needle.load(opts);
  assert.is(again.origin!.cached, true);
  again.dispose();
  const offline = await Needle.load({ ...opts, offline: true, dtype: "int8" });
  assert.is((offline.model as Needle2Model).dtype, "int8");
  offline.dispose();
  assert.is(hub.requests.length, before, "no request after the first load");
});

test("429 and 5xx are retried with backoff; past the retry budget they are RATE_LIMITED / SERVER_ERROR", async () => {
  hub.faults.statuses.set("/needle.pkl", [503, 429]);
  const needle = await Needle.load(options());
  needle.dispose();
  assert.is(hub.faults.statuses.get("/needle.pkl")!.length, 0, "both failures were answered");
  hub.faults.statuses.set("/needle.pkl", [502, 502, 502]);
  await rejects(Needle.load(options()), "SERVER_ERROR", /HTTP 502.*try again later/);
  hub.faults.statuses.set("/revision/main", [429, 429, 429]);
  await rejects(Needle.load(options()), "RATE_LIMITED", /HTTP 429/);
});

test("a connection cut mid-body is resumed with Range from the byte it reached", async () => {
  hub.faults.cutOnce.add("needle.pkl");
  const needle = await Needle.load(options());
  await answers(needle);
  needle.dispose();
  const storage = hub.requests.filter((r) => r.host === "storage" && r.path.endsWith("needle.pkl"));
  assert.is(storage.length, 2);
  // The resume starts where the partial file ends: at most the half that was sent (less if the cut came before the last bytes were written), never 0.
  const from = Number(/^bytes=(\d+)-$/.exec(storage[1]!.range ?? "")?.[1]);
  assert.ok(from > 0 && from <= Math.ceil(CHECKPOINT_BYTES.length / 2), `resumed with ${storage[1]!.range}`);
});

test("a body that keeps ending short is TRUNCATED; the partial file stays and the next load resumes it", async () => {
  const opts = options();
  hub.faults.cutAlways.add("needle.pkl");
  await rejects(Needle.load(opts), "TRUNCATED", /closed after \d+ of \d+ bytes.*resume/);
  const partial = filesUnder(opts.cacheDir!).find((f) => f.endsWith("needle.pkl.incomplete"));
  assert.ok(partial, "the partial file is kept");
  hub.faults.cutAlways.clear();
  hub.requests.length = 0;
  const needle = await Needle.load(opts);
  await answers(needle);
  needle.dispose();
  const first = hub.requests.find((r) => r.host === "storage" && r.path.endsWith("needle.pkl"))!;
  assert.match(first.range ?? "", /^bytes=[1-9]\d*-$/, "the next load asked for the rest only");
});

test("a server that ignores Range: the download starts over and is still verified", async () => {
  hub.faults.cutOnce.add("needle.pkl");
  hub.faults.noRange = true;
  const needle = await Needle.load(options());
  assert.is(needle.origin!.files.weights.size, CHECKPOINT_BYTES.length);
  needle.dispose();
});

test("a server that stalls is STALLED after stallTimeoutMs", async () => {
  hub.faults.stall.add("needle.pkl");
  await rejects(Needle.load(options({ download: { retries: 0, stallTimeoutMs: 200 } })), "STALLED", /no data from the hub for 200 ms/);
});

test("a SHA-256 mismatch fails and deletes the partial file; nothing is cached under the file's name", async () => {
  const opts = options();
  hub.faults.badSha.add("needle.pkl");
  await rejects(Needle.load(opts), "SHA_MISMATCH", /SHA-256.*deleted/);
  assert.equal(filesUnder(opts.cacheDir!).filter((f) => f.includes("needle.pkl")), []);
});

test("offline: an empty cache names what is missing; a cached checkpoint converts to another dtype without a request; a deleted file is named", async () => {
  const opts = options();
  await rejects(Needle.load({ ...opts, offline: true }), "OFFLINE_MISSING", /no revision "main" of test-org\/needle-tiny.*needle-wasm pull/);
  (await Needle.load(opts)).dispose();
  hub.requests.length = 0;
  process.env.HF_HUB_OFFLINE = "1";
  try {
    const int8 = await Needle.load({ ...opts, dtype: "int8" });
    assert.is(int8.model.dtype, "int8");
    int8.dispose();
    assert.equal(hub.requests, [], "offline: no request");
    const snapshot = join(opts.cacheDir!, "models", "test-org--needle-tiny", "snapshots", hub.commit(PUBLIC_REPO));
    rmSync(join(snapshot, "tokenizer", "needle.model"));
    await rejects(Needle.load({ ...opts, dtype: "f16" }), "OFFLINE_MISSING", /needle\.model.*is not in the cache/);
  } finally {
    delete process.env.HF_HUB_OFFLINE;
  }
});

test("the endpoint and cache folder come from HF_ENDPOINT and NEEDLE_WASM_CACHE; the folder falls back to XDG_CACHE_HOME, then ~/.cache", async () => {
  const dir = cacheDir();
  process.env.HF_ENDPOINT = hub.url;
  process.env.NEEDLE_WASM_CACHE = dir;
  try {
    const needle = await Needle.load({ model: PUBLIC_REPO, dtype: "int4" });
    assert.ok(statSync(join(dir, "models", "test-org--needle-tiny", "bundles", needle.origin!.commit, "int4.needle")).size > 0);
    assert.is(needle.origin!.endpoint, hub.url);
    needle.dispose();
    const api = (await nodeApi())!;
    assert.is(cacheRoot(api, "/x/y"), "/x/y");
    assert.is(cacheRoot(api, undefined), dir);
    delete process.env.NEEDLE_WASM_CACHE;
    const xdg = process.env.XDG_CACHE_HOME;
    process.env.XDG_CACHE_HOME = "/tmp/xdg";
    assert.is(cacheRoot(api, undefined), "/tmp/xdg/needle-wasm");
    delete process.env.XDG_CACHE_HOME;
    assert.is(cacheRoot(api, undefined), join(api.os.homedir(), ".cache", "needle-wasm"));
    if (xdg !== undefined) process.env.XDG_CACHE_HOME = xdg;
  } finally {
    delete process.env.HF_ENDPOINT;
    delete process.env.NEEDLE_WASM_CACHE;
  }
});

test("model and weights together are refused", async () => {
  try {
    await Needle.load({ model: PUBLIC_REPO, weights: CHECKPOINT_BYTES });
    assert.unreachable("loaded");
  } catch (err) {
    assert.is((err as { code?: string }).code, "BAD_OPTION");
  }
});

test.run();
