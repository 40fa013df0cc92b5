// Checks of every public option by type and value, before any work starts.
// Each refusal is an InputError naming the option, the value received and
// what is allowed. Session, model and loaders call these; a new option (or
// a new value of one) is one entry here.

import { InputError } from "./errors.ts";
import { DECODE_GEMV_FORMS } from "./engine/gemv-tuner.ts";
import { MAX_DECODER_LENGTH, MAX_ENCODER_LENGTH, MAX_PREFIX_CHARS, MAX_THREADS, MIN_THREAD_CAP } from "./limits.ts";

/** A value as an error message shows it: its type, and the value itself when short. */
export function describeValue(value: unknown): string {
  if (value === null) return "null";
  if (value === undefined) return "undefined";
  if (Array.isArray(value)) return `an array of ${value.length}`;
  switch (typeof value) {
    case "string":
      return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
    case "number":
      return `the number ${value}`;
    case "boolean":
      return `the boolean ${value}`;
    case "bigint":
      return `the bigint ${value}n`;
    case "function":
      return "a function";
    case "symbol":
      return "a symbol";
    default:
      return `an object (${Object.prototype.toString.call(value).slice(8, -1)})`;
  }
}

export function optionError(name: string, value: unknown, allowed: string, code = "BAD_OPTION"): InputError {
  return new InputError(code, `${name} must be ${allowed}, got ${describeValue(value)}`);
}

/** `options` itself: absent, or a plain object. */
export function checkOptionsObject(options: unknown, name: string): void {
  if (options !== undefined && (options === null || typeof options !== "object" || Array.isArray(options))) {
    throw optionError(name, options, "an object");
  }
}

/** One of the listed literal values. */
export function checkOneOf(name: string, value: unknown, allowed: readonly unknown[]): void {
  if (value !== undefined && !allowed.includes(value)) throw optionError(name, value, `one of ${allowed.map(String).join(", ")}`);
}

/** An integer from `min` to `max`. */
export function checkInteger(name: string, value: unknown, min: number, max: number, code = "BAD_OPTION"): void {
  if (value !== undefined && (typeof value !== "number" || !Number.isInteger(value) || value < min || value > max)) {
    throw optionError(name, value, `an integer from ${min} to ${max}`, code);
  }
}

function checkFunction(name: string, value: unknown): void {
  if (value !== undefined && typeof value !== "function") throw optionError(name, value, "a function");
}

// ---------------------------------------------------------------- loading

/** Weight formats a checkpoint can be loaded as. */
export const DTYPES = ["f32", "f16", "int8", "int4"] as const;

/** The options of SourceOptions (Needle.load, NeedleModel.load, Tokenizer.load). */
export function checkSourceOptions(options: Record<string, unknown>): void {
  checkFunction("onProgress", options.onProgress);
  const cache = options.cache;
  if (cache !== undefined && typeof cache !== "boolean" && typeof cache !== "string") throw optionError("cache", cache, "a boolean or a cache name (string)");
}

/**
 * The options of ModelLoadOptions. `cores`: the threads this runtime can
 * run (lib/engine/threads.ts availableThreads): `threads` may ask for at most
 * that many, or up to MIN_THREAD_CAP where there are fewer (a few extra
 * threads cost little; many cost memory and time), never more than
 * MAX_THREADS; "auto" takes the cores there are.
 */
export function checkModelOptions(options: Record<string, unknown>, cores: number): void {
  checkOptionsObject(options, "options");
  checkSourceOptions(options);
  checkOneOf("dtype", options.dtype, DTYPES);
  checkOneOf("decodeGemv", options.decodeGemv, DECODE_GEMV_FORMS);
  checkInteger("maxEncoderLength", options.maxEncoderLength, 1, MAX_ENCODER_LENGTH);
  checkInteger("maxDecoderLength", options.maxDecoderLength, 1, MAX_DECODER_LENGTH);
  // Without threads at all (cores 1), threads > 1 is left to the loader's NO_THREADS, which says what is missing.
  const most = cores > 1 ? Math.min(MAX_THREADS, Math.max(MIN_THREAD_CAP, cores)) : MAX_THREADS;
  if (options.threads !== "auto" && options.threads !== undefined && !(Number.isInteger(options.threads) && (options.threads as number) >= 1 && (options.threads as number) <= most)) {
    throw optionError("threads", options.threads, `"auto" or an integer from 1 to ${most}${cores > 1 ? ` (this runtime has ${cores} cores)` : ""}`);
  }
  const wasmModule = options.wasmModule;
  if (wasmModule !== undefined && !(wasmModule instanceof WebAssembly.Module)) throw optionError("wasmModule", wasmModule, "a WebAssembly.Module");
}

// ---------------------------------------------------------------- calls

/** `constrained` values: "schema" (the default), "reference" (true is the same), false (none). */
export const CONSTRAINED_VALUES: readonly unknown[] = ["schema", "reference", true, false];

/** The options of Needle.call / stream / prompt; `maxTokensLimit` is maxDecoderLength - 1. */
export function checkCallOptions(options: unknown, maxTokensLimit: number): void {
  checkOptionsObject(options, "options");
  const o = (options ?? {}) as Record<string, unknown>;
  checkOneOf("constrained", o.constrained, CONSTRAINED_VALUES);
  checkInteger("maxTokens", o.maxTokens, 1, maxTokensLimit, "BAD_MAX_TOKENS");
  checkOneOf("overflow", o.overflow, ["truncate", "error"]);
  if (o.prefix !== undefined) {
    if (typeof o.prefix !== "string") throw optionError("prefix", o.prefix, "a string");
    if (o.prefix.length > MAX_PREFIX_CHARS) {
      throw new InputError("PREFIX_TOO_LONG", `prefix has ${o.prefix.length} characters; the limit is ${MAX_PREFIX_CHARS}`);
    }
  }
  checkToolChoice(o.toolChoice);
  checkSignal(o.signal);
}

/** `toolChoice`: "auto", "none", "required" or `{ name }`. */
export function checkToolChoice(choice: unknown): void {
  if (choice === undefined || choice === "auto" || choice === "none" || choice === "required") return;
  if (typeof choice === "object" && choice !== null && typeof (choice as { name?: unknown }).name === "string") return;
  throw optionError("toolChoice", choice, '"auto", "none", "required" or { name: "<tool name>" }', "BAD_TOOL_CHOICE");
}

/** `signal`: an AbortSignal (checked by shape, so one from another realm passes). */
export function checkSignal(signal: unknown): void {
  if (signal === undefined) return;
  const s = signal as { aborted?: unknown; addEventListener?: unknown };
  if (typeof signal !== "object" || signal === null || typeof s.aborted !== "boolean" || typeof s.addEventListener !== "function") {
    throw optionError("signal", signal, "an AbortSignal");
  }
}
