// Links in the repository's Markdown, read as GitHub renders them: the
// targets of inline links and images outside code, and the anchors GitHub
// gives headings (github-slugger's rule), for tests/readme-links.test.ts.

export interface MarkdownLink {
  /** The target as written: a URL, or a path relative to the file, maybe with `#anchor`. */
  target: string;
  line: number;
}

/** Fenced code blocks blanked out (line numbers kept), so their text is not read as links or headings. */
function withoutFences(text: string): string[] {
  let fence: string | null = null;
  return text.split("\n").map((line) => {
    const open = /^\s*(```+|~~~+)/.exec(line);
    if (fence === null && open) {
      fence = open[1]!;
      return "";
    }
    if (fence !== null) {
      if (line.trim().startsWith(fence)) fence = null;
      return "";
    }
    return line;
  });
}

/** Inline links and images, `[text](target)` / `![alt](target "title")`, outside code. */
export function markdownLinks(text: string): MarkdownLink[] {
  const links: MarkdownLink[] = [];
  withoutFences(text).forEach((raw, i) => {
    const line = raw.replace(/`+[^`]*`+/g, "");
    for (const m of line.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) links.push({ target: m[1]!, line: i + 1 });
  });
  return links;
}

/** The anchors of a file's headings, as GitHub makes them (lower case, punctuation dropped, spaces to hyphens, repeats numbered). */
export function headingAnchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of withoutFences(text)) {
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const plain = m[1]!.replace(/!?\[([^\]]*)\]\([^)]*\)/g, "$1").replace(/`/g, "");
    const base = plain.toLowerCase().replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "").replace(/ /g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}
