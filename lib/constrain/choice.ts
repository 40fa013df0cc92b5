import { InputError } from "../errors.ts";
import type { PreparedTools } from "../tools.ts";
import type { GrammarOptions } from "./schema/grammar.ts";

/**
 * How one call is decoded, from its `constrained`, `toolChoice` and
 * `prefix` options (already checked by lib/options.ts):
 *
 * - "schema" (the default): the answer grammar of
 *   lib/constrain/schema/, with toolChoice "required" (no `[]`) and
 *   `{ name }` (exactly one call of that tool) enforced by the grammar.
 * - "reference" (`true` means it too, as before):
 *   the reference's name and key constraint
 *   (lib/constrain/reference.ts), token for token as the reference decodes;
 *   toolChoice `{ name }` forces the reference's prefix
 *   `[{"name":"<tool>","arguments":{` and "required" forces `[{"name":"`.
 * - false: no constraint; toolChoice forces the same prefixes.
 * - toolChoice "none": no call, nothing decoded, in every mode.
 * - `prefix` (not with toolChoice): forced after `<tool_call>`, decoded
 *   under the reference constraint (or none with `constrained: false`):
 *   the grammar cannot follow arbitrary forced text.
 */

export type ConstrainMode = "schema" | "reference" | false;

/** OpenAI's tool_choice: "auto", "none" (no call, no decoding), "required" (at least one call) or one named tool (original or snake_case name). */
export type ToolChoice = "auto" | "none" | "required" | { name: string };

export interface Decoding {
  /** toolChoice "none": answer `[]` without running the model. */
  skip: boolean;
  mode: ConstrainMode;
  /** Text forced after `<tool_call>`. */
  prefix?: string;
  /** Schema mode: which calls the grammar allows. */
  grammar?: GrammarOptions;
}

/** The prefix the reference's decoding forces for "required": the name string is open, so a declared tool gets called. */
const REQUIRED_PREFIX = '[{"name":"';

export function resolveDecoding(
  options: { constrained?: boolean | "schema" | "reference"; toolChoice?: ToolChoice; prefix?: string },
  prepared: PreparedTools,
): Decoding {
  const asked: ConstrainMode = options.constrained === undefined ? "schema" : options.constrained === true ? "reference" : options.constrained;
  const choice = options.toolChoice ?? "auto";
  const { prefix } = options;
  if (choice !== "auto" && prefix !== undefined) throw new InputError("BAD_OPTION", "give either prefix or toolChoice, not both");
  if (choice === "none") return { skip: true, mode: asked };
  if (prefix !== undefined) return { skip: false, mode: asked === false ? false : "reference", prefix };
  if (choice === "auto") return asked === "schema" ? { skip: false, mode: asked, grammar: { requireCall: false, single: false } } : { skip: false, mode: asked };
  if (choice === "required") {
    if (prepared.names.length === 0) throw new InputError("BAD_TOOL_CHOICE", 'toolChoice "required" needs at least one tool');
    return asked === "schema" ? { skip: false, mode: asked, grammar: { requireCall: true, single: false } } : { skip: false, mode: asked, prefix: REQUIRED_PREFIX };
  }
  const snake = Object.keys(prepared.nameMap).find((s) => s === choice.name || prepared.nameMap[s] === choice.name);
  if (snake === undefined) throw new InputError("UNKNOWN_TOOL", `toolChoice names ${JSON.stringify(choice.name)}, which is not among the tools`);
  if (asked === "schema") return { skip: false, mode: asked, grammar: { requireCall: true, single: true, only: snake } };
  return { skip: false, mode: asked, prefix: `[{"name":"${snake}","arguments":{` };
}
