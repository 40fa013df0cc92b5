// The model repos this package knows how to run, recognised by their file
// list before anything large is downloaded. Adding a family (or enabling
// one) is one entry here.

import { HubError } from "./errors.ts";

/** A repo whose files this build runs: the checkpoint and its tokenizer, by path in the repo. */
export interface RunnableLayout {
  family: string;
  weights: string;
  tokenizer: string;
}

interface Family {
  family: string;
  /** Recognises the family from the repo's file paths. */
  matches(files: ReadonlySet<string>): boolean;
  /** The files to fetch, or null when this build cannot run the family yet. */
  layout: Omit<RunnableLayout, "family"> | null;
  /** How the layout is described in errors. */
  describe: string;
}

const FAMILIES: readonly Family[] = [
  {
    family: "Needle 1",
    matches: (files) => files.has("needle.pkl") && files.has("tokenizer/needle.model"),
    layout: { weights: "needle.pkl", tokenizer: "tokenizer/needle.model" },
    describe: "Needle 1 (needle.pkl + tokenizer/needle.model, as Cactus-Compute/needle)",
  },
  {
    family: "Needle 2",
    matches: (files) => [...files].some((f) => f.endsWith(".cact")),
    layout: null,
    describe: "Needle 2 (.cact, as Cactus-Compute/needle2)",
  },
];

/** The layout of a repo from its file list; a HubError naming what is supported otherwise. */
export function chooseLayout(repo: string, files: ReadonlySet<string>): RunnableLayout {
  const supported = FAMILIES.filter((f) => f.layout).map((f) => f.describe).join("; ");
  const family = FAMILIES.find((f) => f.matches(files));
  if (family?.layout) return { family: family.family, ...family.layout };
  if (family) throw new HubError("NOT_SUPPORTED_YET", `${repo} is a ${family.describe} model, which this build of needle-wasm does not run yet; it runs ${supported}`);
  const shown = [...files].slice(0, 8).join(", ") + (files.size > 8 ? ", …" : "");
  throw new HubError("UNSUPPORTED_MODEL", `${repo} is not a model needle-wasm can run: its files are ${shown || "none"}; supported: ${supported}`);
}
