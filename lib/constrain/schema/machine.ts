import { ARRAY, CALL, CALL_MIDDLE, CALL_PREFIX, INTEGER, LIST, LITERALS, NUMBER, OBJECT, STRING, type ToolGrammar } from "./grammar.ts";

/**
 * A byte-level pushdown automaton over Needle's answer (after `<tool_call>`)
 * for one ToolGrammar. The stack is one Int32Array of 4-int frames:
 *
 *   frame = [node, phase, a, b]
 *   LIST     phase 0 start, 5 after the leading space, 1 after "[", 2 after a call, 4 after ",", 3 closed
 *   CALL     phase 0 in `{"name":` (b: offset), 1 in the quoted name (b: trie node),
 *            2 in `,"arguments":` (a: tool, b: offset), 3 after the arguments
 *   OBJECT   phase 0 before "{", 1 after "{", 2 in a quoted key (b: trie node), 3 after a key (b: key index),
 *            4 after a value, 5 after ","; a: bits of the keys written
 *   ARRAY    phase 0 before "[", 1 after "[", 2 after an item, 3 after ","
 *   STRING   phase 0 before the quote, 1 inside, 2 after "\", 3 in "\uXXXX" (b: hex digits read),
 *            4 in a UTF-8 sequence (b: continuation bytes left, a: (lowest << 8) | highest next byte)
 *   INTEGER, NUMBER  phase 0 start, 1 after "-", 2 after a leading 0, 3 integer digits, 4 after ".",
 *            5 fraction digits, 6 after "e", 7 after the exponent's sign, 8 exponent digits (b: digits)
 *   LITERALS b: trie node
 *   UNION    replaced by the alternative its first byte selects
 *
 * feed(byte) returns false for a byte the grammar refuses, leaving the state
 * undefined: callers try bytes on a copy (copyFrom). minRest() is the fewest
 * bytes that complete the answer from here. Nothing is allocated after
 * construction.
 */

const FRAME = 4;
const QUOTE = 0x22, BACKSLASH = 0x5c, COLON = 0x3a, COMMA = 0x2c, MINUS = 0x2d, PLUS = 0x2b, DOT = 0x2e, SPACE = 0x20;
const OPEN_BRACE = 0x7b, CLOSE_BRACE = 0x7d, OPEN_BRACKET = 0x5b, CLOSE_BRACKET = 0x5d;
/** Digits of an integer part, a fraction and an exponent: integers stay exact below 10^15, exponents finite. */
const MAX_INT_DIGITS = 15, MAX_FRAC_DIGITS = 15, MAX_EXP_DIGITS = 2;
const INFINITE = 0x3fffffff;

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
  readonly stack: Int32Array;
  depth = 0;
  /** Calls started so far. */
  calls = 0;

  constructor(private readonly g: ToolGrammar) {
    this.stack = new Int32Array(g.frames * FRAME);
    this.reset();
  }

  reset(): void {
    this.depth = 0;
    this.calls = 0;
    this.#push(LIST);
  }

  copyFrom(other: GrammarMachine): void {
    const n = other.depth * FRAME;
    const to = this.stack, from = other.stack;
    for (let i = 0; i < n; i++) to[i] = from[i]!;
    this.depth = other.depth;
    this.calls = other.calls;
  }

  /** The list is closed: only the end of the answer may follow. */
  get complete(): boolean {
    return this.depth === 1 && this.stack[1] === 3;
  }

  /** Nothing but the list's opening (and its leading space) has been written. */
  get undecided(): boolean {
    return this.depth === 1 && this.stack[1] !== 3 && this.stack[1] !== 2 && this.stack[1] !== 4;
  }

  /** A call is open (between its `{` and `}`). */
  get inCall(): boolean {
    return this.depth > 1;
  }

  #push(node: number): boolean {
    if (this.depth * FRAME === this.stack.length) return false;
    const f = this.depth++ * FRAME;
    const s = this.stack;
    s[f] = node;
    s[f + 1] = 0;
    s[f + 2] = 0;
    const kind = this.g.kind[node]!;
    s[f + 3] = kind === LITERALS ? this.g.root[node]! : 0;
    return true;
  }

  feed(b: number): boolean {
    const s = this.stack;
    const g = this.g;
    const trie = g.trie;
    for (;;) {
      if (this.depth === 0) return false;
      const f = (this.depth - 1) * FRAME;
      const node = s[f]!;
      const phase = s[f + 1]!;
      switch (g.kind[node]!) {
        case LIST:
          if (phase === 0 && b === SPACE) return (s[f + 1] = 5), true;
          if (phase === 0 || phase === 5) return b === OPEN_BRACKET ? ((s[f + 1] = 1), true) : false;
          if (phase === 1 && b === CLOSE_BRACKET) return g.requireCall ? false : ((s[f + 1] = 3), true);
          if ((phase === 1 || phase === 4) && b === OPEN_BRACE && g.tools > 0) {
            s[f + 1] = 2;
            this.calls++;
            this.#push(CALL);
            continue;
          }
          if (phase === 2 && b === COMMA) return g.single ? false : ((s[f + 1] = 4), true);
          if (phase === 2 && b === CLOSE_BRACKET) return (s[f + 1] = 3), true;
          return false;
        case CALL:
          if (phase === 0 || phase === 2) {
            const text = phase === 0 ? CALL_PREFIX : CALL_MIDDLE;
            const at = s[f + 3]!;
            if (b !== text[at]) return false;
            if (at + 1 < text.length) return (s[f + 3] = at + 1), true;
            if (phase === 2) {
              s[f + 1] = 3;
              return this.#push(g.children[g.childStart[node]! + s[f + 2]!]!);
            }
            s[f + 1] = 1;
            s[f + 3] = g.root[node]!;
            return true;
          }
          if (phase === 1) {
            const next = trie.child(s[f + 3]!, b);
            if (next < 0) return false;
            const tool = trie.terminal[next]!;
            if (tool >= 0) {
              s[f + 1] = 2;
              s[f + 2] = tool;
              s[f + 3] = 0;
            } else {
              s[f + 3] = next;
            }
            return true;
          }
          return b === CLOSE_BRACE ? (this.depth--, true) : false;
        case OBJECT: {
          const used = s[f + 2]!;
          if (phase === 0) return b === OPEN_BRACE ? ((s[f + 1] = 1), true) : false;
          if ((phase === 1 || phase === 4) && b === CLOSE_BRACE) return (g.required[node]! & ~used) === 0 ? (this.depth--, true) : false;
          if (phase === 4) return b === COMMA && (g.all[node]! & ~used) !== 0 ? ((s[f + 1] = 5), true) : false;
          if (phase === 3) {
            if (b !== COLON) return false;
            s[f + 1] = 4;
            return this.#push(g.children[g.childStart[node]! + s[f + 3]!]!);
          }
          const next = trie.child(phase === 2 ? s[f + 3]! : g.root[node]!, b);
          if (next < 0 || (trie.below[next]! & ~used) === 0) return false;
          const key = trie.terminal[next]!;
          if (key >= 0) {
            s[f + 1] = 3;
            s[f + 2] = used | (1 << key);
            s[f + 3] = key;
          } else {
            s[f + 1] = 2;
            s[f + 3] = next;
          }
          return true;
        }
        case ARRAY:
          if (phase === 0) return b === OPEN_BRACKET ? ((s[f + 1] = 1), true) : false;
          if ((phase === 1 || phase === 2) && b === CLOSE_BRACKET) return this.depth--, true;
          if (phase === 2) return b === COMMA ? ((s[f + 1] = 3), true) : false;
          s[f + 1] = 2;
          if (!this.#push(g.children[g.childStart[node]!]!)) return false;
          continue;
        case STRING:
          return this.#string(f, b);
        case INTEGER:
        case NUMBER: {
          const r = this.#number(f, b, g.kind[node] === NUMBER);
          if (r !== 0) return r > 0;
          this.depth--; // the number ended before b: b belongs to the parent
          continue;
        }
        case LITERALS: {
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
        default: {
          // UNION: the alternative whose first byte this is replaces it.
          const alt = this.#alternative(node, b);
          if (alt < 0) return false;
          this.depth--;
          this.#push(alt);
          continue;
        }
      }
    }
  }

  #alternative(node: number, b: number): number {
    const g = this.g;
    for (let i = g.childStart[node]!, end = g.childStart[node + 1]!; i < end; i++) {
      const alt = g.children[i]!;
      switch (g.kind[alt]!) {
        case STRING: if (b === QUOTE) return alt; break;
        case INTEGER: case NUMBER: if (b === MINUS || isDigit(b)) return alt; break;
        case OBJECT: if (b === OPEN_BRACE) return alt; break;
        case ARRAY: if (b === OPEN_BRACKET) return alt; break;
        default: if (g.trie.child(g.root[alt]!, b) >= 0) return alt; // LITERALS
      }
    }
    return -1;
  }

  #string(f: number, b: number): boolean {
    const s = this.stack;
    switch (s[f + 1]!) {
      case 0:
        return b === QUOTE ? ((s[f + 1] = 1), true) : false;
      case 1:
        if (b === QUOTE) return this.depth--, true;
        if (b === BACKSLASH) return (s[f + 1] = 2), true;
        if (b < 0x80) return b >= 0x20 && b !== 0x7f;
        // A UTF-8 lead byte: how many continuation bytes, and the range of the first (no overlongs, surrogates or > U+10FFFF).
        if (b >= 0xc2 && b <= 0xdf) return this.#utf8(f, 1, 0x80, 0xbf);
        if (b >= 0xe0 && b <= 0xef) return this.#utf8(f, 2, b === 0xe0 ? 0xa0 : 0x80, b === 0xed ? 0x9f : 0xbf);
        if (b >= 0xf0 && b <= 0xf4) return this.#utf8(f, 3, b === 0xf0 ? 0x90 : 0x80, b === 0xf4 ? 0x8f : 0xbf);
        return false;
      case 2:
        if (isEscape(b)) return (s[f + 1] = 1), true;
        return b === 0x75 ? ((s[f + 1] = 3), (s[f + 3] = 0), true) : false;
      case 3:
        if (!isHex(b)) return false;
        if (++s[f + 3]! === 4) s[f + 1] = 1;
        return true;
      default: {
        const range = s[f + 2]!;
        if (b < range >> 8 || b > (range & 0xff)) return false;
        if (--s[f + 3]! === 0) s[f + 1] = 1;
        else s[f + 2] = (0x80 << 8) | 0xbf;
        return true;
      }
    }
  }

  #utf8(f: number, continuation: number, lowest: number, highest: number): boolean {
    const s = this.stack;
    s[f + 1] = 4;
    s[f + 2] = (lowest << 8) | highest;
    s[f + 3] = continuation;
    return true;
  }

  /**
   * One byte of a number: 1 taken, -1 refused, 0 the number is complete and
   * b is not part of it (phases in the class comment).
   */
  #number(f: number, b: number, real: boolean): number {
    const s = this.stack;
    const phase = s[f + 1]!;
    const digit = isDigit(b);
    switch (phase) {
      case 0:
      case 1:
        if (phase === 0 && b === MINUS) return this.#set(f, 1, 0);
        if (b === 0x30) return this.#set(f, 2, 1);
        return digit ? this.#set(f, 3, 1) : -1;
      case 2:
      case 3:
        if (phase === 3 && digit) return s[f + 3]! < MAX_INT_DIGITS ? this.#set(f, 3, s[f + 3]! + 1) : -1;
        if (real && b === DOT) return this.#set(f, 4, 0);
        if (real && (b === 0x65 || b === 0x45)) return this.#set(f, 6, 0);
        return digit ? -1 : 0;
      case 4:
        return digit ? this.#set(f, 5, 1) : -1;
      case 5:
        if (digit) return s[f + 3]! < MAX_FRAC_DIGITS ? this.#set(f, 5, s[f + 3]! + 1) : -1;
        if (b === 0x65 || b === 0x45) return this.#set(f, 6, 0);
        return 0;
      case 6:
      case 7:
        if (phase === 6 && (b === PLUS || b === MINUS)) return this.#set(f, 7, 0);
        return digit ? this.#set(f, 8, 1) : -1;
      default:
        if (digit) return s[f + 3]! < MAX_EXP_DIGITS ? this.#set(f, 8, s[f + 3]! + 1) : -1;
        return 0;
    }
  }

  #set(f: number, phase: number, count: number): number {
    this.stack[f + 1] = phase;
    this.stack[f + 3] = count;
    return 1;
  }

  /** The fewest bytes that complete the answer from this state (0 when complete). */
  minRest(): number {
    let total = 0;
    for (let d = 0; d < this.depth; d++) total += this.#frameRest(d * FRAME);
    return total;
  }

  #frameRest(f: number): number {
    const s = this.stack, g = this.g, trie = g.trie;
    const node = s[f]!, phase = s[f + 1]!, b = s[f + 3]!;
    switch (g.kind[node]!) {
      case LIST:
        if (phase === 3) return 0;
        if (phase === 2) return 1;
        if (phase === 4) return g.callMin + 1;
        if (phase === 1) return g.requireCall ? g.callMin + 1 : 1;
        return g.requireCall ? g.callMin + 2 : 2;
      case CALL:
        if (phase === 0) return g.callMin - b;
        if (phase === 1) return trie.minRest[b]!;
        if (phase === 2) return CALL_MIDDLE.length - b + g.minLen[g.children[g.childStart[node]! + s[f + 2]!]!]! + 1;
        return 1;
      case OBJECT:
        return this.#objectRest(node, phase, s[f + 2]!, b);
      case ARRAY:
        if (phase === 0) return 2;
        if (phase === 3) return g.minLen[g.children[g.childStart[node]!]!]! + 1;
        return 1;
      case STRING:
        if (phase === 0) return 2;
        if (phase === 1) return 1;
        if (phase === 2) return 2;
        if (phase === 3) return 4 - b + 1;
        return b + 1;
      case INTEGER:
      case NUMBER:
        return phase === 2 || phase === 3 || phase === 5 || phase === 8 ? 0 : 1;
      case LITERALS:
        return trie.minRest[b]!;
      default:
        return g.minLen[node]!;
    }
  }

  /** OBJECT: the cheapest way to write its missing required keys (and, mid-key, to finish that key) and close it. */
  #objectRest(node: number, phase: number, used: number, b: number): number {
    const g = this.g;
    if (phase === 0) return g.minLen[node]!;
    const start = g.childStart[node]!;
    const missing = g.required[node]! & ~used;
    let sum = 0, count = 0;
    for (let bits = missing; bits !== 0; bits &= bits - 1) {
      const i = 31 - Math.clz32(bits & -bits);
      sum += this.#pairCost(start + i);
      count++;
    }
    if (phase === 4) return sum + count + 1;
    if (phase === 1) return count > 0 ? sum + count - 1 + 1 : 1;
    if (phase === 3) return 1 + g.minLen[g.children[start + b]!]! + sum + count + 1;
    if (phase === 5) {
      if (count > 0) return sum + count - 1 + 1;
      let best = INFINITE;
      for (let bits = g.all[node]! & ~used; bits !== 0; bits &= bits - 1) best = Math.min(best, this.#pairCost(start + 31 - Math.clz32(bits & -bits)));
      return best + 1;
    }
    // phase 2: inside a key at trie node b; finish some unused key k below it.
    const trie = g.trie;
    const written = trie.depth[b]!;
    let best = INFINITE;
    for (let bits = trie.below[b]! & ~used; bits !== 0; bits &= bits - 1) {
      const k = 31 - Math.clz32(bits & -bits);
      const bit = 1 << k;
      const others = (missing & bit) !== 0 ? sum - this.#pairCost(start + k) + (count - 1) : sum + count;
      best = Math.min(best, this.#pairCost(start + k) - written + others + 1);
    }
    return best;
  }

  /** Bytes of `"key":value` for the key at children index i, with the value at its shortest. */
  #pairCost(i: number): number {
    return this.g.keyLen[i]! + 1 + this.g.minLen[this.g.children[i]!]!;
  }
}
