// What the CLI commands read: files named on the command line, the --tools
// value, and the model (weights + tokenizer) a command runs.

import { readFileSync } from "node:fs";
import { open, readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import { Needle, SourceError, defaultModelUrl, isBundle, type WeightDtype } from "../index.ts";
import { UsageError, choiceOption, stringOption, type OptionTable, type ParsedArgs } from "./args.ts";
import { withProgress, type ProgressSink } from "./progress.ts";
import { withDownloadProgress } from "./hub-progress.ts";
import { HUB_DEFAULT_DTYPE } from "../hub/options.ts";
import { packageRootUrl } from "../assets.ts";
import { isCact } from "../needle2/cact.ts";

export const DTYPES: readonly WeightDtype[] = ["f32", "f16", "int8", "int4"];

/** The options every command that runs the model takes. */
export const MODEL_OPTIONS: OptionTable = {
  model: { type: "string", value: "ID", help: "a Hugging Face model id (Cactus-Compute/needle): downloaded once, verified, cached, converted" },
  revision: { type: "string", value: "REV", help: "with --model: the branch, tag or commit (default main)" },
  weights: { type: "string", value: "FILE", help: "a .needle bundle, a Needle 2 .cact, or a checkpoint (needle.pkl) with --tokenizer (default: the bundled demo model)" },
  tokenizer: { type: "string", value: "FILE", help: "the SentencePiece model (needle.model): needed with a .pkl, replaces a bundle's own" },
  dtype: { type: "string", value: "f32|f16|int8|int4", help: `weight format in memory for a .pkl (default f32; with --model ${HUB_DEFAULT_DTYPE}); a bundle's is fixed` },
};

export interface ModelFiles {
  /** A Hugging Face model id: the hub cache supplies the files (then `weights` is unused). */
  model?: string;
  revision?: string;
  weights: string;
  /** Absent: the weights are a bundle, which carries its own. */
  tokenizer?: string;
  dtype?: WeightDtype;
}

/**
 * The model a command runs, from --weights, --tokenizer and --dtype;
 * without --weights, the demo model bundled with the package.
 */
export function modelFiles(args: ParsedArgs): ModelFiles {
  const model = stringOption(args, "model");
  const revision = stringOption(args, "revision");
  if (model !== undefined && (args.options.has("weights") || args.options.has("tokenizer"))) throw new UsageError("give either --model or --weights/--tokenizer, not both");
  if (revision !== undefined && model === undefined) throw new UsageError("--revision goes with --model");
  if (model !== undefined) {
    const dtype = choiceOption(args, "dtype", DTYPES);
    return { model, weights: "", ...(revision !== undefined ? { revision } : {}), ...(dtype !== undefined ? { dtype } : {}) };
  }
  const weights = stringOption(args, "weights") ?? fileURLToPath(defaultModelUrl());
  const tokenizer = stringOption(args, "tokenizer");
  const dtype = choiceOption(args, "dtype", DTYPES);
  return { weights, ...(tokenizer !== undefined ? { tokenizer } : {}), ...(dtype !== undefined ? { dtype } : {}) };
}

/**
 * A checkpoint needs --tokenizer, a bundle does not: a UsageError when the
 * weights are not a bundle (by their first bytes) and no tokenizer is given.
 */
export async function checkModelFiles(files: ModelFiles): Promise<void> {
  if (files.tokenizer !== undefined || files.model !== undefined) return;
  const start = await readFileStart(files.weights, "weights", 8);
  if (isBundle(start) || isCact(start)) return;
  throw new UsageError(`--tokenizer is required: ${files.weights} is not a .needle bundle (a needle.pkl needs its needle.model; needle-wasm convert makes a bundle that carries it)`);
}

/** Needle.load with a "loading weights… 1.2 s" progress line on stderr (with --model, the download's bytes too). */
export function loadNeedle(files: ModelFiles, progress: ProgressSink): Promise<Needle> {
  const { model, revision, dtype } = files;
  if (model !== undefined) return withDownloadProgress(progress, `loading ${model}`, (onProgress) => Needle.load({ model, ...(revision ? { revision } : {}), ...(dtype ? { dtype } : {}), onProgress }));
  return withProgress(progress, "loading weights", () => Needle.load(files));
}

/** The package version, from the package.json next to dist/ (and lib/). */
export function packageVersion(): string {
  const pkg = JSON.parse(readFileSync(new URL("package.json", packageRootUrl()), "utf8")) as { version: string };
  return pkg.version;
}

/** A file's bytes; a missing or unreadable file is a SourceError (NOT_FOUND / READ_FAILED) naming `what`. */
export async function readInputFile(path: string, what: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (err) {
    throw readError(err, path, what);
  }
}

/** The first `n` bytes of a file (fewer when it is shorter); errors as readInputFile. */
async function readFileStart(path: string, what: string, n: number): Promise<Uint8Array> {
  try {
    const file = await open(path, "r");
    try {
      const { buffer, bytesRead } = await file.read(new Uint8Array(n), 0, n, 0);
      return buffer.subarray(0, bytesRead);
    } finally {
      await file.close();
    }
  } catch (err) {
    throw readError(err, path, what);
  }
}

function readError(err: unknown, path: string, what: string): SourceError {
  const code = (err as { code?: string }).code ?? "READ_FAILED";
  return new SourceError(code === "ENOENT" ? "NOT_FOUND" : "READ_FAILED", `${what}: cannot read ${path} (${code})`, { cause: err });
}

export async function readTextFile(path: string, what: string): Promise<string> {
  return new TextDecoder().decode(await readInputFile(path, what));
}

/**
 * The --tools value as JSON text: a value starting with `[` or `{` (after
 * leading whitespace) is the JSON itself, `-` reads standard input, anything
 * else is the path of a JSON file. The text goes to the model as written, so
 * numbers keep Python's formatting. Standard input must end within
 * `stdinTimeoutSeconds` (0: wait for ever).
 */
export async function readTools(value: string, stdinTimeoutSeconds = STDIN_TIMEOUT_SECONDS): Promise<string> {
  if (/^\s*[[{]/.test(value)) return value;
  if (value === "-") return readStandardInput(stdinTimeoutSeconds, "tools");
  return readTextFile(value, "tools");
}

/** How long `--tools -` waits for standard input to end, by default. */
export const STDIN_TIMEOUT_SECONDS = 60;

/** All of standard input, or a SourceError STDIN_TIMEOUT when it has not ended after `seconds` (0: no limit). */
function readStandardInput(seconds: number, what: string): Promise<string> {
  const stdin = process.stdin;
  if (stdin.isTTY) process.stderr.write(`reading the ${what} from standard input: end it with Ctrl-D\n`);
  return new Promise((resolve, reject) => {
    const chunks: Uint8Array[] = [];
    const timer = seconds > 0 ? setTimeout(() => {
      stdin.destroy(); // so the open stream does not keep the process alive
      reject(new SourceError("STDIN_TIMEOUT", `${what}: standard input did not end within ${seconds} s (--tools - reads until end of input; --stdin-timeout SECONDS sets the wait, 0 for none)`));
    }, seconds * 1000) : undefined;
    stdin.on("data", (chunk: Uint8Array) => chunks.push(chunk));
    stdin.once("error", (err) => {
      clearTimeout(timer);
      reject(new SourceError("READ_FAILED", `${what}: cannot read standard input (${err.message})`, { cause: err }));
    });
    stdin.once("end", () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks).toString("utf8"));
    });
  });
}
