// What the files chosen or dropped on the page are, told by their first
// bytes (not their names): a .needle bundle, a pickle checkpoint or a
// SentencePiece model.

import { isBundle } from "../dist/index.js";

/** Pickle protocols 2 to 5 begin with PROTO (0x80) and the protocol number. */
const PICKLE_PROTO = 0x80;
/** A SentencePiece ModelProto begins with field 1 (pieces), length-delimited: tag 0x0a. */
const SENTENCEPIECE_FIRST_TAG = 0x0a;

async function kindOf(file) {
  const head = new Uint8Array(await file.slice(0, 16).arrayBuffer());
  if (isBundle(head)) return "bundle";
  if (head[0] === PICKLE_PROTO && head[1] >= 2 && head[1] <= 5) return "checkpoint";
  if (head[0] === SENTENCEPIECE_FIRST_TAG) return "tokenizer";
  return "unknown";
}

/**
 * `{ weights, tokenizer, weightsKind }` from a list of files, or
 * `{ error }` saying what is missing or not recognised.
 */
export async function sortModelFiles(files) {
  let weights;
  let weightsKind;
  let tokenizer;
  for (const file of files) {
    const kind = await kindOf(file);
    if (kind === "unknown") return { error: `${file.name} is not a .needle bundle, a Needle checkpoint (pickle) or a SentencePiece .model` };
    if (kind === "tokenizer") {
      if (tokenizer) return { error: `two tokenizers: ${tokenizer.name} and ${file.name}` };
      tokenizer = file;
    } else {
      if (weights) return { error: `two weights files: ${weights.name} and ${file.name}` };
      weights = file;
      weightsKind = kind;
    }
  }
  if (!weights) return { error: tokenizer ? `${tokenizer.name} is a tokenizer: add the weights (.needle or .pkl)` : "no files" };
  if (weightsKind === "checkpoint" && !tokenizer) return { error: `${weights.name} is a checkpoint: add its tokenizer (needle.model)` };
  return { weights, tokenizer, weightsKind };
}
