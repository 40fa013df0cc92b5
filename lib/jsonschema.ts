import { InputError } from "./errors.ts";
import { MAX_SCHEMA_DEPTH, MAX_SCHEMA_KEYWORDS, MAX_SCHEMA_NODES } from "./limits.ts";
import { jsonTypeName, type PyObject, type PyValue } from "./pyjson.ts";

/**
 * JSON-Schema tool parameters → the flat parameter map Needle was trained on.
 *
 *   JSON Schema (OpenAI, MCP, Pydantic)        Needle flat parameters
 *   {"type":"object",                          {"location":{"type":"string",
 *    "properties":{                                         "description":"City name.",
 *      "location":{"type":"string",                         "required":true},
 *                  "description":"City name."},  "unit":{"type":"string",
 *      "unit":{"type":["string","null"],    →           "enum":["c","f"],
 *              "enum":["c","f"],                        "default":"c",
 *              "default":"c"}},                         "required":false}}
 *    "required":["location"]}
 *
 * - Each property becomes one flat parameter, keys in this order: "type",
 *   "description", the property's other keywords as written, and last
 *   "required": true when the property is listed in its object's "required"
 *   array (or itself says "required": true), false otherwise.
 * - "type" as a list loses "null": one remaining type is written as a
 *   string, several stay a list.
 * - anyOf/oneOf with exactly one non-null branch (Optional[X]) is replaced
 *   by that branch; the property's own keys (description, default) win.
 * - Local "$ref"s ("#/$defs/X", "#/definitions/X") are inlined; a recursive
 *   reference cannot be flattened and is an error.
 * - Nested objects keep "properties" under the parameter, converted the same
 *   way (each nested property with its own "required" flag); array "items"
 *   are converted as schemas, without a "required" flag of their own.
 * - Dropped as noise: "title", "$schema", "$id", "$comment", "$defs",
 *   "definitions", "additionalProperties": false, and the "required" lists
 *   (turned into the flags above). Everything else (enum, const, default,
 *   format, minimum, maximum, pattern, examples, …) is kept as written.
 * - Only "properties" and "required" are read from the top-level object.
 * - Expansion is bounded (lib/limits.ts): schema nodes and copied keywords
 *   over a whole tool list (a `$ref` inlined twice counts twice), and
 *   nesting depth per parameter; beyond them, InputError SCHEMA_TOO_LARGE
 *   or SCHEMA_TOO_DEEP, before the copies are made.
 */

/** Keys a JSON-Schema object may have at the top of a tool's `parameters`. */
const OBJECT_SCHEMA_KEYS = new Set([
  "type", "properties", "required", "additionalProperties", "$schema", "$id", "$comment", "$defs", "definitions", "title", "description",
]);
const DROPPED_KEYS = new Set(["title", "$schema", "$id", "$comment", "$defs", "definitions"]);

/** What the schemas of one tool list have expanded to so far: shared by every tool's flattening. */
export class SchemaBudget {
  nodes = 0;
  keywords = 0;
}

/**
 * Whether a tool's `parameters` is a JSON-Schema object rather than flat
 * parameters: its "type" is a string (a flat parameter is always an
 * object), or it has only schema keywords and "properties" maps names to
 * objects.
 */
export function isJsonSchemaParameters(params: PyObject): boolean {
  if (typeof params.get("type") === "string") return true;
  const properties = params.get("properties");
  if (!(properties instanceof Map)) return false;
  for (const key of params.keys()) if (!OBJECT_SCHEMA_KEYS.has(key)) return false;
  for (const spec of properties.values()) if (!(spec instanceof Map)) return false;
  return true;
}

/** The flat parameters for a JSON-Schema `parameters` object; `where` names it in errors. */
export function flattenParameters(schema: PyObject, where: string, budget = new SchemaBudget()): PyObject {
  const type = schema.get("type");
  if (type !== undefined && type !== "object") {
    throw new InputError("BAD_PARAMETERS", `${where} must be a schema of type "object", got type ${JSON.stringify(type)}`);
  }
  const flattener = new Flattener(schema, where, budget);
  const properties = schema.get("properties") ?? new Map();
  if (!(properties instanceof Map)) throw new InputError("BAD_PARAMETERS", `${where}.properties must be an object`);
  return flattener.properties(properties, schema.get("required"), where);
}

class Flattener {
  private readonly expanding: string[] = [];
  private depth = 0;

  constructor(private readonly root: PyObject, private readonly where: string, private readonly budget: SchemaBudget) {}

  private fail(code: string, message: string): never {
    throw new InputError(code, message);
  }

  properties(properties: PyObject, requiredList: PyValue | undefined, where: string): PyObject {
    const required = Array.isArray(requiredList) ? requiredList : [];
    const out: PyObject = new Map();
    for (const [key, spec] of properties) {
      if (!(spec instanceof Map)) this.fail("BAD_PARAMETER", `${where}: property ${JSON.stringify(key)} must be a schema object, got ${jsonTypeName(spec)}`);
      const flat = this.schema(spec, `${where}.${key}`);
      flat.delete("required");
      flat.set("required", required.includes(key) || spec.get("required") === true);
      out.set(key, flat);
    }
    return out;
  }

  /** One schema node, flattened; the caller adds the "required" flag where one belongs. */
  private schema(node: PyObject, where: string): PyObject {
    const budget = this.budget;
    if (++budget.nodes > MAX_SCHEMA_NODES) this.fail("SCHEMA_TOO_LARGE", `${this.where}: the tools' JSON Schemas expand to more than ${MAX_SCHEMA_NODES} schema nodes ($refs inlined)`);
    budget.keywords += node.size;
    if (budget.keywords > MAX_SCHEMA_KEYWORDS) this.fail("SCHEMA_TOO_LARGE", `${this.where}: the tools' JSON Schemas expand to more than ${MAX_SCHEMA_KEYWORDS} keywords ($refs inlined)`);
    if (this.depth >= MAX_SCHEMA_DEPTH) this.fail("SCHEMA_TOO_DEEP", `${where}: the schema nests deeper than ${MAX_SCHEMA_DEPTH} levels ($refs followed)`);
    this.depth++;
    try {
      return this.expand(node, where);
    } finally {
      this.depth--;
    }
  }

  private expand(node: PyObject, where: string): PyObject {
    const ref = node.get("$ref");
    if (ref !== undefined) {
      const target = this.resolve(ref, where);
      this.expanding.push(ref as string);
      const merged: PyObject = new Map([...target, ...[...node].filter(([k]) => k !== "$ref")]);
      const flat = this.schema(merged, where);
      this.expanding.pop();
      return flat;
    }
    const branch = soleNonNullBranch(node.get("anyOf") ?? node.get("oneOf"));
    if (branch) {
      const merged: PyObject = new Map([...branch, ...[...node].filter(([k]) => k !== "anyOf" && k !== "oneOf")]);
      return this.schema(merged, where);
    }
    const out: PyObject = new Map();
    const type = withoutNull(node.get("type"));
    if (type !== undefined) out.set("type", type);
    const description = node.get("description");
    if (description !== undefined) out.set("description", description);
    for (const [key, value] of node) {
      if (key === "type" || key === "description" || DROPPED_KEYS.has(key)) continue;
      if (key === "additionalProperties" && value === false) continue;
      if (key === "required" && Array.isArray(value)) continue;
      if (key === "properties" && value instanceof Map) {
        out.set(key, this.properties(value, node.get("required"), `${where}.properties`));
      } else if (key === "items" && value instanceof Map) {
        out.set(key, this.schema(value, `${where}.items`));
      } else {
        out.set(key, value);
      }
    }
    return out;
  }

  /** The node a local "$ref" points at ("#/$defs/Name"; ~0 and ~1 unescaped). */
  private resolve(ref: PyValue, where: string): PyObject {
    if (typeof ref !== "string" || !ref.startsWith("#")) {
      this.fail("BAD_PARAMETERS", `${where}: only local "$ref"s ("#/$defs/…") can be flattened, got ${JSON.stringify(ref)}`);
    }
    if (this.expanding.includes(ref)) this.fail("BAD_PARAMETERS", `${where}: "$ref" ${ref} refers to itself; recursive schemas cannot be flattened`);
    let target: PyValue | undefined = this.root;
    for (const part of ref.slice(1).split("/").filter((p) => p !== "")) {
      const key = part.replace(/~1/g, "/").replace(/~0/g, "~");
      target = target instanceof Map ? target.get(key) : undefined;
    }
    if (!(target instanceof Map)) this.fail("BAD_PARAMETERS", `${where}: "$ref" ${ref} does not point at a schema object`);
    return target;
  }
}

/** The one branch of an anyOf/oneOf that is not {"type":"null"}, if there is exactly one. */
function soleNonNullBranch(branches: PyValue | undefined): PyObject | undefined {
  if (!Array.isArray(branches)) return undefined;
  const rest = branches.filter((b) => !(b instanceof Map && b.get("type") === "null"));
  return rest.length === 1 && rest[0] instanceof Map ? rest[0] : undefined;
}

/** A "type" list without "null"; a single remaining type as a string. */
function withoutNull(type: PyValue | undefined): PyValue | undefined {
  if (!Array.isArray(type)) return type;
  const rest = type.filter((t) => t !== "null");
  if (rest.length === 0) return type;
  return rest.length === 1 ? rest[0]! : rest;
}
