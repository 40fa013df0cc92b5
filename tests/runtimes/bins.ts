// Where the runtimes that npm installed keep their binaries.
//
// deno, bun and workerd each ship the binary in a platform package
// (@deno/linux-x64-glibc, @oven/bun-linux-x64, @cloudflare/workerd-linux-64)
// and have a postinstall script that links or moves it into the main package.
// npm 11 warns that those scripts are "not yet covered by allowScripts"; if
// they do not run (--ignore-scripts, a future npm that blocks them), the main
// package holds only a stub that prints an error. So the binary is looked up
// in both places, platform package first, and must be a real executable
// (more than 1 MB), not the stub.

import { statSync } from "node:fs";
import { fileURLToPath } from "node:url";

const NODE_MODULES = fileURLToPath(new URL("../../node_modules/", import.meta.url));

export type RuntimeBinary = "deno" | "bun" | "workerd";

function candidates(name: RuntimeBinary): string[] {
  const { platform, arch } = process;
  const exe = platform === "win32" ? ".exe" : "";
  switch (name) {
    case "deno": {
      const plat = platform === "linux" ? `linux-${arch}-glibc` : `${platform}-${arch}`;
      return [`@deno/${plat}/deno${exe}`, `deno/deno${exe}`];
    }
    case "bun":
      return [`@oven/bun-${platform}-${arch}/bin/bun${exe}`, `@oven/bun-${platform}-${arch}-baseline/bin/bun${exe}`, "bun/bin/bun.exe"];
    case "workerd": {
      const plat = `${platform === "win32" ? "windows" : platform}-${arch === "x64" ? "64" : arch}`;
      return [`@cloudflare/workerd-${plat}/bin/workerd${exe}`];
    }
  }
}

/** Absolute path of the runtime's binary, or an Error naming the runtime and the paths tried. */
export function runtimeBinary(name: RuntimeBinary): string {
  const tried = candidates(name).map((path) => NODE_MODULES + path);
  for (const path of tried) {
    try {
      const info = statSync(path);
      if (info.isFile() && info.size > 1 << 20) return path;
    } catch {
      // not this one
    }
  }
  throw new Error(`${name}: no ${name} binary in node_modules (tried ${tried.join(", ")}); run npm ci (the "${name}" dev dependency)`);
}
