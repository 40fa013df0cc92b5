// package.json says what the package is, and the tarball backs it up: the
// license it names is shipped as a LICENSE file holding that license, and
// every entry of `files` puts something in the tarball.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { packList, ROOT } from "./packed-files.ts";

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  license: string;
  author: string;
  keywords: string[];
  files: string[];
};
const { files } = packList();

test("the license package.json names is shipped as LICENSE, with that license's text", () => {
  assert.is(pkg.license, "MIT");
  assert.ok(files.has("LICENSE"), "LICENSE is in npm pack's file list");
  const text = readFileSync(join(ROOT, "LICENSE"), "utf8");
  assert.match(text, /^MIT License\n\nCopyright \(c\) \d{4} .+\n/);
  assert.match(text, /Permission is hereby granted, free of charge, to any person obtaining a copy/);
  assert.match(text, /THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND/);
});

test("author and keywords are set", () => {
  assert.type(pkg.author, "string");
  assert.ok(pkg.author.length > 0);
  assert.ok(Array.isArray(pkg.keywords) && pkg.keywords.length > 0 && pkg.keywords.every((k) => typeof k === "string" && k.length > 0));
});

test("every entry of package.json's files puts at least one file in the tarball (after npm run build)", () => {
  const empty = pkg.files.filter((entry) => ![...files].some((f) => (entry.endsWith("/") ? f.startsWith(entry) : f === entry)));
  assert.equal(empty, []);
});

test.run();
