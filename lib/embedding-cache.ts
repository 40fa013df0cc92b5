// rank()'s cache of contrastive embeddings, keyed by the text embedded.
// Bounded in entries and in bytes (the key texts are most of them), least
// recently used out first, so a stream of ever-new tool lists keeps memory
// flat.

/** Most texts kept. */
export const EMBEDDING_CACHE_ENTRIES = 4096;
/** Most bytes kept: each entry counts its key (2 bytes a UTF-16 unit), its vector and ENTRY_OVERHEAD. */
export const EMBEDDING_CACHE_BYTES = 8 << 20;
/** What a Map entry, its string and its Float32Array cost beyond their payloads, roughly. */
const ENTRY_OVERHEAD = 160;

export class EmbeddingCache {
  readonly #entries = new Map<string, Float32Array>();
  #bytes = 0;

  constructor(readonly maxEntries = EMBEDDING_CACHE_ENTRIES, readonly maxBytes = EMBEDDING_CACHE_BYTES) {}

  /** The vector for `text`, marked as just used; undefined when not cached. */
  get(text: string): Float32Array | undefined {
    const e = this.#entries.get(text);
    if (e !== undefined) {
      this.#entries.delete(text);
      this.#entries.set(text, e);
    }
    return e;
  }

  /** Keep `vector` for `text`, dropping the least recently used entries beyond the bounds. An entry larger than maxBytes alone is not kept. */
  set(text: string, vector: Float32Array): void {
    const cost = entryBytes(text, vector);
    if (cost > this.maxBytes) return;
    const old = this.#entries.get(text);
    if (old !== undefined) {
      this.#entries.delete(text);
      this.#bytes -= entryBytes(text, old);
    }
    while (this.#entries.size >= this.maxEntries || this.#bytes + cost > this.maxBytes) {
      const [oldest, e] = this.#entries.entries().next().value!;
      this.#entries.delete(oldest);
      this.#bytes -= entryBytes(oldest, e);
    }
    this.#entries.set(text, vector);
    this.#bytes += cost;
  }

  /** Entries held now. */
  get size(): number {
    return this.#entries.size;
  }

  /** Bytes held now, as counted against maxBytes. */
  get bytes(): number {
    return this.#bytes;
  }

  clear(): void {
    this.#entries.clear();
    this.#bytes = 0;
  }
}

function entryBytes(text: string, vector: Float32Array): number {
  return 2 * text.length + vector.byteLength + ENTRY_OVERHEAD;
}
