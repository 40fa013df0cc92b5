// The messages between `needle-wasm serve`'s thread and its engine
// instances (lib/server/worker-main.ts, one Needle per worker thread), and
// how results and errors cross: structured clone keeps plain data and
// bigints but not classes, so OutputParseError, InputError and AbortError
// are sent as fields and rebuilt.

import { InputError, NeedleError } from "../errors.ts";
import { OutputParseError, type CallOptions, type CallResult, type Prompt } from "../needle.ts";
import type { ToolsInput } from "../tools.ts";

export type JobOptions = Omit<CallOptions, "signal">;

export type ToWorker =
  | { type: "call" | "stream"; id: number; query: string; tools: ToolsInput; options: JobOptions }
  | { type: "prompt"; id: number; query: string; tools: ToolsInput }
  | { type: "abort"; id: number };

export type FromWorker =
  | { type: "ready" }
  | { type: "load-error"; error: WireError }
  | { type: "token"; id: number; token: number; text: string }
  | { type: "result"; id: number; result: WireResult }
  | { type: "prompt"; id: number; prompt: Prompt }
  | { type: "error"; id: number; error: WireError };

export interface WireError {
  kind: "input" | "abort" | "needle" | "other";
  code: string;
  message: string;
}

export type WireResult = Omit<CallResult, "error"> & { error?: { code: string; message: string; text: string } };

export function toWireError(err: unknown): WireError {
  const message = err instanceof Error ? err.message : String(err);
  if (err instanceof InputError) return { kind: "input", code: err.code, message };
  if (err instanceof NeedleError) return { kind: "needle", code: err.code, message };
  if ((err as { name?: unknown } | null)?.name === "AbortError") return { kind: "abort", code: "ABORTED", message };
  return { kind: "other", code: (err as { name?: string } | null)?.name ?? "Error", message };
}

export function fromWireError(wire: WireError): Error {
  switch (wire.kind) {
    case "input":
      return new InputError(wire.code, wire.message);
    case "needle":
      return new NeedleError(wire.code, wire.message);
    case "abort":
      return new DOMException(wire.message, "AbortError");
    default:
      return new Error(`${wire.code}: ${wire.message}`);
  }
}

export function toWireResult(result: CallResult): WireResult {
  const { error, ...rest } = result;
  return error ? { ...rest, error: { code: error.code, message: error.message, text: error.text } } : rest;
}

export function fromWireResult(wire: WireResult): CallResult {
  const { error, ...rest } = wire;
  return error ? { ...rest, error: new OutputParseError(error.code, error.message, error.text) } : rest;
}
