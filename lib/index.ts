// needle-wasm: Needle function calling in one SIMD WebAssembly artifact.
// This file's export list is the public API.

export { NeedleModel } from "./model.ts";
export type { ModelLoadOptions, GreedyOptions } from "./model.ts";
export { Tokenizer } from "../tokenizer/index.ts";
export type { NeedleConfig, Activation } from "./config.ts";
export type { Source } from "./source.ts";
export { NeedleError, PickleError, CheckpointError, TokenizerError, InputError, SourceError } from "./errors.ts";
