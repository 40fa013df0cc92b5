// Tools as Needle 2 sees them. The reference hands the engine the schemas as
// the caller wrote them (needle/__init__.py: json.dumps of each tool, built
// by agent/tools.py as {name, description, parameters} with JSON Schema
// parameters), so names are not snake_cased and parameters are not
// flattened. The same inputs as Needle 1 are accepted and checked by the
// same rules and limits (lib/tools.ts prepareTools); OpenAI's wrappers are
// taken off, and each tool is written name, description, parameters.

import { dumps, loads, type PyObject } from "../pyjson.ts";
import { prepareTools, type PreparedTools, type ToolsInput } from "../tools.ts";

export interface Needle2Tools {
  /** {name, description?, parameters?} per tool, in order. */
  list: Record<string, unknown>[];
  /** The callers' tool names, in order. */
  names: readonly string[];
  /** Needle 1's preparation of the same tools (flat parameters, snake_case names): what toolChoice and the grammar are read from. */
  prepared: PreparedTools;
}

export function prepareNeedle2Tools(tools: ToolsInput): Needle2Tools {
  const prepared = prepareTools(tools);
  const list = prepared.original.map((tool) => {
    const t = tool as Record<string, unknown>;
    const body = t.type === "function" && t.function !== null && typeof t.function === "object" ? (t.function as Record<string, unknown>) : t;
    const out: Record<string, unknown> = { name: body.name };
    if (typeof body.description === "string") out.description = body.description;
    if (body.parameters !== undefined && body.parameters !== null) out.parameters = body.parameters;
    return out;
  });
  return { list, names: prepared.names, prepared };
}

/**
 * The tools the answer grammar is compiled from (lib/constrain/schema/):
 * Needle 1's flat parameters (JSON Schema converted by lib/jsonschema.ts:
 * `$ref`s inlined, Optional[X] as X) under the names as the prompt shows
 * them, the callers' own.
 */
export function needle2GrammarTools(tools: Needle2Tools): string {
  const list = loads(tools.prepared.json) as PyObject[];
  list.forEach((tool, i) => tool.set("name", tools.names[i]!));
  return dumps(list);
}
