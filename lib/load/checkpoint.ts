import { type NeedleConfig, CONFIG_DEFAULTS, headDim, resolveConfig } from "./config.ts";
import { CheckpointError } from "../errors.ts";
import { NdArray, unpickle } from "./pickle/reader.ts";

/** A parsed `needle.pkl`: every tensor checked against the shapes its config implies. */
export interface Checkpoint {
  /** The stored config with the reference's defaults filled in. */
  config: NeedleConfig;
  /** The config dict exactly as the file holds it. */
  storedConfig: Record<string, unknown>;
  /** Flax paths joined with "/" (e.g. "encoder/final_norm/scale") → tensor. */
  tensors: Map<string, NdArray>;
}

/**
 * Read a Needle checkpoint: a pickle of `{"params": tree, "config": dict}`
 * (other top-level keys are ignored). Throws PickleError for a bad stream
 * and CheckpointError when the config is invalid or the tensors are not
 * exactly those `expectedTensors(config)` lists. Every tensor is float16 or
 * float32 (unpickle refuses any other dtype). Tensor data are views into
 * `bytes` where the pickle allows it, so keep `bytes` unmodified.
 */
export function parseCheckpoint(bytes: Uint8Array): Checkpoint {
  const root = unpickle(bytes);
  if (!isDict(root)) throw new CheckpointError("NOT_A_CHECKPOINT", `checkpoint: the pickle holds a ${typeName(root)}, not a dict`);
  const { params, config: stored } = root;
  if (!isDict(params) || !isDict(stored)) {
    throw new CheckpointError("NOT_A_CHECKPOINT", `checkpoint: expected dicts under "params" and "config", got ${typeName(params)} and ${typeName(stored)}`);
  }
  const config = resolveStoredConfig(stored);
  const tensors = flattenParams(params);
  checkTensors(tensors, expectedTensors(config));
  return { config, storedConfig: stored, tensors };
}

/**
 * Every tensor name and shape a config implies, in the order flax writes
 * them: layers stacked on a leading axis, dense kernels [in, out], the
 * contrastive hidden width floor(d_model / 4), `log_temp` a 0-d array.
 */
export function expectedTensors(c: NeedleConfig): Map<string, number[]> {
  const d = c.d_model;
  const hd = headDim(c);
  const kvDim = c.num_kv_heads * hd;
  const hidden = Math.floor(d / 4);
  const ffn = !c.no_feedforward;
  const shapes = new Map<string, number[]>();
  const attention = (prefix: string, L: number) => {
    shapes.set(`${prefix}/q_proj/kernel`, [L, d, d]);
    shapes.set(`${prefix}/k_proj/kernel`, [L, d, kvDim]);
    shapes.set(`${prefix}/v_proj/kernel`, [L, d, kvDim]);
    shapes.set(`${prefix}/q_norm/scale`, [L, hd]);
    shapes.set(`${prefix}/k_norm/scale`, [L, hd]);
    shapes.set(`${prefix}/out_proj/kernel`, [L, d, d]);
  };
  const feedForward = (block: string, norm: string, L: number) => {
    shapes.set(`${block}/ffn_gate`, [L]);
    shapes.set(`${block}/${norm}/scale`, [L, d]);
    shapes.set(`${block}/FeedForward_0/gate_proj/kernel`, [L, d, c.d_ff]);
    shapes.set(`${block}/FeedForward_0/up_proj/kernel`, [L, d, c.d_ff]);
    shapes.set(`${block}/FeedForward_0/down_proj/kernel`, [L, c.d_ff, d]);
  };

  shapes.set("embedding/embedding", [c.vocab_size, d]);

  const enc = "encoder/layers/EncoderBlock_0";
  const Le = c.num_encoder_layers;
  shapes.set(`${enc}/attn_gate`, [Le]);
  shapes.set(`${enc}/ZCRMSNorm_0/scale`, [Le, d]);
  attention(`${enc}/self_attn`, Le);
  if (ffn) feedForward(enc, "ZCRMSNorm_1", Le);
  shapes.set("encoder/final_norm/scale", [d]);

  const dec = "decoder/layers/DecoderBlock_0";
  const Ld = c.num_decoder_layers;
  shapes.set(`${dec}/self_attn_gate`, [Ld]);
  shapes.set(`${dec}/ZCRMSNorm_0/scale`, [Ld, d]);
  attention(`${dec}/self_attn`, Ld);
  shapes.set(`${dec}/cross_attn_gate`, [Ld]);
  shapes.set(`${dec}/ZCRMSNorm_1/scale`, [Ld, d]);
  attention(`${dec}/cross_attn`, Ld);
  if (ffn) feedForward(dec, "ZCRMSNorm_2", Ld);
  shapes.set("decoder/ZCRMSNorm_0/scale", [d]);

  shapes.set("contrastive_hidden/kernel", [d, hidden]);
  shapes.set("contrastive_hidden/bias", [hidden]);
  shapes.set("contrastive_proj/kernel", [hidden, c.contrastive_dim]);
  shapes.set("log_temp", []);
  return shapes;
}

/** resolveConfig, after refusing values it cannot describe in its own messages (bigints, containers, arrays). */
function resolveStoredConfig(stored: Record<string, unknown>): NeedleConfig {
  for (const key of Object.keys(CONFIG_DEFAULTS)) {
    const v = stored[key];
    if (typeof v === "bigint" || (typeof v === "object" && v !== null)) {
      throw new CheckpointError("BAD_CONFIG", `config.${key} must be a number, string or bool (got ${typeName(v)})`);
    }
  }
  return resolveConfig(stored);
}

/** The params tree as "/"-joined paths. Each dict may appear once, so the walk is linear. */
function flattenParams(params: Record<string, unknown>): Map<string, NdArray> {
  const tensors = new Map<string, NdArray>();
  const seen = new Set<object>();
  const walk = (node: Record<string, unknown>, prefix: string): void => {
    if (seen.has(node)) throw new CheckpointError("BAD_TREE", `checkpoint: params/${prefix} repeats a dict that appears elsewhere in the tree`);
    seen.add(node);
    for (const [key, value] of Object.entries(node)) {
      const name = prefix === "" ? key : `${prefix}/${key}`;
      if (key === "" || key.includes("/")) throw new CheckpointError("BAD_TREE", `checkpoint: params/${name} has an empty key or one containing "/"`);
      if (value instanceof NdArray) tensors.set(name, value);
      else if (isDict(value)) walk(value, name);
      else throw new CheckpointError("NOT_A_TENSOR", `checkpoint: params/${name} is a ${typeName(value)}, not an array or dict`);
    }
  };
  walk(params, "");
  return tensors;
}

function checkTensors(tensors: Map<string, NdArray>, expected: Map<string, number[]>): void {
  for (const [name, shape] of expected) {
    const tensor = tensors.get(name);
    if (tensor === undefined) throw new CheckpointError("MISSING_TENSOR", `checkpoint: tensor ${name} ${formatShape(shape)} is missing`);
    if (tensor.shape.length !== shape.length || tensor.shape.some((n, i) => n !== shape[i])) {
      throw new CheckpointError("SHAPE_MISMATCH", `checkpoint: tensor ${name} has shape ${formatShape(tensor.shape)}, expected ${formatShape(shape)}`);
    }
  }
  for (const [name, tensor] of tensors) {
    if (!expected.has(name)) {
      throw new CheckpointError("UNEXPECTED_TENSOR", `checkpoint: unexpected tensor ${name} ${formatShape(tensor.shape)}: the config does not describe this architecture`);
    }
  }
}

function formatShape(shape: readonly number[]): string {
  return `[${shape.join(", ")}]`;
}

/** Pickled dicts are null-prototype objects (see unpickle). */
function isDict(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && Object.getPrototypeOf(v) === null;
}

function typeName(v: unknown): string {
  if (v === null) return "None";
  if (v === undefined) return "nothing";
  if (Array.isArray(v)) return "list";
  if (v instanceof NdArray) return "array";
  if (v instanceof Uint8Array) return "bytes";
  return isDict(v) ? "dict" : typeof v;
}
