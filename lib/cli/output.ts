// What the CLI prints: compact JSON that keeps big integers exact, and the
// human-readable form of a call result.

import type { CallResult } from "../index.ts";

/**
 * Compact JSON of a plain value, as JSON.stringify writes it except that a
 * bigint is written as its digits (call arguments hold big integers as
 * bigints) and a non-finite number as null.
 */
export function toJson(value: unknown): string {
  if (typeof value === "bigint") return value.toString();
  if (typeof value === "number") return Number.isFinite(value) ? JSON.stringify(value) : "null";
  if (value === null || typeof value !== "object") return JSON.stringify(value) ?? "null";
  if (Array.isArray(value)) return `[${value.map(toJson).join(",")}]`;
  const fields = Object.entries(value).filter(([, v]) => v !== undefined);
  return `{${fields.map(([k, v]) => `${JSON.stringify(k)}:${toJson(v)}`).join(",")}}`;
}

/** The `--json` form of a result: calls, text, tokens, finishReason, and error / truncated / reasoning (Needle 2) when set. */
export function resultJson(result: CallResult): Record<string, unknown> {
  return {
    calls: result.calls,
    text: result.text,
    tokens: result.tokens,
    finishReason: result.finishReason,
    error: result.error ? { code: result.error.code, message: result.error.message } : undefined,
    truncated: result.truncated,
    reasoning: result.reasoning,
    noCallConfidence: result.noCallConfidence,
    warnings: result.warnings,
  };
}

/**
 * The human-readable form of a result: one `name {arguments}` line per call;
 * "no call" when there is none, with the reason and (unless `withText` is
 * false, as after streaming it) the model's text when the output did not
 * parse; a note when generation hit the token limit.
 */
export function formatResult(result: CallResult, withText = true): string[] {
  const lines = result.calls.map((call) => `${call.name} ${toJson(call.arguments)}`);
  if (result.error) {
    lines.push(`no call: the output is not a list of calls (${result.error.code}: ${result.error.message})`);
    if (withText) lines.push(`text: ${JSON.stringify(result.text)}`);
  } else if (lines.length === 0) {
    lines.push("no call");
  }
  if (result.finishReason === "length") {
    lines.push(result.steps > result.tokens.length
      ? `(the answer was closed early to finish within the token limit, after ${result.tokens.length} tokens)`
      : `(stopped at the token limit after ${result.tokens.length} tokens)`);
  }
  return lines;
}

/** A warning line for a prompt cut to the encoder's limit, or null. */
export function truncationNote(result: CallResult): string | null {
  const cut = result.truncated;
  if (!cut) return null;
  return `warning: the prompt was cut to fit the encoder (${cut.queryTokens} query and ${cut.toolsTokens} tools tokens dropped)`;
}

/** 1234567 → "1,234,567". */
export function groupDigits(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** Text cut to `max` characters with an ellipsis, for one-line reports. */
export function shorten(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

/** Rows of cells as left-aligned columns separated by two spaces (trailing spaces trimmed). */
export function columns(rows: readonly (readonly string[])[], indent = ""): string[] {
  const widths: number[] = [];
  for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, cell.length)));
  return rows.map((row) => (indent + row.map((cell, i) => cell.padEnd(widths[i]!)).join("  ")).trimEnd());
}
