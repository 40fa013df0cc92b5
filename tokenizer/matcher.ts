/**
 * Longest-prefix matcher for user-defined symbols (`<tool_call>`, `<tools>`),
 * the role of normalizer.cc PrefixMatcher: the normalizer passes a match
 * through untouched and BPE keeps it as one frozen symbol. A trie over UTF-16
 * code units; since symbols and input are both whole characters, a code-unit
 * prefix match is exactly SentencePiece's UTF-8 byte prefix match.
 */
export class PrefixMatcher {
  /** children[node]: code unit → child node. Node 0 is the root. */
  private readonly children: Map<number, number>[] = [new Map()];
  /** value[node]: the value of the symbol ending here, or -1. */
  private readonly value: number[] = [-1];
  /** Value of the symbol found by the last successful match(). */
  lastValue = -1;
  /** 1 for each code unit that begins some symbol: a quick "no match here". */
  private readonly firstUnits = new Uint8Array(0x10000);

  /** `symbols[i]` gets value `values[i]` (a piece id). */
  constructor(symbols: readonly string[], values: readonly number[]) {
    symbols.forEach((symbol, i) => {
      this.firstUnits[symbol.charCodeAt(0)] = 1;
      let node = 0;
      for (let k = 0; k < symbol.length; k++) {
        const c = symbol.charCodeAt(k);
        let child = this.children[node]!.get(c);
        if (child === undefined) {
          child = this.children.length;
          this.children.push(new Map());
          this.value.push(-1);
          this.children[node]!.set(c, child);
        }
        node = child;
      }
      this.value[node] = values[i]!;
    });
  }

  /**
   * Length in code units of the longest symbol that starts at `text[pos]`, or
   * 0 when none does; the symbol's value is left in `lastValue`.
   */
  match(text: string, pos: number): number {
    if (this.firstUnits[text.charCodeAt(pos)] === 0) return 0;
    let node = 0;
    let best = 0;
    for (let k = pos; k < text.length; k++) {
      const child = this.children[node]!.get(text.charCodeAt(k));
      if (child === undefined) break;
      node = child;
      if (this.value[node]! >= 0) {
        best = k + 1 - pos;
        this.lastValue = this.value[node]!;
      }
    }
    return best;
  }
}
