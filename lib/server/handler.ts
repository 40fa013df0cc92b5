// createHandler: an OpenAI-compatible endpoint as a WHATWG fetch handler,
// `(request: Request) => Promise<Response>`, for Deno.serve, Bun.serve, a
// Worker's fetch and Node (needle-wasm serve). No dependency.
//
//   POST /v1/chat/completions   tool calls in the Chat Completions shape (JSON or SSE)
//   GET  /v1/models             the loaded model; GET /v1/models/{id}
//   GET  /health                { status, model, running, waiting }
//
// Errors are OpenAI's `{ error: { message, type, param, code } }`: 400 bad
// JSON or fields, 401 a configured API key missing or wrong, 404 unknown
// route, 405 wrong method, 413 body over the limit, 503 with Retry-After
// when the queue is full, 504 past the timeout, 500 only for the server's
// own failures.

import { InputError } from "../errors.ts";
import { prepareTools, type ToolsInput } from "../tools.ts";
import { callOptions, type ChatBackend } from "./backend.ts";
import { readJsonBody } from "./body.ts";
import { ApiError, errorResponse, timeoutError, toApiError } from "./errors.ts";
import { rawField } from "./raw-field.ts";
import { RequestQueue } from "./queue.ts";
import { parseChatRequest } from "./request.ts";
import { completion, completionMeta } from "./response.ts";
import { completionChunks, sseResponse } from "./stream.ts";

export interface HandlerOptions {
  /** Require `Authorization: Bearer <apiKey>` on /v1 routes (default: no key). */
  apiKey?: string;
  /** Largest request body in bytes (default 1 MiB). */
  maxBodyBytes?: number;
  /** The model id /v1/models and every completion report (default "needle"). */
  model?: string;
  /** Stop a call (504, or an error event when streaming) after this many ms, queueing included; 0: never (default). */
  timeoutMs?: number;
  /** Calls run at once: 1 for a Needle, the instance count for a pool (default 1). */
  concurrency?: number;
  /** Requests that may wait for a free slot; one more is a 503 (default 16). */
  maxQueue?: number;
}

export type FetchHandler = (request: Request) => Promise<Response>;

const DEFAULTS = { maxBodyBytes: 1 << 20, model: "needle", timeoutMs: 0, concurrency: 1, maxQueue: 16 };
const RETRY_AFTER_SECONDS = "1";

/** The endpoint over `backend` (a Needle, or a pool with its call interface). */
export function createHandler(backend: ChatBackend, options: HandlerOptions = {}): FetchHandler {
  const config = checkOptions(backend, options);
  const queue = new RequestQueue(config.concurrency, config.maxQueue);
  const created = Math.floor(Date.now() / 1000);
  const modelObject = { id: config.model, object: "model", created, owned_by: "needle-wasm" };

  async function route(request: Request): Promise<Response> {
    const path = new URL(request.url).pathname;
    if (path === "/health") {
      allow(request, "GET");
      return json({ status: "ok", model: config.model, running: queue.running, waiting: queue.waiting });
    }
    if (config.apiKey !== undefined) authorize(request, config.apiKey);
    if (path === "/v1/chat/completions") {
      allow(request, "POST");
      return chat(request);
    }
    if (path === "/v1/models") {
      allow(request, "GET");
      return json({ object: "list", data: [modelObject] });
    }
    if (path.startsWith("/v1/models/")) {
      allow(request, "GET");
      const id = decodedSegment(path.slice("/v1/models/".length));
      if (id !== config.model) throw new ApiError(404, "invalid_request_error", "model_not_found", `the model ${JSON.stringify(id)} does not exist; this server serves ${JSON.stringify(config.model)}`, { param: "model" });
      return json(modelObject);
    }
    throw new ApiError(404, "not_found_error", "unknown_route", `no route ${request.method} ${path}; this server answers POST /v1/chat/completions, GET /v1/models and GET /health`);
  }

  async function chat(request: Request): Promise<Response> {
    const { value, text } = await readJsonBody(request, config.maxBodyBytes);
    const body = parseChatRequest(value);
    // The tools as written, so that numbers keep their formatting (`1.0`) in Needle's prompt.
    const tools: ToolsInput = body.tools.length > 0 ? rawField(text, "tools") ?? body.tools : body.tools;
    try {
      prepareTools(tools); // bad tools are a 400 even when nothing is decoded
    } catch (err) {
      throw toApiError(err, "tools");
    }
    const meta = completionMeta(config.model);
    if (body.query === null) {
      if (!body.stream) return json(completion(meta, null, 0, body.parallelToolCalls));
      return sseResponse(completionChunks({ meta, events: null, promptTokens: 0, nameMap: {}, parallel: body.parallelToolCalls, includeUsage: body.includeUsage, failure: toApiError }), () => undefined);
    }
    const call = new CallControl(request.signal, config.timeoutMs);
    let release: (() => void) | undefined;
    let streaming = false;
    try {
      const turn = queue.enter(call.signal);
      if (turn === null) throw busy("the server's queue is full");
      release = await turn.catch((err) => {
        throw call.timedOut ? busy("no engine was free before the timeout") : err;
      });
      const query = body.query;
      const prompt = await (async () => backend.prompt(query, tools))().catch((err) => {
        throw toApiError(err, "messages");
      });
      const promptTokens = prompt.encoderIds.length;
      const options = callOptions(body, call.signal);
      if (!body.stream) {
        const result = await backend.call(query, tools, options);
        return json(completion(meta, result, promptTokens, body.parallelToolCalls));
      }
      const chunks = completionChunks({
        meta,
        events: backend.stream(query, tools, options),
        promptTokens,
        nameMap: prompt.nameMap,
        parallel: body.parallelToolCalls,
        includeUsage: body.includeUsage,
        failure: (err) => (call.timedOut ? timeoutError(config.timeoutMs) : toApiError(err)),
      });
      const done = release;
      streaming = true; // the stream releases its turn and its timer when it ends
      return sseResponse(finallyDo(chunks, () => {
        done();
        call.dispose();
      }), () => call.abort());
    } catch (err) {
      throw failure(err, call, config.timeoutMs);
    } finally {
      if (!streaming) {
        release?.();
        call.dispose();
      }
    }
  }

  return async (request) => {
    try {
      return await route(request);
    } catch (err) {
      return errorResponse(toApiError(err));
    }
  };
}

/** The ApiError a failed call answers with. */
function failure(err: unknown, call: CallControl, timeoutMs: number): ApiError {
  if (err instanceof ApiError) return err;
  if (call.timedOut) return timeoutError(timeoutMs);
  if (call.clientGone) return new ApiError(499, "invalid_request_error", "client_closed_request", "the client closed the request");
  return toApiError(err);
}

/** The abort signal of one call: the client going away, or the timeout. */
class CallControl {
  readonly #controller = new AbortController();
  readonly #client: AbortSignal;
  readonly #timer: ReturnType<typeof setTimeout> | undefined;
  readonly #onClientAbort = () => this.#controller.abort(this.#client.reason);
  timedOut = false;

  constructor(client: AbortSignal, timeoutMs: number) {
    this.#client = client;
    if (client.aborted) this.#controller.abort(client.reason);
    else client.addEventListener("abort", this.#onClientAbort, { once: true });
    if (timeoutMs > 0) {
      this.#timer = setTimeout(() => {
        this.timedOut = true;
        this.#controller.abort(new DOMException("the call ran past the server's timeout", "TimeoutError"));
      }, timeoutMs);
    }
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get clientGone(): boolean {
    return this.#client.aborted;
  }

  abort(): void {
    this.#controller.abort(new DOMException("the client went away", "AbortError"));
  }

  dispose(): void {
    clearTimeout(this.#timer);
    this.#client.removeEventListener("abort", this.#onClientAbort);
  }
}

/** `iterator`, running `cleanup` once when it ends, fails or is returned early. */
async function* finallyDo<T>(iterator: AsyncGenerator<T, void, undefined>, cleanup: () => void): AsyncGenerator<T, void, undefined> {
  try {
    yield* iterator;
  } finally {
    cleanup();
  }
}

/** A path segment's text; a malformed %-escape is kept as written (and matches no model). */
function decodedSegment(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

function busy(why: string): ApiError {
  return new ApiError(503, "server_error", "server_busy", `${why}; retry later`, { headers: { "retry-after": RETRY_AFTER_SECONDS } });
}

function allow(request: Request, method: string): void {
  if (request.method !== method) throw new ApiError(405, "invalid_request_error", "method_not_allowed", `use ${method} here, not ${request.method}`, { headers: { allow: method } });
}

function authorize(request: Request, apiKey: string): void {
  const header = request.headers.get("authorization") ?? "";
  const given = header.startsWith("Bearer ") ? header.slice("Bearer ".length).trim() : "";
  if (!sameText(given, apiKey)) {
    throw new ApiError(401, "authentication_error", "invalid_api_key", given === "" ? "an API key is required: send Authorization: Bearer <key>" : "the API key is wrong");
  }
}

/** String equality whose time does not depend on where the strings differ. */
function sameText(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function json(value: unknown, status = 200): Response {
  return new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json" } });
}

function checkOptions(backend: ChatBackend, options: HandlerOptions): Required<Omit<HandlerOptions, "apiKey">> & Pick<HandlerOptions, "apiKey"> {
  if (backend === null || typeof backend !== "object" || typeof backend.call !== "function" || typeof backend.stream !== "function" || typeof backend.prompt !== "function") {
    throw new InputError("BAD_BACKEND", "createHandler takes a Needle (or an object with its call, stream and prompt methods)");
  }
  if (options === null || typeof options !== "object") throw new InputError("BAD_OPTION", "createHandler's options must be an object");
  const count = (name: "maxBodyBytes" | "timeoutMs" | "concurrency" | "maxQueue", min: number): number => {
    const value = options[name] ?? DEFAULTS[name];
    if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) throw new InputError("BAD_OPTION", `${name} must be an integer of at least ${min}, got ${String(value)}`);
    return value;
  };
  const model = options.model ?? DEFAULTS.model;
  if (typeof model !== "string" || model === "") throw new InputError("BAD_OPTION", "model must be a non-empty string");
  if (options.apiKey !== undefined && (typeof options.apiKey !== "string" || options.apiKey === "")) throw new InputError("BAD_OPTION", "apiKey must be a non-empty string");
  return {
    model,
    maxBodyBytes: count("maxBodyBytes", 1),
    timeoutMs: count("timeoutMs", 0),
    concurrency: count("concurrency", 1),
    maxQueue: count("maxQueue", 0),
    ...(options.apiKey !== undefined ? { apiKey: options.apiKey } : {}),
  };
}
