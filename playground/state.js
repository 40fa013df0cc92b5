// The page's state in its address (after #, so no server sees it): what a
// shared link restores. Only plain strings; the model's own files cannot
// travel in a link, so a local model is recorded by its file names; a model
// on a Hugging Face hub by its id, revision and the hub's address.

/** Keys and their defaults; a value equal to its default is left out of the link. */
const DEFAULTS = {
  preset: "",
  tools: "",
  query: "",
  model: "demo",
  files: "",
  hub: "",
  revision: "",
  endpoint: "",
  dtype: "f32",
  threads: "1",
  constrained: "schema",
  choice: "",
  prefix: "",
  maxTokens: "511",
};

/** The model choices: the bundled demo, local files, a Hugging Face model id. */
const MODELS = ["demo", "files", "hub"];

/** The state in `hash` (location.hash), every key present. */
export function readState(hash) {
  const params = new URLSearchParams(hash.replace(/^#/, ""));
  const state = { ...DEFAULTS };
  for (const key of Object.keys(DEFAULTS)) {
    const value = params.get(key);
    if (value !== null) state[key] = value;
  }
  if (!MODELS.includes(state.model)) state.model = DEFAULTS.model;
  return state;
}

/** The hash for `state` (`#…`, or "" when everything is at its default). */
export function stateHash(state) {
  const params = new URLSearchParams();
  for (const [key, fallback] of Object.entries(DEFAULTS)) {
    const value = state[key] ?? fallback;
    if (value !== fallback) params.set(key, value);
  }
  const text = params.toString();
  return text ? `#${text}` : "";
}
