import { InputError } from "./errors.ts";
import { JsonDecodeError, jsonTypeName, loads, toPlain } from "./pyjson.ts";
import { restoreToolNames, type NameMap } from "./tools.ts";

/**
 * The calls coming out: the model's decoded text read as the reference's
 * generate() reads it (cactus-compute/needle, needle/model/run.py), and the
 * same text shown token by token while it is generated.
 */

/** The decoded text of id 4, which starts every trained answer. */
export const TOOL_CALL_TEXT = "<tool_call>";

/** One tool call, named as the caller named the tool. */
export interface ToolCall {
  name: string;
  /** Argument values as ordinary JS (see pyjson toPlain: big integers are bigints). */
  arguments: Record<string, unknown>;
  /** Schema-constrained decoding: the probability the model gave this call (README "Constrained decoding"), in [0, 1]. */
  confidence?: number;
}

/** Tokens dropped from a prompt over the encoder's limit. */
export interface Truncation {
  queryTokens: number;
  toolsTokens: number;
}

/** generate()'s final text: decode(ids) without a leading `<tool_call>`, tool names restored. */
export function outputText(decoded: string, nameMap: Readonly<NameMap>): string {
  const text = stripToolCall(decoded);
  try {
    return restoreToolNames(text, nameMap);
  } catch (err) {
    // Where Python raises (a list as a call name, an int over 4300 digits,
    // nesting past the recursion limit) the model's text is returned as is.
    if (err instanceof InputError) return text;
    throw err;
  }
}

/** The text without one leading `<tool_call>`, if it has one. */
export function stripToolCall(decoded: string): string {
  return decoded.startsWith(TOOL_CALL_TEXT) ? decoded.slice(TOOL_CALL_TEXT.length) : decoded;
}

export type CallParseErrorCode = "INVALID_JSON" | "NOT_A_LIST" | "BAD_CALL";

export interface CallParseError {
  code: CallParseErrorCode;
  message: string;
  /** The text that was parsed (after stripping `<tool_call>`). */
  text: string;
}

export type ParsedCalls = { ok: true; calls: ToolCall[] } | { ok: false; error: CallParseError };

/**
 * The calls in the model's output: `decoded` is decode(ids), with or without
 * its leading `<tool_call>`, names still in snake_case; `nameMap` maps them
 * back (names not in it are kept). The text must be a JSON list of
 * `{"name": string, "arguments": object}`; anything else is returned as a
 * CallParseError, never thrown.
 */
export function parseCalls(decoded: string, nameMap: Readonly<NameMap>): ParsedCalls {
  const text = stripToolCall(decoded);
  const fail = (code: CallParseErrorCode, message: string): ParsedCalls => ({ ok: false, error: { code, message, text } });
  let value;
  try {
    value = loads(text);
  } catch (err) {
    if (err instanceof InputError) return fail("INVALID_JSON", err instanceof JsonDecodeError ? `output is not valid JSON: ${err.message}` : err.message);
    throw err;
  }
  if (!Array.isArray(value)) return fail("NOT_A_LIST", `output is not a list of calls (got ${jsonTypeName(value)})`);
  const calls: ToolCall[] = [];
  for (const [i, call] of value.entries()) {
    if (!(call instanceof Map)) return fail("BAD_CALL", `call ${i} is not an object (got ${jsonTypeName(call)})`);
    const name = call.get("name");
    if (typeof name !== "string") return fail("BAD_CALL", `call ${i} has no string "name"`);
    const args = call.get("arguments");
    if (!(args instanceof Map)) return fail("BAD_CALL", `call ${i} (${name}) has no "arguments" object`);
    calls.push({
      name: Object.hasOwn(nameMap, name) ? nameMap[name]! : name,
      arguments: toPlain(args) as Record<string, unknown>,
    });
  }
  return { ok: true, calls };
}

/**
 * The final text as the stream shows it, token by token. The final text
 * (outputText) has two forms: a JSON answer is re-serialised (names
 * restored, leading space gone), anything else comes back as generated
 * (names replaced). While the answer is still a valid JSON prefix, the
 * stream shows its complete part (up to the last whole value or bracket)
 * where the two forms agree, as they do for compact ASCII JSON, the form
 * Needle writes; once it cannot be JSON, the text as generated, holding back
 * what a tool name or a partial character might still change. The deltas
 * then add up to the final text, except that an answer that began as JSON
 * and did not parse (cut by maxTokens) loses the final text's leading space.
 * A JSON answer that repeats a key is the one case where they can stop short.
 */
export class TextStream {
  readonly #nameMap: Readonly<NameMap>;
  /** Longest snake_case name: the generated text a replacement might still reach back into. */
  readonly #holdBack: number;
  #shown = "";

  constructor(nameMap: Readonly<NameMap>) {
    this.#nameMap = nameMap;
    this.#holdBack = Math.max(0, ...Object.keys(nameMap).map((name) => name.length));
  }

  /** The new text to show after the answer so far decodes to `decoded` ("" when nothing new is sure). */
  update(decoded: string): string {
    return this.#advance(this.#candidate(decoded));
  }

  /**
   * The rest of the final text, once the answer is complete. An answer that
   * began as JSON and then did not parse (cut by maxTokens, say) keeps the
   * reference's leading space in the final text; the stream, having shown
   * the JSON form, gives the rest after it.
   */
  finish(finalText: string): string {
    return this.#advance(finalText) || this.#advance(finalText.trimStart());
  }

  #advance(candidate: string | null): string {
    if (candidate === null || candidate.length <= this.#shown.length || !candidate.startsWith(this.#shown)) return "";
    const delta = candidate.slice(this.#shown.length);
    this.#shown = candidate;
    return delta;
  }

  /** Where text that is not JSON can be cut: no tool name reaches across it, and none can still grow over it. */
  #safeCut(text: string): number {
    let cut = Math.max(0, text.length - this.#holdBack);
    for (let moved = true; moved; ) {
      moved = false;
      for (const name of Object.keys(this.#nameMap)) {
        const at = name === "" ? -1 : text.lastIndexOf(name, cut - 1);
        if (at >= 0 && at < cut && at + name.length > cut) {
          cut = at;
          moved = true;
        }
      }
    }
    return cut;
  }

  #candidate(decoded: string): string | null {
    if (TOOL_CALL_TEXT.startsWith(decoded)) return null; // `<tool_call>` may still be coming
    const text = stripToolCall(decoded).replace(/\uFFFD+$/, "");
    if (Object.keys(this.#nameMap).length === 0) return text; // outputText keeps such text as it is
    const start = text.length - text.trimStart().length;
    const scan = scanJsonPrefix(text, start);
    if (scan === null) {
      // Not JSON, whatever follows: outputText will only replace tool names.
      return outputText(text.slice(0, this.#safeCut(text)), this.#nameMap);
    }
    if (scan.end <= start) return null;
    const closed = outputText(text.slice(start, scan.end) + scan.closers, this.#nameMap);
    if (!closed.endsWith(scan.closers)) return null;
    // Shown only where the JSON form and the text as generated agree: the answer may yet fail to parse.
    // (No name reaches across scan.end: it follows a quote, a bracket or a delimiter.)
    const asGenerated = outputText(text.slice(start, scan.end), this.#nameMap);
    return commonPrefix(closed.slice(0, closed.length - scan.closers.length), asGenerated);
  }
}

function commonPrefix(a: string, b: string): string {
  let i = 0;
  while (i < a.length && i < b.length && a.charCodeAt(i) === b.charCodeAt(i)) i++;
  return a.slice(0, i);
}

/**
 * Python's json.loads over a prefix: null when `text` cannot begin a JSON
 * document; otherwise the end of its complete part (just after the last
 * whole value, `[` or `{`) and the brackets that would close it there.
 */
function scanJsonPrefix(text: string, start: number): { end: number; closers: string } | null {
  const stack: string[] = [];
  let end = start;
  let closers = "";
  /** What may come next outside a string. */
  let expect = "value" as "value" | "valueOrEnd" | "key" | "keyOrEnd" | "colon" | "commaOrEnd" | "done";
  const valueDone = (at: number): void => {
    expect = stack.length === 0 ? "done" : "commaOrEnd";
    end = at;
    closers = stack.map((open) => (open === "[" ? "]" : "}")).reverse().join("");
  };
  let i = start;
  while (i < text.length) {
    const ch = text[i]!;
    if (ch === " " || ch === "\t" || ch === "\n" || ch === "\r") {
      i++;
      continue;
    }
    if (expect === "done") return null;
    if (ch === '"') {
      if (expect !== "value" && expect !== "valueOrEnd" && expect !== "key" && expect !== "keyOrEnd") return null;
      const isKey = expect === "key" || expect === "keyOrEnd";
      const close = scanString(text, i + 1);
      if (close === null) return null;
      if (close === -1) return { end, closers };
      i = close + 1;
      if (isKey) expect = "colon";
      else valueDone(i);
      continue;
    }
    if (ch === "[" || ch === "{") {
      if (expect !== "value" && expect !== "valueOrEnd") return null;
      stack.push(ch);
      expect = ch === "[" ? "valueOrEnd" : "keyOrEnd";
      i++;
      end = i;
      closers = stack.map((open) => (open === "[" ? "]" : "}")).reverse().join("");
      continue;
    }
    if (ch === "]" || ch === "}") {
      const open = ch === "]" ? "[" : "{";
      if (stack[stack.length - 1] !== open) return null;
      if (expect !== "commaOrEnd" && expect !== (open === "[" ? "valueOrEnd" : "keyOrEnd")) return null;
      stack.pop();
      i++;
      valueDone(i);
      continue;
    }
    if (ch === ",") {
      if (expect !== "commaOrEnd") return null;
      expect = stack[stack.length - 1] === "[" ? "value" : "key";
      i++;
      continue;
    }
    if (ch === ":") {
      if (expect !== "colon") return null;
      expect = "value";
      i++;
      continue;
    }
    // A number or literal (true, false, null, NaN, Infinity, -Infinity): its whole run.
    if (expect !== "value" && expect !== "valueOrEnd") return null;
    let j = i;
    while (j < text.length && /[0-9A-Za-z+\-.]/.test(text[j]!)) j++;
    const run = text.slice(i, j);
    if (j === text.length) return isScalarPrefix(run) ? { end, closers } : null;
    if (!isScalar(run)) return null;
    i = j;
    valueDone(i);
  }
  return { end, closers };
}

/** The index of the closing quote of a string whose body starts at `from`; -1: not closed yet; null: not a JSON string. */
function scanString(text: string, from: number): number | null {
  for (let i = from; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x22) return i;
    if (code < 0x20) return null; // json.loads is strict about control characters
    if (code === 0x5c) {
      const next = text[i + 1];
      if (next === undefined) return -1;
      if (next === "u") {
        const hex = text.slice(i + 2, i + 6);
        if (!/^[0-9A-Fa-f]*$/.test(hex)) return null;
        if (hex.length < 4) return -1;
        i += 5;
      } else if ('"\\/bfnrt'.includes(next)) {
        i++;
      } else {
        return null;
      }
    }
  }
  return -1;
}

const SCALAR = /^(?:-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?|true|false|null|NaN|Infinity|-Infinity)$/;
const LITERALS = ["true", "false", "null", "NaN", "Infinity", "-Infinity"];

function isScalar(run: string): boolean {
  return SCALAR.test(run);
}

/** Whether more characters could still make `run` a number or literal. */
function isScalarPrefix(run: string): boolean {
  if (run === "-" || LITERALS.some((literal) => literal.startsWith(run))) return true;
  return /^-?(?:0|[1-9][0-9]*)(?:\.[0-9]*)?(?:[eE][+-]?[0-9]*)?$/.test(run);
}
