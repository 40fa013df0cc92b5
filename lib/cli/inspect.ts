// `needle-wasm inspect FILE`: what a bundle, checkpoint or tokenizer file holds.
// Each kind of file is a FileKind, recognised by its content; adding a kind
// means adding one entry to FILE_KINDS.

import { basename } from "node:path";
import { NeedleError, Tokenizer, isBundle, readBundle, type NeedleConfig } from "../index.ts";
import { expectedTensors, parseCheckpoint } from "../load/checkpoint.ts";
import { parseModelProto, modelTypeName } from "../../tokenizer/model.ts";
import { UsageError, flag, stringOption, type ParsedArgs } from "./args.ts";
import { findCachedBundle } from "../hub/cache-index.ts";
import { nodeApi } from "../hub/node-api.ts";
import { cacheRoot } from "../hub/node-cache.ts";
import type { CliIO, Command } from "./command.ts";
import { readInputFile } from "./inputs.ts";
import { columns, groupDigits, toJson } from "./output.ts";
import { describeCact } from "./inspect-cact.ts";
import { isCact } from "../needle2/cact.ts";

/** What inspect reports about one file: a JSON object and the same as text lines. */
interface Report {
  json: Record<string, unknown>;
  text: string[];
}

interface FileKind {
  /** Recognises the file by its first bytes. */
  matches(bytes: Uint8Array): boolean;
  describe(bytes: Uint8Array, file: string): Report;
}

/** Pickle PROTO opcode: protocols 2 and later begin with 0x80 and the protocol number. */
const PICKLE_PROTO = 0x80;
/** ModelProto's first field, `repeated SentencePiece pieces = 1`, length-delimited: tag 0x0a. */
const SENTENCEPIECE_FIRST_TAG = 0x0a;

const FILE_KINDS: readonly FileKind[] = [
  { matches: isBundle, describe: describeBundle },
  { matches: (b) => b[0] === PICKLE_PROTO && b[1]! >= 2 && b[1]! <= 5, describe: describeCheckpoint },
  { matches: (b) => b[0] === SENTENCEPIECE_FIRST_TAG, describe: describeTokenizer },
  { matches: isCact, describe: describeCact },
];

export const inspectCommand: Command = {
  name: "inspect",
  summary: "Describe a .needle bundle, a checkpoint (needle.pkl), a Needle 2 .cact or a tokenizer (.model), recognised by content.",
  usage: "inspect FILE [--json]",
  options: {
    json: { type: "boolean", help: "print the description as one JSON document" },
    model: { type: "string", value: "ID", help: "the cached bundle of a Hugging Face model id (needle-wasm pull): its meta.source says where it came from" },
    revision: { type: "string", value: "REV", help: "with --model: the revision (default main)" },
  },
  positionals: { min: 0, max: 1 },
  notes: [
    "A bundle: its format version, weight format, engine layout, sections (offset, length,",
    "CRC-32, all verified), config, meta and tokenizer. A checkpoint: its config (stored and effective, defaults marked), parameter count and",
    "every tensor (name, shape, dtype, bytes). A tokenizer: vocabulary size, special ids,",
    "user-defined pieces and normalizer settings. A Needle 2 .cact: its header, every tensor",
    "(kind, shape, bits and group, bytes), probe heads and tokenizer.",
    "",
    "With --model ID (no FILE): the cached bundle of that Hugging Face model id.",
    "",
    "examples:",
    "  needle-wasm inspect needle.pkl",
    "  needle-wasm inspect needle-int8.needle --json",
  ],
  run,
};

async function run(args: ParsedArgs, io: CliIO): Promise<number> {
  const path = await fileToInspect(args);
  const bytes = await readInputFile(path, "file");
  const kind = FILE_KINDS.find((k) => k.matches(bytes));
  if (!kind) throw new NeedleError("UNKNOWN_FILE_KIND", `${path} is not a .needle bundle, a Needle checkpoint (a pickle, protocol 2 to 5), a Needle 2 .cact or a SentencePiece model`);
  const report = kind.describe(bytes, basename(path));
  io.out(flag(args, "json") ? `${toJson(report.json)}\n` : report.text.map((line) => `${line}\n`).join(""));
  return 0;
}

/** FILE, or with --model the cached bundle of that model id. */
async function fileToInspect(args: ParsedArgs): Promise<string> {
  const model = stringOption(args, "model");
  if (model === undefined && args.positionals.length === 0) throw new UsageError("missing argument (usage: needle-wasm inspect FILE [--json])");
  if (model !== undefined && args.positionals.length > 0) throw new UsageError("give FILE or --model ID, not both");
  if (model === undefined) return args.positionals[0]!;
  const api = (await nodeApi())!;
  return (await findCachedBundle(api, cacheRoot(api, undefined), model, stringOption(args, "revision") ?? "main")).path;
}

function describeCheckpoint(bytes: Uint8Array, file: string): Report {
  const checkpoint = parseCheckpoint(bytes);
  const stored = checkpoint.storedConfig;
  const effective = checkpoint.config as unknown as Record<string, unknown>;
  const defaults = Object.keys(effective).filter((key) => !Object.hasOwn(stored, key));
  const ignored = Object.keys(stored).filter((key) => !Object.hasOwn(effective, key));
  const tensors = [...checkpoint.tensors].map(([name, t]) => ({ name, shape: t.shape, dtype: t.dtype, bytes: t.data.byteLength }));
  const parameters = tensors.reduce((sum, t) => sum + t.shape.reduce((n, d) => n * d, 1), 0);
  const tensorBytes = tensors.reduce((sum, t) => sum + t.bytes, 0);
  const protocol = bytes[1]!;

  const configRows = [["config", "stored", "effective", ""]];
  for (const key of [...Object.keys(effective), ...ignored]) {
    const inStored = Object.hasOwn(stored, key);
    const inEffective = Object.hasOwn(effective, key);
    const mark = !inStored ? "(default)" : !inEffective ? "(not used)" : "";
    configRows.push([key, inStored ? toJson(stored[key]) : "-", inEffective ? toJson(effective[key]) : "-", mark]);
  }
  const tensorRows = [["tensor", "shape", "dtype", "bytes"]];
  for (const t of tensors) tensorRows.push([t.name, `[${t.shape.join(", ")}]`, t.dtype, groupDigits(t.bytes)]);
  tensorRows.push(["total", "", "", groupDigits(tensorBytes)]);

  return {
    json: { kind: "checkpoint", file, bytes: bytes.length, pickleProtocol: protocol, storedConfig: stored, config: effective, defaults, ignored, parameters, tensors, tensorBytes },
    text: [
      `${file}: Needle checkpoint, pickle protocol ${protocol}, ${groupDigits(bytes.length)} bytes`,
      `${groupDigits(parameters)} parameters in ${tensors.length} tensors, ${groupDigits(tensorBytes)} bytes`,
      "",
      ...columns(configRows),
      "",
      ...columns(tensorRows),
    ],
  };
}

/** What a SentencePiece model holds: a JSON summary, a title and rows (for a tokenizer file, and inside a bundle). */
function tokenizerSummary(bytes: Uint8Array): { json: Record<string, unknown>; title: string; rows: string[][] } {
  const tokenizer = Tokenizer.fromBytes(bytes);
  const proto = parseModelProto(bytes);
  const ids = Array.from({ length: tokenizer.vocabSize }, (_, id) => id);
  const userDefined = ids.filter((id) => tokenizer.isUserDefined(id)).map((id) => ({ piece: tokenizer.idToPiece(id), id }));
  const byteIds = ids.filter((id) => tokenizer.isByte(id));
  const special = { pad: tokenizer.padId, eos: tokenizer.eosId, bos: tokenizer.bosId, unk: tokenizer.unkId };
  const norm = proto.normalizerSpec;
  const normalizer = {
    name: norm.name,
    addDummyPrefix: norm.addDummyPrefix,
    removeExtraWhitespaces: norm.removeExtraWhitespaces,
    escapeWhitespaces: norm.escapeWhitespaces,
    compiledRulesBytes: norm.precompiledCharsmapLength,
  };
  const trainer = proto.trainerSpec;
  const modelType = modelTypeName(trainer.modelType);
  const idText = (id: number) => (id < 0 ? "none" : String(id));
  const bytePieces = byteIds.length ? `${byteIds.length} (ids ${byteIds[0]} to ${byteIds[byteIds.length - 1]})` : "none";

  return {
    json: {
      bytes: bytes.length, modelType, vocabSize: tokenizer.vocabSize, specialIds: special, userDefined,
      bytePieces: byteIds.length, byteFallback: trainer.byteFallback, treatWhitespaceAsSuffix: trainer.treatWhitespaceAsSuffix, normalizer,
    },
    title: `SentencePiece ${modelType} model, ${groupDigits(tokenizer.vocabSize)} pieces, ${groupDigits(bytes.length)} bytes`,
    rows: [
      ["special ids", Object.entries(special).map(([name, id]) => `${name} ${idText(id)}`).join(", ")],
      ["user-defined", userDefined.map((u) => `${u.piece} ${u.id}`).join(", ") || "none"],
      ["byte pieces", bytePieces],
      ["byte fallback", String(trainer.byteFallback)],
      ["normalizer", norm.name || "(unnamed)"],
      ["  add_dummy_prefix", String(norm.addDummyPrefix)],
      ["  remove_extra_whitespaces", String(norm.removeExtraWhitespaces)],
      ["  escape_whitespaces", String(norm.escapeWhitespaces)],
      ["  compiled rules", norm.precompiledCharsmapLength ? `${groupDigits(norm.precompiledCharsmapLength)} bytes` : "none"],
      ["treat_whitespace_as_suffix", String(trainer.treatWhitespaceAsSuffix)],
    ],
  };
}

function describeTokenizer(bytes: Uint8Array, file: string): Report {
  const summary = tokenizerSummary(bytes);
  return {
    json: { kind: "tokenizer", file, ...summary.json },
    text: [`${file}: ${summary.title}`, "", ...columns(summary.rows)],
  };
}

/** Parameters of the checkpoint a config describes (log_temp included, as a checkpoint's inspect counts them). */
export function countParameters(config: NeedleConfig): number {
  let n = 0;
  for (const shape of expectedTensors(config).values()) n += shape.reduce((size, d) => size * d, 1);
  return n;
}

/** Fixed fields of a bundle (weights/FORMAT.md): version at 8, header length at 12, header CRC-32 at 16; the header at 24. */
const BUNDLE_HEADER_OFFSET = 24;

function describeBundle(bytes: Uint8Array, file: string): Report {
  const bundle = readBundle(bytes); // verifies the structure and the three checksums
  const { header } = bundle;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const formatVersion = view.getUint32(8, true);
  const headerSection = { offset: BUNDLE_HEADER_OFFSET, length: view.getUint32(12, true), crc32: view.getUint32(16, true) };
  const sections = { header: headerSection, tokenizer: header.tokenizer, weights: header.weights };
  const parameters = countParameters(header.config);
  const tokenizer = tokenizerSummary(bundle.tokenizer);
  const hex = (n: number) => `0x${n.toString(16).padStart(8, "0")}`;
  const sectionRows = [["section", "offset", "bytes", "crc32"]];
  for (const [name, s] of Object.entries(sections)) sectionRows.push([name, groupDigits(s.offset), groupDigits(s.length), hex(s.crc32)]);
  const configRows = [["config", "value"], ...Object.entries(header.config).map(([key, value]) => [key, toJson(value)])];
  const metaEntries = Object.entries(header.meta);
  const metaRows = [["meta", metaEntries.length ? "value" : "none"], ...metaEntries.map(([key, value]) => [key, toJson(value)])];

  return {
    json: {
      kind: "bundle", file, bytes: bytes.length, formatVersion, dtype: header.dtype, layout: header.layout, parameters,
      sections, checksumsVerified: true, config: header.config, meta: header.meta, tokenizer: tokenizer.json,
    },
    text: [
      `${file}: Needle bundle (format ${formatVersion}), ${header.dtype} weights for engine layout ${header.layout}, ${groupDigits(bytes.length)} bytes`,
      `${groupDigits(parameters)} parameters; header, tokenizer and weights checksums verified`,
      "",
      ...columns(sectionRows),
      "",
      ...columns(configRows),
      "",
      ...columns(metaRows),
      "",
      `tokenizer: ${tokenizer.title}`,
      ...columns(tokenizer.rows, "  "),
    ],
  };
}
