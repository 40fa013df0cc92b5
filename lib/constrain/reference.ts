import { InputError } from "../errors.ts";
import { isTruthy, JsonDecodeError, loads, pyTypeName, type PyValue } from "../pyjson.ts";
import { TokenTable } from "./token-table.ts";
import { TrieNode } from "./trie.ts";

/**
 * Constrained decoding as the reference does it (cactus-compute/needle,
 * needle/model/constrained.py): a character-level state machine follows the
 * generated JSON; inside a tool name (after `"name":"`) only continuations of
 * declared tool names are allowed, inside an argument key (after
 * `"arguments":{"` or `,"` at the arguments object's depth) only the current
 * tool's parameter names. Values are never constrained.
 *
 * Per step: `allowed()` (a cached list per trie node, so O(1) after the first
 * visit), `argmax(logits)` over those ids (O(allowed)) or `mask(logits)`
 * (O(vocab)), then `feed(chosenId)`. Nothing is allocated per step except
 * the first time a trie node is reached and when a tool name closes.
 */

export type ConstraintState = "FREE" | "IN_NAME" | "IN_ARG_KEY";

/** The reference JsonStateMachine's fields, for tests and debugging. */
export interface ConstraintSnapshot {
  state: ConstraintState;
  constrainedBuf: string;
  currentFunction: string;
  inArguments: boolean;
  argumentsDepth: number;
  nestingDepth: number;
  inString: boolean;
  prevCharEscape: boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;
const COMMA = 0x2c;
const OPEN_BRACE = 0x7b;
const CLOSE_BRACE = 0x7d;
const OPEN_BRACKET = 0x5b;
const CLOSE_BRACKET = 0x5d;

const NAME_OPENER = codePoints('"name":"');
const ARGUMENTS_OPENER = codePoints('"arguments":{');
/** The last chars fed, enough for the longest opener; a power of two. */
const TAIL_SIZE = 16;

function codePoints(s: string): Int32Array {
  return Int32Array.from(Array.from(s, (ch) => ch.codePointAt(0)!));
}

function isWhitespace(cp: number): boolean {
  return cp === 0x20 || cp === 0x09 || cp === 0x0a || cp === 0x0d;
}

/**
 * ToolConstraints: the name trie of the tools in a (normalised) tools JSON,
 * and per name the trie of its parameter names. Text that is not JSON or not
 * a list gives no tools. Elements that are not objects or have a falsy name
 * are skipped. A parameter name is every key of the tool's "parameters"
 * object whose value is an object: this is what the reference version that
 * produced the fixtures does (`for key, val in params.items(): if
 * isinstance(val, dict)`), so a JSON-Schema `parameters` yields the single
 * name "properties"; prepareTools converts such tools to the flat format
 * first. A later tool with the same name replaces the earlier parameter
 * trie unless its "parameters" is not an object.
 */
function buildNameTrie(toolsJson: string): TrieNode {
  const root = new TrieNode();
  let tools: PyValue;
  try {
    tools = loads(toolsJson);
  } catch (err) {
    if (err instanceof JsonDecodeError) return root;
    throw err;
  }
  if (!Array.isArray(tools)) return root;
  for (const tool of tools) {
    if (!(tool instanceof Map)) continue;
    const name = tool.get("name") ?? "";
    if (!isTruthy(name)) continue;
    if (typeof name !== "string") {
      throw new InputError("TOOL_NAME_NOT_STRING", `tool name must be a string, got ${pyTypeName(name)} (Python: TypeError)`);
    }
    const nameNode = root.insert(name);
    const params = tool.has("parameters") ? tool.get("parameters")! : new Map<string, PyValue>();
    if (!(params instanceof Map)) continue;
    const paramTrie = new TrieNode();
    for (const [key, spec] of params) if (spec instanceof Map) paramTrie.insert(key);
    nameNode.paramTrie = paramTrie;
  }
  return root;
}

export class ConstrainedDecoder {
  private readonly table: TokenTable;
  private readonly nameTrie: TrieNode;
  /** Saved allowed logits while mask() fills the rest with -Infinity. */
  private readonly saved: Float32Array;

  // JsonStateMachine fields.
  private mode: ConstraintState = "FREE";
  private readonly constrainedBuf: number[] = [];
  private currentFunction = "";
  private inArguments = false;
  private argumentsDepth = 0;
  private nestingDepth = 0;
  private inString = false;
  private prevCharEscape = false;
  /** Trie node matching constrainedBuf; null when off the trie or when the span is unconstrained. */
  private node: TrieNode | null = null;
  /** Param trie of currentFunction (get_param_trie), or null. */
  private currentParamTrie: TrieNode | null = null;
  /** Ring of the last TAIL_SIZE code points fed (the end of the reference's `buffer`). */
  private readonly tail = new Int32Array(TAIL_SIZE);
  private fed = 0;
  /** Last non-whitespace code point fed, -1 if none (what _is_value_quote looks back for). */
  private lastNonSpace = -1;

  /**
   * tokenStrings: the text each id adds to the output, with "▁" as a space,
   * bytes as U+0000..U+00FF and control/unknown pieces empty
   * (Tokenizer#tokenStrings(); one table is indexed once and shared);
   * normalizedToolsJson: the tools exactly as the encoder saw them (after
   * normalizeTools / prepareTools).
   */
  constructor(tokenStrings: readonly string[], normalizedToolsJson: string) {
    this.table = TokenTable.for(tokenStrings);
    this.nameTrie = buildNameTrie(normalizedToolsJson);
    this.saved = new Float32Array(tokenStrings.length);
  }

  get state(): ConstraintState {
    return this.mode;
  }

  /** Back to the start of a generation; the tries and their caches are kept. */
  reset(): void {
    this.mode = "FREE";
    this.constrainedBuf.length = 0;
    this.currentFunction = "";
    this.inArguments = false;
    this.argumentsDepth = 0;
    this.nestingDepth = 0;
    this.inString = false;
    this.prevCharEscape = false;
    this.node = null;
    this.currentParamTrie = null;
    this.fed = 0;
    this.lastNonSpace = -1;
  }

  /**
   * The ids the next token may take, ascending, or null for "any"
   * (constrain_logits returning the logits unchanged: FREE state, off the
   * trie, no parameter trie, or no token fits).
   */
  allowed(): Int32Array | null {
    const node = this.node;
    if (this.mode === "FREE" || node === null) return null;
    if (node.allowed === undefined) node.allowed = this.table.continuations(node);
    return node.allowed;
  }

  /** Sets every disallowed logit to -Infinity (apply_constraints); leaves them all when unconstrained. */
  mask(logits: Float32Array): void {
    const ids = this.allowed();
    if (ids === null) return;
    const saved = this.saved;
    for (let i = 0; i < ids.length; i++) saved[i] = logits[ids[i]!]!;
    logits.fill(-Infinity);
    for (let i = 0; i < ids.length; i++) logits[ids[i]!] = saved[i]!;
  }

  /**
   * numpy's argmax of the constrained logits, without masking: the first
   * index of the largest allowed logit (a NaN counts as largest).
   */
  argmax(logits: ArrayLike<number>): number {
    const ids = this.allowed();
    if (ids === null) return argmaxAll(logits);
    let best = ids[0]!;
    let bestValue = logits[best]!;
    if (bestValue !== bestValue) return best;
    for (let i = 1; i < ids.length; i++) {
      const id = ids[i]!;
      const v = logits[id]!;
      if (v > bestValue) {
        best = id;
        bestValue = v;
      } else if (v !== v) {
        return id;
      }
    }
    return best;
  }

  /** Advance the state machine by the text of the chosen token (ConstrainedDecoder.update). */
  feed(tokenId: number): void {
    const { cpStart, cpData } = this.table;
    if (!Number.isInteger(tokenId) || tokenId < 0 || tokenId >= this.table.size) {
      throw new InputError("BAD_TOKEN_ID", `token id ${tokenId} is outside the vocabulary (0..${this.table.size - 1})`);
    }
    for (let i = cpStart[tokenId]!, end = cpStart[tokenId + 1]!; i < end; i++) this.feedChar(cpData[i]!);
  }

  snapshot(): ConstraintSnapshot {
    return {
      state: this.mode,
      constrainedBuf: String.fromCodePoint(...this.constrainedBuf),
      currentFunction: this.currentFunction,
      inArguments: this.inArguments,
      argumentsDepth: this.argumentsDepth,
      nestingDepth: this.nestingDepth,
      inString: this.inString,
      prevCharEscape: this.prevCharEscape,
    };
  }

  private feedChar(cp: number): void {
    this.tail[this.fed & (TAIL_SIZE - 1)] = cp;
    this.fed++;
    this.step(cp);
    if (!isWhitespace(cp)) this.lastNonSpace = cp;
  }

  /** JsonStateMachine._feed_char, with the trie walk kept incrementally. */
  private step(cp: number): void {
    if (this.mode !== "FREE") {
      if (cp === QUOTE) {
        if (this.mode === "IN_NAME") {
          this.currentFunction = String.fromCodePoint(...this.constrainedBuf);
          this.currentParamTrie = this.node !== null && this.node.terminal ? this.node.paramTrie : null;
        }
        this.constrainedBuf.length = 0;
        this.node = null;
        this.mode = "FREE";
      } else {
        this.constrainedBuf.push(cp);
        if (this.node !== null) this.node = this.node.children.get(cp) ?? null;
      }
      return;
    }
    if (this.inString) {
      if (this.prevCharEscape) this.prevCharEscape = false;
      else if (cp === BACKSLASH) this.prevCharEscape = true;
      else if (cp === QUOTE) this.inString = false;
      return;
    }
    if (cp === OPEN_BRACE || cp === OPEN_BRACKET) {
      this.nestingDepth++;
    } else if (cp === CLOSE_BRACE || cp === CLOSE_BRACKET) {
      this.nestingDepth = Math.max(0, this.nestingDepth - 1);
      if (cp === CLOSE_BRACE && this.inArguments && this.nestingDepth < this.argumentsDepth) this.inArguments = false;
      return;
    }
    if (!this.inArguments && this.endsWith(NAME_OPENER)) {
      this.enter("IN_NAME", this.nameTrie);
      return;
    }
    if (this.endsWith(ARGUMENTS_OPENER)) {
      this.inArguments = true;
      this.argumentsDepth = this.nestingDepth;
      return;
    }
    if (this.inArguments && this.nestingDepth === this.argumentsDepth && cp === QUOTE && this.fed >= 2) {
      const before = this.tail[(this.fed - 2) & (TAIL_SIZE - 1)];
      if (before === OPEN_BRACE || before === COMMA) {
        this.enter("IN_ARG_KEY", this.currentParamTrie);
        return;
      }
    }
    if (cp === QUOTE && this.lastNonSpace === COLON) this.inString = true;
  }

  private enter(mode: ConstraintState, trie: TrieNode | null): void {
    this.mode = mode;
    this.constrainedBuf.length = 0;
    this.node = trie;
  }

  private endsWith(pattern: Int32Array): boolean {
    const n = pattern.length;
    if (this.fed < n) return false;
    for (let i = 0; i < n; i++) {
      if (this.tail[(this.fed - n + i) & (TAIL_SIZE - 1)] !== pattern[i]) return false;
    }
    return true;
  }
}

/** numpy.argmax over all logits: first index of the maximum, or of the first NaN. */
function argmaxAll(logits: ArrayLike<number>): number {
  let best = 0;
  let bestValue = logits[0]!;
  if (bestValue !== bestValue) return 0;
  for (let i = 1; i < logits.length; i++) {
    const v = logits[i]!;
    if (v > bestValue) {
      best = i;
      bestValue = v;
    } else if (v !== v) {
      return i;
    }
  }
  return best;
}
