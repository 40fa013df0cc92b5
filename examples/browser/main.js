// The browser example: load Needle with download progress (and, if ticked,
// the Cache API so the next visit does not download again), then call it
// with the query and tools on the page.
//
// Page address parameters: ?weights=URL (default: the package's bundled
// demo model), &tokenizer=URL (a needle.pkl needs one; a .needle bundle
// carries its own), &cache=0|1 (default 1). serve.mjs prints the address
// for the files it mounts.
// For scripts and the console: window.needle (the session once loaded),
// window.needleProgress (every progress event), body[data-state]
// ("loading" | "ready" | "error").

import { Needle, hasWasmSimd } from "needle-wasm";

const CACHE_NAME = "needle-wasm";
const params = new URLSearchParams(location.search);
const weights = params.get("weights") || undefined;
const tokenizer = params.get("tokenizer") || undefined;
const $ = (id) => document.getElementById(id);

$("tools").value = JSON.stringify([
  { name: "get_weather", description: "Get current weather for a city.",
    parameters: { location: { type: "string", description: "City name.", required: true } } },
  { name: "send_email", description: "Send an email.",
    parameters: { to: { type: "string", description: "Recipient address.", required: true },
                  body: { type: "string", description: "Message text.", required: true } } },
], null, 2);

$("cache").checked = params.get("cache") !== "0";
$("cache").addEventListener("change", () => {
  params.set("cache", $("cache").checked ? "1" : "0");
  location.search = params.toString(); // reload with the new setting
});
$("forget").addEventListener("click", async () => {
  const removed = await caches.delete(CACHE_NAME);
  $("status").textContent = removed ? "Cached model removed: the next load downloads it." : "Nothing was cached.";
});

window.needleProgress = [];

function showProgress(event) {
  window.needleProgress.push(event);
  const bar = $(`${event.what}-progress`);
  const mb = (n) => (n / 1048576).toFixed(1);
  if (event.total !== undefined) {
    bar.max = event.total;
    bar.value = event.loaded;
  }
  const of = event.total !== undefined ? ` / ${mb(event.total)} MB` : " MB";
  $(`${event.what}-status`).textContent = `${mb(event.loaded)}${of}${event.cached ? " (from cache)" : ""}`;
}

async function load() {
  if (!hasWasmSimd()) throw new Error("This browser has no WebAssembly SIMD: use Chrome/Edge ≥ 91, Firefox ≥ 89 or Safari ≥ 16.4.");
  if (!tokenizer) {
    // A .needle bundle (the demo model is one) carries its tokenizer: nothing to download.
    $("tokenizer-progress").max = 1;
    $("tokenizer-progress").value = 1;
    $("tokenizer-status").textContent = "in the weights bundle";
  }
  const started = performance.now();
  const needle = await Needle.load({ ...(weights ? { weights } : {}), ...(tokenizer ? { tokenizer } : {}), onProgress: showProgress, cache: $("cache").checked ? CACHE_NAME : false });
  const model = weights ? "model" : "demo model";
  $("status").textContent = `Ready: ${needle.model.config.d_model}-wide ${model} loaded in ${Math.round(performance.now() - started)} ms.`;
  return needle;
}

async function call(needle) {
  $("run").disabled = true;
  try {
    const started = performance.now();
    const result = await needle.call($("query").value, $("tools").value);
    const ms = Math.round(performance.now() - started);
    $("calls").textContent = result.error
      ? `No parseable calls (${result.error.code}); the model wrote:\n${result.text}`
      : JSON.stringify(result.calls, null, 2);
    $("result").textContent = JSON.stringify({ text: result.text, tokens: result.tokens, finishReason: result.finishReason, ms }, null, 2);
    $("status").textContent = `Called in ${ms} ms.`;
    document.body.dataset.calls = String(Number(document.body.dataset.calls ?? 0) + 1);
  } catch (err) {
    $("calls").textContent = "";
    $("status").innerHTML = "";
    $("status").append(Object.assign(document.createElement("span"), { className: "error", textContent: `${err.name}: ${err.message}` }));
  } finally {
    $("run").disabled = false;
  }
}

try {
  const needle = await load();
  window.needle = needle;
  $("run").disabled = false;
  $("run").addEventListener("click", () => call(needle));
  $("query").addEventListener("keydown", (e) => e.key === "Enter" && call(needle));
  document.body.dataset.state = "ready";
} catch (err) {
  $("status").innerHTML = "";
  $("status").append(Object.assign(document.createElement("span"), { className: "error", textContent: `Could not load Needle: ${err.message}` }));
  document.body.dataset.state = "error";
  console.error(err);
}
