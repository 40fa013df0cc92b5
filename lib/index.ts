// needle-wasm: Needle function calling in one SIMD WebAssembly artifact.
// This file's export list is the public API.

export { NeedleModel } from "./engine/model.ts";
export type { GreedyOptions } from "./engine/model.ts";
export type { ModelLoadOptions, WeightDtype } from "./engine/open.ts";
export type { DecodeGemv } from "./engine/gemv-tuner.ts";
export { Tokenizer } from "../tokenizer/index.ts";
export type { NeedleConfig, Activation } from "./load/config.ts";
export type { Source, SourceOptions, LoadProgress, SizedStream } from "./load/source.ts";
export { hasWasmSimd } from "./engine/features.ts";
export { NeedleError, PickleError, CheckpointError, TokenizerError, InputError, SourceError, CactError } from "./errors.ts";
export { Needle, OutputParseError } from "./needle.ts";
export { Needle2Model } from "./needle2/model.ts";
export type { Needle2Config, Needle2Dtype, Needle2LoadOptions, Needle2GreedyOptions } from "./needle2/model.ts";
export type { Needle2Tokenizer } from "./needle2/tokenizer.ts";
export { convertToBundle } from "./convert.ts";
export type { ConvertOptions } from "./convert.ts";
export { readBundle, isBundle, BundleError } from "./load/bundle.ts";
export type { Bundle, BundleHeader, BundleSection } from "./load/bundle.ts";
export { prepareTools } from "./tools.ts";
export { MAX_NEW_TOKENS } from "./prompt.ts";
export type { NeedleLoadOptions, CallOptions, CallResult, CallItem, StreamEvent, CallManyOptions, ToolChoice, OpenAIToolCall, RankedTool, Prompt } from "./needle.ts";
export type { ToolCall, Truncation } from "./calls.ts";
export type { ToolSpec, OpenAITool, OpenAIResponsesTool, ToolsInput, PreparedTools } from "./tools.ts";
export { defaultModelUrl } from "./assets.ts";
export { createHandler } from "./server/handler.ts";
export type { HandlerOptions, FetchHandler } from "./server/handler.ts";
export type { ChatBackend } from "./server/backend.ts";
export { HubError } from "./hub/errors.ts";
export type { HubErrorCode } from "./hub/errors.ts";
export type { HubLoadOptions, DownloadLimits } from "./hub/options.ts";
export type { ModelOrigin, OriginFile } from "./hub/load.ts";
