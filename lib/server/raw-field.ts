// The exact text of one top-level field of a JSON object, so the tools
// reach Needle as the client wrote them: JSON.parse turns `1.0` into 1,
// while Needle's prompt keeps Python's number formatting when the tools
// are given as text (a Python client sends `1.0`).

const SPACE = /\s/;

/**
 * The text of `field`'s value in `json` (a JSON object's text that
 * JSON.parse accepted), the last one when it repeats, as JSON.parse keeps;
 * null when the field is absent.
 */
export function rawField(json: string, field: string): string | null {
  let i = skipSpace(json, 0);
  if (json[i] !== "{") return null;
  i++;
  let found: string | null = null;
  for (;;) {
    i = skipSpace(json, i);
    if (json[i] !== '"') return found;
    const keyEnd = stringEnd(json, i);
    const key = JSON.parse(json.slice(i, keyEnd)) as string;
    i = skipSpace(json, keyEnd) + 1; // past ':'
    const start = skipSpace(json, i);
    const end = valueEnd(json, start);
    if (key === field) found = json.slice(start, end);
    i = skipSpace(json, end);
    if (json[i] !== ",") return found;
    i++;
  }
}

function skipSpace(text: string, i: number): number {
  while (i < text.length && SPACE.test(text[i]!)) i++;
  return i;
}

/** Offset just after the string literal starting at `i`. */
function stringEnd(text: string, i: number): number {
  for (let j = i + 1; j < text.length; j++) {
    if (text[j] === "\\") j++;
    else if (text[j] === '"') return j + 1;
  }
  return text.length;
}

/** Offset just after the value starting at `i`. */
function valueEnd(text: string, i: number): number {
  const c = text[i];
  if (c === '"') return stringEnd(text, i);
  if (c === "{" || c === "[") {
    let depth = 0;
    for (let j = i; j < text.length; j++) {
      const d = text[j];
      if (d === '"') j = stringEnd(text, j) - 1;
      else if (d === "{" || d === "[") depth++;
      else if (d === "}" || d === "]") {
        depth--;
        if (depth === 0) return j + 1;
      }
    }
    return text.length;
  }
  let j = i;
  while (j < text.length && text[j] !== "," && text[j] !== "}" && !SPACE.test(text[j]!)) j++;
  return j;
}
