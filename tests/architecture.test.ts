// The import graph keeps the layers docs/ARCHITECTURE.md draws: the
// tokenizer and the loaders below the engine, the engine below the user's
// flow, the CLI and the server on top, the AssemblyScript on its own.
import { test } from "uvu";
import * as assert from "uvu/assert";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

function sources(dir: string): string[] {
  return readdirSync(join(root, dir), { withFileTypes: true, recursive: true })
    .filter((e) => e.isFile() && e.name.endsWith(".ts"))
    .map((e) => relative(root, join(e.parentPath, e.name)));
}

/** Each file's relative imports (value imports only: `import type` carries no code), as repository paths. */
function imports(file: string): string[] {
  const text = readFileSync(join(root, file), "utf8");
  const found: string[] = [];
  for (const m of text.matchAll(/^\s*(?:import|export)\s+(type\s+)?(?:[^"';]*?\sfrom\s+)?["'](\.[^"']+)["']/gm)) {
    if (m[1]) continue;
    const target = normalize(join(dirname(file), m[2]!));
    found.push(target.endsWith(".ts") ? target : `${target}.ts`);
  }
  return found;
}

function violations(files: string[], allowed: (target: string) => boolean): string[] {
  return files.flatMap((file) => imports(file).filter((t) => !allowed(t)).map((t) => `${file} → ${t}`));
}

const under = (...dirs: string[]) => (path: string) => dirs.some((d) => path === d || path.startsWith(`${d}/`));

test("tokenizer/ takes from lib/ only its error classes and the source reader", () => {
  const leaf = new Set(["lib/errors.ts", "lib/load/source.ts"]);
  assert.equal(violations(sources("tokenizer"), (t) => t.startsWith("tokenizer/") || leaf.has(t)), []);
});

test("the leaves (errors, source reading) import nothing above them", () => {
  const leaves = ["lib/errors.ts", "lib/load/source.ts", "lib/load/node-fs.ts", "lib/runtime.ts"];
  assert.equal(violations(leaves, (t) => leaves.includes(t)), []);
});

test("lib/load/ reads formats: no engine, no session, no CLI or server", () => {
  assert.equal(violations(sources("lib/load"), (t) => !under("lib/engine", "lib/cli", "lib/server", "lib/hub", "lib/needle2")(t) && !["lib/needle.ts", "lib/decode.ts", "lib/calls.ts"].includes(t)), []);
});

test("lib/engine/ runs models: it knows nothing of tools, prompts, calls, constraints, the CLI or the server", () => {
  assert.equal(violations(sources("lib/engine"), (t) => !under("lib/cli", "lib/server", "lib/constrain", "lib/hub")(t) && !["lib/needle.ts", "lib/tools.ts", "lib/calls.ts", "lib/jsonschema.ts"].includes(t)), []);
});

test("only the CLI imports the CLI; assembly/ imports nothing outside it", () => {
  const rest = [...sources("lib"), ...sources("tokenizer")].filter((f) => !f.startsWith("lib/cli/"));
  assert.equal(violations(rest, (t) => !t.startsWith("lib/cli/")), []);
  const assembly = readdirSync(join(root, "assembly"), { recursive: true, withFileTypes: true }).filter((e) => e.isFile() && e.name.endsWith(".ts"));
  for (const e of assembly) {
    const file = relative(root, join(e.parentPath, e.name));
    for (const m of readFileSync(join(root, file), "utf8").matchAll(/from\s+["'](\.[^"']+)["']/g)) {
      assert.ok(normalize(join(dirname(file), m[1]!)).startsWith("assembly/"), `${file} imports ${m[1]}`);
    }
  }
});

test.run();
