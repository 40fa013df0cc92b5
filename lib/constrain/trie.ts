/**
 * A character-level prefix tree over code points (constrained.py's
 * Trie/TrieNode: Python iterates a str by code point, so do we), with the
 * slots the constrained decoder fills in.
 */
export class TrieNode {
  readonly children = new Map<number, TrieNode>();
  terminal = false;
  /** On a tool-name node: that tool's parameter-name trie (param_tries[name]), if it has one. */
  paramTrie: TrieNode | null = null;
  /** Token ids allowed from here, ascending; null when none fits; undefined until first asked. */
  allowed: Int32Array | null | undefined = undefined;

  /** Trie.insert: adds the word and returns the node where it ends. */
  insert(word: string): TrieNode {
    let node: TrieNode = this;
    for (const ch of word) {
      const cp = ch.codePointAt(0)!;
      let child = node.children.get(cp);
      if (child === undefined) {
        child = new TrieNode();
        node.children.set(cp, child);
      }
      node = child;
    }
    node.terminal = true;
    return node;
  }
}
