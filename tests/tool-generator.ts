// Random tool lists for property tests: every parameter type, nested
// objects and arrays, enums and consts, required and optional, type lists,
// nullable, odd and unicode names, in Needle's flat format or as OpenAI
// JSON-Schema tools.

import { toSnakeCase } from "../lib/tools.ts";
import { randomInt } from "./helpers.ts";

type Next = () => number;
type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const WORDS = ["get", "set", "weather", "timer", "send", "email", "play", "music", "search", "book", "flight", "x", "a1", "URL", "HTTPServer", "temp"];
const ODD = ["", " ", "\"", "\\", "\\\"", "ü", "日本", "🎵", "café", "a\"b", "tab\there", "new\nline", "{}", "[,]", ":", "\u2581", "é\u0301", "null", "true", "0"];

function pick<T>(next: Next, items: readonly T[]): T {
  return items[Math.floor(next() * items.length)]!;
}

function word(next: Next): string {
  return pick(next, WORDS);
}

/** A tool name: camelCase, spaces, dashes, dots or unicode around ASCII words. */
export function toolName(next: Next): string {
  const parts = Array.from({ length: randomInt(next, 1, 3) }, () => word(next));
  switch (randomInt(next, 0, 4)) {
    case 0: return parts.join("_");
    case 1: return parts.map((p, i) => (i === 0 ? p : p[0]!.toUpperCase() + p.slice(1))).join("");
    case 2: return parts.join(pick(next, [" ", "-", ".", "/"]));
    case 3: return `${pick(next, ["ü", "日本", "🎵", "é"])}${parts.join("_")}`;
    default: return parts.join("__").toUpperCase();
  }
}

function key(next: Next): string {
  const r = next();
  if (r < 0.55) return Array.from({ length: randomInt(next, 1, 2) }, () => word(next)).join("_");
  if (r < 0.85) return word(next) + pick(next, ODD);
  return pick(next, ODD) + pick(next, ODD);
}

function text(next: Next): string {
  return Array.from({ length: randomInt(next, 0, 3) }, () => (next() < 0.6 ? word(next) : pick(next, ODD))).join(next() < 0.5 ? " " : "");
}

function literal(next: Next): Json {
  switch (randomInt(next, 0, 5)) {
    case 0: case 1: return text(next);
    case 2: return randomInt(next, -1000, 1000);
    case 3: return Math.round((next() - 0.5) * 1e6) / 1000;
    case 4: return next() < 0.5;
    default: return null;
  }
}

/** A parameter schema at nesting `depth`; `flat` adds Needle's "required" flags to nested properties. */
function schema(next: Next, depth: number, flat: boolean): { [key: string]: Json } {
  const r = next();
  const out: { [key: string]: Json } = {};
  if (next() < 0.3) out.description = text(next);
  if (r < 0.14) out.type = "string";
  else if (r < 0.24) out.type = "integer";
  else if (r < 0.34) out.type = "number";
  else if (r < 0.42) out.type = "boolean";
  else if (r < 0.45) out.type = "null";
  else if (r < 0.55) {
    const values = Array.from({ length: randomInt(next, 1, 5) }, () => literal(next));
    if (next() < 0.7) values.forEach((_, i) => (values[i] = typeof values[0] === "string" ? text(next) || word(next) : values[i]!));
    if (next() < 0.6) out.type = typeof values[0] === "number" ? "number" : "string";
    out.enum = values;
  } else if (r < 0.58) out.const = literal(next);
  else if (r < 0.7 && depth < 4) {
    out.type = "array";
    if (next() < 0.9) out.items = schema(next, depth + 1, false);
  } else if (r < 0.82 && depth < 4) {
    out.type = "object";
    if (next() < 0.9) Object.assign(out, properties(next, depth + 1, flat));
  } else if (r < 0.88) out.type = pick(next, [["string", "null"], ["integer", "string"], ["number", "integer"], ["boolean", "null", "array"]]);
  else if (r < 0.92) {
    out.type = pick(next, ["string", "integer"]);
    out.nullable = true;
  } else if (r < 0.96) {
    out.type = pick(next, ["string", "date", "any"]);
    out[pick(next, ["pattern", "format", "minLength", "maximum"])] = pick(next, ["^[a-z]+$", "date-time", 3, 10]);
  } else if (next() < 0.5) out.examples = ["no type"];
  return out;
}

function properties(next: Next, depth: number, flat: boolean): { [key: string]: Json } {
  const props: { [key: string]: Json } = {};
  const required: string[] = [];
  for (let i = randomInt(next, 0, depth === 0 ? 6 : 3); i > 0; i--) {
    const k = key(next);
    if (Object.hasOwn(props, k)) continue;
    const spec = schema(next, depth, flat);
    const isRequired = next() < 0.45;
    if (flat && depth === 0) spec.required = isRequired;
    else if (flat && next() < 0.5) spec.required = isRequired;
    else if (isRequired) required.push(k);
    props[k] = spec;
  }
  return required.length > 0 ? { properties: props, required } : { properties: props };
}

/** A tool list of 0 to 5 tools with distinct snake_case names, as plain objects. */
export function toolList(next: Next): Json[] {
  const tools: Json[] = [];
  const names = new Set<string>();
  for (let i = randomInt(next, 0, 5); i > 0; i--) {
    const name = toolName(next);
    if (toSnakeCase(name) === "" || names.has(toSnakeCase(name))) continue;
    names.add(toSnakeCase(name));
    const r = next();
    if (r < 0.1) {
      tools.push({ name, description: text(next) });
      continue;
    }
    if (r < 0.45) {
      // JSON Schema parameters (OpenAI tools): flattened by prepareTools.
      const { properties: props, required } = properties(next, 0, false) as { properties: Json; required?: Json };
      const parameters: { [key: string]: Json } = { type: "object", properties: props };
      if (required) parameters.required = required;
      tools.push({ type: "function", function: { name, description: text(next), parameters } });
      continue;
    }
    const { properties: props } = properties(next, 0, true) as { properties: Json };
    tools.push({ name, description: text(next), parameters: props });
  }
  return tools;
}
