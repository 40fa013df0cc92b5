// needle.pkl + needle.model → one .needle bundle in a chosen weight format.

import { writeBundle } from "./load/bundle.ts";
import { parseCheckpoint } from "./load/checkpoint.ts";
import { NeedleError } from "./errors.ts";
import { NeedleModel } from "./engine/model.ts";
import { type WeightDtype } from "./engine/open.ts";
import { Tokenizer } from "../tokenizer/index.ts";

export interface ConvertOptions {
  dtype?: WeightDtype;
  /** Provenance recorded in the bundle header (file names, say). */
  meta?: Record<string, unknown>;
  /** A compiled build/needle.wasm, for runtimes that cannot compile from bytes. */
  wasmModule?: WebAssembly.Module;
}

/**
 * Convert checkpoint and tokenizer bytes into bundle bytes: the checkpoint is
 * validated and laid out by the engine exactly as a load would, and that
 * weight image is what the bundle stores.
 */
export async function convertToBundle(checkpointBytes: Uint8Array, tokenizerBytes: Uint8Array, options: ConvertOptions = {}): Promise<Uint8Array> {
  const checkpoint = parseCheckpoint(checkpointBytes);
  const tokenizer = Tokenizer.fromBytes(tokenizerBytes);
  if (tokenizer.vocabSize !== checkpoint.config.vocab_size) {
    throw new NeedleError("VOCAB_MISMATCH", `the tokenizer has ${tokenizer.vocabSize} pieces but the checkpoint's vocab_size is ${checkpoint.config.vocab_size}`);
  }
  const dtype = options.dtype ?? "f32";
  const model = await NeedleModel.fromCheckpoint(checkpoint, { dtype, maxEncoderLength: 1, maxDecoderLength: 1, ...(options.wasmModule ? { wasmModule: options.wasmModule } : {}) });
  try {
    return writeBundle(model.config, dtype, model.layoutVersion, model.weightImage(), tokenizerBytes, options.meta ?? {});
  } finally {
    model.dispose();
  }
}
