// What the CLI commands read: files named on the command line, the --tools
// value, and the model (weights + tokenizer) a command runs.

import { readFile } from "node:fs/promises";
import { Needle, SourceError } from "./index.ts";
import { requiredString, type OptionTable, type ParsedArgs } from "./cli-args.ts";
import { withProgress, type ProgressSink } from "./cli-progress.ts";

/** The options every command that runs the model takes. */
export const MODEL_OPTIONS: OptionTable = {
  weights: { type: "string", value: "FILE", help: "the checkpoint (needle.pkl); required for now" },
  tokenizer: { type: "string", value: "FILE", help: "the SentencePiece model (needle.model); required for now" },
};

export interface ModelFiles {
  weights: string;
  tokenizer: string;
}

/**
 * The weights and tokenizer a command runs. Both must be given for now; a
 * default model that ships with the package will fill them in here.
 */
export function modelFiles(args: ParsedArgs): ModelFiles {
  const why = " (no default model ships with this version of needle-wasm)";
  return { weights: requiredString(args, "weights", why), tokenizer: requiredString(args, "tokenizer", why) };
}

/** Needle.load with a "loading weights… 1.2 s" progress line on stderr. */
export function loadNeedle(files: ModelFiles, progress: ProgressSink): Promise<Needle> {
  return withProgress(progress, "loading weights", () => Needle.load(files));
}

/** A file's bytes; a missing or unreadable file is a SourceError (NOT_FOUND / READ_FAILED) naming `what`. */
export async function readInputFile(path: string, what: string): Promise<Uint8Array> {
  try {
    return await readFile(path);
  } catch (err) {
    const code = (err as { code?: string }).code ?? "READ_FAILED";
    throw new SourceError(code === "ENOENT" ? "NOT_FOUND" : "READ_FAILED", `${what}: cannot read ${path} (${code})`, { cause: err });
  }
}

export async function readTextFile(path: string, what: string): Promise<string> {
  return new TextDecoder().decode(await readInputFile(path, what));
}

/**
 * The --tools value as JSON text: a value starting with `[` or `{` (after
 * leading whitespace) is the JSON itself, `-` reads standard input, anything
 * else is the path of a JSON file. The text goes to the model as written, so
 * numbers keep Python's formatting.
 */
export async function readTools(value: string): Promise<string> {
  if (/^\s*[[{]/.test(value)) return value;
  if (value === "-") return readStandardInput();
  return readTextFile(value, "tools");
}

async function readStandardInput(): Promise<string> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Uint8Array);
  return Buffer.concat(chunks).toString("utf8");
}
