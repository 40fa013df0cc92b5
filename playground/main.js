// The playground: load a model (the bundled demo, local files, or a model id
// on a Hugging Face hub), edit the
// tools and the query, run, and show the streamed output, the calls, the
// timings, the tokens and the retrieval ranking. The state lives in the
// address (state.js) so a case can be shared as a link.
//
// For scripts: body[data-state] ("loading" | "ready" | "running" | "waiting"
// for files or a model id | "error"), body[data-runs] (completed runs),
// body[data-loads] (model loads that ended: ready, failed or waiting),
// window.playground.needle.

import { Needle, hasWasmSimd, prepareTools } from "../dist/index.js";
import { describeOrigin, describeProgress, hubLoadOptions } from "./hub.js";
import { sortModelFiles } from "./model-files.js";
import { DEFAULT_PRESET, PRESETS } from "./presets.js";
import { renderCalls, renderChangedSteps, renderRanking, renderStats, renderTokens } from "./render.js";
import { readState, stateHash } from "./state.js";

const $ = (id) => document.getElementById(id);
const MAX_THREADS = 16;

const state = readState(location.hash);
let needle = null;
let loaded = null; // { label, loadMs } of the model in `needle`
let localFiles = null; // { weights, tokenizer, weightsKind } chosen on this visit
let loadGeneration = 0;
/** The run going on: `{ controller, done }` (done settles once the run has let go of the model). */
let running = null;
/** Why a run was stopped (its AbortSignal's reason). */
const STOPPED_BY_USER = "user";
const STOPPED_FOR_MODEL = "model";

window.playground = { get needle() { return needle; } };

function setPageState(value) {
  document.body.dataset.state = value;
  $("run").disabled = value !== "ready" && value !== "running";
  $("run").textContent = value === "running" ? "Stop" : "Run";
}

/** A load ended (ready, failed, or waiting for files or an id) in `value`. */
function loadEnded(value) {
  setPageState(value);
  document.body.dataset.loads = String(Number(document.body.dataset.loads) + 1);
}

function describeError(err) {
  return err && typeof err.code === "string" ? `${err.code}: ${err.message}` : `${err?.name ?? "Error"}: ${err?.message ?? err}`;
}

// ------------------------------------------------------------ the address

/** The link's state: a preset's tools are named by the preset, not copied. */
function saveState() {
  const preset = PRESETS[state.preset];
  const link = { ...state, tools: preset && preset.tools === state.tools ? "" : state.tools };
  if (!preset || preset.tools !== state.tools) link.preset = "";
  history.replaceState(null, "", location.pathname + location.search + stateHash(link));
}

// ------------------------------------------------------------ model

function threadsAvailable() {
  return globalThis.crossOriginIsolated === true && typeof SharedArrayBuffer === "function"
    ? Math.max(1, Math.min(MAX_THREADS, navigator.hardwareConcurrency || 1)) : 1;
}

function setupThreads() {
  const available = threadsAvailable();
  const select = $("threads");
  select.replaceChildren(...Array.from({ length: available }, (_, i) => new Option(String(i + 1), String(i + 1))));
  if (Number(state.threads) > available || !(Number(state.threads) >= 1)) state.threads = "1";
  select.value = state.threads;
  select.disabled = available === 1;
  $("threads-note").textContent = globalThis.crossOriginIsolated === true
    ? `The page is cross-origin isolated: the engine may run on up to ${available} threads (shared memory and workers).`
    : "Threads: 1. More need a cross-origin-isolated page (COOP/COEP headers, as `needle-wasm playground` sends them) for SharedArrayBuffer; this page is not isolated.";
}

/** dtype applies to a checkpoint only (local, or a hub repo's needle.pkl): a bundle's weights format is fixed. */
function updateDtype() {
  const checkpoint = (state.model === "files" && localFiles?.weightsKind === "checkpoint") || state.model === "hub";
  $("dtype").disabled = !checkpoint;
  $("dtype").value = checkpoint ? state.dtype : needle?.model.dtype ?? state.dtype;
  $("dtype-note").textContent = checkpoint ? "The checkpoint's weights are converted to this format in memory." : "dtype: fixed by the bundle (convert a checkpoint to change it).";
}

function showProgress(event) {
  const bar = $("load-progress");
  bar.hidden = false;
  bar.dataset.what = event.what;
  if (event.total !== undefined) {
    bar.max = event.total;
    bar.value = event.loaded;
  } else {
    bar.removeAttribute("value"); // indeterminate
  }
  $("model-status").textContent = `${describeProgress(event)}…`;
}

async function loadModel() {
  const generation = ++loadGeneration;
  if (running) {
    // The run stops at its next token and lets go of the model before it is disposed.
    running.controller.abort(STOPPED_FOR_MODEL);
    await running.done;
    if (generation !== loadGeneration) return;
  }
  needle?.dispose();
  needle = null;
  loaded = null;
  updateDtype();
  const options = { threads: Number(state.threads), onProgress: showProgress };
  let label = "the bundled demo model (weights/needle-demo.needle: a small model trained on synthetic tool calls, not Cactus's Needle)";
  if (state.model === "files") {
    if (!localFiles) {
      const names = state.files ? ` (${state.files})` : "";
      $("model-status").textContent = `This case uses local model files${names}: choose or drop them above, or pick the demo model.`;
      loadEnded("waiting");
      return;
    }
    options.weights = localFiles.weights;
    if (localFiles.tokenizer) options.tokenizer = localFiles.tokenizer;
    if (localFiles.weightsKind === "checkpoint") options.dtype = state.dtype;
    label = [localFiles.weights.name, localFiles.tokenizer?.name].filter(Boolean).join(" + ");
  } else if (state.model === "hub") {
    if (state.hub.trim() === "") {
      $("model-status").textContent = "Enter a Hugging Face model id (owner/name) above, then Enter or Load.";
      loadEnded("waiting");
      return;
    }
    Object.assign(options, hubLoadOptions(state, $("hub-token").value.trim()), { dtype: state.dtype });
  }
  $("hub-model").removeAttribute("aria-invalid");
  setPageState("loading");
  $("model-status").textContent = "Loading…";
  const started = performance.now();
  try {
    const loading = await Needle.load(options);
    if (generation !== loadGeneration) return loading.dispose();
    needle = loading;
    if (needle.origin) label = describeOrigin(needle.origin);
    loaded = { label, loadMs: performance.now() - started };
    const { config, dtype, threads } = needle.model;
    $("model-status").textContent = `Ready: ${label}; ${dtype}, d_model ${config.d_model}, ${threads} thread${threads > 1 ? "s" : ""}, loaded in ${Math.round(loaded.loadMs)} ms.`;
    $("load-progress").hidden = true;
    updateDtype();
    loadEnded("ready");
  } catch (err) {
    if (generation !== loadGeneration) return;
    $("model-status").textContent = `Could not load the model: ${describeError(err)}`;
    $("load-progress").hidden = true;
    if (state.model === "hub") $("hub-model").setAttribute("aria-invalid", "true");
    loadEnded("error");
  }
}

async function useFiles(files) {
  const sorted = await sortModelFiles([...files]);
  if (sorted.error) {
    $("model-files-status").textContent = sorted.error;
    return;
  }
  localFiles = sorted;
  $("model-files-status").textContent = [sorted.weights.name, sorted.tokenizer?.name].filter(Boolean).join(" + ");
  state.model = "files";
  state.files = $("model-files-status").textContent;
  document.querySelector('input[name=model][value=files]').checked = true;
  saveState();
  await loadModel();
}

/** Load the id in the hub fields (Enter or Load): the model choice becomes "hub". */
function useHub() {
  state.hub = $("hub-model").value.trim();
  state.revision = $("hub-revision").value.trim();
  state.endpoint = $("hub-endpoint").value.trim();
  state.model = "hub";
  document.querySelector("input[name=model][value=hub]").checked = true;
  saveState();
  loadModel();
}

// ------------------------------------------------------------ tools

/** Check the editor's JSON with the package's own parser; list the tools for tool choice. */
function checkTools() {
  try {
    const prepared = prepareTools($("tools").value);
    $("tools-error").textContent = "";
    $("tools").removeAttribute("aria-invalid");
    const select = $("tool-choice");
    const values = ["", "required", "none", ...prepared.names.map((name) => `name:${name}`)];
    select.replaceChildren(
      new Option("auto", ""),
      new Option("required: a call of any tool", "required"),
      new Option("none: no call", "none"),
      ...prepared.names.map((name) => new Option(name, `name:${name}`)),
    );
    select.value = values.includes(state.choice) ? state.choice : "";
    return true;
  } catch (err) {
    $("tools-error").textContent = describeError(err);
    $("tools").setAttribute("aria-invalid", "true");
    return false;
  }
}

function applyPreset(id) {
  const preset = PRESETS[id];
  if (!preset) return;
  state.preset = id;
  state.tools = preset.tools;
  state.query = preset.query;
  $("tools").value = preset.tools;
  $("query").value = preset.query;
  checkTools();
  saveState();
}

// ------------------------------------------------------------ a run

/** The tool choice control's value ("required", "none", "name:<tool>") to the package's toolChoice. */
function toolChoice(value) {
  return value.startsWith("name:") ? { name: value.slice("name:".length) } : value;
}

/** The constraints control's values (and the link's) to the package's `constrained`. */
const CONSTRAINED = { 1: true, schema: "schema", 0: false };

function callOptions() {
  const options = { constrained: CONSTRAINED[state.constrained] ?? "schema", maxTokens: Number(state.maxTokens) };
  if (state.prefix !== "") options.prefix = state.prefix;
  if (state.choice !== "") options.toolChoice = toolChoice(state.choice);
  return options;
}

/**
 * How many leading tokens are fed rather than chosen: `<tool_call>` and the
 * forced text's tokens (README: prefix and toolChoice). A prefix is always
 * fed; toolChoice "required" and `{ name }` are fed as the reference's
 * prefixes except under the schema constraint, whose grammar enforces them.
 */
function forcedCount(options, prompt) {
  let prefix = options.prefix;
  const choice = options.toolChoice;
  if (options.constrained !== "schema" && choice === "required") prefix = '[{"name":"';
  if (options.constrained !== "schema" && typeof choice === "object") {
    const snake = Object.keys(prompt.nameMap).find((s) => s === choice.name || prompt.nameMap[s] === choice.name);
    prefix = `[{"name":"${snake}","arguments":{`;
  }
  return prefix === undefined ? 0 : 1 + needle.tokenizer.encode(prefix).length;
}

/**
 * The model's own first choice at every step of `result` (the argmax of its
 * logits before any constraint), by replaying the call's tokens through the
 * public engine API; and the prefill time of the prompt, timed on its own.
 */
function replay(encoderIds, result, decoded) {
  const { model, tokenizer } = needle;
  const started = performance.now();
  model.encode(encoderIds);
  const prefillMs = performance.now() - started;
  const steps = decoded.length;
  const own = [];
  let token = tokenizer.eosId;
  for (let pos = 0; pos < steps; pos++) {
    model.decodeStep(token, pos);
    own.push(model.argmax());
    token = result.tokens[pos];
  }
  return { prefillMs, own };
}

function promptTokens(query, prompt) {
  const { tokenizer } = needle;
  const queryKept = tokenizer.encode(query).length - (prompt.truncated?.queryTokens ?? 0);
  return prompt.encoderIds.map((id, i) => ({ id, piece: tokenizer.idToPiece(id), part: i < queryKept ? "query" : i === queryKept ? "marker" : "tools" }));
}

/** The ids the decoder chose, the final EOS included; none for toolChoice "none" (the answer `[]` is not decoded). */
function decodedIds(result, options) {
  if (options.toolChoice === "none") return [];
  return result.steps > result.tokens.length ? [...result.tokens, needle.tokenizer.eosId] : result.tokens;
}

function generatedTokens(decoded, forced, own) {
  const { tokenizer } = needle;
  return decoded.map((id, i) => {
    const isForced = i < forced;
    const changed = !isForced && own[i] !== id ? { id: own[i], piece: tokenizer.idToPiece(own[i]) } : null;
    return { id, piece: tokenizer.idToPiece(id), forced: isForced, changed };
  });
}

const ms = (t) => `${t < 10 ? t.toFixed(2) : Math.round(t)} ms`;
const perSecond = (n, t) => (t > 0 && n > 0 ? `${Math.round((n * 1000) / t)} tokens/s` : "n/a");

function statsRows({ prompt, result, decoded, timing, replayed }) {
  const { model } = needle;
  const promptLength = prompt.encoderIds.length;
  const decodeSteps = decoded.length - 1; // after the first
  const decodeMs = timing.end - timing.first;
  const truncated = prompt.truncated;
  return [
    { key: "model", label: "model", value: `${model.dtype}, d_model ${model.config.d_model}, ${model.threads} thread${model.threads > 1 ? "s" : ""}` },
    { key: "load", label: "load time", value: ms(loaded.loadMs), title: "Needle.load(): fetch or read, parse, copy into the engine" },
    { key: "prompt", label: "prompt tokens", value: String(promptLength) },
    { key: "truncated", label: "truncated", value: truncated ? `yes: ${truncated.queryTokens} query and ${truncated.toolsTokens} tools tokens dropped` : "no" },
    { key: "prefill", label: "prefill", value: `${ms(replayed.prefillMs)} · ${perSecond(promptLength, replayed.prefillMs)}`, title: "the encoder over the prompt (model.encode), timed on its own after the call" },
    { key: "first-token", label: "first token", value: ms(timing.first - timing.start), title: "from Run to the first streamed token: prefill and one decode step" },
    { key: "decode", label: "decode", value: `${result.tokens.length} tokens · ${decodeSteps > 0 ? perSecond(decodeSteps, decodeMs) : "n/a"}`, title: "decode steps after the first, as the page receives them (constraints and streaming included)" },
    { key: "total", label: "total latency", value: ms(timing.end - timing.start), title: "from Run to the result" },
    { key: "finish", label: "finish", value: result.finishReason === "stop" ? "stop (EOS)" : result.steps > result.tokens.length ? "length (closed early to fit max tokens)" : "length (max tokens)" },
  ];
}

/** Run, or (while a run is going) stop it: the Run button is Stop then, and Esc stops it too. */
function runOrStop() {
  if (running) running.controller.abort(STOPPED_BY_USER);
  else run();
}

async function run() {
  if (!needle || running || document.body.dataset.state !== "ready") return;
  $("run-error").textContent = "";
  const query = $("query").value;
  const tools = $("tools").value;
  const options = callOptions();
  let prompt;
  try {
    prompt = needle.prompt(query, tools);
  } catch (err) {
    $("run-error").textContent = describeError(err);
    checkTools();
    return;
  }
  const controller = new AbortController();
  let finished;
  running = { controller, done: new Promise((resolve) => (finished = resolve)) };
  setPageState("running");
  $("output").textContent = "";
  renderTokens($("prompt-tokens"), promptTokens(query, prompt));
  $("prompt-count").textContent = `(${prompt.encoderIds.length}: query, <tools>, tools)`;
  const timing = { start: performance.now(), first: 0, end: 0 };
  let result;
  let streamed = 0;
  try {
    for await (const event of needle.stream(query, tools, { ...options, signal: controller.signal })) {
      if (event.type === "token") {
        streamed++;
        if (timing.first === 0) timing.first = performance.now();
        $("output").textContent += event.text;
      } else {
        result = event.result;
      }
    }
    timing.end = performance.now();
    if (timing.first === 0) timing.first = timing.end;
    // The deltas are the model's raw text (snake_case names); the final text carries the caller's names.
    $("output").textContent = result.text;
    renderCalls($("calls"), $("calls-note"), result);
    $("raw-text").textContent = result.text;
    const decoded = decodedIds(result, options);
    const replayed = replay(prompt.encoderIds, result, decoded);
    const generated = generatedTokens(decoded, Math.min(forcedCount(options, prompt), result.tokens.length), replayed.own);
    renderTokens($("generated-tokens"), generated);
    renderChangedSteps($("changed-steps"), generated);
    $("generated-count").textContent = decoded.length === 0 ? "(nothing decoded: tool choice none)"
      : `(${result.tokens.length}${result.steps > result.tokens.length ? " + EOS" : ""}; ${generated.filter((t) => t.forced).length} forced, ${generated.filter((t) => t.changed).length} changed by the constraints)`;
    renderStats($("stats"), statsRows({ prompt, result, decoded, timing, replayed }));
    renderRanking($("ranking"), await needle.rank(query, tools), prepareTools(tools).names);
    document.body.dataset.runs = String(Number(document.body.dataset.runs) + 1);
  } catch (err) {
    // The package throws the signal's reason (or an AbortError) when the run is stopped.
    const stopped = controller.signal.aborted && (err === controller.signal.reason || err?.name === "AbortError");
    $("run-error").textContent = !stopped ? describeError(err)
      : controller.signal.reason === STOPPED_FOR_MODEL ? "Stopped: another model was chosen."
      : `Stopped after ${streamed} token${streamed === 1 ? "" : "s"} (Esc or Stop).`;
  } finally {
    running = null;
    finished();
    // A model load that stopped this run sets the page's state itself.
    if (controller.signal.reason !== STOPPED_FOR_MODEL) setPageState("ready");
  }
}

// ------------------------------------------------------------ wiring

function restoreControls() {
  const presetSelect = $("preset");
  presetSelect.replaceChildren(new Option("(your own)", ""), ...Object.entries(PRESETS).map(([id, p]) => new Option(p.label, id)));
  if (state.tools === "") {
    const preset = PRESETS[state.preset] ? state.preset : DEFAULT_PRESET;
    state.preset = preset;
    state.tools = PRESETS[preset].tools;
    if (state.query === "") state.query = PRESETS[preset].query;
  } else if (PRESETS[state.preset]?.tools !== state.tools) {
    state.preset = "";
  }
  presetSelect.value = state.preset;
  $("tools").value = state.tools;
  $("query").value = state.query;
  document.querySelector(`input[name=model][value=${state.model}]`).checked = true;
  $("dtype").value = state.dtype;
  $("constrained").value = state.constrained in CONSTRAINED ? state.constrained : "schema";
  $("prefix").value = state.prefix;
  $("max-tokens").value = state.maxTokens;
  $("options").open = state.constrained !== "schema" || state.prefix !== "" || state.choice !== "" || state.maxTokens !== "511";
  if (state.files) $("model-files-status").textContent = state.files;
  $("hub-model").value = state.hub;
  $("hub-revision").value = state.revision;
  $("hub-endpoint").value = state.endpoint;
  setupThreads();
  checkTools();
}

function wire() {
  $("preset").addEventListener("change", (e) => applyPreset(e.target.value));
  $("tools").addEventListener("input", (e) => {
    state.tools = e.target.value;
    if (PRESETS[state.preset]?.tools !== state.tools) $("preset").value = state.preset = "";
    checkTools();
    saveState();
  });
  $("tools").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      run();
    }
  });
  $("query").addEventListener("input", (e) => {
    state.query = e.target.value;
    saveState();
  });
  $("query").addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.isComposing) {
      e.preventDefault();
      run();
    }
  });
  $("run").addEventListener("click", runOrStop);
  document.addEventListener("keydown", (e) => {
    if (e.key === "Escape" && running) {
      e.preventDefault();
      running.controller.abort(STOPPED_BY_USER);
    }
  });
  for (const radio of document.querySelectorAll("input[name=model]")) {
    radio.addEventListener("change", (e) => {
      if (e.target.value === "hub") return useHub();
      state.model = e.target.value;
      saveState();
      loadModel();
    });
  }
  $("model-files").addEventListener("change", (e) => useFiles(e.target.files));
  $("hub-load").addEventListener("click", useHub);
  for (const id of ["hub-model", "hub-revision", "hub-endpoint", "hub-token"]) {
    $(id).addEventListener("keydown", (e) => {
      if (e.key === "Enter" && !e.isComposing) {
        e.preventDefault();
        useHub();
      }
    });
  }
  document.addEventListener("dragover", (e) => {
    e.preventDefault();
    $("drop-zone").classList.add("over");
  });
  document.addEventListener("dragleave", () => $("drop-zone").classList.remove("over"));
  document.addEventListener("drop", (e) => {
    e.preventDefault();
    $("drop-zone").classList.remove("over");
    if (e.dataTransfer?.files.length) useFiles(e.dataTransfer.files);
  });
  const reloadOn = (id, key) => $(id).addEventListener("change", (e) => {
    state[key] = e.target.value;
    saveState();
    loadModel();
  });
  reloadOn("dtype", "dtype");
  reloadOn("threads", "threads");
  $("constrained").addEventListener("change", (e) => {
    state.constrained = e.target.value;
    saveState();
  });
  $("tool-choice").addEventListener("change", (e) => {
    state.choice = e.target.value;
    saveState();
  });
  $("prefix").addEventListener("input", (e) => {
    state.prefix = e.target.value;
    saveState();
  });
  $("max-tokens").addEventListener("input", (e) => {
    state.maxTokens = e.target.value;
    saveState();
  });
}

restoreControls();
wire();
saveState();
if (hasWasmSimd()) loadModel();
else {
  $("model-status").textContent = "This browser has no WebAssembly SIMD: use Chrome/Edge ≥ 91, Firefox ≥ 89 or Safari ≥ 16.4.";
  setPageState("error");
}
