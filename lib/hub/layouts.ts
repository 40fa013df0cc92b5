// The model repos this package knows how to run, recognised by their file
// list before anything large is downloaded. Adding a family is one entry here.

import { HubError } from "./errors.ts";

/** A repo whose files this build runs: the weights and (Needle 1) their tokenizer, by path in the repo. */
export interface RunnableLayout {
  family: string;
  weights: string;
  /** Absent when the weights carry their tokenizer (a Needle 2 .cact), which are then loaded as they are. */
  tokenizer?: string;
}

interface Family {
  family: string;
  /** Recognises the family from the repo's file paths. */
  matches(files: ReadonlySet<string>): boolean;
  /** The files to fetch (a HubError when the repo's files leave them ambiguous). */
  layout(repo: string, files: ReadonlySet<string>): Omit<RunnableLayout, "family">;
  /** How the layout is described in errors. */
  describe: string;
}

const FAMILIES: readonly Family[] = [
  {
    family: "Needle 1",
    matches: (files) => files.has("needle.pkl") && files.has("tokenizer/needle.model"),
    layout: () => ({ weights: "needle.pkl", tokenizer: "tokenizer/needle.model" }),
    describe: "Needle 1 (needle.pkl + tokenizer/needle.model, as Cactus-Compute/needle)",
  },
  {
    family: "Needle 2",
    matches: (files) => [...files].some((f) => f.endsWith(".cact")),
    layout: (repo, files) => {
      const cact = [...files].filter((f) => f.endsWith(".cact"));
      if (cact.length > 1) throw new HubError("UNSUPPORTED_MODEL", `${repo} holds ${cact.length} .cact files (${cact.join(", ")}); load the one you want with { weights } from its resolve URL`);
      return { weights: cact[0]! };
    },
    describe: "Needle 2 (one .cact, as Cactus-Compute/needle2)",
  },
];

/** The layout of a repo from its file list; a HubError naming what is supported otherwise. */
export function chooseLayout(repo: string, files: ReadonlySet<string>): RunnableLayout {
  const supported = FAMILIES.map((f) => f.describe).join("; ");
  const family = FAMILIES.find((f) => f.matches(files));
  if (family) return { family: family.family, ...family.layout(repo, files) };
  const shown = [...files].slice(0, 8).join(", ") + (files.size > 8 ? ", …" : "");
  throw new HubError("UNSUPPORTED_MODEL", `${repo} is not a model needle-wasm can run: its files are ${shown || "none"}; supported: ${supported}`);
}
