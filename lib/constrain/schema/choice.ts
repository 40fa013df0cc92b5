import { InputError } from "../../errors.ts";
import type { PreparedTools } from "../../tools.ts";
import type { GrammarOptions } from "./grammar.ts";

/** How generation is constrained: "schema" (the default; `true` means it too), "reference", or none. */
export type ConstrainMode = "schema" | "reference" | false;

/** OpenAI's tool_choice: "auto", "none" (no call, no decoding), "required" (at least one call) or one named tool. */
export type ToolChoice = "auto" | "none" | "required" | { name: string };

export interface Decoding {
  /** "none": answer `[]` without running the model. */
  skip: boolean;
  /** Which constraint runs; a `prefix` or a reference-mode `{ name }` gives "reference". */
  mode: ConstrainMode;
  /** Text forced after `<tool_call>` (reference behaviour). */
  prefix?: string;
  /** The schema grammar's options, in schema mode. */
  grammar?: GrammarOptions;
}

/** The constraint, forced prefix and grammar options that `constrained`, `toolChoice` and `prefix` ask for. */
export function resolveDecoding(
  options: { constrained?: unknown; toolChoice?: unknown; prefix?: unknown },
  prepared: PreparedTools,
): Decoding {
  const { constrained, prefix } = options;
  const choice = options.toolChoice ?? "auto";
  if (constrained !== undefined && constrained !== true && constrained !== false && constrained !== "schema" && constrained !== "reference") {
    throw new InputError("BAD_OPTION", `constrained must be "schema", "reference", true (= "schema") or false, got ${JSON.stringify(constrained)}`);
  }
  if (prefix !== undefined && typeof prefix !== "string") throw new InputError("BAD_OPTION", "prefix must be a string");
  const asked: ConstrainMode = constrained === undefined || constrained === true ? "schema" : constrained;
  const named = typeof choice === "object" && choice !== null && typeof (choice as { name?: unknown }).name === "string";
  if (choice !== "auto" && choice !== "none" && choice !== "required" && !named) {
    throw new InputError("BAD_TOOL_CHOICE", 'toolChoice must be "auto", "none", "required" or { name: "<tool name>" }');
  }
  if (choice !== "auto" && prefix !== undefined) throw new InputError("BAD_OPTION", "give either prefix or toolChoice, not both");
  if (choice === "none") return { skip: true, mode: asked };
  if (prefix !== undefined) return { skip: false, mode: asked === false ? false : "reference", prefix };
  const hasTools = prepared.names.length > 0;
  if (choice === "required") {
    if (asked !== "schema") throw new InputError("BAD_TOOL_CHOICE", 'toolChoice "required" needs constrained: "schema"');
    if (!hasTools) throw new InputError("BAD_TOOL_CHOICE", 'toolChoice "required" needs at least one tool');
    return { skip: false, mode: asked, grammar: { requireCall: true, single: false } };
  }
  if (named) {
    const wanted = (choice as { name: string }).name;
    const snake = Object.keys(prepared.nameMap).find((s) => s === wanted || prepared.nameMap[s] === wanted);
    if (snake === undefined) throw new InputError("UNKNOWN_TOOL", `toolChoice names ${JSON.stringify(wanted)}, which is not among the tools`);
    if (asked === "schema") return { skip: false, mode: asked, grammar: { requireCall: true, single: true, only: snake } };
    return { skip: false, mode: asked, prefix: `[{"name":"${snake}","arguments":{` };
  }
  return { skip: false, mode: asked, ...(asked === "schema" ? { grammar: { requireCall: false, single: false } } : {}) };
}
