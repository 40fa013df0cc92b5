// `needle-wasm convert`: needle.pkl + needle.model → one self-contained
// .needle bundle (weights/FORMAT.md) in a chosen weight format. The bundle is
// written to a temporary file beside the output and renamed into place, so
// the output is either absent or whole.

import { createHash, randomBytes } from "node:crypto";
import { constants, unlinkSync } from "node:fs";
import { access, link, lstat, open, rename, unlink } from "node:fs/promises";
import { basename, dirname, join } from "node:path";
import { NeedleError, convertToBundle, isBundle, readBundle, type WeightDtype } from "../index.ts";
import { UsageError, choiceOption, flag, requiredString, type ParsedArgs } from "./args.ts";
import type { CliIO, Command } from "./command.ts";
import { DTYPES, packageVersion, readInputFile } from "./inputs.ts";
import { countParameters } from "./inspect.ts";
import { columns, groupDigits, toJson } from "./output.ts";
import { withProgress } from "./progress.ts";

export const convertCommand: Command = {
  name: "convert",
  summary: "Convert a checkpoint and its tokenizer into one .needle bundle (f32, f16, int8 or int4 weights).",
  usage: "convert CHECKPOINT TOKENIZER -o FILE --dtype f32|f16|int8|int4 [--force] [--json]",
  options: {
    output: { type: "string", value: "FILE", short: "o", required: true, help: "where to write the bundle" },
    dtype: { type: "string", value: "f32|f16|int8|int4", required: true, help: "the weight format of the bundle's matrices" },
    force: { type: "boolean", help: "replace FILE if it exists" },
    json: { type: "boolean", help: "print the summary as one JSON document" },
  },
  positionals: { min: 2, max: 2 },
  notes: [
    "CHECKPOINT is needle.pkl, TOKENIZER its needle.model. The bundle holds the config, the",
    "tokenizer and the weights laid out for the engine, so `run --weights FILE` needs nothing",
    "else. f32 keeps the checkpoint's values exactly, and so does f16 for a float16 checkpoint;",
    "int8 and int4 quantise in groups of 32. The header's meta records the input files (name,",
    "bytes, SHA-256), the dtype and this package's version; the same inputs give the same bytes.",
    "",
    "example:",
    "  needle-wasm convert needle.pkl needle.model -o needle-int8.needle --dtype int8",
  ],
  run,
};

interface ConvertReport {
  output: string;
  dtype: WeightDtype;
  layout: number;
  parameters: number;
  inputs: { checkpoint: InputFile; tokenizer: InputFile };
  bytesIn: number;
  bytesOut: number;
  /** bytesOut / bytesIn. */
  ratio: number;
  elapsedMs: number;
}

/** An input as recorded in the bundle's meta: base name, size and SHA-256. */
interface InputFile {
  file: string;
  bytes: number;
  sha256: string;
}

async function run(args: ParsedArgs, io: CliIO): Promise<number> {
  const [checkpointPath, tokenizerPath] = args.positionals as [string, string];
  const output = requiredString(args, "output", " (-o FILE: where to write the bundle)");
  if (output === "-") throw new UsageError("-o - is not supported: a bundle is written to a file");
  const dtype = choiceOption(args, "dtype", DTYPES);
  if (dtype === undefined) throw new UsageError(`--dtype is required: one of ${DTYPES.join(", ")}`);
  const force = flag(args, "force");
  const start = performance.now();
  await checkOutput(output, force);

  const [checkpoint, tokenizer] = await Promise.all([readInputFile(checkpointPath, "checkpoint"), readInputFile(tokenizerPath, "tokenizer")]);
  if (isBundle(checkpoint)) throw new NeedleError("ALREADY_A_BUNDLE", `${checkpointPath} is a .needle bundle; convert reads a needle.pkl checkpoint`);
  const inputs = { checkpoint: describeInput(checkpointPath, checkpoint), tokenizer: describeInput(tokenizerPath, tokenizer) };
  const meta = { converter: `needle-wasm ${packageVersion()}`, dtype, ...inputs };
  const bundle = await withProgress(io.err, "converting", () => convertToBundle(checkpoint, tokenizer, { dtype, meta }));
  const { header } = readBundle(bundle); // the bundle reads back before it is written
  await writeAtomically(output, bundle, force);

  const bytesIn = checkpoint.length + tokenizer.length;
  const report: ConvertReport = {
    output, dtype, layout: header.layout, parameters: countParameters(header.config), inputs,
    bytesIn, bytesOut: bundle.length, ratio: bundle.length / bytesIn, elapsedMs: Math.round(performance.now() - start),
  };
  io.out(flag(args, "json") ? `${toJson(report)}\n` : formatReport(report).map((line) => `${line}\n`).join(""));
  return 0;
}

function describeInput(path: string, bytes: Uint8Array): InputFile {
  return { file: basename(path), bytes: bytes.length, sha256: createHash("sha256").update(bytes).digest("hex") };
}

/**
 * Before any work: refuse an existing output (without --force), anything
 * there that is not a regular file (even with --force: a symlink, FIFO,
 * device or directory is never replaced), and a directory that cannot be written.
 */
async function checkOutput(output: string, force: boolean): Promise<void> {
  let present: string | null;
  try {
    present = await kindOf(output);
    await access(dirname(output), constants.W_OK);
  } catch (err) {
    throw writeFailed(`cannot write to the directory of ${output}`, err);
  }
  if (present !== null && present !== "file") throw notAFile(output, present);
  if (present !== null && !force) throw outputExists(output);
}

/**
 * Write `bytes` to a temporary file in the output's directory, flush it, and
 * move it into place: rename (--force), or link, which fails rather than
 * replace a file that appeared meanwhile. A crash leaves at worst the
 * temporary `.NAME.*.tmp`, never a partial output; a failure, SIGINT or
 * SIGTERM removes that too. `hooks.beforeMove` (tests) runs once the
 * temporary file is whole.
 */
export async function writeAtomically(output: string, bytes: Uint8Array, force: boolean, hooks: { beforeMove?: (temp: string) => Promise<void> } = {}): Promise<void> {
  const temp = join(dirname(output), `.${basename(output)}.${randomBytes(6).toString("hex")}.tmp`);
  const release = removeOnSignal(temp);
  try {
    const file = await open(temp, "wx");
    try {
      await file.writeFile(bytes);
      await file.sync();
    } finally {
      await file.close();
    }
    await hooks.beforeMove?.(temp);
    if (force) {
      const now = await kindOf(output); // it may have changed since checkOutput
      if (now !== null && now !== "file") throw notAFile(output, now);
      await rename(temp, output);
    } else {
      await linkNoReplace(temp, output);
    }
  } catch (err) {
    throw err instanceof NeedleError ? err : writeFailed(`cannot write ${output}`, err);
  } finally {
    await unlink(temp).catch(() => undefined); // gone already after a rename
    release();
  }
}

const CLEANUP_SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

/** Until the returned function is called, SIGINT, SIGTERM and SIGHUP remove `temp` and then end the process by that signal. */
function removeOnSignal(temp: string): () => void {
  const handler = (signal: NodeJS.Signals) => {
    try {
      unlinkSync(temp);
    } catch {
      // not created yet, or already moved into place
    }
    release();
    process.kill(process.pid, signal); // default action now: die of the signal, as if never caught
  };
  const release = () => {
    for (const signal of CLEANUP_SIGNALS) process.removeListener(signal, handler);
  };
  for (const signal of CLEANUP_SIGNALS) process.on(signal, handler);
  return release;
}

async function linkNoReplace(temp: string, output: string): Promise<void> {
  try {
    await link(temp, output);
  } catch (err) {
    const code = (err as { code?: string }).code;
    if (code === "EEXIST") throw outputExists(output);
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "ENOSYS") throw err;
    // A file system without hard links: check, then rename.
    if (await exists(output)) throw outputExists(output);
    await rename(temp, output);
  }
}

async function exists(path: string): Promise<boolean> {
  return (await kindOf(path)) !== null;
}

/** What is at `path` without following a symlink: "file" for a regular file, null for nothing. */
async function kindOf(path: string): Promise<string | null> {
  try {
    const stat = await lstat(path);
    if (stat.isFile()) return "file";
    if (stat.isSymbolicLink()) return "a symbolic link";
    if (stat.isFIFO()) return "a FIFO";
    if (stat.isCharacterDevice() || stat.isBlockDevice()) return "a device";
    if (stat.isDirectory()) return "a directory";
    return stat.isSocket() ? "a socket" : "not a regular file";
  } catch (err) {
    if ((err as { code?: string }).code === "ENOENT") return null;
    throw err;
  }
}

function notAFile(output: string, kind: string): NeedleError {
  return new NeedleError("OUTPUT_NOT_A_FILE", `${output} is ${kind}; convert only ever replaces a regular file`);
}

function outputExists(output: string): NeedleError {
  return new NeedleError("OUTPUT_EXISTS", `${output} exists; pass --force to replace it`);
}

function writeFailed(what: string, err: unknown): NeedleError {
  return new NeedleError("WRITE_FAILED", `output: ${what} (${(err as { code?: string }).code ?? String(err)})`, { cause: err });
}

function formatReport(r: ConvertReport): string[] {
  const { checkpoint, tokenizer } = r.inputs;
  return [
    `wrote ${r.output}: ${r.dtype} bundle, ${groupDigits(r.parameters)} parameters, engine layout ${r.layout}`,
    ...columns([
      ["in", `${groupDigits(r.bytesIn)} bytes`, `(${checkpoint.file} ${groupDigits(checkpoint.bytes)} + ${tokenizer.file} ${groupDigits(tokenizer.bytes)})`],
      ["out", `${groupDigits(r.bytesOut)} bytes`, `(${r.ratio.toFixed(2)}× the input)`],
      ["took", `${groupDigits(r.elapsedMs)} ms`],
    ], "  "),
  ];
}
