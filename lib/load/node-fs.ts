// The one place that touches node:fs (Node, Deno and Bun read files by path).
// The Workers build defines NEEDLE_NODE_FS = false (package.json
// build:entries), which folds the branch away, so dist/index.workerd.js does
// not even mention node:fs and wrangler needs no nodejs_compat flag.

declare const NEEDLE_NODE_FS: boolean | undefined;

/** Whole file by path or file: URL; rejects with the fs error (its `code` set) or NO_NODE_FS. */
export async function readFileBytes(path: string | URL): Promise<Uint8Array> {
  if (typeof NEEDLE_NODE_FS === "undefined" || NEEDLE_NODE_FS) {
    const fs = await import(/* webpackIgnore: true */ /* @vite-ignore */ "node:fs/promises");
    return fs.readFile(path);
  }
  throw Object.assign(new Error("this build has no file system access"), { code: "NO_NODE_FS" });
}
