// A Cloudflare Worker that answers POST { query, tools } with Needle's
// tool calls. `import { Needle } from "needle-wasm"` resolves to the
// package's "workerd" entry under wrangler and workerd, which imports
// build/needle.wasm as a Wasm module (Workers cannot compile Wasm from
// bytes). The model is loaded once per isolate, on the first request.
//
// The model: WEIGHTS_KEY, a .needle bundle (weights in the engine's layout
// plus the tokenizer, one file, one copy into Wasm memory); by default
// "needle-demo.needle", the package's bundled demo model, which
// demo-model.mjs (wrangler's build step) puts beside the converted models.
// For Needle itself, convert it to int4 (convert.mjs: the format that fits
// an isolate's 128 MB, see README.md) and set WEIGHTS_KEY to
// "needle-int4.needle". A needle.pkl checkpoint also works where memory
// allows: set WEIGHTS_KEY to it and TOKENIZER_KEY to its needle.model. A
// Needle 2 .cact works too (it carries its tokenizer; option "system").
//
// Where the files come from (first match):
//   env.MODEL_BUCKET  an R2 bucket (R2 objects stream in as { body, size })
//   env.ASSETS        a static-assets (or any fetcher) binding serving
//                     /<key> as a Response
//
// Routes:
//   POST /v1/chat/completions, GET /v1/models, GET /health: the
//     OpenAI-compatible endpoint of createHandler (the same as
//     `needle-wasm serve`), so any OpenAI client can use the Worker as its
//     tool router. Set the API_KEY secret to require `Authorization: Bearer`.
//   POST / {"query": "...", "tools": [...], "options": {...}?}
//     200 {"calls": [...], "text": "...", "tokens": [...], "finishReason": "stop", "error": null}
//     400 {"error": {"code", "message"}} for bad input

import { Needle, InputError, createHandler } from "needle-wasm";

/** The package's bundled demo model, as demo-model.mjs names it in ./model. */
const DEMO_MODEL = "needle-demo.needle";
const CALL_OPTIONS = ["constrained", "maxTokens", "prefix", "toolChoice", "overflow", "system"];

/** @type {Promise<Needle> | undefined} */
let loading;

/** @type {((request: Request) => Promise<Response>) | undefined} */
let handler;

export default {
  async fetch(request, env) {
    if (new URL(request.url).pathname !== "/") {
      try {
        handler ??= createHandler(await load(env), { model: modelId(env), ...(env.API_KEY ? { apiKey: env.API_KEY } : {}) });
      } catch (err) {
        return json({ error: { message: `the model could not be loaded: ${err?.message ?? err}`, type: "server_error", param: null, code: "model_unavailable" } }, 503);
      }
      return handler(request);
    }
    if (request.method === "GET") {
      return new Response('POST {"query": "...", "tools": [...]} to get Needle\'s tool calls.\n', { headers: { "content-type": "text/plain" } });
    }
    if (request.method !== "POST") return json({ error: { code: "METHOD_NOT_ALLOWED", message: "use POST" } }, 405);

    let body;
    try {
      body = await request.json();
    } catch {
      return json({ error: { code: "BAD_JSON", message: "the request body is not JSON" } }, 400);
    }
    const { query, tools, options = {} } = body ?? {};
    const callOptions = {};
    for (const key of CALL_OPTIONS) if (options[key] !== undefined) callOptions[key] = options[key];

    try {
      const needle = await load(env);
      const result = await needle.call(query, tools, callOptions);
      return json({ calls: result.calls, text: result.text, tokens: result.tokens, finishReason: result.finishReason, error: result.error?.code ?? null });
    } catch (err) {
      if (err instanceof InputError) return json({ error: { code: err.code, message: err.message } }, 400);
      return json({ error: { code: err?.code ?? "INTERNAL", message: String(err?.message ?? err) } }, 500);
    }
  },
};

function load(env) {
  loading ??= (async () => {
    const weights = await modelFile(env, env.WEIGHTS_KEY ?? DEMO_MODEL);
    const tokenizer = env.TOKENIZER_KEY ? await modelFile(env, env.TOKENIZER_KEY) : undefined;
    return Needle.load(tokenizer ? { weights, tokenizer } : { weights });
  })().catch((err) => {
    loading = undefined; // let the next request try again
    throw err;
  });
  return loading;
}

/** The model id /v1/models reports: the bundle's file name without its extension. */
function modelId(env) {
  return (env.WEIGHTS_KEY ?? "needle-int4.needle").replace(/\.(needle|pkl)$/, "");
}

/** A Source for `key`: an R2 object body ({ body, size }) or a static-asset Response. */
async function modelFile(env, key) {
  if (env.MODEL_BUCKET) {
    const object = await env.MODEL_BUCKET.get(key);
    if (object === null) throw new Error(`R2 object ${key} not found in MODEL_BUCKET`);
    return object;
  }
  if (env.ASSETS) {
    const response = await env.ASSETS.fetch(new Request(new URL(`/${key}`, "https://assets.invalid")));
    if (!response.ok) throw new Error(`static asset /${key} answered HTTP ${response.status}`);
    return response;
  }
  throw new Error("bind MODEL_BUCKET (R2) or ASSETS to serve the model files");
}

function json(value, status = 200) {
  return new Response(JSON.stringify(value), { status, headers: { "content-type": "application/json" } });
}
