// The Hugging Face part of the model picker: the load options for a model
// id (Needle.load({ model, revision, endpoint })), and the words for its
// origin and for download progress. The download, its SHA-256 checks and
// the Cache API store are the package's (lib/hub/); nothing here fetches.

/**
 * `{ model, revision?, endpoint?, token? }` from the page's state and the
 * token field (never part of the state); empty fields are the package's defaults.
 */
export function hubLoadOptions(state, token) {
  const options = { model: state.hub.trim() };
  if (state.revision.trim() !== "") options.revision = state.revision.trim();
  if (state.endpoint.trim() !== "") options.endpoint = state.endpoint.trim();
  if (token !== "") options.token = token;
  return options;
}

/** What a model loaded by id is: repo@revision, the commit, where it came from. */
export function describeOrigin(origin) {
  const revision = origin.revision === origin.commit ? "" : `@${origin.revision}`;
  const from = origin.cached ? "from this browser's cache" : `downloaded from ${origin.endpoint}`;
  return `${origin.repo}${revision} (commit ${origin.commit.slice(0, 12)}, ${from})`;
}

/** "1.2 MB", "340.5 kB", "12 bytes". */
export function formatBytes(n) {
  if (n >= 1e6) return `${(n / 1e6).toFixed(1)} MB`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} kB`;
  return `${n} bytes`;
}

/** One LoadProgress event (`{ what, source, loaded, total?, cached }`) in words. */
export function describeProgress(event) {
  const file = fileName(event.source);
  const what = file ? `${event.what} (${file})` : event.what;
  if (event.cached) return `Loading ${what} from this browser's cache: ${formatBytes(event.loaded)}`;
  const of = event.total !== undefined ? ` of ${formatBytes(event.total)}` : "";
  return `Loading ${what}: ${formatBytes(event.loaded)}${of}`;
}

/** The last path segment of a URL source, or "" for the other kinds ("Blob", "ReadableStream", …). */
function fileName(source) {
  if (!/^https?:\/\//i.test(source)) return "";
  try {
    return decodeURIComponent(new URL(source).pathname.split("/").pop() ?? "");
  } catch {
    return "";
  }
}
