// tests/fixtures/ is the reference fixture set byte for byte: every file
// MANIFEST.json lists has its size and SHA-256, and nothing else is there
// but the README and the manifest itself.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { createHash } from "node:crypto";
import { readdirSync } from "node:fs";
import { FIXTURES, readFixture, readFixtureJson } from "./helpers.ts";

interface ManifestEntry {
  path: string;
  bytes: number;
  sha256: string;
}

/** Paths of the files under FIXTURES + dir, relative to FIXTURES. */
function filesUnder(dir: string): string[] {
  return readdirSync(FIXTURES + dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? filesUnder(`${dir}${entry.name}/`) : [`${dir}${entry.name}`]);
}

const manifest = readFixtureJson<{ files: ManifestEntry[] }>("MANIFEST.json");

test("every file in MANIFEST.json has its recorded size and SHA-256", () => {
  assert.ok(manifest.files.length > 0, "the manifest lists files");
  for (const entry of manifest.files) {
    const bytes = readFixture(entry.path);
    assert.is(bytes.length, entry.bytes, `${entry.path}: size`);
    assert.is(createHash("sha256").update(bytes).digest("hex"), entry.sha256, `${entry.path}: sha256`);
  }
});

test("tests/fixtures holds exactly the manifest's files, its README and the manifest", () => {
  const onDisk = filesUnder("").sort();
  const expected = [...manifest.files.map((entry) => entry.path), "MANIFEST.json", "README.md"].sort();
  assert.equal(onDisk, expected);
});

test.run();
