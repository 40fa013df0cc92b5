import { Kind, ToolGrammar, MAX_DEPTH } from "./schema.ts";

/**
 * A byte-level pushdown automaton over Needle's output after `<tool_call>`:
 * `[{"name":"tool","arguments":{…}},…]` in compact JSON, as the grammar
 * allows. The stack holds 4 int32 per frame: node, phase, used (object
 * keys seen; the chosen tool of a call), aux (trie node, constant offset
 * or digit count). feed() returns false and leaves the state undefined when
 * a byte does not fit; callers try bytes on a copy (copyFrom).
 */

const FRAME = 4;
const MAX_FRAMES = MAX_DEPTH * 2 + 8;
const CALL_PREFIX = Uint8Array.from('{"name":', (c) => c.charCodeAt(0));
const CALL_MIDDLE = Uint8Array.from(',"arguments":', (c) => c.charCodeAt(0));

const QUOTE = 0x22, BACKSLASH = 0x5c, COLON = 0x3a, COMMA = 0x2c, MINUS = 0x2d, PLUS = 0x2b, DOT = 0x2e;
const OPEN_BRACE = 0x7b, CLOSE_BRACE = 0x7d, OPEN_BRACKET = 0x5b, CLOSE_BRACKET = 0x5d;
/** Digits in an integer part, a fraction and an exponent: numbers stay exact doubles, ints below 10^15. */
const MAX_INT_DIGITS = 15, MAX_FRAC_DIGITS = 15, MAX_EXP_DIGITS = 2;

function isDigit(b: number): boolean {
  return b >= 0x30 && b <= 0x39;
}

function isHex(b: number): boolean {
  return isDigit(b) || (b >= 0x41 && b <= 0x46) || (b >= 0x61 && b <= 0x66);
}

/** JSON's one-character escapes after a backslash: " \ / b f n r t. */
function isEscape(b: number): boolean {
  return b === QUOTE || b === BACKSLASH || b === 0x2f || b === 0x62 || b === 0x66 || b === 0x6e || b === 0x72 || b === 0x74;
}

export class GrammarMachine {
  readonly stack = new Int32Array(MAX_FRAMES * FRAME);
  depth = 0;
  /** Calls started so far. */
  calls = 0;

  constructor(private readonly g: ToolGrammar) {
    this.reset();
  }

  reset(): void {
    this.depth = 0;
    this.calls = 0;
    this.push(ToolGrammar.LIST);
  }

  copyFrom(other: GrammarMachine): void {
    this.depth = other.depth;
    this.calls = other.calls;
    this.stack.set(other.stack.subarray(0, other.depth * FRAME));
  }

  /** The list is closed: only the end of the answer may follow. */
  get complete(): boolean {
    return this.depth === 1 && this.stack[1] === 3;
  }

  /** A call is open (between its `{` and `}`). */
  get inCall(): boolean {
    return this.depth > 1;
  }

  private push(node: number): boolean {
    if (this.depth === MAX_FRAMES) return false;
    const f = this.depth++ * FRAME;
    const s = this.stack;
    s[f] = node;
    s[f + 1] = 0;
    s[f + 2] = 0;
    const kind = this.g.nodes[node]!.kind;
    s[f + 3] = kind === Kind.CALL ? 0 : this.g.nodes[node]!.trie;
    return true;
  }

  feed(b: number): boolean {
    const s = this.stack;
    const { nodes, trie } = this.g;
    for (;;) {
      if (this.depth === 0) return false;
      const f = (this.depth - 1) * FRAME;
      const node = nodes[s[f]!]!;
      const phase = s[f + 1]!;
      switch (node.kind) {
        case Kind.LIST:
          if (phase === 0) return b === OPEN_BRACKET ? ((s[f + 1] = 1), true) : false;
          if (phase === 1 && b === CLOSE_BRACKET && !this.g.requireCall) return (s[f + 1] = 3), true;
          if ((phase === 1 || phase === 4) && b === OPEN_BRACE && this.g.hasTools) {
            s[f + 1] = 2;
            this.calls++;
            this.push(ToolGrammar.CALL);
            continue;
          }
          if (phase === 2 && b === COMMA && !this.g.single) return (s[f + 1] = 4), true;
          if (phase === 2 && b === CLOSE_BRACKET) return (s[f + 1] = 3), true;
          return false;
        case Kind.CALL:
          if (phase === 0 || phase === 2) {
            const text = phase === 0 ? CALL_PREFIX : CALL_MIDDLE;
            const at = s[f + 3]!;
            if (b !== text[at]) return false;
            if (at + 1 < text.length) return (s[f + 3] = at + 1), true;
            if (phase === 0) {
              s[f + 1] = 1;
              s[f + 3] = node.trie;
            } else {
              s[f + 1] = 3;
              return this.push(node.children[s[f + 2]!]!);
            }
            return true;
          }
          if (phase === 1) {
            const next = trie.child(s[f + 3]!, b);
            if (next < 0) return false;
            s[f + 3] = next;
            const tool = trie.terminal[next]!;
            if (tool >= 0) {
              s[f + 1] = 2;
              s[f + 2] = tool;
              s[f + 3] = 0;
            }
            return true;
          }
          return b === CLOSE_BRACE ? (this.depth--, true) : false;
        case Kind.OBJECT: {
          const used = s[f + 2]!;
          if (phase === 0) return b === OPEN_BRACE ? ((s[f + 1] = 1), true) : false;
          if ((phase === 1 || phase === 4) && b === CLOSE_BRACE && (node.required & ~used) === 0) return this.depth--, true;
          if (phase === 4) return b === COMMA && (node.all & ~used) !== 0 ? ((s[f + 1] = 5), true) : false;
          if (phase === 1 || phase === 5) {
            const next = trie.child(node.trie, b);
            if (next < 0 || (trie.below[next]! & ~used) === 0) return false;
            s[f + 1] = 2;
            s[f + 3] = next;
            return true;
          }
          if (phase === 2) {
            const next = trie.child(s[f + 3]!, b);
            if (next < 0 || (trie.below[next]! & ~used) === 0) return false;
            s[f + 3] = next;
            const key = trie.terminal[next]!;
            if (key >= 0) {
              s[f + 1] = 3;
              s[f + 2] = used | (1 << key);
              s[f + 3] = key;
            }
            return true;
          }
          if (b !== COLON) return false;
          s[f + 1] = 4;
          return this.push(node.children[s[f + 3]!]!);
        }
        case Kind.ARRAY:
          if (phase === 0) return b === OPEN_BRACKET ? ((s[f + 1] = 1), true) : false;
          if ((phase === 1 || phase === 2) && b === CLOSE_BRACKET) return this.depth--, true;
          if (phase === 2) return b === COMMA ? ((s[f + 1] = 3), true) : false;
          s[f + 1] = 2;
          if (!this.push(node.children[0]!)) return false;
          continue;
        case Kind.STRING:
          if (phase === 0) return b === QUOTE ? ((s[f + 1] = 1), true) : false;
          if (phase === 1) {
            if (b === QUOTE) return this.depth--, true;
            if (b === BACKSLASH) return (s[f + 1] = 2), true;
            return b >= 0x20 && b !== 0x7f;
          }
          if (phase === 2) {
            if (isEscape(b)) return (s[f + 1] = 1), true;
            return b === 0x75 ? ((s[f + 1] = 3), (s[f + 3] = 0), true) : false;
          }
          if (!isHex(b)) return false;
          if (++s[f + 3]! === 4) s[f + 1] = 1;
          return true;
        case Kind.INTEGER:
        case Kind.NUMBER: {
          const r = this.number(f, b, node.kind === Kind.NUMBER);
          if (r !== 0) return r > 0;
          this.depth--; // the number ended before b: b belongs to the parent
          continue;
        }
        case Kind.LITERALS: {
          const at = s[f + 3]!;
          const next = trie.child(at, b);
          if (next >= 0) {
            s[f + 3] = next;
            if (trie.terminal[next]! >= 0 && trie.kids[next]!.size === 0) this.depth--;
            return true;
          }
          if (trie.terminal[at]! < 0) return false;
          this.depth--;
          continue;
        }
      }
    }
  }

  /**
   * One byte of a number: 1 taken, -1 refused, 0 the number is complete and
   * b is not part of it. Phases: 0 start, 1 after "-", 2 after a leading 0,
   * 3 integer digits, 4 after ".", 5 fraction digits, 6 after "e",
   * 7 after the exponent's sign, 8 exponent digits.
   */
  private number(f: number, b: number, real: boolean): number {
    const s = this.stack;
    const phase = s[f + 1]!;
    const digit = isDigit(b);
    const set = (p: number, count: number): number => ((s[f + 1] = p), (s[f + 3] = count), 1);
    switch (phase) {
      case 0:
      case 1:
        if (phase === 0 && b === MINUS) return set(1, 0);
        if (b === 0x30) return set(2, 1);
        return digit ? set(3, 1) : -1;
      case 2:
      case 3:
        if (phase === 3 && digit) return s[f + 3]! < MAX_INT_DIGITS ? set(3, s[f + 3]! + 1) : -1;
        if (real && b === DOT) return set(4, 0);
        if (real && (b === 0x65 || b === 0x45)) return set(6, 0);
        return digit ? -1 : 0;
      case 4:
        return digit ? set(5, 1) : -1;
      case 5:
        if (digit) return s[f + 3]! < MAX_FRAC_DIGITS ? set(5, s[f + 3]! + 1) : -1;
        if (b === 0x65 || b === 0x45) return set(6, 0);
        return 0;
      case 6:
      case 7:
        if (phase === 6 && (b === PLUS || b === MINUS)) return set(7, 0);
        return digit ? set(8, 1) : -1;
      default:
        if (digit) return s[f + 3]! < MAX_EXP_DIGITS ? set(8, s[f + 3]! + 1) : -1;
        return 0;
    }
  }
}
