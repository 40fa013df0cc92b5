import type { TrieNode } from "./trie.ts";

/**
 * The per-vocabulary tables constrained decoding needs, built once per
 * token-strings array: every token's text as code points (one flat array)
 * and, per first code point, the ids whose text starts with it
 * (constrained.py's TokenIndex).
 */

const QUOTE = 0x22;

export class TokenTable {
  private static readonly cache = new WeakMap<readonly string[], TokenTable>();

  readonly size: number;
  /** Code points of token id i are cpData[cpStart[i] .. cpStart[i + 1]). */
  readonly cpStart: Int32Array;
  readonly cpData: Int32Array;
  /** First code point → ids whose text starts with it, ascending. */
  private readonly byFirst = new Map<number, Int32Array>();

  /** The table for this array of token strings, built on first use. */
  static for(tokenStrings: readonly string[]): TokenTable {
    let table = TokenTable.cache.get(tokenStrings);
    if (table === undefined) {
      table = new TokenTable(tokenStrings);
      TokenTable.cache.set(tokenStrings, table);
    }
    return table;
  }

  private constructor(tokenStrings: readonly string[]) {
    this.size = tokenStrings.length;
    this.cpStart = new Int32Array(this.size + 1);
    const data: number[] = [];
    const groups = new Map<number, number[]>();
    for (let id = 0; id < this.size; id++) {
      this.cpStart[id] = data.length;
      for (const ch of tokenStrings[id]!) data.push(ch.codePointAt(0)!);
      if (data.length > this.cpStart[id]!) {
        const first = data[this.cpStart[id]!]!;
        const group = groups.get(first);
        if (group === undefined) groups.set(first, [id]);
        else group.push(id);
      }
    }
    this.cpStart[this.size] = data.length;
    this.cpData = Int32Array.from(data);
    for (const [first, ids] of groups) this.byFirst.set(first, Int32Array.from(ids));
  }

  /**
   * apply_constraints' mask as a list: the ids whose text walks the trie
   * from `node` (_check_token_valid: a '"' ends the span and needs a
   * terminal node; characters after it are not checked). Null when none.
   */
  continuations(node: TrieNode): Int32Array | null {
    const ids: number[] = [];
    for (const [cp, child] of node.children) {
      if (cp === QUOTE) continue; // a quote never walks into the trie: it closes the span
      const candidates = this.byFirst.get(cp);
      if (candidates === undefined) continue;
      for (let i = 0; i < candidates.length; i++) {
        if (this.walks(candidates[i]!, child)) ids.push(candidates[i]!);
      }
    }
    if (node.terminal) {
      const closing = this.byFirst.get(QUOTE);
      if (closing !== undefined) for (let i = 0; i < closing.length; i++) ids.push(closing[i]!);
    }
    return ids.length === 0 ? null : Int32Array.from(ids).sort();
  }

  /** Whether the rest of token `id` (after its first code point, which led to `node`) stays on the trie. */
  private walks(id: number, node: TrieNode): boolean {
    for (let i = this.cpStart[id]! + 1, end = this.cpStart[id + 1]!; i < end; i++) {
      const cp = this.cpData[i]!;
      if (cp === QUOTE) return node.terminal;
      const next = node.children.get(cp);
      if (next === undefined) return false;
      node = next;
    }
    return true;
  }
}
