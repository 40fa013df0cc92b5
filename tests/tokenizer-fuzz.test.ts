/**
 * Mutation fuzzing of the .model reader: 10,000 corrupted variants of the
 * fixture (bit flips, truncations, duplicated and deleted spans, absurd
 * length varints, wrong wire types, renumbered fields, random bytes). Each
 * must load or throw a TokenizerError, within a second; a variant that loads
 * must encode and decode short inputs without any error that is not ours.
 */
import { test } from "uvu";
import * as assert from "uvu/assert";
import { NeedleError, TokenizerError } from "../lib/errors.ts";
import { Tokenizer } from "../tokenizer/index.ts";
import { encodeVarint, fixtureModel, readFields, Rng } from "./tokenizer-helpers.ts";

const VARIANTS = 10_000;
const base = fixtureModel();

/** Where a tag sits and, for length-delimited fields, its length varint. */
interface TagSite {
  tagStart: number;
  tagEnd: number;
  field: number;
  wireType: number;
  /** [start, end) of the length varint, LEN fields only. */
  length?: [number, number];
}

/** Tags of the top-level fields and of the fields inside pieces, trainer_spec and normalizer_spec. */
function tagSites(model: Uint8Array): TagSite[] {
  const sites: TagSite[] = [];
  const walk = (bytes: Uint8Array, offset: number, depth: number) => {
    for (const f of readFields(bytes)) {
      const tagEnd = f.valueStart;
      const site: TagSite = { tagStart: offset + f.tagStart, tagEnd: offset + tagEnd, field: f.field, wireType: f.wireType };
      if (f.wireType === 2) {
        const payload = f.value as Uint8Array;
        const payloadStart = f.end - payload.length;
        site.length = [offset + f.valueStart, offset + payloadStart];
        if (depth === 0 && f.field <= 3) walk(payload, offset + payloadStart, depth + 1);
      }
      sites.push(site);
    }
  };
  walk(model, 0, 0);
  return sites;
}

const sites = tagSites(base);
const lengthSites = sites.filter((s) => s.length !== undefined);

function splice(bytes: Uint8Array, start: number, end: number, insert: ArrayLike<number>): Uint8Array {
  const out = new Uint8Array(bytes.length - (end - start) + insert.length);
  out.set(bytes.subarray(0, start), 0);
  out.set(insert, start);
  out.set(bytes.subarray(end), start + insert.length);
  return out;
}

const ABSURD_LENGTHS = [0xffffffffn, 0x100000001n, 1n << 62n, (1n << 64n) - 1n, 0x7fffffffn, 0n];

/**
 * One mutation of `bytes`, named for the summary. Mutations that rewrite a
 * tag or length use the fixture's field positions, so they apply to the
 * unmutated fixture only (`onFixture`).
 */
function mutate(rng: Rng, bytes: Uint8Array, onFixture = true): [string, Uint8Array] {
  const n = bytes.length;
  let kind = rng.int(0, 9);
  if (!onFixture && kind >= 4 && kind <= 6) kind = rng.pick([0, 1, 2, 3, 7, 8]);
  switch (kind) {
    case 0: {
      const out = bytes.slice();
      for (let k = rng.int(1, 4); k > 0; k--) out[rng.int(0, n - 1)]! ^= 1 << rng.int(0, 7);
      return ["bit flips", out];
    }
    case 1:
      return ["truncation", bytes.slice(0, rng.int(0, n - 1))];
    case 2: {
      const start = rng.int(0, n - 1);
      const span = bytes.slice(start, Math.min(n, start + rng.int(1, 64)));
      const at = rng.int(0, n);
      return ["duplicated span", splice(bytes, at, at, span)];
    }
    case 3: {
      const start = rng.int(0, n - 1);
      return ["deleted span", splice(bytes, start, Math.min(n, start + rng.int(1, 64)), [])];
    }
    case 4: {
      const site = rng.pick(lengthSites);
      const [start, end] = site.length!;
      const old = BigInt(rng.int(0, 1000));
      const value = rng.chance(0.7) ? rng.pick(ABSURD_LENGTHS) : old + BigInt(rng.int(1, 3)) * (rng.chance(0.5) ? 1n : -1n);
      return ["absurd length", splice(bytes, start, end, encodeVarint(value < 0n ? 0n : value))];
    }
    case 5: {
      const site = rng.pick(sites);
      let wireType = rng.int(0, 7);
      if (wireType === site.wireType) wireType = (wireType + 1) % 8;
      return ["wrong wire type", splice(bytes, site.tagStart, site.tagEnd, encodeVarint((site.field << 3) | wireType))];
    }
    case 6: {
      const site = rng.pick(sites);
      const field = rng.pick([0, 1, 2, 3, 4, 5, 24, 35, 40, 44, 99, (1 << 29) - 1]);
      return ["renumbered field", splice(bytes, site.tagStart, site.tagEnd, encodeVarint(BigInt(field) * 8n + BigInt(site.wireType)))];
    }
    case 7: {
      const out = bytes.slice();
      const start = rng.int(0, n - 1);
      for (let i = start; i < Math.min(n, start + rng.int(1, 16)); i++) out[i] = rng.int(0, 255);
      return ["random bytes", out];
    }
    case 8: {
      const at = rng.int(0, n);
      return ["inserted bytes", splice(bytes, at, at, Array.from({ length: rng.int(1, 16) }, () => rng.int(0, 255)))];
    }
    default: {
      // Two mutations in a row.
      const [first, once] = mutate(rng, bytes, onFixture);
      const [second, twice] = mutate(rng, once.length > 0 ? once : bytes, once.length > 0 ? false : onFixture);
      return [`${first}, then ${second}`, twice];
    }
  }
}

const PROBES = ["", "Hello world", "  <tool_call>[{\"name\":\"f\"}]  ", "café 東京 😀 \ud800", "\u2581a\tb\n"];

test(`${VARIANTS} mutated fixture models each load or throw a TokenizerError, and what loads stays within the file's size`, () => {
  const rng = new Rng(0x5eed);
  const outcomes = new Map<string, number>();
  const count = (key: string) => outcomes.set(key, (outcomes.get(key) ?? 0) + 1);
  let loaded = 0;
  for (let v = 0; v < VARIANTS; v++) {
    const [kind, bytes] = mutate(rng, base);
    let tok: Tokenizer | null = null;
    try {
      tok = Tokenizer.fromBytes(bytes);
    } catch (err) {
      if (!(err instanceof TokenizerError)) {
        assert.unreachable(`variant ${v} (${kind}) threw ${String(err)}${err instanceof Error ? `\n${err.stack}` : ""}`);
      }
      count((err as TokenizerError).code);
    }
    if (tok !== null) {
      loaded++;
      count("loaded");
      // Deterministic bounds instead of a clock: a model has no more pieces than its file has bytes, and
      // encoding a probe yields at most one id per UTF-8 byte plus the dummy prefix.
      assert.ok(tok.vocabSize <= bytes.length, `variant ${v} (${kind}): ${tok.vocabSize} pieces from ${bytes.length} bytes`);
      try {
        for (const probe of PROBES) {
          try {
            const ids = tok.encode(probe);
            assert.ok(ids.length <= new TextEncoder().encode(probe).length + 1, `variant ${v} (${kind}): ${ids.length} ids for ${JSON.stringify(probe)}`);
            tok.decode(ids);
          } catch (err) {
            if (!(err instanceof NeedleError)) throw err;
          }
        }
        tok.decode(Array.from({ length: 20 }, () => rng.int(0, tok!.vocabSize - 1)));
        tok.tokenStrings();
      } catch (err) {
        assert.unreachable(`variant ${v} (${kind}) loaded but then threw ${String(err)}${err instanceof Error ? `\n${err.stack}` : ""}`);
      }
    }
  }
  assert.ok(loaded > 100, "a fair share of variants still load, so the post-load path is exercised");
  const summary = [...outcomes].sort((a, b) => b[1] - a[1]).map(([k, c]) => `${k} ${c}`).join(", ");
  console.log(`  ${VARIANTS} variants: ${summary}`);
});

test.run();
