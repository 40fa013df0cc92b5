/**
 * Every token's bytes as the decoder writes them: byte-fallback pieces are
 * their one byte, "▁" is a space, other pieces are UTF-8, control and
 * unknown pieces are empty. Built once per token-strings table.
 */
export class TokenBytes {
  private static readonly cache = new WeakMap<readonly string[], TokenBytes>();
  readonly size: number;
  /** Bytes of token id i are data[start[i] .. start[i + 1]). */
  readonly start: Int32Array;
  readonly data: Uint8Array;

  /** tokenStrings: Tokenizer#tokenStrings(); isByte(id): whether id is a byte-fallback piece. */
  static for(tokenStrings: readonly string[], isByte: (id: number) => boolean): TokenBytes {
    let table = TokenBytes.cache.get(tokenStrings);
    if (table === undefined) {
      table = new TokenBytes(tokenStrings, isByte);
      TokenBytes.cache.set(tokenStrings, table);
    }
    return table;
  }

  private constructor(tokenStrings: readonly string[], isByte: (id: number) => boolean) {
    const utf8 = new TextEncoder();
    this.size = tokenStrings.length;
    const parts = tokenStrings.map((text, id) => (isByte(id) ? Uint8Array.of(text.charCodeAt(0)) : utf8.encode(text)));
    this.start = new Int32Array(this.size + 1);
    let total = 0;
    parts.forEach((p, i) => {
      this.start[i] = total;
      total += p.length;
    });
    this.start[this.size] = total;
    this.data = new Uint8Array(total);
    parts.forEach((p, i) => this.data.set(p, this.start[i]!));
  }
}
