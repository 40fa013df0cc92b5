// Where the tool calls are in a partial answer: the model writes
// `[{"name":"get_weather","arguments":{"location":"Par` one token at a time,
// and a stream shows each call's name once it is complete and its arguments
// as they grow. A small scanner over the text so far (strings and escapes
// respected, no value built), run again on each new token: the answer is at
// most 511 tokens.

/** One call object of the list, as far as the text goes. */
export interface PartialCall {
  /** The "name" string once it is closed (JSON-unescaped), else null. */
  name: string | null;
  /** Offset where the "arguments" value begins, or -1 before it does. */
  argsStart: number;
  /** Offset just after the "arguments" value, or -1 while it is open. */
  argsEnd: number;
}

const SPACE = /\s/;

/**
 * The call objects in `text` (a JSON list of calls, possibly cut short):
 * objects directly inside the top-level list, with their `name` and the
 * span of their `arguments`. Text that is not such a list yields what was
 * found before it went astray.
 */
export function scanCalls(text: string): PartialCall[] {
  const calls: PartialCall[] = [];
  let depth = 0;
  let stringStart = -1; // inside a string: where it began
  let escaped = false;
  let expectKey = false; // in a call object, before a key
  let key: string | null = null; // the key whose value comes next (or is open)
  let valueStart = -1; // start of the current call-level value, or -1
  let afterColon = false;
  const call = () => calls[calls.length - 1]!;
  const endValue = (end: number) => {
    if (valueStart < 0) return;
    if (key === "name" && text[valueStart] === '"') call().name = unescape(text.slice(valueStart, end));
    if (key === "arguments") call().argsEnd = end;
    valueStart = -1;
    key = null;
  };
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (stringStart >= 0) {
      if (escaped) escaped = false;
      else if (c === "\\") escaped = true;
      else if (c === '"') {
        if (depth === 2 && expectKey) {
          key = unescape(text.slice(stringStart, i + 1));
          expectKey = false;
        } else if (depth === 2) endValue(i + 1);
        stringStart = -1;
      }
      continue;
    }
    if (SPACE.test(c)) continue;
    if (depth === 0 && c !== "[") break;
    if (depth === 2 && afterColon) {
      afterColon = false;
      valueStart = i;
      if (key === "arguments") call().argsStart = i;
    }
    if (c === '"') stringStart = i;
    else if (c === "{" || c === "[") {
      depth++;
      if (depth === 2) {
        if (c !== "{") break;
        calls.push({ name: null, argsStart: -1, argsEnd: -1 });
        expectKey = true;
      }
    } else if (c === "}" || c === "]") {
      if (depth === 2) endValue(lastNonSpace(text, i));
      depth--;
      if (depth === 2) endValue(i + 1);
      if (depth === 0) break;
    } else if (depth === 2 && c === ":") afterColon = true;
    else if (depth === 2 && c === ",") {
      endValue(lastNonSpace(text, i));
      expectKey = true;
    }
  }
  return calls;
}

/** Offset just after the last non-space character before `i`. */
function lastNonSpace(text: string, i: number): number {
  let end = i;
  while (end > 0 && SPACE.test(text[end - 1]!)) end--;
  return end;
}

/** A JSON string literal's value, or null when it is not one. */
function unescape(literal: string): string | null {
  try {
    const value: unknown = JSON.parse(literal);
    return typeof value === "string" ? value : null;
  } catch {
    return null;
  }
}
