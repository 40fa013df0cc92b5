import { dumps, loads, type PyObject, type PyValue } from "../../pyjson.ts";

/**
 * The grammar of Needle's answer for one tool list, compiled from the
 * normalised tools JSON (the flat parameters prepareTools writes, snake_case
 * names; Needle 2's the same under the callers' names):
 *
 *   answer := " "? "[" (call ("," call)*)? "]"          compact JSON, as trained
 *   call   := "{\"name\":" NAME ",\"arguments\":" OBJECT(tool) "}"
 *
 * One node per schema position, in flat typed arrays the machine reads on
 * the hot path. Literal sets (quoted tool names, quoted object keys, enum
 * values, true/false/null) live in one byte trie with a root per set.
 * Values are written as Python's json.dumps(ensure_ascii=True) would write
 * literals (keys and enum values: exactly that spelling); free strings may
 * hold raw UTF-8 or escapes.
 *
 * What the grammar cannot express falls back to the nearest type with a
 * warning: an unknown or missing "type" is a string; "pattern", "format",
 * bounds, "anyOf" and the like are not enforced; an object keeps its first
 * MAX_KEYS properties; nesting deeper than MAX_DEPTH is written as a string.
 */

export const LIST = 0, CALL = 1, OBJECT = 2, ARRAY = 3, STRING = 4, INTEGER = 5, NUMBER = 6, LITERALS = 7, UNION = 8;

/** Most properties one object may have (the machine tracks the keys written as bits of an int32). */
export const MAX_KEYS = 31;
/** Deepest nesting of arrays and objects inside the arguments; deeper values are strings. */
export const MAX_DEPTH = 64;
/** Most warnings kept per tool list. */
const MAX_WARNINGS = 32;

export const CALL_PREFIX = bytesOf('{"name":');
export const CALL_MIDDLE = bytesOf(',"arguments":');

/** Keywords that restrict values beyond what the grammar enforces. */
const UNENFORCED = ["pattern", "format", "minLength", "maxLength", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
  "multipleOf", "minItems", "maxItems", "uniqueItems", "contains", "anyOf", "oneOf", "allOf", "not", "$ref", "if", "patternProperties"];
const TYPES = ["string", "integer", "number", "boolean", "null", "array", "object"];

function bytesOf(text: string): Uint8Array {
  return new TextEncoder().encode(text);
}

/** Which calls the list may hold. */
export interface GrammarOptions {
  /** At least one call (toolChoice "required" or { name }). */
  requireCall: boolean;
  /** At most one call (toolChoice { name }). */
  single: boolean;
  /** Only this tool may be called (its name as the tools JSON writes it: Needle 1's snake_case, Needle 2's the caller's). */
  only?: string;
}

/**
 * Byte tries, several roots in one set of arrays. Per node: children by
 * byte, the literal ending here (-1 if none), depth below its root, the
 * cheapest number of bytes to finish a literal below it plus that literal's
 * weight, and (object keys) bits of the key indices below it.
 */
export class ByteTrie {
  readonly kids: Map<number, number>[] = [];
  readonly terminal: number[] = [];
  readonly depth: number[] = [];
  readonly weight: number[] = [];
  readonly below: number[] = [];
  minRest: Int32Array = new Int32Array(0);

  node(depth = 0): number {
    this.kids.push(new Map());
    this.terminal.push(-1);
    this.depth.push(depth);
    this.weight.push(0);
    this.below.push(0);
    return this.kids.length - 1;
  }

  insert(root: number, bytes: Uint8Array, index: number, weight: number): void {
    let at = root;
    const bit = index < MAX_KEYS ? 1 << index : 0;
    this.below[at]! |= bit;
    for (const b of bytes) {
      let next = this.kids[at]!.get(b);
      if (next === undefined) {
        next = this.node(this.depth[at]! + 1);
        this.kids[at]!.set(b, next);
      }
      at = next;
      this.below[at]! |= bit;
    }
    if (this.terminal[at]! < 0 || weight < this.weight[at]!) {
      this.terminal[at] = index;
      this.weight[at] = weight;
    }
  }

  child(at: number, b: number): number {
    return this.kids[at]!.get(b) ?? -1;
  }

  /** Fill minRest; every node's children come after it, so one backward pass does it. */
  finish(): void {
    const n = this.kids.length;
    this.minRest = new Int32Array(n);
    for (let at = n - 1; at >= 0; at--) {
      let best = this.terminal[at]! >= 0 ? this.weight[at]! : 0x3fffffff;
      for (const next of this.kids[at]!.values()) best = Math.min(best, this.minRest[next]! + 1);
      this.minRest[at] = best;
    }
  }
}

export class ToolGrammar {
  readonly trie = new ByteTrie();
  /** Per node: its kind (LIST … UNION). */
  kind!: Int32Array;
  /** Per node: its trie root (CALL names, OBJECT keys, LITERALS values), or -1. */
  root!: Int32Array;
  /** Per node: the fewest bytes of a complete value of it. */
  minLen!: Int32Array;
  /** OBJECT: bits of the required keys; CALL/LIST: unused. */
  required!: Int32Array;
  /** OBJECT: bits of all keys. */
  all!: Int32Array;
  /** Per node: where its children start in `children` (and `keyLen`). */
  childStart!: Int32Array;
  /** OBJECT: value node of key i; CALL: arguments node of tool i; ARRAY: the item node; UNION: the alternatives. */
  children!: Int32Array;
  /** OBJECT: bytes of quoted key i; CALL: bytes of quoted name i. */
  keyLen!: Int32Array;
  /** Fewest bytes of one whole call, `{` to `}`. */
  callMin = 0;
  /** Deepest stack the machine needs. */
  frames = 3;
  readonly warnings: string[] = [];
  readonly requireCall: boolean;
  readonly single: boolean;
  /** Number of tools that may be called. */
  readonly tools: number;

  // Built as plain arrays, then frozen into the typed arrays above.
  #kind: number[] = [];
  #root: number[] = [];
  #minLen: number[] = [];
  #required: number[] = [];
  #all: number[] = [];
  #children: number[][] = [];
  #keyLen: number[][] = [];
  #dropped = 0;

  constructor(normalizedToolsJson: string, options: GrammarOptions) {
    this.requireCall = options.requireCall;
    this.single = options.single;
    this.#add(LIST);
    const call = this.#add(CALL);
    const parsed = loads(normalizedToolsJson);
    let tools = 0;
    let callMin = 0x3fffffff;
    for (const tool of Array.isArray(parsed) ? parsed : []) {
      if (!(tool instanceof Map)) continue;
      const name = tool.get("name");
      if (typeof name !== "string" || (options.only !== undefined && name !== options.only)) continue;
      const params = tool.get("parameters");
      const args = this.#object(params instanceof Map ? params : new Map(), undefined, name, 1);
      const quoted = bytesOf(dumps(name));
      const weight = CALL_MIDDLE.length + this.#minLen[args]! + 1;
      this.trie.insert(this.#root[call]!, quoted, tools++, weight);
      this.#children[call]!.push(args);
      this.#keyLen[call]!.push(quoted.length);
      callMin = Math.min(callMin, CALL_PREFIX.length + quoted.length + weight);
    }
    this.tools = tools;
    this.callMin = callMin;
    if (this.#dropped > 0) this.warnings.push(`and ${this.#dropped} more warnings`);
    this.trie.finish();
    this.#freeze();
  }

  #add(kind: number): number {
    const id = this.#kind.length;
    this.#kind.push(kind);
    this.#root.push(kind === CALL || kind === OBJECT || kind === LITERALS ? this.trie.node() : -1);
    this.#minLen.push(0);
    this.#required.push(0);
    this.#all.push(0);
    this.#children.push([]);
    this.#keyLen.push([]);
    return id;
  }

  #warn(where: string, message: string): void {
    if (this.warnings.length < MAX_WARNINGS) this.warnings.push(`${where}: ${message}`);
    else this.#dropped++;
  }

  /**
   * An object of `props` (key → spec). A key is required when its spec says
   * "required": true (Needle's flat format) or `requiredList` names it.
   */
  #object(props: PyObject, requiredList: PyValue | undefined, where: string, depth: number): number {
    const id = this.#add(OBJECT);
    this.frames = Math.max(this.frames, depth + 3);
    const listed = Array.isArray(requiredList) ? requiredList : [];
    let index = 0;
    let min = 2;
    let requiredCount = 0;
    for (const [key, spec] of props) {
      if (index === MAX_KEYS) {
        this.#warn(where, `only the first ${MAX_KEYS} properties can be written; ${props.size - MAX_KEYS} left out`);
        break;
      }
      const specMap = spec instanceof Map ? spec : new Map<string, PyValue>();
      const child = this.#value(specMap, `${where}.${key}`, depth + 1);
      const quoted = bytesOf(dumps(key));
      this.trie.insert(this.#root[id]!, quoted, index, 0);
      this.#children[id]!.push(child);
      this.#keyLen[id]!.push(quoted.length);
      this.#all[id]! |= 1 << index;
      if (specMap.get("required") === true || listed.includes(key)) {
        this.#required[id]! |= 1 << index;
        min += quoted.length + 1 + this.#minLen[child]! + (requiredCount++ > 0 ? 1 : 0);
      }
      index++;
    }
    this.#minLen[id] = min;
    return id;
  }

  #value(spec: PyObject, where: string, depth: number): number {
    for (const keyword of UNENFORCED) if (spec.has(keyword)) this.#warn(where, `"${keyword}" is not enforced`);
    const values = spec.has("const") ? [spec.get("const")!] : spec.get("enum");
    if (Array.isArray(values) && values.length > 0) return this.#literals(values.map((v) => dumps(v)));
    if (values !== undefined) this.#warn(where, "\"enum\" must be a non-empty list; not enforced");
    let types: PyValue[] = [];
    const type = spec.get("type");
    if (typeof type === "string") types = [type];
    else if (Array.isArray(type)) types = type;
    else if (type === undefined && spec.get("properties") instanceof Map) types = ["object"];
    else if (type === undefined && spec.get("items") instanceof Map) types = ["array"];
    const known = types.filter((t): t is string => typeof t === "string" && TYPES.includes(t));
    if (known.length < types.length) this.#warn(where, `unknown type in ${dumps(type!)}; ignored`);
    if (spec.get("nullable") === true && !known.includes("null")) known.push("null");
    if (known.length === 0) {
      this.#warn(where, type === undefined ? "no \"type\"; written as a string" : "no known type; written as a string");
      known.push("string");
    }
    // "number" covers "integer".
    const alternatives = known.includes("number") ? known.filter((t) => t !== "integer") : known;
    const nodes = [...new Set(alternatives)].map((t) => this.#typed(t, spec, where, depth));
    if (nodes.length === 1) return nodes[0]!;
    const id = this.#add(UNION);
    this.#children[id] = nodes;
    this.#minLen[id] = Math.min(...nodes.map((n) => this.#minLen[n]!));
    return id;
  }

  #typed(type: string, spec: PyObject, where: string, depth: number): number {
    if ((type === "object" || type === "array") && depth > MAX_DEPTH) {
      this.#warn(where, `nested deeper than ${MAX_DEPTH}; written as a string`);
      type = "string";
    }
    switch (type) {
      case "integer":
        return this.#leaf(INTEGER, 1);
      case "number":
        return this.#leaf(NUMBER, 1);
      case "boolean":
        return this.#literals(["true", "false"]);
      case "null":
        return this.#literals(["null"]);
      case "array": {
        const items = spec.get("items");
        if (!(items instanceof Map)) this.#warn(where, "an array without \"items\" holds strings");
        const item = this.#value(items instanceof Map ? items : new Map([["type", "string"]]), `${where}[]`, depth + 1);
        const id = this.#leaf(ARRAY, 2);
        this.#children[id]!.push(item);
        this.frames = Math.max(this.frames, depth + 3);
        return id;
      }
      case "object": {
        const props = spec.get("properties");
        if (!(props instanceof Map)) this.#warn(where, "an object without \"properties\" can only be {}");
        return this.#object(props instanceof Map ? props : new Map(), spec.get("required"), where, depth);
      }
      default:
        return this.#leaf(STRING, 2);
    }
  }

  #leaf(kind: number, minLen: number): number {
    const id = this.#add(kind);
    this.#minLen[id] = minLen;
    return id;
  }

  #literals(texts: string[]): number {
    const id = this.#add(LITERALS);
    let min = 0x3fffffff;
    texts.forEach((text, i) => {
      const bytes = bytesOf(text);
      this.trie.insert(this.#root[id]!, bytes, i, 0);
      min = Math.min(min, bytes.length);
    });
    this.#minLen[id] = min;
    return id;
  }

  #freeze(): void {
    this.kind = Int32Array.from(this.#kind);
    this.root = Int32Array.from(this.#root);
    this.minLen = Int32Array.from(this.#minLen);
    this.required = Int32Array.from(this.#required);
    this.all = Int32Array.from(this.#all);
    this.childStart = new Int32Array(this.#kind.length + 1);
    let total = 0;
    this.#children.forEach((c, i) => {
      this.childStart[i] = total;
      total += c.length;
    });
    this.childStart[this.#kind.length] = total;
    this.children = Int32Array.from(this.#children.flat());
    this.keyLen = new Int32Array(total);
    this.#keyLen.forEach((lens, i) => this.keyLen.set(lens, this.childStart[i]!));
  }
}
