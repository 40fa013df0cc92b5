// needle-wasm: Needle function calling in one SIMD WebAssembly artifact.
// This file's export list is the public API.

export { NeedleModel } from "./model.ts";
export type { ModelLoadOptions, GreedyOptions, WeightDtype } from "./model.ts";
export type { DecodeGemv } from "./gemv-tuner.ts";
export { Tokenizer } from "../tokenizer/index.ts";
export type { NeedleConfig, Activation } from "./config.ts";
export type { Source, SourceOptions, LoadProgress, SizedStream } from "./source.ts";
export { hasWasmSimd } from "./features.ts";
export { NeedleError, PickleError, CheckpointError, TokenizerError, InputError, SourceError } from "./errors.ts";
export { Needle, OutputParseError } from "./session.ts";
export { convertToBundle } from "./convert.ts";
export type { ConvertOptions } from "./convert.ts";
export { readBundle, isBundle, BundleError } from "./bundle.ts";
export type { Bundle, BundleHeader, BundleSection } from "./bundle.ts";
export { prepareTools } from "./tools.ts";
export { MAX_NEW_TOKENS } from "./prompt.ts";
export type { NeedleLoadOptions, CallOptions, CallResult, CallItem, StreamEvent, ToolChoice, OpenAIToolCall, RankedTool, Prompt } from "./session.ts";
export type { ToolCall } from "./prompt.ts";
export type { ToolSpec, OpenAITool, OpenAIResponsesTool, ToolsInput, PreparedTools } from "./tools.ts";
export { defaultModelUrl } from "./default-model.ts";
export { createHandler } from "./server/handler.ts";
export type { HandlerOptions, FetchHandler } from "./server/handler.ts";
export type { ChatBackend } from "./server/backend.ts";
export { HubError } from "./hub/errors.ts";
export type { HubErrorCode } from "./hub/errors.ts";
export type { HubLoadOptions, DownloadLimits } from "./hub/options.ts";
export type { ModelOrigin, OriginFile } from "./hub/load.ts";
