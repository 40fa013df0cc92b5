// `needle-wasm serve`: the OpenAI-compatible endpoint (lib/server/) over
// node:http, with `--instances` Needles in worker threads behind a bounded
// queue, one access-log line per request on stderr, and a graceful stop on
// SIGTERM/SIGINT (in-flight requests finish, new ones are refused).

import { createServer, type IncomingMessage, type ServerResponse } from "node:http";
import { availableParallelism } from "node:os";
import { basename } from "node:path";
import { createHandler, type FetchHandler } from "../index.ts";
import { UsageError, countOption, stringOption, type ParsedArgs } from "./args.ts";
import type { CliIO, Command } from "./command.ts";
import { MODEL_OPTIONS, checkModelFiles, loadNeedle, modelFiles, type ModelFiles } from "./inputs.ts";
import type { NeedleLoadOptions } from "../needle.ts";
import { withProgress } from "./progress.ts";
import { sendResponse, toRequest } from "../server/node-http.ts";
import { WorkerPool } from "../server/worker-pool.ts";
import { packageRootUrl } from "../assets.ts";

const DEFAULT_PORT = 8080;
const DEFAULT_MAX_QUEUE = 64;
const DEFAULT_MAX_BODY = 1 << 20;
/** How long a stop waits for requests in flight before closing their connections. */
const DRAIN_MS = 30_000;

export const serveCommand: Command = {
  name: "serve",
  summary: "Serve an OpenAI-compatible endpoint (POST /v1/chat/completions) over HTTP.",
  usage: "serve [--model ID | --weights FILE [--tokenizer FILE]] [--host 127.0.0.1] [--port 8080] [options]",
  options: {
    ...MODEL_OPTIONS,
    host: { type: "string", value: "HOST", help: "address to listen on (default 127.0.0.1: this machine only)" },
    port: { type: "string", value: "N", help: `port to listen on (default ${DEFAULT_PORT}; 0 picks a free one)` },
    "api-key": { type: "string", value: "KEY", help: "require Authorization: Bearer KEY on /v1 routes (default: $NEEDLE_API_KEY, else none)" },
    instances: { type: "string", value: "N", help: "engine instances in worker threads, run in parallel (default: one per core)" },
    "max-queue": { type: "string", value: "N", help: `requests that may wait for an instance; more get 503 (default ${DEFAULT_MAX_QUEUE})` },
    "max-body": { type: "string", value: "BYTES", help: `largest request body; larger get 413 (default ${DEFAULT_MAX_BODY})` },
    timeout: { type: "string", value: "MS", help: "stop a request after MS milliseconds, queueing included (default: no limit)" },
  },
  positionals: { min: 0, max: 0 },
  notes: [
    "Routes: POST /v1/chat/completions (tools, tool_choice, stream), GET /v1/models, GET /health.",
    "The query is the last user message; Needle answers with tool_calls, or an empty assistant",
    "message. Errors are OpenAI's { error: { message, type, param, code } }.",
    "",
    "Listening, the address is written to stderr; then one line per request:",
    "  <time> <client> <method> <path> <status> <bytes> <ms>ms",
    "SIGTERM or SIGINT stops it: requests in flight finish, new ones get 503.",
    "",
    "example:",
    "  needle-wasm serve --port 8080 --instances 2",
    "  curl -s localhost:8080/v1/chat/completions -H 'content-type: application/json' \\",
    `    -d '{"messages":[{"role":"user","content":"weather in Paris?"}],"tools":[{"type":"function","function":{"name":"get_weather","parameters":{"type":"object","properties":{"location":{"type":"string"}}}}}]}'`,
  ],
  run,
};

async function run(args: ParsedArgs, io: CliIO): Promise<number> {
  const files = modelFiles(args);
  const host = stringOption(args, "host") ?? "127.0.0.1";
  const port = countOption(args, "port", 0, 65535) ?? DEFAULT_PORT;
  const apiKey = stringOption(args, "api-key") ?? (process.env.NEEDLE_API_KEY || undefined);
  if (apiKey === "") throw new UsageError("--api-key must not be empty");
  const instances = countOption(args, "instances", 1, 256) ?? availableParallelism();
  const maxQueue = countOption(args, "max-queue", 0) ?? DEFAULT_MAX_QUEUE;
  const maxBodyBytes = countOption(args, "max-body", 1) ?? DEFAULT_MAX_BODY;
  const timeoutMs = countOption(args, "timeout", 1) ?? 0;
  await checkModelFiles(files);
  const model = files.model ?? basename(files.weights).replace(/\.(needle|pkl)$/, "");
  const load = await instanceLoadOptions(files, io);
  const workerUrl = new URL("dist/serve-worker.js", packageRootUrl());
  const pool = await withProgress(io.err, `loading ${instances} instance${instances === 1 ? "" : "s"}`, () => WorkerPool.start(load, instances, workerUrl));
  const handler = createHandler(pool, { model, maxBodyBytes, timeoutMs, concurrency: instances, maxQueue, ...(apiKey !== undefined ? { apiKey } : {}) });
  return serve(handler, pool, { host, port, model, instances }, io);
}

/**
 * What each instance loads. With --model the hub model is downloaded,
 * verified, converted and cached here, once, with the progress line; the
 * instances then load it from the cache offline, with no request.
 */
async function instanceLoadOptions(files: ModelFiles, io: CliIO): Promise<NeedleLoadOptions> {
  if (files.model === undefined) return files;
  (await loadNeedle(files, io.err)).dispose();
  return { model: files.model, offline: true, ...(files.revision ? { revision: files.revision } : {}), ...(files.dtype ? { dtype: files.dtype } : {}) };
}

interface Listen {
  host: string;
  port: number;
  model: string;
  instances: number;
}

/** Serve until SIGTERM/SIGINT; resolves to the exit code once every request in flight has finished. */
function serve(handler: FetchHandler, pool: WorkerPool, listen: Listen, io: CliIO): Promise<number> {
  let stopping = false;
  let inFlight = 0;
  const server = createServer((req, res) => void answer(req, res));
  async function answer(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const client = req.socket.remoteAddress ?? "-";
    inFlight++;
    let sent = { bytes: 0, complete: false };
    try {
      if (stopping) res.setHeader("connection", "close");
      const response = stopping ? shuttingDown() : await handler(toRequest(req, res));
      sent = await sendResponse(response, res);
    } catch (err) {
      if (!res.headersSent) res.writeHead(500, { "content-type": "application/json" });
      res.end();
      io.err.write(`needle-wasm serve: ${(err as Error).message}\n`);
    } finally {
      inFlight--;
      const ms = (performance.now() - started).toFixed(1);
      io.err.write(`${new Date().toISOString()} ${client} ${req.method} ${req.url} ${res.statusCode} ${sent.bytes} ${ms}ms${sent.complete ? "" : " (client gone)"}\n`);
      if (stopping && inFlight === 0) server.closeIdleConnections();
    }
  }
  return new Promise((resolve, reject) => {
    server.once("error", (err) => {
      void pool.close();
      reject(err);
    });
    server.listen(listen.port, listen.host, () => {
      const address = server.address();
      const where = typeof address === "object" && address ? `${address.family === "IPv6" ? `[${address.address}]` : address.address}:${address.port}` : String(address);
      io.err.write(`needle-wasm serve: listening on http://${where} (model ${listen.model}, ${listen.instances} instance${listen.instances === 1 ? "" : "s"})\n`);
    });
    const stop = (signal: string) => {
      if (stopping) return;
      stopping = true;
      io.err.write(`needle-wasm serve: ${signal}: finishing ${inFlight} request${inFlight === 1 ? "" : "s"} in flight, refusing new ones\n`);
      const force = setTimeout(() => server.closeAllConnections(), DRAIN_MS);
      force.unref();
      server.close(() => {
        clearTimeout(force);
        void pool.close().then(() => {
          io.err.write("needle-wasm serve: stopped\n");
          resolve(0);
        });
      });
      server.closeIdleConnections();
    };
    process.once("SIGTERM", () => stop("SIGTERM"));
    process.once("SIGINT", () => stop("SIGINT"));
  });
}

function shuttingDown(): Response {
  const body = { error: { message: "the server is shutting down", type: "server_error", param: null, code: "shutting_down" } };
  return new Response(JSON.stringify(body), { status: 503, headers: { "content-type": "application/json", "retry-after": "1", connection: "close" } });
}
