// The node: modules the hub cache uses (Node, Deno, Bun), imported on first
// use and only where the runtime has them. The Workers build defines
// NEEDLE_NODE_FS = false (as for lib/load/node-fs.ts), which folds this away.

import { hasFileSystem } from "../runtime.ts";
import { Sha256, type Hasher } from "./sha256.ts";

declare const NEEDLE_NODE_FS: boolean | undefined;

export interface NodeApi {
  fs: typeof import("node:fs/promises");
  path: typeof import("node:path");
  os: typeof import("node:os");
  crypto: typeof import("node:crypto");
}

let loaded: Promise<NodeApi | null> | undefined;

/** node:fs/promises, node:path, node:os and node:crypto; null in browsers, web workers and Workers. */
export function nodeApi(): Promise<NodeApi | null> {
  loaded ??= importNodeApi();
  return loaded;
}

async function importNodeApi(): Promise<NodeApi | null> {
  if (!hasFileSystem) return null;
  if (typeof NEEDLE_NODE_FS === "undefined" || NEEDLE_NODE_FS) {
    const [fs, path, os, crypto] = await Promise.all([
      import(/* webpackIgnore: true */ /* @vite-ignore */ "node:fs/promises"),
      import(/* webpackIgnore: true */ /* @vite-ignore */ "node:path"),
      import(/* webpackIgnore: true */ /* @vite-ignore */ "node:os"),
      import(/* webpackIgnore: true */ /* @vite-ignore */ "node:crypto"),
    ]);
    return { fs, path, os, crypto };
  }
  return null;
}

/** A SHA-256 hasher: node:crypto's where there is one, else the TypeScript one. */
export async function createSha256(): Promise<Hasher> {
  const api = await nodeApi();
  if (!api) return new Sha256();
  const hash = api.crypto.createHash("sha256");
  return { update: (bytes) => void hash.update(bytes), digestHex: () => hash.digest("hex") };
}
