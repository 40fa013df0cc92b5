// `needle-wasm serve` (dist/cli.js) in a child process on 127.0.0.1, on the
// demo model with two worker-thread instances: the openai client and the AI
// SDK over HTTP, curl (JSON, SSE, errors, a 1 MB garbage body), a client
// that disconnects mid-stream, one access-log line per request, and a
// graceful stop on SIGTERM. Runs after `npm run build`.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { execFile, spawn, type ChildProcess } from "node:child_process";
import { request } from "node:http";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import OpenAI from "openai";
import { Needle, defaultModelUrl } from "../lib/index.ts";
import { TOOLS, WEATHER, callsOf, checkAiSdk, checkOpenAIClient, expectedCalls } from "./server-helpers.ts";

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const KEY = "sk-serve-test";
const needle = await Needle.load();
const scratch = mkdtempSync(join(tmpdir(), "needle-serve-"));

interface Server {
  child: ChildProcess;
  url: string;
  log(): string;
  exited: Promise<number | null>;
}

/** Start `needle-wasm serve --port 0 …args` and wait for its "listening on" line. */
function startServer(args: string[], env: Record<string, string> = {}): Promise<Server> {
  const child = spawn(process.execPath, [CLI, "serve", "--port", "0", ...args], { env: { ...process.env, NEEDLE_API_KEY: "", ...env }, stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve did not start in 60 s:\n${log}`)), 60_000);
    child.stderr!.setEncoding("utf8").on("data", (text: string) => {
      log += text;
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(log);
      if (match) {
        clearTimeout(timer);
        resolve({ child, url: match[1]!, log: () => log, exited });
      }
    });
    void exited.then((code) => reject(new Error(`serve exited with ${code} before listening:\n${log}`)));
  });
}

function curl(args: string[]): Promise<string> {
  return new Promise((resolve, reject) => execFile("curl", ["-sS", ...args], { maxBuffer: 1 << 24 }, (err, stdout, stderr) => (err ? reject(new Error(`curl ${args.join(" ")}: ${err.message} ${stderr}`)) : resolve(stdout))));
}

const body = (extra: object = {}) => JSON.stringify({ model: "needle-demo", messages: [{ role: "user", content: WEATHER }], tools: TOOLS, ...extra });
const server = await startServer(["--instances", "2", "--api-key", KEY, "--max-body", "2000000"]);
const auth = ["-H", `authorization: Bearer ${KEY}`, "-H", "content-type: application/json"];

test.after(async () => {
  server.child.kill("SIGKILL");
  await server.exited;
  rmSync(scratch, { recursive: true, force: true });
});

test("openai client over HTTP: plain and streamed tool calls, every tool_choice, usage, models", async () => {
  const client = new OpenAI({ apiKey: KEY, baseURL: `${server.url}/v1`, maxRetries: 0 });
  await checkOpenAIClient(client, needle, "serve");
  assert.is((await client.models.list()).data[0]!.id, "needle-demo", "the model id is the weights file's name");
});

test("AI SDK over HTTP: generateText and streamText with zod tools", async () => {
  await checkAiSdk({ baseURL: `${server.url}/v1`, apiKey: KEY }, needle, "serve");
});

test("curl: a completion, a streamed one (SSE ending in [DONE]), 401, 404, 405, a 1 MB garbage body (400) and 413", async () => {
  const plain = JSON.parse(await curl([...auth, "-d", body(), `${server.url}/v1/chat/completions`]));
  assert.equal(callsOf(plain.choices[0].message), await expectedCalls(needle, WEATHER));
  const sse = await curl([...auth, "-N", "-d", body({ stream: true }), `${server.url}/v1/chat/completions`]);
  const events = sse.trim().split("\n\n");
  assert.ok(events.every((e) => e.startsWith("data: ")), "every event is a data line");
  assert.is(events[events.length - 1], "data: [DONE]");
  assert.is(JSON.parse(events[events.length - 2]!.slice(6)).choices[0].finish_reason, "tool_calls");
  const status = (args: string[]) => curl(["-o", "/dev/null", "-w", "%{http_code}", ...args]);
  assert.is(await status(["-d", body(), `${server.url}/v1/chat/completions`]), "401");
  assert.is(await status(["-H", "authorization: Bearer nope", "-d", body(), `${server.url}/v1/chat/completions`]), "401");
  assert.is(await status([...auth, `${server.url}/v2/anything`]), "404");
  assert.is(await status([...auth, `${server.url}/v1/chat/completions`]), "405");
  assert.is(await status([`${server.url}/health`]), "200");
  const garbage = join(scratch, "garbage.bin");
  const bytes = new Uint8Array(1_000_000);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 2654435761) >>> 24;
  writeFileSync(garbage, bytes);
  const bad = JSON.parse(await curl([...auth, "--data-binary", `@${garbage}`, `${server.url}/v1/chat/completions`]));
  assert.ok(["invalid_json", "invalid_body"].includes(bad.error.code), bad.error.code);
  const huge = join(scratch, "huge.json");
  writeFileSync(huge, " ".repeat(3_000_000));
  assert.is(await status([...auth, "--data-binary", `@${huge}`, `${server.url}/v1/chat/completions`]), "413");
  assert.is(await status([...auth, "-H", "transfer-encoding: chunked", "--data-binary", `@${huge}`, `${server.url}/v1/chat/completions`]), "413", "a chunked body is cut off at the limit");
  const after = JSON.parse(await curl([...auth, "-d", body(), `${server.url}/v1/chat/completions`]));
  assert.equal(callsOf(after.choices[0].message), await expectedCalls(needle, WEATHER), "the next request answers");
});

test("a client that disconnects mid-stream: the next requests answer correctly", async () => {
  for (let round = 0; round < 3; round++) {
    await new Promise<void>((resolve, reject) => {
      const req = request(`${server.url}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" } }, (res) => {
        res.once("data", () => {
          req.destroy();
          resolve();
        });
      });
      req.on("error", (err) => ((err as NodeJS.ErrnoException).code === "ECONNRESET" ? undefined : reject(err)));
      req.end(body({ stream: true }));
    });
  }
  const client = new OpenAI({ apiKey: KEY, baseURL: `${server.url}/v1`, maxRetries: 0 });
  const results = await Promise.all([0, 1, 2].map(() => client.chat.completions.create({ model: "needle-demo", messages: [{ role: "user", content: WEATHER }], tools: TOOLS })));
  for (const r of results) assert.equal(callsOf(r.choices[0]!.message), await expectedCalls(needle, WEATHER));
});

test("one access-log line per request on stderr", async () => {
  const mark = `?log=${Date.now().toString(36)}`;
  await curl([...auth, "-d", body(), `${server.url}/v1/chat/completions${mark}`]);
  await curl([`${server.url}/health${mark}`]);
  const marked = () => server.log().split("\n").filter((l) => l.includes(mark));
  for (let waited = 0; marked().length < 2 && waited < 10_000; waited += 10) await new Promise((resolve) => setTimeout(resolve, 10)); // written after the response
  const lines = marked();
  assert.is(lines.length, 2, lines.join("\n"));
  assert.match(lines[0]!, /^\d{4}-\d\d-\d\dT\S+Z 127\.0\.0\.1 POST \/v1\/chat\/completions\?log=\w+ 200 \d+ [\d.]+ms$/);
  assert.match(lines[1]!, / GET \/health\?log=\w+ 200 /);
});

test("SIGTERM: a request in flight finishes, then the server stops with exit code 0 (key from $NEEDLE_API_KEY)", async () => {
  const one = await startServer(["--instances", "1"], { NEEDLE_API_KEY: KEY });
  const denied = await new OpenAI({ apiKey: "wrong", baseURL: `${one.url}/v1`, maxRetries: 0 }).models.list().catch((e: unknown) => e);
  assert.instance(denied, OpenAI.AuthenticationError, "the key from $NEEDLE_API_KEY is required");
  // A request whose body is only half sent is in flight until the rest comes.
  const text = body();
  let sendRest!: () => void;
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = request(`${one.url}/v1/chat/completions`, { method: "POST", headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json", "content-length": Buffer.byteLength(text) } }, (res) => {
      let data = "";
      res.setEncoding("utf8").on("data", (d: string) => (data += d));
      res.on("end", () => resolve({ status: res.statusCode!, body: data }));
    });
    req.on("error", reject);
    req.write(text.slice(0, 40));
    sendRest = () => req.end(text.slice(40));
  });
  await fetch(`${one.url}/health`, { headers: { connection: "close" } }).then((r) => r.text()); // the half-sent request's headers are in by now
  one.child.kill("SIGTERM");
  while (!/SIGTERM: finishing/.test(one.log())) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.match(one.log(), /SIGTERM: finishing 1 request in flight/);
  sendRest();
  const done = await answer;
  assert.is(done.status, 200, done.body);
  assert.equal(callsOf(JSON.parse(done.body).choices[0].message), await expectedCalls(needle, WEATHER), "the request in flight was answered in full");
  assert.is(await one.exited, 0, `exit code; log:\n${one.log()}`);
  assert.match(one.log(), /stopped\n$/);
  const refused = await fetch(`${one.url}/health`).catch((e: unknown) => e);
  assert.instance(refused, Error, "nothing listens after the stop");
});

test("weights that do not load: serve exits with 1 and the error's code, listening on nothing", async () => {
  const demo = readFileSync(fileURLToPath(defaultModelUrl()));
  const truncated = join(scratch, "truncated.needle");
  writeFileSync(truncated, demo.subarray(0, demo.length >> 1));
  const outcome = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [CLI, "serve", "--port", "0", "--instances", "2", "--weights", truncated], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.setEncoding("utf8").on("data", (t: string) => (stderr += t));
    child.on("exit", (code) => resolve({ code, stderr }));
  });
  assert.is(outcome.code, 1, outcome.stderr);
  assert.match(outcome.stderr, /needle-wasm serve: [A-Z_]+: /);
  assert.not.match(outcome.stderr, /listening/);
});

test("serve --help lists its options; bad option values are usage errors (exit 2)", async () => {
  const help = await new Promise<string>((resolve) => execFile(process.execPath, [CLI, "serve", "--help"], (_e, out) => resolve(out)));
  for (const option of ["--weights", "--host", "--port", "--api-key", "--instances", "--max-queue", "--max-body", "--timeout"]) assert.ok(help.includes(option), option);
  const code = await new Promise<number | null>((resolve) => execFile(process.execPath, [CLI, "serve", "--port", "70000"], (e) => resolve(e ? (e as { code?: number }).code ?? null : 0)));
  assert.is(code, 2);
  const global = await new Promise<string>((resolve) => execFile(process.execPath, [CLI, "--help"], (_e, out) => resolve(out)));
  assert.match(global, /\n  serve /);
});

test.run();
