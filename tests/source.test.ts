// lib/load/source.ts: every kind of source read to the same bytes, progress
// events, bodies read into one preallocated buffer, and the Cache API store
// (here over a small in-memory CacheStorage; tests/runtimes.test.ts checks
// the real one in Chromium).

import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { createServer, type Server } from "node:http";
import { readSource, type LoadProgress } from "../lib/load/source.ts";
import { SourceError } from "../lib/errors.ts";
import { FIXTURES } from "./helpers.ts";

const PATH = `${FIXTURES}tokenizer/needle_test.model`;
const BYTES = new Uint8Array(readFileSync(PATH));

/** A stream of `bytes` in chunks of `size`. */
function chunked(bytes: Uint8Array, size: number): ReadableStream<Uint8Array> {
  let at = 0;
  return new ReadableStream({
    pull(controller) {
      if (at >= bytes.length) return controller.close();
      controller.enqueue(bytes.slice(at, at + size));
      at += size;
    },
  });
}

/** Same bytes as the fixture, whatever the view type (fs gives a Buffer). */
function assertBytes(actual: Uint8Array, what = "bytes"): void {
  assert.instance(actual, Uint8Array, what);
  assert.ok(Buffer.from(actual.buffer, actual.byteOffset, actual.byteLength).equals(BYTES), `${what}: differ from the file`);
}

function collect(): { events: LoadProgress[]; onProgress: (e: LoadProgress) => void } {
  const events: LoadProgress[] = [];
  return { events, onProgress: (e) => events.push(e) };
}

async function throwsSource(promise: Promise<unknown>, code: string): Promise<SourceError> {
  try {
    await promise;
  } catch (err) {
    assert.instance(err, SourceError);
    assert.is((err as SourceError).code, code);
    return err as SourceError;
  }
  assert.unreachable(`expected a SourceError ${code}`);
  throw new Error("unreachable");
}

test("a path, a file: URL, bytes, a Blob, a stream and a { body, size } object all read to the same bytes", async () => {
  const sources = [
    PATH,
    pathToFileURL(PATH),
    pathToFileURL(PATH).href,
    BYTES,
    BYTES.buffer,
    new DataView(BYTES.buffer),
    new Blob([BYTES]),
    chunked(BYTES, 1000),
    { body: chunked(BYTES, 777), size: BYTES.length },
    new Response(chunked(BYTES, 4096)),
  ];
  for (const source of sources) assertBytes(await readSource(source, "tokenizer"), String(source?.constructor?.name));
});

test("progress: a sized stream reports every chunk with its total, in order, ending at the size", async () => {
  const { events, onProgress } = collect();
  await readSource({ body: chunked(BYTES, 10_000), size: BYTES.length }, "weights", { onProgress });
  assert.is(events.length, Math.ceil(BYTES.length / 10_000));
  assert.ok(events.every((e, i) => e.what === "weights" && e.total === BYTES.length && !e.cached && (i === 0 || e.loaded > events[i - 1]!.loaded)));
  assert.is(events.at(-1)!.loaded, BYTES.length);
});

test("progress: a file read reports one complete event; an unsized stream reports no total", async () => {
  const file = collect();
  await readSource(PATH, "tokenizer", { onProgress: file.onProgress });
  assert.equal(file.events, [{ what: "tokenizer", source: PATH, loaded: BYTES.length, total: BYTES.length, cached: false }]);
  const stream = collect();
  await readSource(chunked(BYTES, 50_000), "tokenizer", { onProgress: stream.onProgress });
  assert.ok(stream.events.every((e) => e.total === undefined));
  assert.is(stream.events.at(-1)!.loaded, BYTES.length);
});

test("a body with Content-Length is read into one buffer of that size (no arrayBuffer() and copy)", async () => {
  const response = new Response(chunked(BYTES, 3000), { headers: { "content-length": String(BYTES.length) } });
  let calledArrayBuffer = false;
  response.arrayBuffer = () => {
    calledArrayBuffer = true;
    throw new Error("arrayBuffer() must not be used");
  };
  const bytes = await readSource(response, "weights");
  assert.not.ok(calledArrayBuffer);
  assert.is(bytes.buffer.byteLength, BYTES.length, "exactly one buffer of the announced size");
  assertBytes(bytes);
});

test("Content-Length under Content-Encoding is not taken as the total; a longer body than announced still reads whole", async () => {
  const { events, onProgress } = collect();
  const gzipped = new Response(chunked(BYTES, 5000), { headers: { "content-length": "100", "content-encoding": "gzip" } });
  assertBytes(await readSource(gzipped, "weights", { onProgress }));
  assert.ok(events.every((e) => e.total === undefined));
  const sizedTooSmall = { body: chunked(BYTES, 5000), size: 10 };
  assertBytes(await readSource(sizedTooSmall, "weights"));
});

test("a stream shorter than its size, an HTTP error, a used body and a bad source are SourceErrors", async () => {
  await throwsSource(readSource({ body: chunked(BYTES, 5000), size: BYTES.length + 1 }, "weights"), "TRUNCATED");
  await throwsSource(readSource(new Response("nope", { status: 404 }), "weights"), "HTTP_ERROR");
  const used = new Response("x");
  await used.text();
  await throwsSource(readSource(used, "weights"), "BODY_USED");
  await throwsSource(readSource(42 as never, "weights"), "BAD_SOURCE");
  await throwsSource(readSource(`${FIXTURES}no-such-file`, "weights"), "NOT_FOUND");
  const failing = new ReadableStream({ pull: (c) => c.error(new Error("disk on fire")) });
  const err = await throwsSource(readSource(failing, "weights"), "READ_FAILED");
  assert.match(err.message, "disk on fire");
});

// ---------------------------------------------------------------- fetch and the Cache API

async function serve(): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const server: Server = createServer((_req, res) => {
    hits++;
    res.writeHead(200, { "content-type": "application/octet-stream", "content-length": String(BYTES.length) });
    res.end(BYTES);
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/needle.model`, hits: () => hits, close: () => new Promise((ok) => server.close(() => ok())) };
}

/** The part of CacheStorage that readSource uses, in memory. */
function memoryCaches(): { caches: CacheStorage; names: string[] } {
  const stores = new Map<string, Map<string, Response>>();
  const names: string[] = [];
  const caches = {
    async open(name: string) {
      names.push(name);
      if (!stores.has(name)) stores.set(name, new Map());
      const store = stores.get(name)!;
      return {
        async match(url: string) {
          return store.get(url)?.clone();
        },
        async put(url: string, response: Response) {
          store.set(url, new Response(await response.arrayBuffer(), { headers: response.headers }));
        },
      };
    },
  } as unknown as CacheStorage;
  return { caches, names };
}

test("fetch: progress with Content-Length; with cache, the second read comes from the store (cached: true) without a request", async () => {
  const server = await serve();
  const g = globalThis as { caches?: CacheStorage };
  const saved = g.caches;
  const { caches, names } = memoryCaches();
  g.caches = caches;
  try {
    const first = collect();
    assertBytes(await readSource(server.url, "tokenizer", { onProgress: first.onProgress, cache: true }));
    assert.ok(first.events.length >= 1 && first.events.every((e) => e.total === BYTES.length && !e.cached));
    const second = collect();
    assertBytes(await readSource(new URL(server.url), "tokenizer", { onProgress: second.onProgress, cache: true }));
    assert.ok(second.events.length >= 1 && second.events.every((e) => e.total === BYTES.length && e.cached));
    assert.is(server.hits(), 1, "one download for two reads");
    await readSource(server.url, "tokenizer", { cache: "my-models" });
    assert.is(server.hits(), 2, "another cache name is another store");
    assert.equal(names, ["needle-wasm", "needle-wasm", "my-models"]);
    await readSource(server.url, "tokenizer");
    assert.is(server.hits(), 3, "without the option, no cache");
  } finally {
    g.caches = saved;
    await server.close();
  }
});

test("fetch: where there is no Cache API the cache option is ignored", async () => {
  const server = await serve();
  try {
    assert.is((globalThis as { caches?: unknown }).caches, undefined);
    assertBytes(await readSource(server.url, "tokenizer", { cache: true }));
    assertBytes(await readSource(server.url, "tokenizer", { cache: true }));
    assert.is(server.hits(), 2);
  } finally {
    await server.close();
  }
});

test.run();
