import { CheckpointError } from "../errors.ts";

export type Activation = "drelu" | "swiglu" | "geglu";

/**
 * A checkpoint's config with the reference's defaults filled in. Field names
 * are the checkpoint's own (TransformerConfig in cactus-compute/needle).
 */
export interface NeedleConfig {
  vocab_size: number;
  d_model: number;
  num_heads: number;
  num_kv_heads: number;
  num_encoder_layers: number;
  num_decoder_layers: number;
  d_ff: number;
  max_seq_len: number;
  pad_token_id: number;
  rope_theta: number;
  dtype: string;
  activation: Activation;
  num_memory_slots: number;
  dropout_rate: number;
  contrastive_dim: number;
  no_feedforward: boolean;
}

/** TransformerConfig's dataclass defaults: real checkpoints store only the constructor's kwargs. */
export const CONFIG_DEFAULTS: Readonly<NeedleConfig> = Object.freeze({
  vocab_size: 8192,
  d_model: 128,
  num_heads: 4,
  num_kv_heads: 2,
  num_encoder_layers: 2,
  num_decoder_layers: 2,
  d_ff: 512,
  max_seq_len: 128,
  pad_token_id: 0,
  rope_theta: 10000.0,
  dtype: "bfloat16",
  activation: "drelu",
  num_memory_slots: 64,
  dropout_rate: 0.1,
  contrastive_dim: 128,
  no_feedforward: true,
});

/** Upper bounds that keep a hostile config from asking for absurd memory. */
const LIMITS = {
  vocab_size: 1 << 20,
  d_model: 1 << 14,
  num_heads: 1 << 10,
  num_kv_heads: 1 << 10,
  num_encoder_layers: 1 << 8,
  num_decoder_layers: 1 << 8,
  d_ff: 1 << 16,
  max_seq_len: 1 << 20,
  contrastive_dim: 1 << 14,
} as const;

const INT_FIELDS = [
  "vocab_size", "d_model", "num_heads", "num_kv_heads", "num_encoder_layers",
  "num_decoder_layers", "d_ff", "max_seq_len", "pad_token_id", "num_memory_slots", "contrastive_dim",
] as const;

/**
 * Fill defaults into a stored config dict and check that it describes a
 * model this engine can run. Unknown keys are ignored, as the reference does.
 */
export function resolveConfig(stored: Record<string, unknown>): NeedleConfig {
  const cfg: Record<string, unknown> = { ...CONFIG_DEFAULTS };
  for (const key of Object.keys(CONFIG_DEFAULTS)) {
    if (Object.hasOwn(stored, key)) cfg[key] = stored[key];
  }
  const bad = (field: string, why: string): never => {
    throw new CheckpointError("BAD_CONFIG", `config.${field} ${why} (got ${describeValue(cfg[field])})`);
  };
  for (const f of INT_FIELDS) {
    const v = cfg[f];
    if (typeof v === "boolean" || typeof v !== "number" || !Number.isInteger(v) || v < 0) bad(f, "must be a non-negative integer");
  }
  for (const [f, max] of Object.entries(LIMITS)) {
    const v = cfg[f] as number;
    if (v < 1 || v > max) bad(f, `must be between 1 and ${max}`);
  }
  if (typeof cfg.rope_theta !== "number" || !(cfg.rope_theta > 0) || !Number.isFinite(cfg.rope_theta)) bad("rope_theta", "must be a positive number");
  if (typeof cfg.dropout_rate !== "number") bad("dropout_rate", "must be a number");
  if (typeof cfg.dtype !== "string") bad("dtype", "must be a string");
  if (cfg.activation !== "drelu" && cfg.activation !== "swiglu" && cfg.activation !== "geglu") bad("activation", 'must be "drelu", "swiglu" or "geglu"');
  if (typeof cfg.no_feedforward !== "boolean") bad("no_feedforward", "must be a boolean");
  const c = cfg as unknown as NeedleConfig;
  if (c.d_model % c.num_heads !== 0) bad("d_model", `must be divisible by num_heads (${c.num_heads})`);
  if (c.num_heads % c.num_kv_heads !== 0) bad("num_heads", `must be divisible by num_kv_heads (${c.num_kv_heads})`);
  if ((c.d_model / c.num_heads) % 2 !== 0) bad("d_model", "must give an even head_dim for rotary embeddings");
  if (c.d_model < 4) bad("d_model", "must be at least 4 (the contrastive head is d_model/4 wide)");
  if (c.pad_token_id >= c.vocab_size) bad("pad_token_id", "must be below vocab_size");
  return c;
}

function describeValue(v: unknown): string {
  if (typeof v === "bigint") return `${v}n`;
  if (Array.isArray(v)) return `a list of ${v.length}`;
  if (v !== null && typeof v === "object") return "an object";
  return JSON.stringify(v) ?? String(v);
}

/** Derived sizes every part of the engine needs. */
export function headDim(c: NeedleConfig): number {
  return c.d_model / c.num_heads;
}
