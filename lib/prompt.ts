import { InputError } from "./errors.ts";

/**
 * The prompt going in, as the reference's generate() builds it (cactus-compute/needle,
 * needle/model/run.py: _build_encoder_input, generate).
 */

/** Id of `<tools>`, between the query and the tools JSON. */
export const TOOLS_SEPARATOR_ID = 5;
/** DEFAULT_MAX_ENC_LEN. */
export const MAX_ENCODER_LEN = 1024;
/** Most tokens one call generates: generate()'s max_gen_len of 512 decoder positions, less the start token. */
export const MAX_NEW_TOKENS = 511;

/**
 * _build_encoder_input: query ids cut to maxLen - 2, then the separator,
 * then tools ids cut so the whole is at most maxLen long.
 */
export function buildEncoderInput(
  queryIds: readonly number[],
  toolsIds: readonly number[],
  toolsSeparatorId = TOOLS_SEPARATOR_ID,
  maxLen = MAX_ENCODER_LEN,
): number[] {
  if (!Number.isInteger(maxLen) || maxLen < 2) throw new InputError("BAD_MAX_LEN", `maxLen must be an integer of at least 2, got ${maxLen}`);
  const query = queryIds.slice(0, maxLen - 2);
  const tools = toolsIds.slice(0, maxLen - query.length - 1);
  return [...query, toolsSeparatorId, ...tools];
}
