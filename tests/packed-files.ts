// What `npm pack` would put in the published tarball: its file list, as npm
// itself computes it from package.json's `files` (plus what npm always
// includes: package.json, README, LICENSE).

import { execFileSync } from "node:child_process";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("..", import.meta.url));

export interface PackList {
  /** Paths relative to the package root, `/`-separated. */
  files: Set<string>;
  /** The tarball's size in bytes. */
  size: number;
}

export function packList(): PackList {
  const npm = process.platform === "win32" ? "npm.cmd" : "npm";
  const out = execFileSync(npm, ["pack", "--dry-run", "--json", "--ignore-scripts"], { cwd: ROOT, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
  const [pack] = JSON.parse(out) as { files: { path: string }[]; size: number }[];
  return { files: new Set(pack!.files.map((f) => f.path)), size: pack!.size };
}
