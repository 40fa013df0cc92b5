import type { PrefixMatcher } from "./matcher.ts";

/** U+2581 LOWER ONE EIGHTH BLOCK, SentencePiece's visible space. */
export const SPACE_SYMBOL = "\u2581";

/** The normalizer switches a model records (NormalizerSpec) plus TrainerSpec.treat_whitespace_as_suffix. */
export interface WhitespaceRules {
  addDummyPrefix: boolean;
  removeExtraWhitespaces: boolean;
  escapeWhitespaces: boolean;
  treatWhitespaceAsSuffix: boolean;
}

/**
 * SentencePiece's Normalizer::Normalize (normalizer.cc) for a model with no
 * precompiled charsmap (the `identity` rule): no Unicode normalization, only
 * the whitespace handling. The text is walked in units — a user-defined
 * symbol or one character — and:
 * - leading " " units are dropped (remove_extra_whitespaces);
 * - "▁" is prepended (add_dummy_prefix), or appended at the very end when
 *   treat_whitespace_as_suffix;
 * - a unit's leading spaces are dropped while the previous unit ended in a
 *   space (remove_extra_whitespaces), and each " " becomes "▁"
 *   (escape_whitespaces);
 * - trailing "▁" (or " " when not escaping) are dropped, literal U+2581 in the
 *   input included, since after escaping SentencePiece cannot tell them apart.
 * Only U+0020 is a space here. `text` must be well-formed UTF-16.
 */
export function normalize(text: string, rules: WhitespaceRules, matcher: PrefixMatcher | null, symbolsHaveSpaces: boolean): string {
  return symbolsHaveSpaces ? normalizeByUnits(text, rules, matcher) : normalizeSpaces(text, rules);
}

/**
 * The same result when no user-defined symbol contains a space: then a unit
 * boundary only matters at spaces, and the rules reduce to string operations
 * on runs of U+0020.
 */
function normalizeSpaces(text: string, rules: WhitespaceRules): string {
  const removeExtra = rules.removeExtraWhitespaces;
  const ws = rules.escapeWhitespaces ? SPACE_SYMBOL : " ";
  let s = text;
  if (removeExtra) {
    s = s.replace(SPACE_RUN, " ");
    if (s.startsWith(" ")) s = s.slice(1);
  }
  if (s.length === 0) return "";
  if (rules.escapeWhitespaces) s = s.replaceAll(" ", SPACE_SYMBOL);
  if (!rules.treatWhitespaceAsSuffix && rules.addDummyPrefix) s = ws + s;
  if (removeExtra) {
    let end = s.length;
    while (end > 0 && s.endsWith(ws, end)) end -= ws.length;
    s = s.slice(0, end);
  }
  if (rules.treatWhitespaceAsSuffix && rules.addDummyPrefix) s += ws;
  return s;
}

const SPACE_RUN = / {2,}/g;

/** Normalizer::Normalize unit by unit, for user-defined symbols that contain spaces. */
function normalizeByUnits(text: string, rules: WhitespaceRules, matcher: PrefixMatcher | null): string {
  const n = text.length;
  const removeExtra = rules.removeExtraWhitespaces;
  const ws = rules.escapeWhitespaces ? SPACE_SYMBOL : " ";
  let pos = 0;

  if (removeExtra) {
    while (pos < n && text.charCodeAt(pos) === 0x20 && !isLongerSymbolAt(matcher, text, pos)) pos++;
  }
  if (pos >= n) return "";

  const out: string[] = [];
  if (!rules.treatWhitespaceAsSuffix && rules.addDummyPrefix) out.push(ws);

  let isPrevSpace = removeExtra;
  let runStart = pos; // plain characters in [runStart, pos) are copied as they are
  while (pos < n) {
    const symbolLength = matcher === null ? 0 : matcher.match(text, pos);
    if (symbolLength > 0) {
      if (runStart < pos) out.push(text.slice(runStart, pos));
      let unit = text.slice(pos, pos + symbolLength);
      pos += symbolLength;
      runStart = pos;
      while (isPrevSpace && unit.startsWith(" ")) unit = unit.slice(1);
      if (unit.length > 0) {
        out.push(rules.escapeWhitespaces ? unit.replaceAll(" ", SPACE_SYMBOL) : unit);
        isPrevSpace = unit.endsWith(" ");
      }
      if (!removeExtra) isPrevSpace = false;
      continue;
    }
    if (text.charCodeAt(pos) === 0x20) {
      if (runStart < pos) out.push(text.slice(runStart, pos));
      if (!isPrevSpace) out.push(ws);
      isPrevSpace = removeExtra;
      pos++;
      runStart = pos;
      continue;
    }
    // Any other character is copied; a surrogate pair is walked one unit at a
    // time, which is harmless: neither a space nor a symbol starts with a low surrogate.
    isPrevSpace = false;
    pos++;
  }
  if (runStart < pos) out.push(text.slice(runStart, pos));

  let normalized = out.join("");
  if (removeExtra) {
    let end = normalized.length;
    while (end > 0 && normalized.endsWith(ws, end)) end -= ws.length;
    normalized = normalized.slice(0, end);
  }
  if (rules.treatWhitespaceAsSuffix && rules.addDummyPrefix) normalized += ws;
  return normalized;
}

/** True when a user-defined symbol longer than one space starts at `pos` (then the unit is not " "). */
function isLongerSymbolAt(matcher: PrefixMatcher | null, text: string, pos: number): boolean {
  return matcher !== null && matcher.match(text, pos) > 1;
}
