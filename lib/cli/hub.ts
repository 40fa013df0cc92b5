// `needle-wasm pull` and `needle-wasm cache`: models by Hugging Face id in
// the disk cache (lib/hub/node-cache.ts): download, verify and convert
// ahead of time; list what is cached (sizes, revisions); remove it.

import { type WeightDtype } from "../index.ts";
import { UsageError, choiceOption, flag, stringOption, type ParsedArgs } from "./args.ts";
import type { CliIO, Command } from "./command.ts";
import { withDownloadProgress } from "./hub-progress.ts";
import { DTYPES } from "./inputs.ts";
import { columns, groupDigits, toJson } from "./output.ts";
import { listCache, removeCached } from "../hub/cache-index.ts";
import { resolveHubModel } from "../hub/load.ts";
import { nodeApi } from "../hub/node-api.ts";
import { cacheRoot } from "../hub/node-cache.ts";
import { HUB_DEFAULT_DTYPE } from "../hub/options.ts";

export const pullCommand: Command = {
  name: "pull",
  summary: "Download a model by its Hugging Face id, verify it, cache it and convert it to a .needle bundle.",
  usage: "pull ID [--revision REV] [--dtype f32|f16|int8|int4] [--json]",
  options: {
    revision: { type: "string", value: "REV", help: "branch, tag or commit (default main)" },
    dtype: { type: "string", value: "f32|f16|int8|int4", help: `the bundle's weight format (default ${HUB_DEFAULT_DTYPE})` },
    json: { type: "boolean", help: "print where the model came from and where it is as one JSON document" },
  },
  positionals: { min: 1, max: 1 },
  notes: [
    "Asks the hub what the revision points at now (one small request), downloads the files that",
    "are not cached yet (SHA-256 verified, resumed with Range after a cut), and converts the",
    "checkpoint once. `run --model ID` then starts from the cache without a request.",
    "Environment: HF_ENDPOINT, HF_TOKEN (gated or private repos), HF_HUB_OFFLINE=1, and the cache",
    "folder NEEDLE_WASM_CACHE (else $XDG_CACHE_HOME/needle-wasm, else ~/.cache/needle-wasm).",
    "",
    "example:",
    "  needle-wasm pull Cactus-Compute/needle --dtype int8",
  ],
  run: pull,
};

async function pull(args: ParsedArgs, io: CliIO): Promise<number> {
  const model = args.positionals[0]!;
  const revision = stringOption(args, "revision");
  const dtype: WeightDtype = choiceOption(args, "dtype", DTYPES) ?? HUB_DEFAULT_DTYPE;
  const { origin } = await withDownloadProgress(io.err, `pulling ${model}`, (onProgress) => resolveHubModel(model, { ...(revision ? { revision } : {}), dtype, refresh: true, onProgress }));
  if (flag(args, "json")) {
    io.out(`${toJson(origin)}\n`);
    return 0;
  }
  io.out(`${origin.cached ? "up to date" : "pulled"}: ${origin.repo}@${origin.revision} (commit ${origin.commit}) from ${origin.endpoint}\n`);
  io.out(origin.bundle ? `${origin.bundle.dtype} bundle: ${origin.bundle.path}\n` : `weights: ${origin.files.weights.path} (a .cact, loaded as it is)\n`);
  return 0;
}

export const cacheCommand: Command = {
  name: "cache",
  summary: "List the models in the cache (revisions, files, sizes), or remove one.",
  usage: "cache list [--json] | cache remove ID [--revision REV]",
  options: {
    revision: { type: "string", value: "REV", help: "remove: only this revision's commit (default: the whole model)" },
    json: { type: "boolean", help: "list: print the listing as one JSON document" },
  },
  positionals: { min: 1, max: 2 },
  notes: [
    "The cache folder is NEEDLE_WASM_CACHE, else $XDG_CACHE_HOME/needle-wasm, else ~/.cache/needle-wasm.",
    "",
    "examples:",
    "  needle-wasm cache list",
    "  needle-wasm cache remove Cactus-Compute/needle",
  ],
  run: cache,
};

async function cache(args: ParsedArgs, io: CliIO): Promise<number> {
  const [action, model] = args.positionals as [string, string | undefined];
  const api = (await nodeApi())!;
  const root = cacheRoot(api, undefined);
  if (action === "list") {
    if (model !== undefined) throw new UsageError(`unexpected argument ${JSON.stringify(model)}`);
    if (args.options.has("revision")) throw new UsageError("--revision goes with cache remove");
    const models = await listCache(api, root);
    if (flag(args, "json")) io.out(`${toJson({ root, models })}\n`);
    else io.out(formatListing(root, models));
    return 0;
  }
  if (action === "remove") {
    if (model === undefined) throw new UsageError("cache remove needs a model id");
    const freed = await removeCached(api, root, model, stringOption(args, "revision"));
    io.out(`removed ${model}${args.options.has("revision") ? `@${stringOption(args, "revision")}` : ""}: ${groupDigits(freed)} bytes freed\n`);
    return 0;
  }
  throw new UsageError(`unknown cache action ${JSON.stringify(action)}: list or remove`);
}

function formatListing(root: string, models: Awaited<ReturnType<typeof listCache>>): string {
  const lines = [`cache: ${root}`];
  if (models.length === 0) lines.push("no models cached (needle-wasm pull ID downloads one)");
  for (const m of models) {
    lines.push("", `${m.repo}  ${groupDigits(m.bytes)} bytes`);
    const rows: string[][] = [];
    for (const c of m.commits) {
      rows.push([`  ${c.commit.slice(0, 12)}`, c.revisions.length ? c.revisions.join(", ") : "(no ref)", `${groupDigits(c.bytes)} bytes`]);
      for (const f of c.files) rows.push(["", `  ${f.path}`, `${groupDigits(f.bytes)} bytes`]);
      for (const b of c.bundles) rows.push(["", `  ${b.dtype} bundle`, `${groupDigits(b.bytes)} bytes`]);
      if (c.partialBytes > 0) rows.push(["", "  partial downloads", `${groupDigits(c.partialBytes)} bytes`]);
    }
    lines.push(...columns(rows));
  }
  return lines.map((l) => `${l}\n`).join("");
}
