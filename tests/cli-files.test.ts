// The CLI and files: convert never replaces what is not a regular file, its
// temporary file goes on failure and on SIGINT/SIGTERM, and `--tools -` from
// a standard input that never ends stops with a clear message.

import { test } from "uvu";
import * as assert from "uvu/assert";
import { spawn, execFileSync } from "node:child_process";
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { FIXTURES } from "./helpers.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const CLI = join(ROOT, "dist/cli.js");
const CHILD = fileURLToPath(new URL("convert-child.ts", import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), "needle-cli-files-"));
test.after(() => rmSync(scratch, { recursive: true, force: true }));

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Spawn `node ...args`; `onLine` sees each stdout line as it comes (and may signal the child); stdin stays open unless `input` is given. */
function run(args: string[], options: { input?: string; onLine?: (line: string, child: ReturnType<typeof spawn>) => void } = {}): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: ROOT, env: { ...process.env, NEEDLE_DEBUG: "" } });
    let stdout = "";
    let stderr = "";
    child.stdout!.setEncoding("utf8").on("data", (s: string) => {
      const before = stdout.split("\n").length - 1;
      stdout += s;
      const lines = stdout.split("\n");
      for (const line of lines.slice(before, -1)) options.onLine?.(line, child);
    });
    child.stderr!.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    child.on("error", reject);
    child.on("close", (code, signal) => resolve({ code, signal, stdout, stderr }));
    if (options.input !== undefined) child.stdin!.end(options.input);
  });
}

const convert = (output: string, ...extra: string[]) =>
  run([CLI, "convert", `${FIXTURES}tiny/needle_tiny.p4_numpy2.pkl`, `${FIXTURES}tokenizer/needle_test.model`, "-o", output, "--dtype", "int8", ...extra], { input: "" });

const temps = (dir: string) => readdirSync(dir).filter((name) => name.endsWith(".tmp"));

test("convert --force refuses to replace a symlink, and leaves it and its target as they were", async () => {
  const dir = mkdtempSync(join(scratch, "link-"));
  const target = join(dir, "target.txt");
  writeFileSync(target, "precious");
  const link = join(dir, "out.needle");
  symlinkSync(target, link);
  const exit = await convert(link, "--force");
  assert.is(exit.code, 1, exit.stderr);
  assert.match(exit.stderr, "OUTPUT_NOT_A_FILE");
  assert.match(exit.stderr, "symbolic link");
  assert.ok(lstatSync(link).isSymbolicLink());
  assert.is(readlinkSync(link), target);
  assert.is(readFileSync(target, "utf8"), "precious");
  assert.equal(temps(dir), []);
});

test("convert --force refuses to replace a FIFO (without opening it) or a directory", async () => {
  const dir = mkdtempSync(join(scratch, "fifo-"));
  const fifo = join(dir, "out.needle");
  execFileSync("mkfifo", [fifo]);
  const exit = await convert(fifo, "--force");
  assert.is(exit.code, 1, exit.stderr);
  assert.match(exit.stderr, "OUTPUT_NOT_A_FILE");
  assert.match(exit.stderr, "a FIFO");
  assert.ok(lstatSync(fifo).isFIFO());
  const sub = join(dir, "sub.needle");
  execFileSync("mkdir", [sub]);
  assert.match((await convert(sub, "--force")).stderr, "is a directory");
  assert.equal(temps(dir), []);
});

test("convert --force still replaces a regular file", async () => {
  const dir = mkdtempSync(join(scratch, "file-"));
  const out = join(dir, "out.needle");
  writeFileSync(out, "old");
  const exit = await convert(out, "--force");
  assert.is(exit.code, 0, exit.stderr);
  assert.is(readFileSync(out).subarray(0, 8).toString("latin1"), "NEEDLEWM");
  assert.equal(temps(dir), []);
});

for (const signal of ["SIGTERM", "SIGINT"] as const) {
  test(`${signal} while the bundle's temporary file exists removes it, and the process ends by that signal`, async () => {
    const dir = mkdtempSync(join(scratch, "signal-"));
    const out = join(dir, "out.needle");
    let temp = "";
    const exit = await run(["--import", "tsx", CHILD, out, "wait"], {
      onLine: (line, child) => {
        if (!line.startsWith("temp ")) return;
        temp = line.slice(5);
        assert.is(lstatSync(temp).size, 4 << 20); // whole, and there
        child.kill(signal);
      },
    });
    assert.ok(temp !== "", `the child never reached the temporary file: ${exit.stdout} ${exit.stderr}`);
    assert.is(exit.signal, signal, `exit ${exit.code} ${exit.stderr}`);
    assert.not.ok(existsSync(temp));
    assert.not.ok(existsSync(out));
    assert.equal(temps(dir), []);
  });
}

test("a failed move (the output appeared meanwhile) removes the temporary file and keeps the other output", async () => {
  const dir = mkdtempSync(join(scratch, "race-"));
  const out = join(dir, "out.needle");
  const exit = await run(["--import", "tsx", CHILD, out, "race"], { input: "" });
  assert.match(exit.stdout, "error OUTPUT_EXISTS");
  assert.is(readFileSync(out, "utf8"), "someone else's");
  assert.equal(temps(dir), []);
});

test("run --tools - with a standard input that never ends stops with STDIN_TIMEOUT (stdin left open)", async () => {
  const exit = await run([CLI, "run", "--query", "weather in Paris", "--tools", "-", "--stdin-timeout", "0.5"]);
  assert.is(exit.code, 1, exit.stderr);
  assert.match(exit.stderr, "STDIN_TIMEOUT");
  assert.match(exit.stderr, "--stdin-timeout");
});

test("run --tools - reads standard input that ends, and a bad --stdin-timeout is a usage error", async () => {
  const tools = JSON.stringify([{ name: "get_weather", description: "Weather.", parameters: { location: { type: "string", required: true } } }]);
  const exit = await run([CLI, "run", "--query", "weather in Paris", "--tools", "-", "--max-tokens", "4", "--json"], { input: tools });
  assert.is(exit.code, 0, exit.stderr);
  assert.ok(Array.isArray(JSON.parse(exit.stdout).tokens));
  const bad = await run([CLI, "run", "--query", "q", "--tools", "-", "--stdin-timeout", "soon"], { input: tools });
  assert.is(bad.code, 2, bad.stderr);
});

test.run();
