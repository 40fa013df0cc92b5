// `needle-wasm inspect` of a Needle 2 `.cact` (lib/needle2/cact.ts checks it
// whole): its geometry, the tensors of its directory, probe heads and the
// tokenizer it carries.

import { readCact, TERNARY_RECORD_BITS } from "../needle2/cact.ts";
import { parseTokenizerBlob, PIECE_BYTE, PIECE_USER_DEFINED } from "../needle2/tokenizer.ts";
import { columns, groupDigits, toJson } from "./output.ts";


export function describeCact(bytes: Uint8Array, file: string): { json: Record<string, unknown>; text: string[] } {
  const cact = readCact(bytes);
  const h = cact.header;
  const bitsText = (bits: number): string => (bits === TERNARY_RECORD_BITS ? "ternary" : `${bits}-bit`);
  const tensors = cact.tensors.map((t) => ({
    name: t.name, kind: t.kind, shape: t.shape, offset: t.offset, bytes: t.nbytes,
    ...(t.kind === "cq" ? { bits: t.bits === TERNARY_RECORD_BITS ? 1.58 : t.bits, group: t.group } : {}),
  }));
  const parameters = cact.tensors.filter((t) => t.kind === "cq" || t.kind === "fp16").reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
  const t = cact.tokenizer;
  const blob = t ? parseTokenizerBlob(bytes.subarray(t.offset, t.offset + t.nbytes), h.vocab) : null;
  const tokenizer = blob && {
    pieces: blob.pieces.length,
    specialIds: { pad: blob.padId, eos: blob.eosId, bos: blob.bosId, unk: blob.unkId },
    userDefined: blob.pieces.flatMap((piece, id) => (blob.types[id] === PIECE_USER_DEFINED ? [{ piece, id }] : [])),
    bytePieces: blob.types.filter((x) => x === PIECE_BYTE).length,
    addDummyPrefix: blob.addDummyPrefix,
    byteFallback: blob.byteFallback,
  };
  const headerRows = [["header", "value"], ...Object.entries(h).map(([key, value]) => [key, toJson(value)])];
  const tensorRows = [["tensor", "kind", "shape", "bits/group", "bytes"]];
  for (const x of cact.tensors) tensorRows.push([x.name, x.kind, `[${x.shape.join(", ")}]`, x.kind === "cq" ? `${bitsText(x.bits)}/${x.group}` : "", groupDigits(x.nbytes)]);
  return {
    json: { kind: "cact", file, bytes: bytes.length, parameters, header: h, probeHeads: cact.heads.map((x) => x.kind), tensors, tokenizer },
    text: [
      `${file}: Needle 2 .cact, ${h.numLayers} layers, d_model ${h.dModel}, ${groupDigits(bytes.length)} bytes (every field checked)`,
      `${groupDigits(parameters)} parameters in ${cact.tensors.length - (t ? 1 : 0)} tensors; probe heads: ${cact.heads.map((x) => x.kind).join(", ") || "none"}`,
      "",
      ...columns(headerRows),
      "",
      ...columns(tensorRows),
      "",
      tokenizer
        ? `tokenizer: RAW blob, ${groupDigits(tokenizer.pieces)} pieces, special ids pad ${tokenizer.specialIds.pad}, eos ${tokenizer.specialIds.eos}, bos ${tokenizer.specialIds.bos}, unk ${tokenizer.specialIds.unk}; markers ${tokenizer.userDefined.map((u) => `${u.piece} ${u.id}`).join(", ")}`
        : "tokenizer: none",
    ],
  };
}
