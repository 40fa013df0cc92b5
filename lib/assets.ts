// Files the package finds next to its code: the engine's .wasm, the demo
// model, the package root. Every `import.meta.url` lookup lives here, in a
// module one folder below the root both as source (lib/) and bundled (dist/),
// so the relative paths hold for both.

/** build/needle.wasm (a plain asset reference bundlers can follow). */
export function engineWasmUrl(): URL {
  return new URL("../build/needle.wasm", import.meta.url);
}

/** build/needle-mt.wasm, the threaded engine. */
export function threadedEngineWasmUrl(): URL {
  return new URL("../build/needle-mt.wasm", import.meta.url);
}

/** The package root (package.json, playground/, dist/): for the CLI. */
export function packageRootUrl(): URL {
  return new URL(["..", ""].join("/"), import.meta.url);
}

// The small demo model that ships with the package (weights/needle-demo.needle,
// trained by training/ on synthetic data; not Cactus's Needle): what
// Needle.load() and `needle-wasm run` use when no weights are given.
/**
 * Where the bundle sits: next to dist/ (and lib/). Built from parts so that
 * bundlers do not see a `new URL("…", import.meta.url)` asset reference and
 * copy 4 MB into every web build that never loads it.
 */
export function defaultModelUrl(): URL {
  return new URL(["..", "weights", "needle-demo.needle"].join("/"), import.meta.url);
}

/** What the default model is, for error messages and the CLI. */
export const DEFAULT_MODEL_DESCRIPTION =
  "the bundled demo model (weights/needle-demo.needle: a small Needle trained on synthetic tool calls, not Cactus's Needle)";
