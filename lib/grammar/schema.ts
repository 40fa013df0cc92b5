import { dumps, loads, type PyObject, type PyValue } from "../pyjson.ts";

/**
 * The grammar of a tool list for schema-constrained decoding: one node per
 * schema position, compiled from the normalised tools JSON (Needle's flat
 * parameters, as prepareTools writes them). Literal sets (tool names, object
 * keys, enum values, true/false/null) live in one byte trie.
 *
 * What a schema cannot express becomes the nearest type with a warning:
 * an unknown or missing "type" is a string, a type list keeps its first
 * type, "pattern"/"format"/bounds are not enforced, an object keeps its
 * first 31 properties, nesting deeper than MAX_DEPTH is a string.
 */

export const enum Kind { LIST, CALL, OBJECT, ARRAY, STRING, INTEGER, NUMBER, LITERALS }

export interface GrammarNode {
  kind: Kind;
  /** LITERALS: trie root of the values; OBJECT: trie root of the quoted keys; CALL: trie root of the quoted names. */
  trie: number;
  /** OBJECT: value node of key i; CALL: arguments node of tool i; ARRAY: [items]. */
  children: number[];
  /** OBJECT: bit i set when key i is required. */
  required: number;
  /** OBJECT: bit i for every key. */
  all: number;
}

/** Most properties one object may have in the grammar (keys are tracked as bits of an int32). */
const MAX_KEYS = 31;
/** Deepest nesting of arrays and objects the grammar follows. */
export const MAX_DEPTH = 24;
const IGNORED_KEYWORDS = ["pattern", "format", "minimum", "maximum", "minLength", "maxLength", "minItems", "maxItems", "const", "anyOf", "oneOf", "allOf", "$ref"];

export class ByteTrie {
  readonly kids: Map<number, number>[] = [];
  /** Index of the literal ending here, or -1. */
  readonly terminal: number[] = [];
  /** Bits of the literal indices (below 31) at or below this node. */
  readonly below: number[] = [];

  node(): number {
    this.kids.push(new Map());
    this.terminal.push(-1);
    this.below.push(0);
    return this.kids.length - 1;
  }

  insert(root: number, bytes: Uint8Array, index: number): void {
    let at = root;
    this.below[at]! |= 1 << index;
    for (const b of bytes) {
      let next = this.kids[at]!.get(b);
      if (next === undefined) {
        next = this.node();
        this.kids[at]!.set(b, next);
      }
      at = next;
      this.below[at]! |= 1 << index;
    }
    this.terminal[at] = index;
  }

  child(at: number, b: number): number {
    return this.kids[at]!.get(b) ?? -1;
  }
}

export interface ToolGrammarOptions {
  /** At least one call (toolChoice "required" or { name }). */
  requireCall: boolean;
  /** Exactly one call (toolChoice { name }). */
  single: boolean;
  /** Only this snake_case tool may be called. */
  only?: string;
}

const utf8 = new TextEncoder();

export class ToolGrammar {
  readonly nodes: GrammarNode[] = [];
  readonly trie = new ByteTrie();
  readonly warnings: string[] = [];
  readonly requireCall: boolean;
  readonly single: boolean;
  readonly hasTools: boolean;
  /** Node 0 is the list, node 1 the call. */
  static readonly LIST = 0;
  static readonly CALL = 1;

  constructor(normalizedToolsJson: string, options: ToolGrammarOptions) {
    this.requireCall = options.requireCall;
    this.single = options.single;
    this.add(Kind.LIST);
    const call = this.add(Kind.CALL);
    const list = loads(normalizedToolsJson);
    const tools = (Array.isArray(list) ? list : []).filter((t): t is PyObject => t instanceof Map && typeof t.get("name") === "string");
    let index = 0;
    for (const tool of tools) {
      const name = tool.get("name") as string;
      if (options.only !== undefined && name !== options.only) continue;
      const params = tool.get("parameters");
      const args = this.object(params instanceof Map ? params : new Map(), `${name}`, 1, true);
      this.trie.insert(this.nodes[call]!.trie, utf8.encode(JSON.stringify(name)), index++);
      this.nodes[call]!.children.push(args);
    }
    this.hasTools = index > 0;
  }

  private add(kind: Kind): number {
    const trie = kind === Kind.CALL || kind === Kind.OBJECT || kind === Kind.LITERALS ? this.trie.node() : -1;
    this.nodes.push({ kind, trie, children: [], required: 0, all: 0 });
    return this.nodes.length - 1;
  }

  private warn(where: string, message: string): void {
    this.warnings.push(`${where}: ${message}`);
  }

  /** An object whose properties are `props` (flat: key → spec with a boolean "required"). */
  private object(props: PyObject, where: string, depth: number, flatRequired: boolean): number {
    const id = this.add(Kind.OBJECT);
    const node = this.nodes[id]!;
    let index = 0;
    for (const [key, spec] of props) {
      if (index === MAX_KEYS) {
        this.warn(where, `only the first ${MAX_KEYS} properties are allowed`);
        break;
      }
      const specMap = spec instanceof Map ? spec : new Map<string, PyValue>();
      const child = this.value(specMap, `${where}.${key}`, depth + 1);
      this.trie.insert(node.trie, utf8.encode(JSON.stringify(key)), index);
      node.children.push(child);
      node.all |= 1 << index;
      if (flatRequired && specMap.get("required") === true) node.required |= 1 << index;
      index++;
    }
    return id;
  }

  private value(spec: PyObject, where: string, depth: number): number {
    for (const keyword of IGNORED_KEYWORDS) if (spec.has(keyword)) this.warn(where, `"${keyword}" is not enforced`);
    const values = spec.get("enum");
    if (Array.isArray(values) && values.length > 0 && values.length <= MAX_KEYS) {
      const id = this.add(Kind.LITERALS);
      values.forEach((v, i) => this.trie.insert(this.nodes[id]!.trie, utf8.encode(dumps(v)), i));
      return id;
    }
    if (values !== undefined) this.warn(where, "enum must list 1 to 31 values; not enforced");
    let type = spec.get("type");
    if (Array.isArray(type)) {
      this.warn(where, `a list of types becomes its first, ${JSON.stringify(type[0])}`);
      type = type[0];
    }
    if (depth > MAX_DEPTH && (type === "object" || type === "array")) {
      this.warn(where, `nested deeper than ${MAX_DEPTH}; written as a string`);
      type = "string";
    }
    switch (type) {
      case "string": return this.add(Kind.STRING);
      case "integer": return this.add(Kind.INTEGER);
      case "number": return this.add(Kind.NUMBER);
      case "boolean": return this.literals(["true", "false"]);
      case "null": return this.literals(["null"]);
      case "array": {
        const items = spec.get("items");
        if (!(items instanceof Map)) this.warn(where, "an array without \"items\" holds strings");
        const item = this.value(items instanceof Map ? items : new Map([["type", "string"]]), `${where}[]`, depth + 1);
        const id = this.add(Kind.ARRAY);
        this.nodes[id]!.children.push(item);
        return id;
      }
      case "object": {
        const props = spec.get("properties");
        if (!(props instanceof Map)) this.warn(where, "an object without \"properties\" can only be {}");
        return this.object(props instanceof Map ? props : new Map(), where, depth, true);
      }
      default:
        this.warn(where, type === undefined ? "no \"type\"; written as a string" : `unknown type ${JSON.stringify(type)}; written as a string`);
        return this.add(Kind.STRING);
    }
  }

  private literals(texts: string[]): number {
    const id = this.add(Kind.LITERALS);
    texts.forEach((t, i) => this.trie.insert(this.nodes[id]!.trie, utf8.encode(t), i));
    return id;
  }
}
