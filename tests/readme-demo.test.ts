// README's demo-model example runs as written on the bundled model: the
// code block of "Default model", with this clone's Needle for its import,
// each `// → value` comment compared with what its line evaluates to.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { Needle } from "../lib/index.ts";

const README = readFileSync(new URL("../README.md", import.meta.url), "utf8");

/** The first ```ts block after the `## heading…` line. */
function codeBlockAfter(heading: string): string {
  const at = README.indexOf(`\n## ${heading}`);
  assert.ok(at >= 0, `README has a "## ${heading}" section`);
  const block = /```ts\n([\s\S]*?)```/.exec(README.slice(at));
  assert.ok(block, `a ts code block follows "## ${heading}"`);
  return block[1]!;
}

/** Only names and arguments: what the README shows of a call. */
const shown = (calls: { name: string; arguments: unknown }[]) => calls.map(({ name, arguments: args }) => ({ name, arguments: args }));

test("README's demo-model example gives the calls its comments show", async () => {
  const code = codeBlockAfter("Default model");
  const lines = code.split("\n");
  assert.match(lines[0]!, /^import \{ Needle \} from "needle-wasm";$/);
  // Each `expression; // → expected` line becomes a check of that expression.
  const checks: string[] = [];
  const body = lines.slice(1).map((line) => {
    const m = /^(.*?);\s*\/\/ → (.*)$/.exec(line);
    if (!m) return line;
    checks.push(m[2]!);
    return `__checks.push([${m[1]}, ${m[2]}]);`;
  });
  assert.ok(checks.length >= 2, "the example shows at least two results");
  const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (...args: string[]) => (...a: unknown[]) => Promise<void>;
  const results: [{ name: string; arguments: unknown }[], unknown][] = [];
  await new AsyncFunction("Needle", "__checks", body.join("\n"))(Needle, results);
  assert.is(results.length, checks.length);
  for (const [i, [got, expected]] of results.entries()) assert.equal(shown(got), expected, `README example ${i}: ${checks[i]}`);
});

test.run();
