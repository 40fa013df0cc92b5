// createHandler served by Deno.serve and by Bun.serve (tests/runtimes/serve.mjs,
// the runtimes from npm, dist/ from the build), on 127.0.0.1: the openai
// client and the AI SDK over HTTP get the tool calls Needle's own API makes
// here in Node, and a stream cancelled mid-way leaves the server answering.
// (The Worker in workerd is in tests/runtimes.test.ts.)

import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";
import OpenAI from "openai";
import { Needle } from "../lib/index.ts";
import { runtimeBinary, type RuntimeBinary } from "./runtimes/bins.ts";
import { TOOLS, WEATHER, callsOf, checkAiSdk, checkOpenAIClient, expectedCalls } from "./server-helpers.ts";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
const SCRIPT = `${ROOT}tests/runtimes/serve.mjs`;
const needle = await Needle.load();

const COMMANDS: Record<"deno" | "bun", string[]> = {
  deno: ["run", "--allow-read", "--allow-net=127.0.0.1", "--no-lock", SCRIPT],
  bun: [SCRIPT],
};

/** Run serve.mjs in `runtime`, check it, stop it. */
async function withServer(runtime: "deno" | "bun", check: (url: string) => Promise<void>): Promise<void> {
  const child = spawn(runtimeBinary(runtime as RuntimeBinary), COMMANDS[runtime], { cwd: ROOT, env: { ...process.env, DENO_NO_UPDATE_CHECK: "1", NO_COLOR: "1" }, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr.on("data", (d) => (err += d));
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${runtime}: serve.mjs did not listen in 60 s\n${err}`)), 60_000);
      child.stdout.on("data", (d) => {
        out += d;
        const line = out.split("\n").find((l) => l.startsWith("{"));
        if (line) {
          clearTimeout(timer);
          const ready = JSON.parse(line);
          assert.is(ready.runtime, runtime, `${runtime}: the script says it ran in ${runtime}`);
          resolve(ready.url);
        }
      });
      void exited.then(() => reject(new Error(`${runtime}: serve.mjs exited before listening\n${err}`)));
    });
    await check(url);
  } finally {
    child.kill("SIGTERM");
    await exited;
  }
}

async function checkServer(runtime: string, url: string): Promise<void> {
  const client = new OpenAI({ apiKey: "unused", baseURL: `${url}/v1`, maxRetries: 0 });
  await checkOpenAIClient(client, needle, runtime);
  await checkAiSdk({ baseURL: `${url}/v1` }, needle, runtime);
  const response = await fetch(`${url}/v1/chat/completions`, { method: "POST", body: JSON.stringify({ messages: [{ role: "user", content: WEATHER }], tools: TOOLS, stream: true }) });
  const reader = response.body!.getReader();
  await reader.read();
  await reader.cancel();
  const next = await client.chat.completions.create({ model: "needle-demo", messages: [{ role: "user", content: WEATHER }], tools: TOOLS });
  assert.equal(callsOf(next.choices[0]!.message), await expectedCalls(needle, WEATHER), `${runtime}: the request after a cancelled stream`);
  const bad = await fetch(`${url}/v1/chat/completions`, { method: "POST", body: "{" });
  assert.is(bad.status, 400, `${runtime}: bad JSON`);
  assert.is((await bad.json()).error.code, "invalid_json", `${runtime}: error shape`);
}

test("deno: Deno.serve(createHandler(needle)) answers the openai client and the AI SDK", () => withServer("deno", (url) => checkServer("deno", url)));

test("bun: Bun.serve({ fetch: createHandler(needle) }) answers the openai client and the AI SDK", () => withServer("bun", (url) => checkServer("bun", url)));

test.run();
