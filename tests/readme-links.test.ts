// Every relative link and image in the documentation leads to a file that
// exists (and to a heading that exists, where it names one); every link in
// README.md also works from the published package: an https URL, or a file
// the tarball holds (npm shows the README of the package, not of a clone).

import { test } from "uvu";
import * as assert from "uvu/assert";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, normalize, relative, sep } from "node:path";
import { headingAnchors, markdownLinks } from "./markdown-links.ts";
import { packList, ROOT } from "./packed-files.ts";

const DOCS = [
  "README.md",
  "CONTRIBUTING.md",
  "benchmarks/RESULTS.md",
  ...readdirSync(join(ROOT, "docs")).filter((f) => f.endsWith(".md")).map((f) => `docs/${f}`),
];

const isUrl = (target: string) => /^[a-z][a-z0-9+.-]*:/i.test(target);

interface Resolved {
  /** The target file, relative to the repository root. */
  path: string;
  anchor: string | null;
}

function resolve(file: string, target: string): Resolved {
  const hash = target.indexOf("#");
  const pathPart = hash < 0 ? target : target.slice(0, hash);
  const anchor = hash < 0 ? null : decodeURIComponent(target.slice(hash + 1));
  const path = pathPart === "" ? file : relative(ROOT, normalize(join(ROOT, dirname(file), decodeURIComponent(pathPart))));
  return { path: path.split(sep).join("/"), anchor };
}

function problems(file: string): string[] {
  const found: string[] = [];
  for (const { target, line } of markdownLinks(readFileSync(join(ROOT, file), "utf8"))) {
    if (isUrl(target)) {
      if (!target.startsWith("https://")) found.push(`${file}:${line}: ${target} is not an https URL`);
      continue;
    }
    const { path, anchor } = resolve(file, target);
    const full = join(ROOT, path);
    if (path.startsWith("..") || !existsSync(full)) {
      found.push(`${file}:${line}: ${target} → ${path} does not exist`);
      continue;
    }
    if (anchor !== null) {
      if (!path.endsWith(".md") || statSync(full).isDirectory()) found.push(`${file}:${line}: ${target}: an anchor into a file that is not Markdown`);
      else if (!headingAnchors(readFileSync(full, "utf8")).has(anchor)) found.push(`${file}:${line}: ${target}: ${path} has no heading #${anchor}`);
    }
  }
  return found;
}

test("the link reader sees inline links and images, not code", () => {
  const text = "[a](x.md) ![b](img.png \"t\")\n`[c](not-a-link.md)`\n```\n[d](in-a-fence.md)\n```\n[`e`](docs/y.md#z)";
  assert.equal(markdownLinks(text).map((l) => `${l.line}:${l.target}`), ["1:x.md", "1:img.png", "6:docs/y.md#z"]);
});

test("heading anchors follow GitHub's rule", () => {
  const text = "# Default model: a small demo, not Cactus's Needle\n## `needle-wasm convert`\n## `.needle` bundles\n## Errors\n### Errors\n```\n# not a heading\n```";
  assert.equal([...headingAnchors(text)], ["default-model-a-small-demo-not-cactuss-needle", "needle-wasm-convert", "needle-bundles", "errors", "errors-1"]);
});

for (const file of DOCS) {
  test(`${file}: every relative link and image leads to a file (and heading) that exists`, () => {
    assert.equal(problems(file), []);
  });
}

test("README.md: every link is an https URL or a file the published package holds", () => {
  const { files } = packList();
  const missing = markdownLinks(readFileSync(join(ROOT, "README.md"), "utf8"))
    .filter(({ target }) => !isUrl(target))
    .map(({ target, line }) => ({ line, target, path: resolve("README.md", target).path }))
    .filter(({ path }) => !files.has(path))
    .map(({ line, target, path }) => `README.md:${line}: ${target} → ${path} is not in npm pack's file list`);
  assert.equal(missing, []);
});

test.run();
