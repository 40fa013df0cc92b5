import { InputError } from "./errors.ts";
import { dumps, fromPlain, JsonDecodeError, jsonTypeName, loads, pyTypeName, toPlain, type PyObject, type PyValue } from "./pyjson.ts";
import { flattenParameters, isJsonSchemaParameters, SchemaBudget } from "./jsonschema.ts";
import { MAX_PREPARED_TOOLS_CHARS, MAX_TOOLS, MAX_TOOLS_CHARS, MAX_TOOLS_VALUES } from "./limits.ts";

/**
 * Tool names and tool lists as Needle's reference prepares them
 * (cactus-compute/needle: needle/dataset/tokenizer.py `to_snake_case`,
 * needle/model/run.py `normalize_tools` / `restore_tool_names`), plus the
 * stricter public entry point `prepareTools`.
 */

/** Snake-case name → the name the caller used. */
export type NameMap = Record<string, string>;

export interface NormalizedTools {
  /** The tool list re-serialised as Python's compact json.dumps writes it. */
  json: string;
  nameMap: NameMap;
}

/**
 * to_snake_case: runs of characters outside [A-Za-z0-9_] become "_"
 * (non-ASCII letters included), "aB" → "a_B", "ABc" → "A_Bc", runs of "_"
 * collapse, lower-case, "_" stripped from both ends.
 */
export function toSnakeCase(name: string): string {
  return name
    .replace(/[^a-zA-Z0-9_]+/g, "_")
    .replace(/([a-z0-9])([A-Z])/g, "$1_$2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .replace(/_+/g, "_")
    .toLowerCase()
    .replace(/^_+|_+$/g, "");
}

/**
 * normalize_tools: parse, rename every dict element that has a "name" to its
 * snake_case form, re-serialise. Text that is not JSON comes back unchanged
 * with an empty map; JSON that is not a list is re-serialised untouched
 * (a dict or string iterates to nothing), except null/bool/int/float, which
 * Python cannot iterate: InputError TOOLS_NOT_ITERABLE. A "name" that is not
 * a string: InputError TOOL_NAME_NOT_STRING (Python's re.sub TypeError).
 */
export function normalizeTools(toolsJson: string): NormalizedTools {
  let tools: PyValue;
  try {
    tools = loads(toolsJson);
  } catch (err) {
    if (err instanceof JsonDecodeError) return { json: toolsJson, nameMap: {} };
    throw err;
  }
  if (tools === null || typeof tools === "boolean" || !(Array.isArray(tools) || tools instanceof Map || typeof tools === "string")) {
    throw new InputError("TOOLS_NOT_ITERABLE",
      `tools JSON must be a list, got ${pyTypeName(tools)} (Python: TypeError: '${pyTypeName(tools)}' object is not iterable)`);
  }
  const nameMap = Array.isArray(tools) ? snakeCaseNames(tools) : {};
  return { json: dumps(tools), nameMap };
}

/** The renaming loop of normalize_tools, in place; returns snake → original (last one wins). */
function snakeCaseNames(tools: PyValue[]): NameMap {
  const nameMap: NameMap = {};
  for (const tool of tools) {
    if (!(tool instanceof Map) || !tool.has("name")) continue;
    const original = tool.get("name")!;
    if (typeof original !== "string") {
      throw new InputError("TOOL_NAME_NOT_STRING",
        `tool name must be a string, got ${pyTypeName(original)} (Python: TypeError: expected string or bytes-like object, got '${pyTypeName(original)}')`);
    }
    const snake = toSnakeCase(original);
    nameMap[snake] = original;
    tool.set("name", snake);
  }
  return nameMap;
}

/**
 * restore_tool_names: with an empty map the text is returned as is. Text
 * that parses as JSON has the "name" of each call (a list of dicts, or one
 * dict) mapped back and is re-serialised compactly. Text that does not
 * parse gets plain string replacement, longest snake names first (ties in
 * map order). A list or dict as a name is InputError UNHASHABLE_TOOL_NAME
 * (Python's TypeError).
 */
export function restoreToolNames(text: string, nameMap: Readonly<NameMap>): string {
  const entries = Object.entries(nameMap);
  if (entries.length === 0) return text;
  let calls: PyValue;
  try {
    calls = loads(text);
  } catch (err) {
    if (!(err instanceof JsonDecodeError)) throw err;
    entries.sort((a, b) => b[0].length - a[0].length); // Array#sort is stable, like Python's sorted
    for (const [snake, original] of entries) text = replaceAll(text, snake, original);
    return text;
  }
  if (Array.isArray(calls)) {
    for (const call of calls) if (call instanceof Map) restoreName(call, nameMap);
  } else if (calls instanceof Map) {
    restoreName(calls, nameMap);
  }
  return dumps(calls);
}

function restoreName(call: PyObject, nameMap: Readonly<NameMap>): void {
  if (!call.has("name")) return;
  const name = call.get("name")!;
  if (Array.isArray(name) || name instanceof Map) {
    throw new InputError("UNHASHABLE_TOOL_NAME", `call name is a ${pyTypeName(name)} (Python: TypeError: unhashable type: '${pyTypeName(name)}')`);
  }
  if (typeof name === "string" && Object.hasOwn(nameMap, name)) call.set("name", nameMap[name]!);
}

/** str.replace(old, new): literal, left to right; an empty `old` goes between every code point. */
function replaceAll(text: string, old: string, replacement: string): string {
  if (old === "") return replacement + Array.from(text).map((ch) => ch + replacement).join("");
  return text.split(old).join(replacement);
}

// ---------------------------------------------------------------- public input

/** Needle's own tool format: flat parameters, one object per argument. */
export interface ToolSpec {
  name: string;
  description?: string;
  /** Flat parameters (`{ location: { type: "string", description, required: true } }`) or a JSON Schema object. */
  parameters?: Record<string, unknown>;
}

/** OpenAI's Chat Completions tool: `{ type: "function", function: { name, description, parameters } }`. */
export interface OpenAITool {
  type: "function";
  function: ToolSpec & { strict?: boolean | null };
}

/** OpenAI's Responses API tool: the function's fields beside `type`. */
export interface OpenAIResponsesTool extends ToolSpec {
  type: "function";
  strict?: boolean;
}

/**
 * What prepareTools accepts: a JSON string of a tool list, or the list
 * itself. Given as JS objects, integer-valued numbers are written as ints
 * (`1.0` becomes `1`) and integer-like keys come first (JS object order);
 * pass a JSON string to have the reference's exact prompt bytes.
 */
export type ToolsInput = string | readonly (ToolSpec | OpenAITool | OpenAIResponsesTool)[];

export interface PreparedTools extends NormalizedTools {
  /** The tools as the caller gave them (parsed, when given as a string), in order. */
  original: readonly unknown[];
  /** The callers' tool names, in order. */
  names: readonly string[];
}

/**
 * The checked, model-ready form of a tool list. Accepts Needle's flat
 * format, OpenAI tools (`{type:"function", function:{…}}` and the flat
 * `{type:"function", name, …}` of the Responses API) and bare
 * `{name, description, parameters}` with JSON-Schema parameters, which are
 * converted to the flat format (see lib/jsonschema.ts). A tool already in
 * the flat format is kept exactly as given, so a flat JSON string yields
 * the same `json` and `nameMap` as normalizeTools; a converted tool is
 * written as `{name, description, parameters}`.
 *
 * Throws InputError: BAD_TOOLS_JSON (not JSON), TOOLS_NOT_LIST,
 * TOOL_NOT_OBJECT, BAD_TOOL_NAME (missing, not a string, or nothing left
 * after snake_case), DUPLICATE_TOOL_NAME (two tools with one snake_case
 * name), BAD_TOOL_DESCRIPTION, BAD_PARAMETERS, BAD_PARAMETER; and for the
 * limits of lib/limits.ts, checked before the work they bound:
 * TOOLS_TOO_LONG, TOO_MANY_TOOLS, SCHEMA_TOO_LARGE, SCHEMA_TOO_DEEP.
 */
export function prepareTools(tools: ToolsInput): PreparedTools {
  const list = readToolList(tools);
  if (list.length > MAX_TOOLS) throw new InputError("TOO_MANY_TOOLS", `the list has ${list.length} tools; the limit is ${MAX_TOOLS}`);
  const original = typeof tools === "string" ? list.map(toPlain) : [...tools];
  const budget = new SchemaBudget();
  const prepared = list.map((tool, i) => prepareTool(tool, i, budget));
  const names = prepared.map((tool) => tool.get("name") as string);
  const owner = new Map<string, string>();
  for (const name of names) {
    const snake = toSnakeCase(name);
    const first = owner.get(snake);
    if (first !== undefined) {
      throw new InputError("DUPLICATE_TOOL_NAME", `tools ${JSON.stringify(first)} and ${JSON.stringify(name)} both become ${JSON.stringify(snake)}; tool names must differ after snake_case`);
    }
    owner.set(snake, name);
  }
  const nameMap = snakeCaseNames(prepared);
  return { json: preparedJson(prepared), nameMap, original, names };
}

/** The tool list as a PyValue list, its size checked before it is parsed or walked. */
function readToolList(tools: ToolsInput): PyValue[] {
  let list: PyValue;
  if (typeof tools === "string") {
    if (tools.length > MAX_TOOLS_CHARS) throw new InputError("TOOLS_TOO_LONG", `the tools JSON has ${tools.length} characters; the limit is ${MAX_TOOLS_CHARS}`);
    try {
      list = loads(tools);
    } catch (err) {
      if (err instanceof JsonDecodeError) throw new InputError("BAD_TOOLS_JSON", `tools are not valid JSON: ${err.message}`, { cause: err });
      throw err;
    }
  } else {
    if (Array.isArray(tools) && tools.length > MAX_TOOLS) throw new InputError("TOO_MANY_TOOLS", `the list has ${tools.length} tools; the limit is ${MAX_TOOLS}`);
    try {
      list = fromPlain(tools, { maxChars: MAX_TOOLS_CHARS, maxValues: MAX_TOOLS_VALUES });
    } catch (err) {
      if (err instanceof InputError && err.code === "JSON_TOO_LONG") {
        throw new InputError("TOOLS_TOO_LONG", `the tools are too large: ${err.message.replace(/^the value/, "they")} (the limits are ${MAX_TOOLS_CHARS} characters and ${MAX_TOOLS_VALUES} values)`, { cause: err });
      }
      throw err;
    }
  }
  if (!Array.isArray(list)) throw new InputError("TOOLS_NOT_LIST", `tools must be a list, got ${jsonTypeName(list)}`);
  return list;
}

/** Python's compact JSON of the prepared list, refused as it grows past MAX_PREPARED_TOOLS_CHARS. */
function preparedJson(prepared: PyObject[]): string {
  try {
    return dumps(prepared, MAX_PREPARED_TOOLS_CHARS);
  } catch (err) {
    if (err instanceof InputError && err.code === "JSON_TOO_LONG") {
      throw new InputError("TOOLS_TOO_LONG", `the tools, converted and serialised as the model sees them, are longer than ${MAX_PREPARED_TOOLS_CHARS} characters`, { cause: err });
    }
    throw err;
  }
}

function prepareTool(tool: PyValue, index: number, budget: SchemaBudget): PyObject {
  const where = `tools[${index}]`;
  if (!(tool instanceof Map)) throw new InputError("TOOL_NOT_OBJECT", `${where} must be an object, got ${jsonTypeName(tool)}`);
  const wrapped = tool.get("type") === "function";
  const body = wrapped && tool.has("function") ? tool.get("function")! : tool;
  if (!(body instanceof Map)) throw new InputError("TOOL_NOT_OBJECT", `${where}.function must be an object, got ${jsonTypeName(body)}`);
  const name = body.get("name");
  if (typeof name !== "string" || name === "") throw new InputError("BAD_TOOL_NAME", `${where} needs a non-empty string "name"`);
  if (toSnakeCase(name) === "") {
    throw new InputError("BAD_TOOL_NAME", `${where} name ${JSON.stringify(name)} has no ASCII letters or digits, so nothing is left of it after snake_case`);
  }
  const description = body.get("description");
  if (description !== undefined && description !== null && typeof description !== "string") {
    throw new InputError("BAD_TOOL_DESCRIPTION", `${where} (${name}) description must be a string`);
  }
  const parameters = body.get("parameters") ?? new Map();
  if (!(parameters instanceof Map)) throw new InputError("BAD_PARAMETERS", `${where} (${name}) parameters must be an object, got ${jsonTypeName(parameters)}`);
  const schema = isJsonSchemaParameters(parameters);
  if (!schema) {
    for (const [key, spec] of parameters) {
      if (!(spec instanceof Map)) {
        throw new InputError("BAD_PARAMETER", `${where} (${name}) parameter ${JSON.stringify(key)} must be an object such as {"type":"string"}, got ${jsonTypeName(spec)}`);
      }
    }
    if (!wrapped) return tool;
  }
  const out: PyObject = new Map([["name", name]]);
  if (typeof description === "string") out.set("description", description);
  out.set("parameters", schema ? flattenParameters(parameters, `${where} (${name}) parameters`, budget) : parameters);
  return out;
}
